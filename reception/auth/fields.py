"""Which role may set which field of which write: one table for every writer.

The queue's and appointments' writers check the fields they are given against it
(`require_settable`), the staff letter form reads only the fields listed here, and
the JSON API checks a request body against it before reading the body, so the kiosk
screen, the staff console and the API refuse the same fields the same way: HTTP 403
with the code `field_not_allowed`, never a field silently dropped or accepted.

A field listed under `fields` may be set by the roles named there. A field listed
under `reserved` (and not under `fields`) belongs to the entity but no request sets
it: the system does (a ticket's number, status, times) or another write does (the
counter a ticket is sent to is set by a transfer, not when the ticket is issued).
A field the table does not know at all is not part of the write: the request schema
refuses it (422).

Which *values* a role may give is policy kept as data where it is policy (a kiosk
may only declare a priority group marked "offered at the kiosk") or by the hall and
branch a principal belongs to (`Principal.require_hall`); the actions check those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.errors import N_, Forbidden

KIOSK_ROLES = frozenset({Role.kiosk, Role.supervisor, Role.admin})
"""Who issues tickets and checks appointments in: kiosks, and managers standing in."""
DESK_ROLES = frozenset({Role.operator, Role.supervisor, Role.admin})
MANAGER_ROLES = frozenset({Role.supervisor, Role.admin})

TICKET_SET_BY_SYSTEM = frozenset(
    {
        "id",
        "number",
        "status",
        "counter",
        "assigned_counter",
        "outcome",
        "call_reason",
        "queue_key",
        "recall_count",
        "priority_weight",
        "tracking_token",
        "business_date",
        "issued_at",
        "called_at",
        "serving_at",
        "finished_at",
        "called_by",
    }
)
APPOINTMENT_SET_BY_SYSTEM = frozenset(
    {
        "id",
        "code",
        "kind",
        "status",
        "ticket",
        "tracking_token",
        "priority",
        "created_at",
        "checked_in_at",
        "template",
    }
)
LETTER_SET_BY_SYSTEM = frozenset(
    {
        "id",
        "reference",
        "status",
        "tracking_token",
        "received_by",
        "created_at",
        "status_since",
        "residency",  # read from the sender's ID number (1… citizen, 2… resident)
    }
)


@dataclass(frozen=True)
class Write:
    fields: Mapping[str, frozenset[str]]
    reserved: frozenset[str] = frozenset()


def _same(roles: frozenset[str], *names: str) -> dict[str, frozenset[str]]:
    return dict.fromkeys(names, roles)


LETTER_FORM_FIELDS = (
    "hall",
    "channel",
    "ticket_number",
    "sender_name",
    "sender_id_number",
    "sex",
    "phone",
    "language",
    "subject",
    "body",
)
"""What a desk gives when it registers a letter (besides its branch)."""

WRITES: dict[str, Write] = {
    "ticket.issue": Write(
        _same(
            KIOSK_ROLES,
            "branch",
            "hall",
            "service",
            "phone",
            "priority",
            "residency",
            "language",
        ),
        TICKET_SET_BY_SYSTEM,
    ),
    "ticket.transfer": Write(
        {**_same(DESK_ROLES, "service", "counter"), "to_back": MANAGER_ROLES},
        TICKET_SET_BY_SYSTEM - {"counter"},
    ),
    "ticket.finish": Write(_same(DESK_ROLES, "outcome"), TICKET_SET_BY_SYSTEM - {"outcome"}),
    "ticket.residency": Write(_same(DESK_ROLES, "residency"), TICKET_SET_BY_SYSTEM),
    "counter.status": Write(_same(DESK_ROLES, "action"), frozenset({"status", "number", "hall"})),
    "hall.display": Write(
        _same(MANAGER_ROLES, "notice_ar", "notice_en", "layout", "volume"),
        frozenset({"slug", "section", "event_seq", "branch", "ticket_prefix"}),
    ),
    "appointment.book": Write(
        _same(
            DESK_ROLES,
            "branch",
            "hall",
            "service",
            "starts_at",
            "phone",
            "name",
            "language",
            "residency",
        ),
        APPOINTMENT_SET_BY_SYSTEM,
    ),
    "appointment.reschedule": Write(
        _same(DESK_ROLES, "starts_at"),
        APPOINTMENT_SET_BY_SYSTEM | {"branch", "hall", "service"},
    ),
    "appointment.check_in": Write(
        _same(KIOSK_ROLES, "code", "language", "residency"),
        APPOINTMENT_SET_BY_SYSTEM
        | TICKET_SET_BY_SYSTEM
        | {"branch", "hall", "service", "starts_at", "phone"},
    ),
    "letter.register": Write(
        _same(DESK_ROLES, "branch", *LETTER_FORM_FIELDS),
        LETTER_SET_BY_SYSTEM | {"category", "department"},
    ),
    "letter.classify": Write(
        _same(DESK_ROLES, "category", "department", "note"), LETTER_SET_BY_SYSTEM
    ),
}


def require_settable(principal: Principal, write: str, given: Iterable[str]) -> None:
    """Refuse (403 `field_not_allowed`) the first field of `given` that this
    principal may not set in `write`, or the whole write (403 `wrong_role`) when the
    role may set none of its fields; fields the write does not know are left to the
    request schema."""
    rule = WRITES[write]
    if not any(principal.role in roles for roles in rule.fields.values()):
        # Not this role's write at all: the same answer as the action's role check.
        raise Forbidden("wrong_role", N_("Your account is not allowed to do this."))
    for name in given:
        allowed = rule.fields.get(name)
        if allowed is None and name in rule.reserved:
            raise Forbidden(
                "field_not_allowed",
                N_("The field {field} is set by the system; it cannot be sent here."),
                field=name,
            )
        if allowed is not None and principal.role not in allowed:
            raise Forbidden(
                "field_not_allowed",
                N_("Your account may not set the field {field} here."),
                field=name,
            )
