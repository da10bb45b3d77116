"""The live triage desk and department inbox over their websockets: a snapshot with
each channel's number, then numbered deltas as letters are registered, routed and
worked; the same access rules as the pages; a fresh snapshot on request; late
letters announced once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from reception.clock import FrozenClock, utcnow
from reception.letters.models import Letter
from reception.letters.sla import announce_sla_breaches
from reception.queue.models import Branch
from tests.factories import World
from tests.helpers import bearer
from tests.test_letters_api import register

TRIAGE = "/staff/letters/ws"
INBOX = "/staff/inbox/ws"


def receive(ws: Any) -> dict[str, Any]:
    """The next message that is not a heartbeat."""
    while True:
        message: dict[str, Any] = json.loads(ws.receive_text())
        if message["type"] != "heartbeat":
            return message


def branch_channel(engine: Engine, slug: str = "riyadh") -> str:
    with Session(engine) as s:
        branch = s.exec(select(Branch).where(Branch.slug == slug)).one()
    return f"letters:branch:{branch.id}"


def classify(client: TestClient, world: World, reference: str, **body: str) -> None:
    r = client.post(
        f"/api/v1/letters/{reference}/classify",
        json={"category": "request_civil", **body},
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 200, r.text


def refused(client: TestClient, url: str, headers: dict[str, str]) -> int:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(url, headers=headers) as ws,
    ):
        ws.receive_text()
    return closed.value.code


def test_triage_sees_a_letter_arrive_and_leave_numbered(
    client: TestClient, world: World, engine: Engine
) -> None:
    channel = branch_channel(engine)
    with client.websocket_connect(TRIAGE, headers=bearer(world, "operator-men")) as ws:
        snapshot = receive(ws)
        assert snapshot["type"] == "snapshot" and list(snapshot["seq"]) == [channel]
        assert set(snapshot["statuses"]) == {"received", "classified", "returned"}
        start = snapshot["seq"][channel]
        done = register(client, world)
        arrived = receive(ws)
        assert arrived["type"] == "letter.registered" and arrived["seq"] == start + 1
        assert arrived["letter"]["reference"] == done["reference"]
        assert arrived["letter"]["status"] == "received"
        assert arrived["letter"]["sender_id"] != "1000000008"  # masked, as on the page
        assert set(arrived["letter"]["since_text"]) == {"ar", "en"}
        classify(client, world, done["reference"])
        classified, routed = receive(ws), receive(ws)
        assert (classified["type"], classified["seq"]) == ("letter.classified", start + 2)
        assert (routed["type"], routed["seq"]) == ("letter.routed", start + 3)
        assert routed["letter"]["status"] == "routed"  # not a triage status: it leaves
        ws.send_text("resync")  # what a page sends after a gap
        fresh = receive(ws)
        assert fresh["type"] == "snapshot" and fresh["seq"] == {channel: start + 3}
        assert done["reference"] not in {r["reference"] for r in fresh["rows"]}


def test_the_department_inbox_follows_its_letters(
    client: TestClient, world: World, engine: Engine
) -> None:
    with (
        client.websocket_connect(INBOX, headers=bearer(world, "officer")) as civil,
        client.websocket_connect(INBOX, headers=bearer(world, "officer-traffic")) as traffic,
    ):
        mine, theirs = receive(civil), receive(traffic)
        [civil_channel] = mine["seq"]
        [traffic_channel] = theirs["seq"]
        assert civil_channel.startswith("letters:department:") and civil_channel != traffic_channel
        assert mine["statuses"] == ["routed", "in_progress"]
        letter = register(client, world)
        classify(client, world, letter["reference"])
        routed = receive(civil)
        assert routed["type"] == "letter.routed" and routed["channel"] == civil_channel
        assert routed["seq"] == mine["seq"][civil_channel] + 1
        assert routed["letter"]["reference"] == letter["reference"]
        for move, kind, status in (
            ("accept", "letter.accepted", "in_progress"),
            ("answer", "letter.answered", "answered"),
        ):
            r = client.post(
                f"/api/v1/letters/{letter['reference']}/{move}",
                json={"note": "صدرت الهوية"},
                headers=bearer(world, "officer"),
            )
            assert r.status_code == 200, r.text
            changed = receive(civil)
            assert (changed["type"], changed["letter"]["status"]) == (kind, status)
        # Traffic heard nothing of it: its next message is about its own letter.
        other = register(client, world, subject="اعتراض على مخالفة مرورية")
        classify(client, world, other["reference"], department="traffic")
        heard = receive(traffic)
        assert heard["letter"]["reference"] == other["reference"]
        assert heard["seq"] == theirs["seq"][traffic_channel] + 1


def test_a_hall_sees_only_its_letters_and_the_numbering_stays_whole(
    client: TestClient, world: World, engine: Engine
) -> None:
    channel = branch_channel(engine)
    with (
        client.websocket_connect(TRIAGE, headers=bearer(world, "operator-women")) as women,
        client.websocket_connect(TRIAGE, headers=bearer(world, "supervisor")) as supervisor,
    ):
        start = receive(women)["seq"][channel]
        assert receive(supervisor)["seq"][channel] == start
        men_letter = register(client, world)
        skipped = receive(women)
        assert skipped == {"type": "skip", "channel": channel, "seq": start + 1}
        seen = receive(supervisor)  # no hall of its own: every hall, as on the page
        assert seen["letter"]["reference"] == men_letter["reference"]
        women_letter = register(client, world, hall="women", sex="female")
        assert receive(women)["letter"]["reference"] == women_letter["reference"]
        assert receive(supervisor)["seq"] == start + 2


def test_the_sockets_let_in_whom_the_pages_let_in(client: TestClient, world: World) -> None:
    assert refused(client, TRIAGE, {}) == 4401
    assert refused(client, INBOX, {}) == 4401
    assert refused(client, TRIAGE, bearer(world, "officer")) == 4403  # the desk is triage's
    assert refused(client, INBOX, bearer(world, "operator-men")) == 4403
    assert refused(client, TRIAGE, bearer(world, "kiosk")) == 4403
    assert refused(client, TRIAGE, bearer(world, "display-men")) == 4403
    other_site = {**bearer(world, "operator-men"), "Origin": "https://elsewhere.example"}
    assert refused(client, TRIAGE, other_site) == 4403
    with client.websocket_connect(INBOX, headers=bearer(world, "supervisor")) as ws:
        assert receive(ws)["type"] == "snapshot"  # the branch's inboxes, as on the page
    with client.websocket_connect(TRIAGE, headers=bearer(world, "admin")) as ws:
        assert len(receive(ws)["seq"]) == 2  # no branch of its own: every branch


def test_a_letter_past_its_target_is_announced_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    letter = register(client, world)
    classify(client, world, letter["reference"])
    channel = branch_channel(engine)
    later = FrozenClock(utcnow() + timedelta(days=5))  # past the 48 h of "routed"
    with Session(engine) as s:
        outcome = announce_sla_breaches(s, later)
        s.commit()
        assert outcome.value >= 1
        mine = [
            e for e in outcome.events if e.payload["letter"]["reference"] == letter["reference"]
        ]
        assert [e.channel for e in mine][0] == channel
        assert mine[-1].channel.startswith("letters:department:")
        assert mine[0].payload["type"] == "letter.sla_breached"
        assert mine[0].payload["letter"]["sla"] == "late"
        row = s.exec(select(Letter).where(Letter.reference == letter["reference"])).one()
        assert row.sla_breach_told_at is not None
    with Session(engine) as s:
        again = announce_sla_breaches(s, later)
        assert letter["reference"] not in {e.payload["letter"]["reference"] for e in again.events}
