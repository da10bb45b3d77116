"""The commands of a mobile unit: `reception edge init` (set up from the centre, or
refresh the set-up), `edge sync` (send what is waiting now) and `edge status`."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from reception.cli.common import CliError, load


def add_commands(edge: Any) -> None:
    """The unit's commands under `reception edge` (`edge` is its sub-parsers)."""
    init = edge.add_parser("init", help="make this instance a mobile unit (or refresh its set-up)")
    init.add_argument("--central", required=True, help="the centre's address, https://…")
    init.add_argument("--token", help="the unit's token (else RECEPTION_EDGE_TOKEN); never stored")
    init.add_argument("--sms-via", choices=["centre", "unit"], help="who sends the unit's SMS")
    init.set_defaults(func=cmd_edge_init)
    sync = edge.add_parser("sync", help="send the records waiting for the centre now")
    sync.set_defaults(func=cmd_edge_sync)
    status = edge.add_parser("status", help="how far this unit has sent its records")
    status.set_defaults(func=cmd_edge_status)


def cmd_edge_init(args: argparse.Namespace) -> None:
    from reception.clock import Clock
    from reception.db import make_engine
    from reception.edge.setup_unit import SetupRefused, init_unit
    from reception.migrate import upgrade

    settings = load()
    if not settings.database_url.startswith("sqlite"):
        raise CliError("a mobile unit keeps its data in SQLite (DATABASE_URL=sqlite:///…)")
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        token = args.token or settings.reception_edge_token
        applied = init_unit(engine, Clock(), args.central, token, args.sms_via)
    except SetupRefused as exc:
        raise CliError(str(exc)) from None
    finally:
        engine.dispose()
    print(f"mobile unit {applied.unit_id} ready (branch {applied.branch_id})")
    for name, count in applied.rows.items():
        print(f"  {name:16} {count}")
    print("set RECEPTION_EDGE_TOKEN in the unit's environment so it can send its records")


def cmd_edge_sync(args: argparse.Namespace) -> None:
    from reception.clock import Clock
    from reception.db import make_engine
    from reception.edge.node import load_node
    from reception.edge.push import push_all

    settings = load()
    engine = make_engine(settings.database_url)
    try:
        if load_node(engine) is None:
            raise CliError("this instance is not a mobile unit (run reception edge init)")
        result = push_all(engine, Clock(), settings.reception_edge_token, settings.attachments_dir)
    finally:
        engine.dispose()
    print(f"{result.records} records sent ({result.sent} changes), {result.pending_after} waiting")
    if result.error:
        raise CliError(f"the push stopped: {result.error}")


def cmd_edge_status(args: argparse.Namespace) -> None:
    from reception.clock import Clock
    from reception.db import make_engine
    from reception.edge.status import sync_state
    from reception.timefmt import local_time, zone_of

    settings = load()
    engine = make_engine(settings.database_url)
    try:
        state = sync_state(engine, Clock())
    finally:
        engine.dispose()
    if state is None:
        raise CliError("this instance is not a mobile unit (run reception edge init)")

    def local(moment: datetime | None, empty: str = "-") -> str:
        return local_time(moment, state.timezone, "%Y-%m-%d %H:%M:%S") if moment else empty

    print(f"unit {state.unit_id} -> {state.central_url} (times in {zone_of(state.timezone)})")
    print(f"  waiting records : {state.pending}")
    print(f"  oldest waiting  : {local(state.oldest_pending_at)}")
    print(f"  last sent       : {local(state.last_push_at, 'never')}")
    print(f"  link            : {state.link}")
    if state.last_error:
        print(f"  last error      : {state.last_error}")
    if state.next_try_at:
        print(f"  next try        : {local(state.next_try_at)}")
