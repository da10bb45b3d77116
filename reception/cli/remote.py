"""A branch's rules for joining the line from a phone, from the command line: `show`
prints them as JSON, `set` changes the ones given and keeps the others (the same
checked, audited writer as the administration screen and the API)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from reception.cli.common import CliError, with_session

NUMBER_OPTIONS = {
    "cap_per_hall": "--cap",
    "code_minutes": "--code-minutes",
    "code_attempts": "--code-attempts",
    "codes_per_number_hour": "--codes-per-number",
    "joins_per_address_hour": "--joins-per-address",
    "passes_allowed": "--passes",
    "passes_allowed_on_way": "--passes-on-way",
    "late_max_places": "--late-max",
    "notify_at_place": "--notify-at",
    "radius_m": "--radius",
}


def add_commands(sub: Any) -> None:
    remote = sub.add_parser(
        "remote-policy", help="a branch's rules for joining the line from a phone"
    ).add_subparsers(dest="action", required=True)
    show = remote.add_parser("show", help="print the rules as JSON")
    show.add_argument("--branch", required=True)
    show.set_defaults(func=cmd_show)
    change = remote.add_parser("set", help="change the rules given; the others stay")
    change.add_argument("--branch", required=True)
    change.add_argument("--enabled", choices=["yes", "no"])
    change.add_argument("--hall", action="append", help="offered hall (repeat); replaces")
    change.add_argument("--service", action="append", help="offered service (repeat)")
    change.add_argument("--priority", action="append", help="priority group (repeat)")
    change.add_argument("--no-priorities", action="store_true", help="offer none")
    change.add_argument("--days", help="sun-thu: joining has its own hours on these days")
    change.add_argument("--from", dest="start", help="08:00")
    change.add_argument("--to", dest="end", help="12:00")
    change.add_argument("--branch-hours", action="store_true", help="follow the branch's hours")
    for name, option in NUMBER_OPTIONS.items():
        change.add_argument(option, dest=name, type=int)
    change.add_argument("--geo-checkin", choices=["yes", "no"])
    change.add_argument("--latitude", type=float)
    change.add_argument("--longitude", type=float)
    change.set_defaults(func=cmd_set)


def cmd_show(args: argparse.Namespace) -> None:
    from reception.remote.queries import branch_policy

    print(json.dumps(with_session(lambda s: branch_policy(s, args.branch)), indent=2))


def cmd_set(args: argparse.Namespace) -> None:
    from reception.queue.rules import parse_hours
    from reception.remote.queries import branch_policy
    from reception.remote.setup import set_remote_policy

    if args.days and args.branch_hours:
        raise CliError("give --days or --branch-hours, not both")

    def change(s: Any) -> dict[str, Any]:
        now = branch_policy(s, args.branch)
        hours = now["hours"]
        if args.branch_hours:
            hours = {}
        elif args.days:
            hours = parse_hours(args.days, args.start or "08:00", args.end or "15:00")
        given = {name: getattr(args, name) for name in NUMBER_OPTIONS}
        set_remote_policy(
            s,
            branch=args.branch,
            enabled=now["enabled"] if args.enabled is None else args.enabled == "yes",
            hours=hours,
            halls=args.hall if args.hall is not None else now["halls"],
            services=args.service if args.service is not None else now["services"],
            priorities=[]
            if args.no_priorities
            else (args.priority if args.priority is not None else now["priorities"]),
            numbers={k: v for k, v in given.items() if v is not None},
            geo_checkin=now["geo_checkin"]
            if args.geo_checkin is None
            else args.geo_checkin == "yes",
            latitude=now["latitude"] if args.latitude is None else args.latitude,
            longitude=now["longitude"] if args.longitude is None else args.longitude,
        )
        return branch_policy(s, args.branch)

    print(json.dumps(with_session(change), indent=2))
