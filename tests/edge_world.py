"""A mobile branch at the centre with one unit laptop, and records as that unit would
push them (rows built as the unit's models and turned to JSON by the real wire code)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, col, select
from starlette.testclient import TestClient

from reception.audit import AuditEntry
from reception.auth.actions import create_user
from reception.db import session_scope
from reception.edge.wire import row_to_wire
from reception.feedback.models import Rating
from reception.letters.models import Attachment, CallTopic, Enquiry, Letter, LetterStep
from reception.notify.models import OutgoingSms
from reception.queue import setup
from reception.queue.models import Ticket
from tests.factories import PASSWORD, World
from tests.helpers import bearer

T0 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
DAY = date(2026, 12, 7)
SCAN = b"%PDF-1.4\n" + b"scan of a letter " * 40


@dataclass
class Unit:
    id: int
    token: str
    branch_id: int
    hall_id: int
    service_id: int
    counter_id: int
    operator_id: int
    topic_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def mobile_branch(engine: Engine, slug: str = "north") -> dict[str, int]:
    """A mobile branch with a hall, a service, a counter and an operator."""
    with session_scope(engine) as s:
        branch = setup.add_branch(
            s, slug=slug, name_ar="الوحدة المتنقلة", name_en="Mobile unit", kind="mobile"
        )
        hall = setup.add_hall(
            s,
            branch=slug,
            slug="men",
            section="men",
            name_ar="قاعة الرجال",
            name_en="Men's hall",
            ticket_prefix="N",
        )
        service = setup.add_service(s, branch=slug, slug="letter", name_ar="خطاب", name_en="Letter")
        counter = setup.add_counter(s, branch=slug, hall="men", number=1, services=["letter"])
        user = create_user(
            s,
            username=f"{slug}-op",
            password=PASSWORD,
            role="operator",
            branch_slug=slug,
            hall_slugs=("men",),
        )
        topic = s.exec(select(CallTopic.id).order_by(col(CallTopic.id))).first()
        assert topic is not None
        return {
            "branch_id": branch.id or 0,
            "hall_id": hall.id or 0,
            "service_id": service.id or 0,
            "counter_id": counter.id or 0,
            "operator_id": user.id or 0,
            "topic_id": topic,
        }


def add_unit(client: TestClient, world: World, engine: Engine, slug: str = "north") -> Unit:
    ids = mobile_branch(engine, slug)
    r = client.post(
        "/api/v1/admin/edge-units",
        json={"branch": slug, "name": "Laptop 1"},
        headers=bearer(world, "admin"),
    )
    assert r.status_code == 201, r.text
    return Unit(id=r.json()["id"], token=r.json()["token"], **ids)


def record(seq: int, row: SQLModel, file: bytes | None = None) -> dict[str, Any]:
    wire = row_to_wire(row)
    made: dict[str, Any] = {
        "seq": seq,
        "tbl": str(type(row).__tablename__),
        "id": wire["id"],
        "row": wire,
    }
    if file is not None:
        made["file"] = base64.b64encode(file).decode()
    return made


def push(
    client: TestClient, unit: Unit, records: list[dict[str, Any]], pending_after: int = 0
) -> Any:
    return client.post(
        "/api/v1/edge/push",
        json={
            "unit_clock": (T0 + timedelta(hours=8)).isoformat(),
            "pending_after": pending_after,
            "records": records,
        },
        headers=unit.headers,
    )


def ticket(unit: Unit, local_id: int = 1, **changes: Any) -> Ticket:
    values: dict[str, Any] = {
        "id": local_id,
        "branch_id": unit.branch_id,
        "hall_id": unit.hall_id,
        "service_id": unit.service_id,
        "business_date": DAY,
        "prefix": "N",
        "seq": local_id,
        "number": f"N-{local_id:03}",
        "tracking_token": f"u{unit.id}xticket{local_id}",
        "issued_at": T0 + timedelta(minutes=local_id),
    }
    return Ticket(**(values | changes))


def letter(unit: Unit, local_id: int = 1, **changes: Any) -> Letter:
    values: dict[str, Any] = {
        "id": local_id,
        "reference": f"U{unit.id}-2026-{local_id:06}",
        "tracking_token": f"u{unit.id}xletter{local_id}",
        "branch_id": unit.branch_id,
        "hall_id": unit.hall_id,
        "ticket_id": 1,
        "sender_name": "سعد علي",
        "sender_id_number": "1000000008",
        "residency": "citizen",
        "sex": "male",
        "subject": "طلب إصدار هوية",
        "received_by": f"user:{unit.operator_id}",
        "created_at": T0 + timedelta(minutes=5),
        "status_since": T0 + timedelta(minutes=5),
    }
    return Letter(**(values | changes))


def day_batch(unit: Unit) -> list[dict[str, Any]]:
    """A ticket, its letter with a step and a scan, a call, a rating, an audit entry
    and an SMS, in the order the unit made them."""
    at = T0 + timedelta(minutes=6)
    return [
        record(1, ticket(unit)),
        record(2, letter(unit)),
        record(3, LetterStep(id=1, letter_id=1, actor="user:1", kind="register", at=at)),
        record(
            4,
            Attachment(
                id=1,
                letter_id=1,
                filename="scan.pdf",
                content_type="application/pdf",
                size=len(SCAN),
                sha256=hashlib.sha256(SCAN).hexdigest(),
                stored_as="unit/path",
                added_by="user:1",
                added_at=at,
            ),
            SCAN,
        ),
        record(
            5,
            Enquiry(
                id=1,
                branch_id=unit.branch_id,
                hall_id=unit.hall_id,
                topic_id=unit.topic_id,
                direction="in",
                letter_id=1,
                ticket_id=1,
                actor="user:1",
                at=at,
            ),
        ),
        record(
            6,
            Rating(
                id=1,
                ticket_id=1,
                branch_id=unit.branch_id,
                hall_id=unit.hall_id,
                service_id=unit.service_id,
                counter_id=unit.counter_id,
                operator_id=unit.operator_id,
                score=5,
                device_token_id=3,
                at=at,
            ),
        ),
        record(
            7,
            AuditEntry(
                id=1, at=at, actor="token:3", action="ticket.issue", entity="ticket", entity_id="1"
            ),
        ),
        record(
            8,
            OutgoingSms(
                id=1,
                idempotency_key=f"u{unit.id}x-sms-1",
                to="+966501234567",
                branch_id=unit.branch_id,
                body="رقمك N-001",
                language="ar",
                purpose="ticket_issued",
                next_attempt_at=at,
                created_at=at,
            ),
        ),
    ]
