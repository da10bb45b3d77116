"""Build the rows tests need: a branch with two halls, services, counters, accounts
and tokens with known secrets. Accounts and tokens are made by the real actions (their
passwords and secrets hashed as in production); the branches, halls, services and
counters are inserted as rows, and the letters' taxonomy is the demo's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from reception.auth.actions import create_token, create_user
from reception.db import session_scope
from reception.demo import ACCOUNTS, STAFF_NAMES, demo_taxonomy
from reception.queue.models import (
    Branch,
    Counter,
    CounterService,
    Hall,
    PriorityGroup,
    Service,
)

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    branch: str = "riyadh"
    counters: dict[str, list[int]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _add(session: Session, row: object) -> object:
    session.add(row)
    session.flush()
    return row


def build_world(engine: Engine, with_second_branch: bool = True) -> World:
    world = World()
    with session_scope(engine) as s:
        _add(s, PriorityGroup(slug="elderly", name_ar="كبار السن", name_en="Elderly", weight=3))
        branches = [("riyadh", "الرياض", "Riyadh")]
        if with_second_branch:
            branches.append(("jeddah", "جدة", "Jeddah"))
        for slug, ar, en in branches:
            branch = _add(s, Branch(slug=slug, name_ar=ar, name_en=en))
            assert isinstance(branch, Branch)
            services = {}
            for order, (sslug, sar, sen) in enumerate(
                [
                    ("letter", "خطاب", "Letter"),
                    ("enquiry", "استفسار", "Enquiry"),
                    ("complaint", "شكوى", "Complaint"),
                ]
            ):
                services[sslug] = _add(
                    s,
                    Service(
                        branch_id=branch.id,
                        slug=sslug,
                        name_ar=sar,
                        name_en=sen,
                        expected_minutes=6,
                        sort_order=order,
                    ),
                )
            for hslug, prefix, har, hen in (
                ("men", "M", "قاعة الرجال", "Men's hall"),
                ("women", "W", "قاعة النساء", "Women's hall"),
            ):
                hall = _add(
                    s,
                    Hall(
                        branch_id=branch.id,
                        slug=hslug,
                        section=hslug,
                        ticket_prefix=prefix,
                        name_ar=har,
                        name_en=hen,
                    ),
                )
                assert isinstance(hall, Hall)
                ids = []
                for number in (1, 2, 3, 4):
                    counter = _add(s, Counter(hall_id=hall.id, slug=str(number), number=number))
                    assert isinstance(counter, Counter)
                    served = (
                        ["letter", "enquiry"] if number < 4 else ["letter", "enquiry", "complaint"]
                    )
                    for sslug in served:
                        s.add(CounterService(counter_id=counter.id, service_id=services[sslug].id))  # type: ignore[attr-defined]
                    ids.append(counter.id or 0)
                if slug == "riyadh":
                    world.counters[hslug] = ids
        demo_taxonomy(s)  # departments, categories and routing rules of the demo
        for username, role, branch_slug, halls in ACCOUNTS:
            create_user(
                s,
                username=username,
                password=PASSWORD,
                role=role,
                branch_slug=branch_slug,
                hall_slugs=halls,
                department_slug="civil_affairs" if role == "department_officer" else None,
                full_name=STAFF_NAMES.get(username, ""),
            )
        tokens: list[tuple[str, str, str | None, str | None]] = [
            ("kiosk", "kiosk", "riyadh", None),
            ("kiosk-women", "kiosk", "riyadh", "women"),
            ("operator-men", "operator", "riyadh", "men"),
            ("operator-women", "operator", "riyadh", "women"),
            ("display-men", "display", "riyadh", "men"),
            ("admin", "admin", None, None),
            ("supervisor", "supervisor", "riyadh", None),
            ("officer", "department_officer", "riyadh", None),
            ("officer-traffic", "department_officer", "riyadh", None),
        ]
        if with_second_branch:
            tokens.append(("kiosk-jeddah", "kiosk", "jeddah", None))
        for name, role, branch_slug, hall in tokens:
            _, clear = create_token(
                s,
                name=name,
                role=role,
                branch_slug=branch_slug,
                hall_slug=hall,
                department_slug=(
                    ("traffic" if name == "officer-traffic" else "civil_affairs")
                    if role == "department_officer"
                    else None
                ),
            )
            world.tokens[name] = clear
    return world


def open_appointments(client: Any, admin: dict[str, str], **priority: Any) -> None:
    """Through the admin API: the appointment priority group (with `priority`'s extra
    fields) and five-minute letter slots around the clock in both Riyadh halls."""
    body = {"name_ar": "صاحب موعد", "name_en": "Appointment", "weight": 5, **priority}
    r = client.put("/api/v1/admin/priorities/appointment", json=body, headers=admin)
    assert r.status_code == 200, r.text
    for hall in ("men", "women"):
        r = client.post(
            "/api/v1/admin/branches/riyadh/slot-templates",
            json={
                "hall": hall,
                "service": "letter",
                "weekdays": "sun-sat",
                "start": "00:00",
                "end": "24:00",
                "slot_minutes": 5,
                "capacity": 3,
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
