"""Visitors who join the line from a phone, for the staff-side tests: the branch's
rules set through the admin API, the join and its SMS code through the remote
actions (the code read from the SMS written to the outbox), arrival by the kiosk
code, and the visitor's own moves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from reception.auth.principal import Principal
from reception.clock import Clock
from reception.db import session_scope
from reception.notify.models import OutgoingSms
from reception.remote import actions, joining
from tests.factories import World
from tests.helpers import bearer

SECRET = "test-secret"
KIOSK = Principal("token", 9001, "lobby kiosk", "kiosk", None, frozenset())


def open_remote_joining(client: TestClient, world: World, **rules: Any) -> None:
    body = {
        "enabled": True,
        "halls": ["men", "women"],
        "services": ["letter", "enquiry", "complaint"],
        "priorities": ["elderly"],
        **rules,
    }
    r = client.put(
        "/api/v1/admin/branches/riyadh/remote-policy", json=body, headers=bearer(world, "admin")
    )
    assert r.status_code == 200, r.text


@dataclass
class Joined:
    ticket_id: int
    number: str
    token: str
    """The tracking page's token."""
    code: str
    """What the visitor types or shows at the kiosk."""


def join(engine: Engine, clock: Clock, hall: str, service: str, phone: str) -> Joined:
    with session_scope(engine, clock) as s:
        started = joining.start_join(
            s,
            clock,
            branch="riyadh",
            hall=hall,
            service=service,
            phone=phone,
            address=f"10.0.0.{phone[-2:]}",
            secret=SECRET,
        ).value
    with session_scope(engine) as s:
        body = s.exec(
            select(OutgoingSms.body)
            .where(OutgoingSms.purpose == "remote_code")
            .order_by(OutgoingSms.id.desc())  # type: ignore[union-attr]
        ).first()
    assert body is not None
    match = re.search(r"\d{6}", body)
    assert match, body
    with session_scope(engine, clock) as s:
        answer = joining.confirm_join(
            s,
            clock,
            token=started.token,
            code=match.group(0),
            secret=SECRET,
            public_base_url="http://testserver",
        ).value
    assert answer.issued is not None and answer.code is not None
    ticket = answer.issued.ticket
    return Joined(ticket.id or 0, ticket.number, ticket.tracking_token, answer.code)


def arrive(engine: Engine, clock: Clock, joined: Joined) -> None:
    with session_scope(engine, clock) as s:
        actions.arrive_by_code(s, clock, KIOSK, branch="riyadh", code=joined.code)


def on_my_way(engine: Engine, clock: Clock, joined: Joined, minutes: int) -> None:
    with session_scope(engine, clock) as s:
        actions.on_my_way(s, clock, token=joined.token, minutes=minutes)


def cancel(engine: Engine, clock: Clock, joined: Joined) -> None:
    with session_scope(engine, clock) as s:
        actions.cancel_remote(s, clock, token=joined.token)
