"""The set-up a mobile unit pulls from the centre: its own branch (stops, halls,
services, counters, staff accounts with their password hashes so they sign in
offline) and the lists every branch shares (priority groups, departments, categories,
call topics, routing rules, SMS texts). Rows keep the centre's ids, so what the unit
records points at them unchanged. Nothing of another branch is in it: no other
branch's halls or staff, no administrators, no sessions, no tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, SQLModel, col, select

from reception.auth.models import StaffUser, UserHall
from reception.clock import clock_of
from reception.edge.models import EdgeUnit
from reception.edge.units import token_tag
from reception.edge.wire import row_to_wire
from reception.letters.models import CallTopic, Category, Department, RoutingRule
from reception.notify.models import SmsPurposeRule, SmsTemplate
from reception.outcome import Outcome
from reception.queue.models import (
    Branch,
    BranchStop,
    Counter,
    CounterService,
    Hall,
    PriorityGroup,
    Service,
)
from reception.remote.models import RemotePolicy


def _wire(rows: Sequence[SQLModel]) -> list[dict[str, Any]]:
    return [row_to_wire(row) for row in rows]


def _all(session: Session, model: type[SQLModel], *where: Any) -> list[SQLModel]:
    key = model.__table__.primary_key.columns  # type: ignore[attr-defined]
    return list(session.exec(select(model).where(*where).order_by(*key)).all())


def config_document(session: Session, unit: EdgeUnit, public_url: str) -> dict[str, Any]:
    """The document of `GET /api/v1/edge/config`, tables in the order they apply."""
    branch_id = unit.branch_id
    halls = _all(session, Hall, col(Hall.branch_id) == branch_id)
    hall_ids = [h.id for h in halls]  # type: ignore[attr-defined]
    counters = _all(session, Counter, col(Counter.hall_id).in_(hall_ids))
    counter_ids = [c.id for c in counters]  # type: ignore[attr-defined]
    users = _all(session, StaffUser, col(StaffUser.branch_id) == branch_id)
    user_ids = [u.id for u in users]  # type: ignore[attr-defined]
    tables: dict[str, list[SQLModel]] = {
        "branch": _all(session, Branch, col(Branch.id) == branch_id),
        "branchstop": _all(session, BranchStop, col(BranchStop.branch_id) == branch_id),
        "hall": halls,
        "service": _all(session, Service, col(Service.branch_id) == branch_id),
        "counter": counters,
        "counterservice": _all(
            session, CounterService, col(CounterService.counter_id).in_(counter_ids)
        ),
        "prioritygroup": _all(session, PriorityGroup),
        "department": _all(session, Department),
        "category": _all(session, Category),
        "routingrule": _all(
            session,
            RoutingRule,
            or_(col(RoutingRule.branch_id).is_(None), col(RoutingRule.branch_id) == branch_id),
        ),
        "calltopic": _all(session, CallTopic),
        "staffuser": users,
        "userhall": _all(session, UserHall, col(UserHall.user_id).in_(user_ids)),
        "smstemplate": _all(session, SmsTemplate),
        "smspurposerule": _all(session, SmsPurposeRule),
        "remote_policy": _all(session, RemotePolicy, col(RemotePolicy.branch_id) == branch_id),
    }
    return {
        "unit": {"id": unit.id, "name": unit.name, "branch_id": branch_id},
        "token_tag": token_tag(unit.id or 0),
        "public_url": public_url,
        "tables": {name: _wire(rows) for name, rows in tables.items()},
    }


def pull_config(session: Session, unit_id: int, public_url: str) -> Outcome[dict[str, Any]]:
    """The document, noting when the unit pulled it."""
    unit = session.get(EdgeUnit, unit_id)
    assert unit is not None
    unit.config_pulled_at = clock_of(session).now()
    session.add(unit)
    return Outcome(config_document(session, unit, public_url))
