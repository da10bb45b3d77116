"""Mobile units from the command line, at the centre: add a laptop for a mobile
branch (its token printed once), revoke one (a lost or stolen laptop), list them
with how far each has synced. The same audited actions as the administration API."""

from __future__ import annotations

import argparse
from typing import Any

from reception.cli.common import run_action, with_session


def add_commands(edge: Any) -> None:
    """`reception edge unit add|revoke` and `reception edge units`."""
    unit = edge.add_parser("unit", help="at the centre: a mobile unit's laptop").add_subparsers(
        dest="unit_action", required=True
    )
    add = unit.add_parser("add", help="add a laptop for a mobile branch; prints its token once")
    add.add_argument("--branch", required=True, help="the mobile branch's slug")
    add.add_argument("--name", required=True, help="which laptop (e.g. its label)")
    add.set_defaults(func=cmd_unit_add)
    revoke = unit.add_parser("revoke", help="revoke a unit's token at once")
    revoke.add_argument("id", type=int, help="the unit's number (see `reception edge units`)")
    revoke.set_defaults(func=cmd_unit_revoke)
    edge.add_parser("units", help="at the centre: the units and their sync state").set_defaults(
        func=cmd_units
    )


def cmd_unit_add(args: argparse.Namespace) -> None:
    from reception.edge.units import add_unit

    made = run_action(lambda s: add_unit(s, branch_slug=args.branch, name=args.name, actor="cli"))
    print(f"unit {made.unit.id} ({made.unit.name}) added for branch {args.branch}")
    print(f"token (shown once; give it to the unit as RECEPTION_EDGE_TOKEN): {made.token}")


def cmd_unit_revoke(args: argparse.Namespace) -> None:
    from reception.edge.units import revoke_unit

    unit = run_action(lambda s: revoke_unit(s, unit_id=args.id, actor="cli"))
    print(f"unit {unit.id} ({unit.name}) revoked")


def cmd_units(_args: argparse.Namespace) -> None:
    from reception.edge.units import list_units

    def when(moment: Any) -> str:
        return moment.isoformat(timespec="seconds") if moment else "never"

    for state in with_session(list_units):
        status = f"revoked {when(state.revoked_at)}" if state.revoked_at else "active"
        print(
            f"{state.id}\t{state.branch}\t{state.name}\t{status}\t"
            f"last push {when(state.last_push_at)}\tpending {state.pending}\t"
            f"acked {state.acked_seq}\tcomplete through {when(state.complete_through)}"
        )
