"""Is this instance a mobile unit? A unit has its link row (`edge_node`, id 1),
written by `reception edge init`; a centre (or a plain single-site install) has none.

At a unit, the tracking tokens and letter references it makes carry the unit's tag, so
they never collide with the centre's and the centre can tell a link it has not
received yet ("being synchronised") from a wrong one."""

from __future__ import annotations

import secrets

from sqlalchemy.engine import Engine
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


def new_tracking_token(session: Session) -> str:
    """A fresh unguessable token for a tracking link; at a unit it starts with the
    unit's tag (e.g. `u7x…`)."""
    node = unit_node(session)
    return (node.token_tag if node is not None else "") + secrets.token_urlsafe(24)


def reference_mark(session: Session) -> str:
    """What starts a letter reference made here: `L` at the centre, `U7` at unit 7
    (`U7-2026-000012`), so the unit's yearly numbering never meets the centre's."""
    node = unit_node(session)
    return "L" if node is None else f"U{node.unit_id}"
