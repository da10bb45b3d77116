"""The centre's set-up: branches (hours, holidays, policy), halls, services, counters,
stops of a mobile unit and priority groups."""

from __future__ import annotations

import argparse

from reception.cli.common import CliError, whole_minutes, with_session


def cmd_branch_add(args: argparse.Namespace) -> None:
    from reception.queue.setup import add_branch

    branch = with_session(
        lambda s: add_branch(
            s,
            slug=args.slug,
            name_ar=args.name_ar,
            name_en=args.name_en,
            kind=args.kind,
            timezone=args.timezone,
        )
    )
    print(f"branch {branch.slug} added")


def cmd_branch_set(args: argparse.Namespace) -> None:
    from reception.queue.setup import set_branch_policy

    limit = (
        None
        if args.max_wait in ("off", "none", "0")
        else whole_minutes(args.max_wait, "--max-wait")
    )
    branch = with_session(lambda s: set_branch_policy(s, branch=args.slug, max_wait_minutes=limit))
    shown = f"{branch.max_wait_minutes} minutes" if branch.max_wait_minutes else "off"
    print(f"branch {branch.slug}: longest wait before anyone is next: {shown}")


def cmd_branch_hours(args: argparse.Namespace) -> None:
    from reception.queue.setup import set_opening_hours

    branch = with_session(
        lambda s: set_opening_hours(
            s,
            branch=args.slug,
            days=args.days,
            start=args.start or "08:00",
            end=args.end or "15:00",
            closed=args.closed,
        )
    )
    print(f"branch {branch.slug} opening hours: {branch.opening_hours}")


def cmd_branch_holiday(args: argparse.Namespace) -> None:
    from datetime import date

    from reception.queue.setup import set_holiday

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        raise CliError("--date is a date like 2026-12-18") from None
    branch = with_session(lambda s: set_holiday(s, branch=args.slug, day=day, closed=not args.open))
    print(f"branch {branch.slug} closed on: {', '.join(branch.holidays) or 'no day'}")


def cmd_hall_add(args: argparse.Namespace) -> None:
    from reception.queue.setup import add_hall

    hall = with_session(
        lambda s: add_hall(
            s,
            branch=args.branch,
            slug=args.slug,
            section=args.section,
            name_ar=args.name_ar,
            name_en=args.name_en,
            ticket_prefix=args.prefix,
        )
    )
    print(f"hall {hall.slug} added")


def cmd_service_add(args: argparse.Namespace) -> None:
    from reception.queue.setup import add_service

    service = with_session(
        lambda s: add_service(
            s,
            branch=args.branch,
            slug=args.slug,
            name_ar=args.name_ar,
            name_en=args.name_en,
            expected_minutes=args.minutes,
            ticket_prefix=args.prefix,
            mode=args.mode,
        )
    )
    print(f"service {service.slug} added")


def cmd_counter_add(args: argparse.Namespace) -> None:
    from reception.queue.setup import add_counter

    counter = with_session(
        lambda s: add_counter(
            s,
            branch=args.branch,
            hall=args.hall,
            number=args.number,
            services=args.service,
        )
    )
    print(f"counter {counter.number} added")


def cmd_stop_add(args: argparse.Namespace) -> None:
    from datetime import date

    from reception.queue.setup import add_stop

    try:
        starts, ends = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError:
        raise CliError("--from and --to are dates like 2026-12-01") from None
    stop = with_session(
        lambda s: add_stop(
            s,
            branch=args.branch,
            place_ar=args.place_ar,
            place_en=args.place_en,
            starts_on=starts,
            ends_on=ends,
        )
    )
    print(f"stop at {stop.place_en} from {stop.starts_on} to {stop.ends_on} added")


def cmd_priority_set(args: argparse.Namespace) -> None:
    from reception.queue.setup import set_priority_group

    at_kiosk = {"yes": True, "no": False, None: None}[args.at_kiosk]
    group = with_session(
        lambda s: set_priority_group(
            s,
            slug=args.slug,
            name_ar=args.name_ar,
            name_en=args.name_en,
            weight=args.weight,
            at_kiosk=at_kiosk,
        )
    )
    print(f"priority group {group.slug}: weight {group.weight}, at kiosk: {group.at_kiosk}")
