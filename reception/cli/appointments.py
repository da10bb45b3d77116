"""Booked visits: one appointment, and the slot templates that say when a service can
be booked."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from reception.cli.common import CliError, run_action, with_session

if TYPE_CHECKING:
    from sqlmodel import Session

    from reception.appointments.models import Appointment
    from reception.outcome import Outcome


def cmd_appointment_add(args: argparse.Namespace) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from reception.appointments.actions import book_appointment
    from reception.clock import Clock
    from reception.demo import SYSTEM
    from reception.queue.queries import branch_by_slug

    try:
        local = datetime.strptime(args.at, "%Y-%m-%d %H:%M")
    except ValueError:
        raise CliError('--at is a local date and time like "2026-11-24 10:30"') from None

    def book(session: Session) -> Outcome[Appointment]:
        branch = branch_by_slug(session, args.branch)
        starts_at = local.replace(tzinfo=ZoneInfo(branch.timezone))
        return book_appointment(
            session,
            Clock(),
            SYSTEM,
            branch=args.branch,
            hall=args.hall,
            service=args.service,
            starts_at=starts_at,
            phone=args.phone,
            language=args.language,
        )

    row = run_action(book)
    print(f"appointment booked for {args.at} ({args.branch}); code:")
    print(row.code)


def cmd_slots_add(args: argparse.Namespace) -> None:
    from reception.appointments.setup import add_slot_template

    row = with_session(
        lambda s: add_slot_template(
            s,
            branch=args.branch,
            hall=args.hall,
            service=args.service,
            weekdays=args.days,
            start=args.start,
            end=args.end,
            slot_minutes=args.minutes,
            capacity=args.capacity,
            blackout_dates=args.blackout or [],
        )
    )
    print(
        f"slot template {row.id}: {row.weekdays} {row.start}-{row.end}, "
        f"{row.slot_minutes} min, {row.capacity} per slot"
    )


def cmd_slots_list(args: argparse.Namespace) -> None:
    from reception.appointments.setup import list_templates

    for row in with_session(lambda s: list_templates(s, args.branch)):
        state = "" if row.active else " (off)"
        print(
            f"{row.id}: hall {row.hall_id} service {row.service_id} {row.weekdays} "
            f"{row.start}-{row.end} every {row.slot_minutes} min, {row.capacity} each{state}"
        )
