"""The demo branch's rules for joining from a phone, and two visitors who joined that
way today, so the tracking page and the kiosk's check-in have something to show."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.clock import Clock
from reception.db import session_scope
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch
from reception.remote import actions, joining
from reception.remote.models import RemotePolicy

MINISTRY_BUILDING = (24.6633, 46.6862)
"""Where the demo branch stands (the ministry's building in Riyadh), for checking in
by location."""
DEMO_VISITORS = (("men", "letter", "0500000101", 20), ("women", "follow_up", "0500000102", None))
"""Hall, service, mobile number and the minutes they said they need (None: not said)."""
DEMO_SECRET = "demo-remote-joins"
"""Only binds a demo join's code to itself between asking for it and typing it."""


def demo_remote_policy(session: Session, branch: Branch) -> None:
    if session.get(RemotePolicy, branch.id) is not None:
        return
    latitude, longitude = MINISTRY_BUILDING
    session.add(
        RemotePolicy(
            branch_id=branch.id or 0,
            enabled=True,
            hours={},  # the branch's own hours
            halls=["men", "women"],
            services=["letter", "follow_up", "complaint"],
            priorities=[],
            geo_checkin=True,
            latitude=latitude,
            longitude=longitude,
            radius_m=300,
        )
    )
    session.flush()


def demo_remote_tickets(engine: Engine, public_base_url: str) -> None:
    """Two visitors join from their phones (the code read back from its SMS, as they
    would); the first says they are on their way."""
    clock = Clock()
    for hall, service, phone, minutes in DEMO_VISITORS:
        with session_scope(engine) as session:
            started = joining.start_join(
                session, clock, branch="riyadh", hall=hall, service=service, phone=phone,
                language="ar", address="demo", secret=DEMO_SECRET,
            ).value  # fmt: skip
        with session_scope(engine) as session:
            body = session.exec(
                select(OutgoingSms.body)
                .where(OutgoingSms.idempotency_key == f"remote_code:{started.token}")
                .order_by(col(OutgoingSms.id).desc())
            ).one()
            plain = "".join(str(int(ch)) if ch.isdigit() else ch for ch in body)
            code = re.search(r"(?<!\d)\d{6}(?!\d)", plain)
        if code is None:  # pragma: no cover - the code SMS always carries its code
            continue
        with session_scope(engine) as session:
            answer = joining.confirm_join(
                session, clock, token=started.token, code=code.group(0), secret=DEMO_SECRET,
                public_base_url=public_base_url,
            ).value  # fmt: skip
        if minutes and answer.issued is not None:
            with session_scope(engine) as session:
                actions.on_my_way(
                    session, clock, token=answer.issued.ticket.tracking_token, minutes=minutes
                )
