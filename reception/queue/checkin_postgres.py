"""A check-in on PostgreSQL in five statements, BEGIN and COMMIT included: each costs
a round trip, a wake-up of the server's process, a parse and a plan, however little
it does (tests/test_checkin_statements.py counts them on the wire).

1. BEGIN (psycopg sends it by itself).
2. `take_number`: the branch, hall and service of the ticket, the priority group and
   an earlier ticket of the same Idempotency-Key, whether the kiosk's token is still
   valid, the hall's setting for the waiting estimate, and the next number of the
   series, taken only when the place and the group exist and no earlier ticket does.
   From here on, a check-in of the same series waits for this transaction's end, as
   before; a check the caller makes afterwards that fails rolls the number back with
   everything else.
3. `insert_ticket`: the ticket, its audit entry and the waiting counts the event and
   the answer need, in one statement, started after the number was taken (so it sees
   every ticket of the series committed before).
4. The hall's event number (`hall_events`), last, as in every other action of a hall:
   the hall's row is locked after the waiting counts' rows, never before.
5. COMMIT.

A visitor who gives a phone number adds one: the text message into the outbox. The
rules and the answers are those of the general path (`checkin.issue_ticket`); only
the statements differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

from reception.errors import N_, Unauthorized
from reception.queue.models import Branch, Hall, PriorityGroup, Service, Ticket
from reception.queue.waiting_line import (
    ARRIVALS_WINDOW_MINUTES,
    LINE_LIMIT,
    QueueSetting,
    counts_and_ahead,
    setting_of,
)


def _columns(model: Any, alias: str) -> str:
    table: Table = model.__table__
    return ", ".join(f"{alias}.{c.name} AS {alias}__{c.name}" for c in table.columns)


def _row_of(model: Any, alias: str, row: dict[str, Any]) -> Any:
    """A read-only model built from its columns in `row` (no validation, no session)."""
    table: Table = model.__table__
    return model.model_construct(**{c.key: row[f"{alias}__{c.name}"] for c in table.columns})


_TAKE_NUMBER = f"""
WITH place AS (
    SELECT b.id AS branch_id, h.id AS hall_id, s.id AS service_id,
           (CAST(%(now)s AS timestamptz) AT TIME ZONE b.timezone)::date AS day,
           h.ticket_prefix || s.ticket_prefix AS prefix
    FROM branch b
    JOIN hall h ON h.branch_id = b.id
    JOIN service s ON s.branch_id = b.id
    WHERE b.slug = %(branch)s AND h.slug = %(hall)s AND s.slug = %(service)s AND s.active
      AND EXISTS (SELECT 1 FROM counterservice cs JOIN counter c ON c.id = cs.counter_id
                  WHERE c.hall_id = h.id AND cs.service_id = s.id)
),
earlier AS (SELECT id FROM ticket WHERE idempotency_key = %(key)s),
grp AS (SELECT * FROM prioritygroup WHERE slug = %(priority)s LIMIT 1),
number AS (
    INSERT INTO ticketsequence (hall_id, prefix, business_date, last_number)
    SELECT hall_id, prefix, day, 1 FROM place
    WHERE NOT EXISTS (SELECT 1 FROM earlier)
      AND (CAST(%(priority)s AS varchar) IS NULL OR EXISTS (SELECT 1 FROM grp))
    ON CONFLICT (hall_id, prefix, business_date)
    DO UPDATE SET last_number = ticketsequence.last_number + 1
    RETURNING last_number
)
SELECT {_columns(Branch, "b")}, {_columns(Hall, "h")}, {_columns(Service, "s")},
       place.day, place.prefix,
       (SELECT revoked_at IS NULL FROM apitoken WHERE id = %(token)s) AS token_live,
       (SELECT last_number FROM number) AS seq,
       (SELECT id FROM earlier) AS earlier_id,
       (SELECT json_build_array(id, weight, at_kiosk, slug) FROM grp) AS grp,
       (SELECT json_agg(json_build_array(c.id, cs.service_id))
          FROM counter c JOIN counterservice cs ON cs.counter_id = c.id
         WHERE c.hall_id = place.hall_id AND c.status = 'open') AS open_counters,
       (SELECT json_agg(json_build_array(service_id,
                                         EXTRACT(EPOCH FROM finished_at - called_at),
                                         counter_id))
          FROM (SELECT service_id, called_at, finished_at, counter_id,
                       ROW_NUMBER() OVER (PARTITION BY service_id
                                          ORDER BY finished_at DESC) AS recent
                  FROM ticket
                 WHERE hall_id = place.hall_id AND status = 'done'
                   AND called_at IS NOT NULL AND finished_at IS NOT NULL) visits
         WHERE recent <= %(visits)s) AS visits,
       (SELECT json_agg(json_build_array(o.id, o.slug, o.name_ar, o.name_en,
                                         o.expected_minutes)
                        ORDER BY o.sort_order, o.id)
          FROM service o
         WHERE o.active AND EXISTS (
               SELECT 1 FROM counter c JOIN counterservice cs ON cs.counter_id = c.id
                WHERE c.hall_id = place.hall_id AND cs.service_id = o.id)) AS services,
       (SELECT json_agg(json_build_array(counter_id, service_id,
                                         EXTRACT(EPOCH FROM called_at))) FROM ticket
         WHERE hall_id = place.hall_id AND status IN ('called', 'serving')
           AND counter_id IS NOT NULL) AS busy,
       (SELECT json_agg(json_build_array(service_id, priority_weight, n)) FROM (
          SELECT service_id, priority_weight, COUNT(*) AS n FROM ticket
           WHERE hall_id = place.hall_id AND priority_weight > 0
             AND issued_at >= CAST(%(now)s AS timestamptz) - %(window)s * INTERVAL '1 minute'
           GROUP BY service_id, priority_weight) recent) AS arrivals,
       (SELECT json_agg(json_build_array(service_id, priority_weight,
                                         EXTRACT(EPOCH FROM CASE
                                           WHEN remote AND queue_key IS NOT NULL
                                                AND arrived_at IS NOT NULL
                                           THEN arrived_at ELSE issued_at END))
                        ORDER BY priority_weight DESC, COALESCE(queue_key, id), id)
          FROM ticket
         WHERE hall_id = place.hall_id AND status = 'waiting'
           AND (SELECT COALESCE(SUM(waiting), 0) FROM waitingcount
                 WHERE hall_id = place.hall_id) < %(line)s) AS line
FROM place
JOIN branch b ON b.id = place.branch_id
JOIN hall h ON h.id = place.hall_id
JOIN service s ON s.id = place.service_id
"""
"""`waiting_line.queue_setting`'s reads as values of one row (its visits as seconds
from call to finish, its times as seconds since the epoch), and the waiting line
before the new ticket, beside the place and the number."""


@dataclass(frozen=True)
class Taken:
    branch: Branch
    hall: Hall
    service: Service
    day: date
    prefix: str
    seq: int | None
    """None when no number was taken (an earlier ticket, or no such priority group)."""
    earlier_id: int | None
    group: PriorityGroup | None
    setting: QueueSetting
    line: list[tuple[int, int, float]]
    """The waiting line before this ticket: (service, weight, issued at, epoch)."""


def take_number(
    session: Session,
    now: datetime,
    *,
    branch: str,
    hall: str,
    service: str,
    priority: str | None,
    scoped_key: str | None,
    token_id: int | None,
    visits: int = 20,
) -> Taken | None:
    """Statement 2; None when the place does not exist (no number taken). With the
    `token_id` of a kiosk's bearer token, the token is read again here: a token revoked
    a moment ago, while a worker still kept it, issues no ticket (`Unauthorized`)."""
    params = {
        "token": token_id,
        "now": now,
        "branch": branch,
        "hall": hall,
        "service": service,
        "priority": priority,
        "key": scoped_key,
        "visits": visits,
        "window": ARRIVALS_WINDOW_MINUTES,
        "line": LINE_LIMIT,
    }
    found = session.connection().exec_driver_sql(_TAKE_NUMBER, params).mappings().first()
    if found is None:
        return None
    row = dict(found)
    if token_id is not None and row["token_live"] is not True:
        raise Unauthorized("bad_token", N_("The access token is not valid."))
    group = None
    if row["grp"] is not None:
        group_id, weight, at_kiosk, slug = row["grp"]
        group = PriorityGroup.model_construct(
            id=group_id, weight=weight, at_kiosk=at_kiosk, slug=slug
        )
    return Taken(
        branch=_row_of(Branch, "b", row),
        hall=_row_of(Hall, "h", row),
        service=_row_of(Service, "s", row),
        day=row["day"],
        prefix=row["prefix"],
        seq=row["seq"],
        earlier_id=row["earlier_id"],
        group=group,
        setting=setting_of(
            row["open_counters"] or [],
            row["visits"] or [],
            row["services"] or [],
            row["busy"] or [],
            arrivals=row["arrivals"] or [],
            max_wait_minutes=row["b__max_wait_minutes"],
        ),
        line=[(s, w, at) for s, w, at in row["line"] or []],
    )


_TICKET_COLUMNS = tuple(
    column.name
    for column in Ticket.__table__.columns  # type: ignore[attr-defined]
    if column.key != "id"
)

_INSERT_TICKET = f"""
WITH new AS (
    INSERT INTO ticket ({", ".join(_TICKET_COLUMNS)})
    VALUES ({", ".join(f"%({name})s" for name in _TICKET_COLUMNS)})
    RETURNING id
),
entry AS (
    INSERT INTO auditentry (at, actor, action, entity, entity_id, data)
    SELECT %(audit_at)s, %(audit_actor)s, 'ticket.issue', 'ticket', new.id::text,
           CAST(%(audit_data)s AS json)
    FROM new
)
SELECT 2, new.id, 0, 0 FROM new
UNION ALL
SELECT 0, service_id, priority_weight, waiting FROM waitingcount
WHERE hall_id = %(hall_id)s AND waiting > 0
UNION ALL
SELECT 1, later.service_id, 0, COUNT(*) FROM (
    SELECT t.service_id FROM ticket t, new
    WHERE t.hall_id = %(hall_id)s AND t.status = 'waiting'
      AND t.priority_weight = %(priority_weight)s AND t.queue_key >= new.id
      AND (t.queue_key > new.id OR t.id >= new.id)
    UNION ALL
    SELECT t.service_id FROM ticket t, new
    WHERE t.hall_id = %(hall_id)s AND t.status = 'waiting'
      AND t.priority_weight = %(priority_weight)s AND t.queue_key IS NULL AND t.id >= new.id
) AS later
GROUP BY later.service_id
"""
"""The new ticket and its audit entry, and `waiting_line._COUNTS_AND_LATER_SQL` for
it. The counts are read in the same statement, so they do not include the new ticket
(its row and the trigger's count are written as the statement runs): of the tickets
of its weight placed at or after it, it was the one not seen, and it is added to the
waiting count of its service here (`counts_after_insert`)."""


def insert_ticket(
    session: Session, draft: Ticket, actor: str
) -> tuple[Ticket, dict[int, int], dict[int, int]]:
    """Statement 2: the ticket (returned with its id), the hall's waiting counts per
    service with it, and per service how many go before it."""
    values = {name: _plain(getattr(draft, name)) for name in _TICKET_COLUMNS}
    params = {
        **values,
        "audit_at": draft.issued_at,
        "audit_actor": actor,
        "audit_data": json.dumps({"number": draft.number}),
    }
    rows = session.connection().exec_driver_sql(_INSERT_TICKET, params).all()
    ticket_id = next(int(row[1]) for row in rows if row[0] == 2)
    waiting, ahead = counts_and_ahead([row for row in rows if row[0] != 2], draft.priority_weight)
    waiting[draft.service_id] = waiting.get(draft.service_id, 0) + 1
    return Ticket.model_construct(id=ticket_id, **values), waiting, ahead


def _plain(value: Any) -> Any:
    """An enumeration's value, as SQLAlchemy would send it; anything else as it is."""
    return value.value if isinstance(value, Enum) else value
