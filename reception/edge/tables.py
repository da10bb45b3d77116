"""Which tables a mobile unit sends to the centre, and how the centre takes each.

* `upsert`: the unit owns the row for good; the centre stores each newer state the
  unit sends and never changes the row itself (tickets, ratings, phone calls).
* `insert`: the row is handed over on arrival; the centre stores its first state and
  owns it from then on (letters are triaged at the centre; audit entries and letter
  steps never change; a message is sent by whoever the unit is set to send through).

`links` names the columns that point at another synced table: at the centre they are
rewritten from the unit's ids to the centre's. Columns pointing at the branch's set-up
(halls, services, counters, staff...) keep their ids: a unit's set-up is pulled from
the centre, ids and all. `entity_links` does the same for an audit entry, whose
`entity_id` is text naming the row of `entity`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import SQLModel

from reception.audit import AuditEntry
from reception.feedback.models import Rating
from reception.letters.models import Attachment, Enquiry, Letter, LetterStep
from reception.notify.models import OutgoingSms
from reception.queue.models import Ticket


class Take(StrEnum):
    upsert = "upsert"
    insert = "insert"


@dataclass(frozen=True)
class Synced:
    model: type[SQLModel]
    take: Take
    links: dict[str, str] = field(default_factory=dict)  # column -> synced table name

    @property
    def name(self) -> str:
        return str(self.model.__tablename__)


# In dependency order: a row's links point only at tables earlier in the list.
SYNCED: tuple[Synced, ...] = (
    Synced(Ticket, Take.upsert),
    Synced(Letter, Take.insert, {"ticket_id": "ticket", "merged_into_id": "letter"}),
    Synced(LetterStep, Take.insert, {"letter_id": "letter"}),
    Synced(Attachment, Take.insert, {"letter_id": "letter"}),
    Synced(Enquiry, Take.upsert, {"letter_id": "letter", "ticket_id": "ticket"}),
    Synced(Rating, Take.upsert, {"ticket_id": "ticket"}),
    Synced(OutgoingSms, Take.insert),
    Synced(AuditEntry, Take.insert),
)

BY_NAME: dict[str, Synced] = {s.name: s for s in SYNCED}

# An audit entry's `entity` → the synced table its `entity_id` names.
ENTITY_LINKS: dict[str, str] = {"ticket": "ticket", "letter": "letter"}
