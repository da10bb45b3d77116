"""The unit owns its rows: a ticket changed at the unit after it was sent reaches the
centre as its newer state; an old batch sent again never takes it back; the centre
itself refuses to change it; and sending everything again stores nothing twice.

Two real instances on loopback (centre on PostgreSQL, unit on SQLite); pushes are made
with `reception edge sync` at the unit, as an administrator would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from reception.edge.models import EdgeOutbox, EdgeRow
from reception.edge.wire import row_to_wire
from reception.queue.models import Ticket, TicketStatus
from tests.edge_compare import check_arrived_once, unit_of
from tests.edge_nodes import BRANCH, EdgePair, edge_pair, pending_of
from tests.test_edge_e2e import branch_counters

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

MEN_LETTER = {"branch": BRANCH, "hall": "men", "service": "letter"}
SYNCING = "قيد المزامنة"  # "Being synchronised"
CALL_NEXT = "/api/v1/counters/%d/call-next"
QUIET = {"EDGE_PUSH_INTERVAL_SECONDS": "3600"}
"""The unit's own loop stays out of the way: this test decides when records go."""


def sync(pair: EdgePair) -> None:
    """`reception edge sync` at the unit, then its outbox is empty (bounded wait)."""
    done = pair.unit.cli("edge", "sync", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pending_of(pair.edge_status()) == 0


def central_ticket(pair: EdgePair, local_id: int) -> dict[str, Any]:
    """The centre's row of the unit's ticket, as JSON (found through the id map)."""
    with Session(pair.centre_engine()) as s:
        unit_id = unit_of(pair.centre_engine()).id
        mapped = s.get(EdgeRow, (unit_id, "ticket", local_id))
        assert mapped is not None, f"unit ticket {local_id} has not reached the centre"
        row = s.get(Ticket, mapped.central_id)
        assert row is not None
        return row_to_wire(row)


def unit_ticket(pair: EdgePair, local_id: int) -> tuple[dict[str, Any], int]:
    """The unit's ticket as JSON and the outbox number of its latest change."""
    with Session(pair.unit_engine()) as s:
        row = s.get(Ticket, local_id)
        assert row is not None
        seq = s.exec(
            select(func.max(EdgeOutbox.seq)).where(
                EdgeOutbox.tbl == "ticket", EdgeOutbox.row_id == local_id
            )
        ).one()
        assert seq is not None, "the ticket is not in the unit's outbox"
        return row_to_wire(row), int(seq)


def tracking_page(link: str) -> str:
    """The visitor's tracking page at the centre (in Arabic, the default)."""
    with httpx2.Client(timeout=15) as http:
        page = http.get(link)
    assert page.status_code == 200, page.text
    return page.text


def same_state(centre: dict[str, Any], unit: dict[str, Any]) -> bool:
    keys = ("status", "number", "called_at", "finished_at", "outcome", "counter_id")
    return all(centre[k] == unit[k] for k in keys)


def everything_at_centre(pair: EdgePair) -> dict[str, int]:
    with Session(pair.centre_engine()) as s:
        rows = s.exec(select(EdgeRow.tbl, func.count()).group_by(EdgeRow.tbl)).all()
    return {tbl: int(n) for tbl, n in rows}


def test_newer_state_wins_and_the_centre_never_overwrites(
    postgres_url: str, tmp_path: Path
) -> None:
    with edge_pair(postgres_url, tmp_path, unit_env=QUIET) as pair:
        _, counters = branch_counters(pair)
        kiosk = pair.unit_tokens["kiosk"]
        with pair.unit.http(kiosk) as http:
            r = http.post("/api/v1/tickets", json=MEN_LETTER)
        assert r.status_code == 201, r.text
        local_id = int(r.json()["id"])
        sync(pair)
        first, first_seq = unit_ticket(pair, local_id)
        assert central_ticket(pair, local_id)["status"] == TicketStatus.waiting

        # Served at the unit after it was sent: the newer state reaches the centre.
        counter = counters["men"][0]
        with pair.unit.http(pair.unit_tokens["operator-men"]) as http:
            called = http.post(CALL_NEXT % counter)
            assert called.status_code == 200 and called.json()["id"] == local_id, called.text
            done = http.post(f"/api/v1/counters/{counter}/current/finish")
            assert done.status_code == 200, done.text
        sync(pair)
        finished, finished_seq = unit_ticket(pair, local_id)
        assert finished["status"] == TicketStatus.done and finished_seq > first_seq
        at_centre = central_ticket(pair, local_id)
        assert same_state(at_centre, finished), (at_centre, finished)

        # The old batch arrives again (a retry that was delayed): nothing goes back.
        before = unit_of(pair.centre_engine())
        assert before.pending == 0 and before.complete_through is not None
        old_batch = {
            "unit_clock": datetime(2020, 1, 1, tzinfo=UTC).isoformat(),
            "pending_after": 1,  # what the unit held when it first sent this batch
            "records": [{"seq": first_seq, "tbl": "ticket", "id": local_id, "row": first}],
        }
        with pair.centre.http(pair.unit_token) as http:
            replayed = http.post("/api/v1/edge/push", json=old_batch)
        assert replayed.status_code == 200, replayed.text
        assert central_ticket(pair, local_id) == at_centre
        after = unit_of(pair.centre_engine())  # nor what the centre knows of the unit
        assert (after.pending, after.complete_through) == (0, before.complete_through)

        # The centre's own desks of that branch may not touch the unit's tickets: the
        # finished one (nothing a centre desk may do to it), nor one still waiting.
        with pair.unit.http(kiosk) as http:
            r = http.post("/api/v1/tickets", json=MEN_LETTER)
        assert r.status_code == 201, r.text
        waiting_id = int(r.json()["id"])
        # Its tracking link points at the centre, which says it is on its way...
        link = str(r.json()["tracking_url"])
        assert link.startswith(pair.centre.base + "/t/u"), link
        assert SYNCING in tracking_page(link)
        sync(pair)
        # ...until it has arrived.
        arrived = tracking_page(link)
        assert SYNCING not in arrived and r.json()["number"] in arrived
        waiting = central_ticket(pair, waiting_id)
        central_id, other_id = int(at_centre["id"]), int(waiting["id"])
        with pair.centre.http(pair.world.tokens["centre-caravan-operator-men"]) as http:
            done_again = http.post(f"/api/v1/counters/{counter}/call/{central_id}")
            assert done_again.status_code in (403, 409), done_again.text
            for path in (f"/api/v1/counters/{counter}/call/{other_id}", CALL_NEXT % counter):
                refused = http.post(path)
                assert refused.status_code == 403, (path, refused.text)
                assert refused.json()["error"]["code"] == "mobile_unit_branch", refused.text
        with pair.centre.http(pair.world.tokens["centre-caravan-kiosk"]) as http:
            rating = http.post("/api/v1/ratings", json={"ticket": central_id, "score": 1})
        assert rating.status_code == 403, rating.text
        assert central_ticket(pair, local_id) == at_centre
        assert central_ticket(pair, waiting_id) == waiting
        sync(pair)
        assert central_ticket(pair, local_id) == at_centre

        # Everything sent again (the unit's outbox marked unsent): stored once only.
        before = everything_at_centre(pair)
        with pair.unit_engine().begin() as conn:
            conn.execute(update(EdgeOutbox).values(sent_at=None))
        sync(pair)
        assert everything_at_centre(pair) == before
        assert central_ticket(pair, local_id) == at_centre
        check_arrived_once(
            pair.unit_engine(),
            pair.centre_engine(),
            tmp_path / "unit" / "attachments",
            tmp_path / "centre-var" / "attachments",
        )
