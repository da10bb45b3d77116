"""What some API operations answer, as models: the OpenAPI document shows them and
the property tests check every answer against them. (Older answers are in
reception/api/schemas.py beside the request bodies.)"""

from __future__ import annotations

from pydantic import BaseModel, Field


class CallTopicOut(BaseModel):
    slug: str
    name_ar: str
    name_en: str
    sort_order: int
    active: bool


class CallTopicList(BaseModel):
    topics: list[CallTopicOut]


class SlotTemplateOut(BaseModel):
    id: int
    weekdays: str
    start: str = Field(description="HH:MM, branch local time")
    end: str = Field(description="HH:MM, branch local time")
    slot_minutes: int
    capacity: int
    valid_from: str | None
    valid_until: str | None
    blackout_dates: list[str]
    active: bool


class SlotTemplateList(BaseModel):
    templates: list[SlotTemplateOut]


class FreeSlot(BaseModel):
    starts_at: str
    local_time: str = Field(description="YYYY-MM-DDTHH:MM in the branch's time zone")
    capacity: int
    taken: int
    free: int


class FreeSlotList(BaseModel):
    slots: list[FreeSlot]


class LetterRegistered(BaseModel):
    id: int
    reference: str
    status: str
    residency: str | None
    tracking_url: str


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class LoggedCall(BaseModel):
    id: int
    at: str
    topic: str
    direction: str
    duration_minutes: int | None
    letter: str | None = Field(description="The reference of the letter it concerns")
    ticket_id: int | None
    hall_id: int | None


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    branch_id: int | None
    hall_id: int | None
    created_at: str
    revoked_at: str | None


class TokenList(BaseModel):
    tokens: list[TokenOut]


class CategoryOut(BaseModel):
    slug: str
    name_ar: str
    name_en: str
    parent: str | None = Field(description="The slug of the category it is under")
    active: bool
    sla_hours: dict[str, int]
    description_ar: str
    description_en: str
    examples_ar: list[str]
    examples_en: list[str]


class CategoryList(BaseModel):
    categories: list[CategoryOut]
