"""Is this instance a mobile unit? A unit has its link row (`edge_node`, id 1),
written by `reception edge init`; a centre (or a plain single-site install) has none.

At a unit, the tracking tokens and letter references it makes carry the unit's tag, so
they never collide with the centre's and the centre can tell a link it has not
received yet ("being synchronised") from a wrong one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from reception.edge.models import EdgeNode

NODE_ID = 1
SMS_VIA = ("centre", "unit")


def unit_node(session: Session) -> EdgeNode | None:
    """The unit's link row, or None at the centre."""
    return session.get(EdgeNode, NODE_ID)


def load_node(engine: Engine) -> EdgeNode | None:
    """The link row read once (at start-up, by the command line), detached; None at
    the centre or in a database not migrated yet."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            node = unit_node(session)
        except OperationalError:
            return None
        if node is not None:
            session.expunge(node)
        return node


def sends_sms_here(node: EdgeNode | None) -> bool:
    """Whether this instance's SMS sender sends: always at the centre; at a unit only
    when it is set to send through its own provider account (else the centre sends
    its messages once they arrive)."""
    return node is None or node.sms_via == "unit"


@dataclass(frozen=True)
class UnitMarks:
    token_tag: str
    unit_id: int


_MARKS: WeakKeyDictionary[Engine, UnitMarks | None] = WeakKeyDictionary()
"""Per database: the unit's marks, or None at the centre. Read once per engine: a
check-in must not pay a query for it, and they never change once a unit is set up
(a server started before `edge init` is restarted after it, as its sender starts with
the server)."""


def unit_marks(session: Session) -> UnitMarks | None:
    """This database's unit marks (None at the centre), read once per engine."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    try:
        return _MARKS[engine]
    except KeyError:
        pass
    node = unit_node(session)
    marks = None if node is None else UnitMarks(node.token_tag, node.unit_id)
    _MARKS[engine] = marks
    return marks


def forget_marks(engine: Engine) -> None:
    """After this process set up a unit on `engine` (the marks are read again)."""
    _MARKS.pop(engine, None)


def new_tracking_token(session: Session) -> str:
    """A fresh unguessable token for a tracking link; at a unit it starts with the
    unit's tag (e.g. `u7x…`)."""
    marks = unit_marks(session)
    return (marks.token_tag if marks is not None else "") + secrets.token_urlsafe(24)


def reference_mark(session: Session) -> str:
    """What starts a letter reference made here: `L` at the centre, `U7` at unit 7
    (`U7-2026-000012`), so the unit's yearly numbering never meets the centre's."""
    marks = unit_marks(session)
    return "L" if marks is None else f"U{marks.unit_id}"
