"""Request and response bodies of the JSON API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from reception.appointments.meetings import DEFAULT_SERVICE as DEFAULT_MEETING_SERVICE
from reception.auth.passwords import MIN_PASSWORD_LENGTH
from reception.feedback.models import REASONS
from reception.inputs import AwareMoment, Day, Id
from reception.queue.rules import CLOSE_CHOICES
from reception.settings import DEFAULT_TIMEZONE, Language


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branch: str = Field(min_length=1, max_length=40, examples=["riyadh"])
    hall: str = Field(min_length=1, max_length=40, examples=["men"])
    service: str = Field(min_length=1, max_length=40, examples=["general"])
    phone: str | None = Field(default=None, max_length=32, description="Mobile for SMS.")
    priority: str | None = Field(default=None, max_length=40, examples=["elderly"])
    residency: Literal["citizen", "resident"] | None = None
    language: Language = "ar"


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branch: str = Field(min_length=1, max_length=40, examples=["riyadh"])
    hall: str = Field(min_length=1, max_length=40, examples=["men"])
    service: str = Field(min_length=1, max_length=40, examples=["appointment"])
    starts_at: AwareMoment = Field(examples=["2026-11-24T10:30:00+03:00"])
    phone: str | None = Field(default=None, max_length=32, description="Mobile for SMS.")
    name: str = Field(default="", max_length=120, description="Shown masked to the visitor.")
    language: Language = "ar"
    residency: Literal["citizen", "resident"] | None = Field(
        default=None, description="Counted in published statistics; the check-in inherits it."
    )


class RescheduleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareMoment = Field(examples=["2026-11-25T09:00:00+03:00"])


class SlotTemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hall: str = Field(min_length=1, max_length=40, examples=["men"])
    service: str = Field(min_length=1, max_length=40, examples=["appointment"])
    weekdays: str = Field(min_length=3, max_length=40, examples=["sun-thu"])
    start: str = Field(min_length=5, max_length=5, examples=["08:00"])
    end: str = Field(min_length=5, max_length=5, examples=["12:00"])
    slot_minutes: StrictInt = Field(default=15, ge=5, le=480)
    capacity: StrictInt = Field(default=1, ge=1, le=500)
    valid_from: Day | None = None
    valid_until: Day | None = None
    blackout_dates: list[str] = Field(default_factory=list, max_length=400)


class SlotTemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: StrictInt | None = Field(default=None, ge=1, le=500)
    blackout_dates: list[str] | None = Field(default=None, max_length=400)
    active: StrictBool | None = None


class AppointmentOut(BaseModel):
    id: int
    code: str = Field(description="8 digits, typed at the kiosk or read from a QR code.")
    kind: Literal["visit", "meeting"]
    starts_at: str
    status: str
    residency: Literal["citizen", "resident"] | None = None
    tracking_url: str = Field(description="The visitor's page: details, cancel, change time.")
    qr: str = Field(description="The code as a QR image (SVG data URI) for the kiosk scanner.")


class CheckInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, examples=["40213377"])
    language: Language = "ar"
    residency: Literal["citizen", "resident"] | None = Field(
        default=None, description="As the visitor states it now; else the booking's."
    )


class DisplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice_ar: str = Field(default="", max_length=300, description="Scrolls on the displays.")
    notice_en: str = Field(default="", max_length=300)
    layout: Literal["auto", "landscape", "portrait"] = "auto"
    volume: StrictInt = Field(default=80, ge=0, le=100, description="Announcements; 0 is silent.")


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=40, description="The new service's slug.")
    counter: Id | None = Field(default=None, description="Only this counter may call it.")
    to_back: StrictBool = Field(
        default=False, description="Supervisors only: behind everyone waiting now."
    )


class FinishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["served", "letter_received", "referred", "follow_up"] = "served"


def _close_current_field() -> Any:
    # A plain string for the model, so an unknown value gets the domain's own 422
    # (`bad_close_current`, in the caller's language); the document lists the values.
    return Field(
        default=None,
        max_length=20,
        description="How the ticket still open at the counter ended, said before the "
        "counter moves on: `served` (finished, served), `no_show` (called, did not come) "
        "or `return` (back to the line, keeping its place). Without it, an open ticket "
        "makes the request fail with 409 `current_open`.",
        json_schema_extra={"enum": [*CLOSE_CHOICES, None]},
    )


class CloseCurrentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    close_current: str | None = _close_current_field()


class CounterStatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["pause", "resume", "close", "open"]
    close_current: str | None = _close_current_field()


class CounterOutShort(BaseModel):
    id: int
    number: int
    status: str


class TicketOut(BaseModel):
    id: int
    number: str
    hall: str
    service: str
    status: str
    position: int
    eta_minutes: int | None
    eta_low_minutes: int | None = Field(
        None, description="The wait is likely (about 80 %) between this and eta_high_minutes."
    )
    eta_high_minutes: int | None = None
    tracking_url: str
    issued_at: str


class CalledTicket(BaseModel):
    id: int
    number: str
    status: str
    service: str
    counter: int | None
    called_at: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class CurrentOpenError(ErrorBody):
    ticket: CalledTicket | None = Field(
        default=None, description="With `current_open`: the ticket still open at the counter."
    )


class CounterOut(BaseModel):
    id: int
    number: int
    status: str
    services: list[str]


class HallOut(BaseModel):
    slug: str
    section: str
    name_ar: str
    name_en: str
    ticket_prefix: str
    services: list[str]
    counters: list[CounterOut]


class ServiceOut(BaseModel):
    slug: str
    name_ar: str
    name_en: str
    expected_minutes: int
    mode: Literal["walk_in", "appointment", "both"]


class StopOut(BaseModel):
    place_ar: str
    place_en: str
    starts_on: str
    ends_on: str


class BranchOut(BaseModel):
    slug: str
    name_ar: str
    name_en: str
    kind: str
    timezone: str
    stops: list[StopOut]
    halls: list[HallOut]
    services: list[ServiceOut]


class BranchList(BaseModel):
    branches: list[BranchOut]


class LetterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branch: str = Field(min_length=1, max_length=40, examples=["riyadh"])
    hall: str | None = Field(default=None, max_length=40, examples=["men"])
    channel: Literal["counter", "phone", "mail", "online"] = "counter"
    ticket_number: str | None = Field(default=None, max_length=12, examples=["M-012"])
    sender_name: str = Field(min_length=1, max_length=160)
    sender_id_number: str = Field(
        min_length=10, max_length=20, description="National ID (1…) or iqama (2…), 10 digits."
    )
    sex: Literal["male", "female"]
    phone: str | None = Field(default=None, max_length=32)
    language: Language = "ar"
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20000)


class ClassifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=40, examples=["complaint_traffic"])
    department: str | None = Field(
        default=None, max_length=40, description="Only to override the routing rules."
    )
    note: str = Field(default="", max_length=4000)


class SuggestBody(BaseModel):
    """A letter's text, to ask which categories the model would suggest (nothing is stored)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=200)
    body: str = Field(default="", max_length=20000)
    branch: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="The branch the letter is for; the caller's own when omitted.",
    )


class LetterMoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=4000)
    merge_into: str | None = Field(default=None, max_length=20, examples=["L-2026-000017"])


class CallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: Literal["in", "out"]
    note: str = Field(min_length=1, max_length=4000)


class ResidencyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    residency: Literal["citizen", "resident"]


class ResidencyOut(CalledTicket):
    residency: Literal["citizen", "resident"] | None


class PhoneCallBody(BaseModel):
    """A phone call for the call log (`POST /api/v1/enquiries`)."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["in", "out"]
    topic: str = Field(
        min_length=1,
        max_length=40,
        description="Slug of an active call topic (GET /api/v1/call-topics).",
        examples=["appointments"],
    )
    duration_minutes: StrictInt | None = Field(
        default=None, ge=1, le=240, description="The length of the call in whole minutes."
    )
    note: str = Field(default="", max_length=4000)
    letter: str | None = Field(
        default=None,
        max_length=20,
        description="Reference of the letter the call concerns.",
        examples=["L-2026-000017"],
    )
    ticket: Id | str | None = Field(
        default=None,
        description="The ticket the call concerns: its id, or today's number (M-012).",
        examples=["M-012"],
    )


# --- administration (reception/api/admin.py, accounts.py) ---------------------------

Slug = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
Name = Field(min_length=1, max_length=120)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BranchIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name
    kind: Literal["centre", "mobile"] = "centre"
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)


class BranchPolicyIn(Strict):
    max_wait_minutes: StrictInt | None = Field(description="null turns the rule off")


class HallIn(Strict):
    slug: str = Slug
    section: Literal["men", "women"]
    name_ar: str = Name
    name_en: str = Name
    ticket_prefix: str = Field(min_length=1, max_length=3, pattern=r"^[A-Z]+$")


class ServiceIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name
    expected_minutes: StrictInt = Field(default=10, ge=1, le=480)
    ticket_prefix: str = Field(default="", max_length=3, pattern=r"^[A-Z]*$")
    mode: Literal["walk_in", "appointment", "both"] = "both"


class CounterIn(Strict):
    number: StrictInt = Field(ge=1, le=9999)
    services: list[str] = Field(min_length=1, max_length=50)


class CounterServicesIn(Strict):
    services: list[str] = Field(min_length=1, max_length=50)


class StopIn(Strict):
    place_ar: str = Name
    place_en: str = Name
    starts_on: Day
    ends_on: Day


class PriorityIn(Strict):
    name_ar: str | None = Field(default=None, min_length=1, max_length=120)
    name_en: str | None = Field(default=None, min_length=1, max_length=120)
    weight: StrictInt | None = Field(default=None, ge=0, le=100)
    at_kiosk: StrictBool | None = None


class HoursIn(Strict):
    days: str = Field(min_length=3, max_length=40, examples=["sun-thu"])
    start: str = Field(default="08:00", max_length=5, examples=["08:00"])
    end: str = Field(default="15:00", max_length=5, examples=["15:00"])
    closed: StrictBool = Field(default=False, description="closed on these days every week")


class DepartmentIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name


DESCRIPTION = "What letters belong to the category, at most 600 characters"
EXAMPLES = (
    "Phrases citizens write about it, each 2 to 200 characters, at most 40 once blank ones "
    "and repeats are dropped; the whole list replaces the one before"
)
Phrase = Annotated[str, Field(max_length=1000)]


class CategoryIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name
    parent: str | None = Field(default=None, max_length=40)
    sla_hours: dict[str, int] = Field(
        default_factory=dict,
        description="Target hours per stage (received, classified, routed, in_progress)",
        examples=[{"received": 24, "routed": 48, "in_progress": 240}],
    )
    description_ar: str = Field(default="", max_length=2000, description=DESCRIPTION)
    description_en: str = Field(default="", max_length=2000, description=DESCRIPTION)
    examples_ar: list[Phrase] = Field(default_factory=list, max_length=400, description=EXAMPLES)
    examples_en: list[Phrase] = Field(
        default_factory=list, max_length=400, description=EXAMPLES, examples=[["renew my passport"]]
    )


class CategoryPatch(Strict):
    """What a category says about itself; a field left out is kept as it is."""

    description_ar: str | None = Field(default=None, max_length=2000, description=DESCRIPTION)
    description_en: str | None = Field(default=None, max_length=2000, description=DESCRIPTION)
    examples_ar: list[Phrase] | None = Field(default=None, max_length=400, description=EXAMPLES)
    examples_en: list[Phrase] | None = Field(default=None, max_length=400, description=EXAMPLES)


class RoutingRuleIn(Strict):
    category: str = Slug
    department: str = Slug
    branch: str | None = Field(default=None, max_length=40)
    residency: Literal["citizen", "resident"] | None = None


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    role: Literal["admin", "supervisor", "operator", "department_officer", "kiosk", "display"]
    branch: str | None = Field(default=None, max_length=40)
    halls: list[str] = Field(default_factory=list, max_length=10)
    full_name: str = Field(default="", max_length=120)
    department: str | None = Field(default=None, max_length=40, description="Officers only")


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=80)
    role: Literal["admin", "supervisor", "operator", "department_officer", "kiosk", "display"]
    branch: str | None = Field(default=None, max_length=40)
    hall: str | None = Field(default=None, max_length=40)
    department: str | None = Field(default=None, max_length=40, description="Officers only")


class UserChangeIn(Strict):
    role: (
        Literal["admin", "supervisor", "operator", "department_officer", "kiosk", "display"] | None
    ) = None
    branch: str | None = Field(default=None, max_length=40)
    halls: list[str] | None = Field(default=None, max_length=10)
    active: bool | None = Field(default=None, description="false ends every session at once")
    password: str | None = Field(
        default=None, min_length=10, max_length=200, description="ends every session"
    )


# --- meetings with the minister (reception/api/meetings.py) ------------------------


class MeetingRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["in_person", "remote"] = "in_person"
    reason: str = Field(
        min_length=1,
        max_length=4000,
        description="Why the citizen should meet the minister; the office reads it.",
        examples=["يطلب المواطن عرض تظلمه على معالي الوزير شخصياً."],
    )


class MeetingDecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "propose", "decline", "refer", "cancel", "reschedule"]
    starts_at: AwareMoment | None = Field(
        default=None,
        description="approve, propose, reschedule: when the meeting is.",
        examples=["2026-11-25T10:30:00+03:00"],
    )
    note: str = Field(default="", max_length=4000, description="decline: the reason (required).")
    referred_to: str = Field(
        default="", max_length=160, description="refer: a deputy minister or a department."
    )
    video_link: str = Field(
        default="", max_length=300, description="Remote meetings: an https:// link."
    )
    mode: Literal["in_person", "remote"] | None = Field(
        default=None, description="Change how the meeting is held (approve, propose)."
    )
    service: str = Field(
        default=DEFAULT_MEETING_SERVICE,
        min_length=1,
        max_length=40,
        description="The service the meeting is booked under; without such a service, "
        "the hall's first service that takes appointments.",
    )


# --- visit ratings (reception/api/ratings.py) --------------------------------------


class RatingCreate(BaseModel):
    """Score, reasons and comment are checked by the rating action itself, so every
    mistake gets the same clear, translated message as on the screens."""

    model_config = ConfigDict(extra="forbid")

    ticket: Id | str = Field(
        description="The ticket's id, or the number printed on it (today's, in the "
        "device's halls).",
        examples=["M-012"],
    )
    score: StrictInt = Field(
        description="1 (very bad) to 5 (excellent).",
        json_schema_extra={"minimum": 1, "maximum": 5},
        examples=[5],
    )
    reasons: list[str] = Field(
        default_factory=list,
        max_length=len(REASONS),
        description="What the rating is about; any of the listed reasons, each once.",
        json_schema_extra={"items": {"type": "string", "enum": list(REASONS)}},
        examples=[["staff", "waiting"]],
    )
    comment: str = Field(
        default="",
        description="Optional free text, at most 500 characters.",
        json_schema_extra={"maxLength": 500},
    )


class SmsTextIn(BaseModel):
    """An administrator's text for one SMS in one language; `%(name)s` stands for a
    value of the message, `%%` for a percent sign."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=2000,
        examples=["Your number is %(number)s. Follow your turn: %(link)s"],
    )


# --- joining from a phone: a branch's rules (reception/api/remote_admin.py) ----------

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TimeText = Annotated[str, Field(min_length=5, max_length=5, examples=["08:00"])]
Span = Annotated[list[TimeText], Field(min_length=2, max_length=2)]
SlugText = Annotated[str, Field(min_length=1, max_length=40)]


class RemotePolicyIn(Strict):
    """A branch's rules for joining the line from a phone. Numbers left out keep their
    current value (or the default); the lists replace the ones before."""

    enabled: StrictBool = Field(description="Whether visitors may join from a phone at all.")
    hours: dict[Weekday, Annotated[list[Span], Field(max_length=6)]] = Field(
        default_factory=dict,
        description="When joining is open, weekday → [[start, end]] (24-hour HH:MM); empty: "
        "the branch's opening hours.",
        examples=[{"sun": [["08:00", "12:00"]]}],
    )
    halls: list[SlugText] = Field(default_factory=list, max_length=50)
    services: list[SlugText] = Field(default_factory=list, max_length=200)
    priorities: list[SlugText] = Field(default_factory=list, max_length=50)
    cap_per_hall: StrictInt | None = Field(default=None, ge=1, le=500)
    code_minutes: StrictInt | None = Field(default=None, ge=2, le=60)
    code_attempts: StrictInt | None = Field(default=None, ge=1, le=10)
    codes_per_number_hour: StrictInt | None = Field(default=None, ge=1, le=20)
    joins_per_address_hour: StrictInt | None = Field(default=None, ge=1, le=1000)
    passes_allowed: StrictInt | None = Field(default=None, ge=0, le=100)
    passes_allowed_on_way: StrictInt | None = Field(default=None, ge=0, le=200)
    late_max_places: StrictInt | None = Field(default=None, ge=1, le=100)
    notify_at_place: StrictInt | None = Field(default=None, ge=1, le=100)
    geo_checkin: StrictBool = Field(
        default=False, description="Visitors may check in from the tracking page by location."
    )
    latitude: float | None = Field(default=None, ge=-90, le=90, examples=[24.7136])
    longitude: float | None = Field(default=None, ge=-180, le=180, examples=[46.6753])
    radius_m: StrictInt | None = Field(default=None, ge=20, le=5000)


class RemotePolicyOut(BaseModel):
    branch: str
    enabled: bool
    hours: dict[str, list[list[str]]]
    halls: list[str]
    services: list[str]
    priorities: list[str]
    cap_per_hall: int
    code_minutes: int
    code_attempts: int
    codes_per_number_hour: int
    joins_per_address_hour: int
    passes_allowed: int
    passes_allowed_on_way: int
    late_max_places: int
    notify_at_place: int
    geo_checkin: bool
    latitude: float | None
    longitude: float | None
    radius_m: int


# --- joining the line from a phone ----------------------------------------------------


class RemoteJoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hall: str = Field(min_length=1, max_length=40, examples=["men"])
    service: str = Field(min_length=1, max_length=40, examples=["letter"])
    phone: str = Field(min_length=1, max_length=32, description="Mobile for the SMS code.")
    priority: str | None = Field(default=None, max_length=40, examples=["elderly"])
    language: Language = "ar"


class RemoteJoinOut(BaseModel):
    join: str = Field(description="Opaque: the path of the confirm operation.")
    expires_at: str
    phone_ending: str = Field(description="The number's last digits: where the code went.")


class RemoteCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20, examples=["042137"])


class RemoteTicketOut(TicketOut):
    code: str = Field(description="Typed (or scanned) at the kiosk on arrival.")


class WrongCodeError(ErrorBody):
    tries_left: int | None = Field(
        default=None, description="With `wrong_code`: codes the join still takes."
    )


class OnMyWayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: StrictInt = Field(ge=1, le=240, description="Minutes the visitor needs to arrive.")


class LateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    places: StrictInt = Field(ge=1, le=100, description="Places to move back (once).")


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy: float = Field(ge=0, lt=100_000, allow_inf_nan=False, description="Metres.")


class RemoteStateOut(BaseModel):
    number: str
    hall: str
    service: str
    status: str
    position: int
    eta_minutes: int | None
    on_way_minutes: int | None
    late_places: int | None
    place_lost: bool
