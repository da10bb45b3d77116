"""The bodies of a mobile unit's link, as the centre validates them (and the OpenAPI
document shows them): a push of records, its answer, and the configuration answer."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

MAX_RECORDS = 200
"""Records in one push (the unit also keeps a batch to about 4 MB of JSON)."""


class EdgeRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: StrictInt = Field(ge=1, le=2**62, description="The unit's outbox number.")
    tbl: str = Field(min_length=1, max_length=40, examples=["ticket"])
    id: StrictInt = Field(ge=1, le=2**31 - 1, description="The row's id at the unit.")
    row: dict[str, Any] = Field(description="Every column of the row, by name, as JSON.")
    file: str | None = Field(
        default=None, description="An attachment's bytes, base64 (attachment rows only)."
    )


class EdgePushIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_clock: AwareDatetime = Field(description="The unit's time when it sent the batch.")
    pending_after: StrictInt = Field(
        ge=0, le=2**31 - 1, description="Records the unit still holds after this batch."
    )
    records: list[EdgeRecordIn] = Field(
        max_length=MAX_RECORDS, description="In increasing `seq` order."
    )


class EdgePushOut(BaseModel):
    acked_seq: int = Field(description="The unit's last outbox number stored at the centre.")


class EdgeUnitInfo(BaseModel):
    id: int
    name: str
    branch_id: int


class EdgeConfigOut(BaseModel):
    unit: EdgeUnitInfo
    token_tag: str = Field(description="Starts the tracking tokens and references made there.")
    public_url: str
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="Set-up rows by table name, with the centre's ids, in the order they apply."
    )


class EdgeUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branch: str = Field(min_length=1, max_length=40, examples=["mobile-north"])
    name: str = Field(min_length=1, max_length=80, examples=["Unit laptop 1"])


class EdgeUnitOut(BaseModel):
    id: int
    name: str
    branch: str
    token_tag: str
    created_at: str
    revoked_at: str | None
    config_pulled_at: str | None
    last_push_at: str | None
    acked_seq: int
    pending: int
    complete_through: str | None


class EdgeUnitCreated(EdgeUnitOut):
    token: str = Field(description="The unit's token: shown this once, never again.")


class EdgeUnitList(BaseModel):
    items: list[EdgeUnitOut]
