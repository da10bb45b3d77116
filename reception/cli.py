"""The `reception` command: serve, migrate, demo, user, token, worker."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from reception.inputs import to_int
from reception.settings import DEFAULT_TIMEZONE, LANGUAGES, Settings, load_settings


class CliError(Exception):
    pass


def _settings() -> Settings:
    return load_settings()


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings()
    if args.workers < 1:
        raise CliError("--workers must be 1 or more")
    if args.workers > 1 and settings.broadcast_url.startswith("memory://"):
        raise CliError(
            "--workers > 1 needs a shared broadcast: set BROADCAST_URL=redis://… "
            "or BROADCAST_URL=postgres://… (with memory:// each worker would only "
            "update its own displays)"
        )
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        print(
            "note: several workers on SQLite serialise their writes; use PostgreSQL "
            "(DATABASE_URL=postgresql+psycopg://…) for real scale-out",
            file=sys.stderr,
        )
    uvicorn.run(
        "reception.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        ws_per_message_deflate=False,  # display sockets: compression costs more than it saves
        log_level=settings.log_level.lower(),
        access_log=False,
    )


def cmd_migrate(args: argparse.Namespace) -> None:
    from reception.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, args.revision)
    print(f"database at revision {args.revision}")


def cmd_demo(args: argparse.Namespace) -> None:
    from reception.db import make_engine
    from reception.demo import demo_appointments, load_demo

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        logins = load_demo(engine, settings.var_dir, settings.public_base_url)
        codes = demo_appointments(engine)
    finally:
        engine.dispose()
    print("demo data ready: branch riyadh, halls men and women")
    for user, password in logins.items():
        print(f"  {user:16} {password}")
    print('  Appointment codes to check in at the kiosk ("I have an appointment"):')
    for line in codes:
        print(f"    {line}")


def _with_session(fn):  # type: ignore[no-untyped-def]
    from reception.db import make_engine, session_scope

    engine = make_engine(_settings().database_url)
    try:
        with session_scope(engine) as session:
            return fn(session)
    finally:
        engine.dispose()


def _publish(events):  # type: ignore[no-untyped-def]
    """Tell the running servers after the commit (open sockets of a revoked token or a
    disabled account close). With `memory://` there is no channel to another process:
    each server finds out by itself within `auth.live.RECHECK_SECONDS`."""
    import asyncio

    from reception.events import create_broadcaster

    url = _settings().broadcast_url
    if not events or url.startswith("memory://"):
        return

    async def send() -> None:
        broadcaster = create_broadcaster(url)
        await broadcaster.connect()
        try:
            await broadcaster.publish_events(events)
        finally:
            await broadcaster.disconnect()

    try:
        asyncio.run(send())
    except Exception as exc:  # committed all the same; the servers' own check follows
        print(f"warning: could not tell the servers at once ({type(exc).__name__})")


def cmd_user_create(args: argparse.Namespace) -> None:
    import getpass

    from reception.auth.actions import create_user
    from reception.auth.passwords import MIN_PASSWORD_LENGTH

    prompt = f"password ({MIN_PASSWORD_LENGTH}+ characters): "
    password = args.password or getpass.getpass(prompt)
    user = _with_session(
        lambda s: create_user(
            s,
            username=args.username,
            password=password,
            role=args.role,
            branch_slug=args.branch,
            hall_slugs=tuple(args.hall or ()),
            full_name=args.name or "",
            department_slug=args.department,
            actor="cli",
        )
    )
    print(f"user {user.username} created with role {user.role}")


def cmd_token_create(args: argparse.Namespace) -> None:
    from reception.auth.actions import create_token

    _, clear = _with_session(
        lambda s: create_token(
            s,
            name=args.name,
            role=args.role,
            branch_slug=args.branch,
            hall_slug=args.hall,
            department_slug=args.department,
            actor="cli",
        )
    )
    print(f"token for {args.name} ({args.role}); it is shown only once:")
    print(clear)


def cmd_branch_add(args: argparse.Namespace) -> None:
    from reception.queue.setup import add_branch

    branch = _with_session(
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


def cmd_hall_add(args: argparse.Namespace) -> None:
    from reception.queue.setup import add_hall

    hall = _with_session(
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

    service = _with_session(
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

    counter = _with_session(
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
    stop = _with_session(
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

    def book(session):  # type: ignore[no-untyped-def]
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
        ).value

    row = _with_session(book)
    print(f"appointment booked for {args.at} ({args.branch}); code:")
    print(row.code)


def cmd_slots_add(args: argparse.Namespace) -> None:
    from reception.appointments.setup import add_slot_template

    row = _with_session(
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

    for row in _with_session(lambda s: list_templates(s, args.branch)):
        state = "" if row.active else " (off)"
        print(
            f"{row.id}: hall {row.hall_id} service {row.service_id} {row.weekdays} "
            f"{row.start}-{row.end} every {row.slot_minutes} min, {row.capacity} each{state}"
        )


def cmd_department_add(args: argparse.Namespace) -> None:
    from reception.letters.setup import add_department

    row = _with_session(
        lambda s: add_department(s, slug=args.slug, name_ar=args.name_ar, name_en=args.name_en)
    )
    print(f"department {row.slug} added")


def cmd_category_add(args: argparse.Namespace) -> None:
    from reception.letters.setup import add_category

    sla: dict[str, int] = {}
    for item in args.sla or []:
        stage, _, hours = item.partition("=")
        number = to_int(hours, high=99_999)
        if number is None:
            raise CliError("--sla is stage=hours, e.g. --sla routed=48")
        sla[stage] = number
    row = _with_session(
        lambda s: add_category(
            s,
            slug=args.slug,
            name_ar=args.name_ar,
            name_en=args.name_en,
            parent=args.parent,
            sla_hours=sla,
        )
    )
    print(f"category {row.slug} added")


def cmd_route_set(args: argparse.Namespace) -> None:
    from reception.letters.setup import add_routing_rule

    _with_session(
        lambda s: add_routing_rule(
            s,
            category=args.category,
            department=args.department,
            branch=args.branch,
            residency=args.residency,
        )
    )
    print(f"letters of {args.category} go to {args.department}")


def cmd_branch_hours(args: argparse.Namespace) -> None:
    from reception.queue.setup import set_opening_hours

    branch = _with_session(
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
    branch = _with_session(
        lambda s: set_holiday(s, branch=args.slug, day=day, closed=not args.open)
    )
    print(f"branch {branch.slug} closed on: {', '.join(branch.holidays) or 'no day'}")


def cmd_branch_set(args: argparse.Namespace) -> None:
    from reception.queue.setup import set_branch_policy

    limit = None if args.max_wait in ("off", "none", "0") else _whole(args.max_wait, "--max-wait")
    branch = _with_session(lambda s: set_branch_policy(s, branch=args.slug, max_wait_minutes=limit))
    shown = f"{branch.max_wait_minutes} minutes" if branch.max_wait_minutes else "off"
    print(f"branch {branch.slug}: longest wait before anyone is next: {shown}")


def cmd_priority_set(args: argparse.Namespace) -> None:
    from reception.queue.setup import set_priority_group

    at_kiosk = {"yes": True, "no": False, None: None}[args.at_kiosk]
    group = _with_session(
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


def _whole(value: str, option: str) -> int:
    number = to_int(value, high=999_999)
    if number is None:
        raise CliError(f"{option} takes a whole number of minutes or 'off'")
    return number


def cmd_close_day(args: argparse.Namespace) -> None:
    from reception.clock import Clock
    from reception.queue.housekeeping import close_past_days

    closed = _with_session(lambda s: close_past_days(s, Clock(), actor="cli").value)
    print(f"{closed} tickets of past days closed")


def cmd_token_list(args: argparse.Namespace) -> None:
    from reception.auth.actions import list_tokens

    for token in _with_session(list_tokens):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        print(f"{token.id:5}  {token.role:18} {token.name:30} {state}")


def cmd_token_revoke(args: argparse.Namespace) -> None:
    from reception.auth.actions import revoke_token

    outcome = _with_session(lambda s: revoke_token(s, token_id=args.id, actor="cli"))
    _publish(outcome.events)
    token = outcome.value
    print(f"token {token.id} ({token.name}) revoked")


def cmd_user_active(args: argparse.Namespace) -> None:
    from reception.auth.actions import set_user_active

    active = args.action == "enable"
    outcome = _with_session(
        lambda s: set_user_active(s, username=args.username, active=active, actor="cli")
    )
    _publish(outcome.events)
    user = outcome.value
    print(f"user {user.username} {'enabled' if user.active else 'disabled'}")


def cmd_worker(args: argparse.Namespace) -> None:
    from reception.clock import Clock
    from reception.db import make_engine
    from reception.notify.backends import create_backend
    from reception.notify.worker import run_worker

    settings = _settings()
    engine = make_engine(settings.database_url)
    backend = create_backend(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(
            engine,
            Clock(),
            backend,
            settings.sms_worker_interval_seconds,
            settings.sms_max_attempts,
            stop,
            settings.send_policy(),
        )

    print("sms worker running; Ctrl+C to stop", flush=True)
    asyncio.run(main())
    engine.dispose()


ROLES = ["admin", "supervisor", "operator", "department_officer", "kiosk", "display"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reception", description="Reception centre server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="load demo data (safe to repeat)")
    demo.set_defaults(func=cmd_demo)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="action", required=True
    )
    create = user.add_parser("create", help="create a staff account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--branch")
    create.add_argument("--hall", action="append", help="repeat for several halls")
    create.add_argument("--department", help="a department officer's department")
    create.add_argument("--name", help="full name shown on screens")
    create.add_argument("--password", help="omit to be asked (kept out of shell history)")
    create.set_defaults(func=cmd_user_create)
    for name, text in (("disable", "disable an account"), ("enable", "enable it again")):
        toggle = user.add_parser(name, help=text)
        toggle.add_argument("--username", required=True)
        toggle.set_defaults(func=cmd_user_active)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    tcreate = token.add_parser("create", help="create a bearer token for a device or system")
    tcreate.add_argument("--role", required=True, choices=ROLES)
    tcreate.add_argument("--name", required=True)
    tcreate.add_argument("--branch")
    tcreate.add_argument("--hall")
    tcreate.add_argument("--department", help="a department officer's department")
    tcreate.set_defaults(func=cmd_token_create)
    token.add_parser("list", help="list tokens (never their secrets)").set_defaults(
        func=cmd_token_list
    )
    trevoke = token.add_parser("revoke", help="revoke a token at once")
    trevoke.add_argument("--id", type=int, required=True)
    trevoke.set_defaults(func=cmd_token_revoke)

    branch = sub.add_parser("branch", help="branches").add_subparsers(dest="action", required=True)
    badd = branch.add_parser("add", help="add a branch (a centre or a mobile unit)")
    badd.add_argument("--slug", required=True)
    badd.add_argument("--name-ar", required=True)
    badd.add_argument("--name-en", required=True)
    badd.add_argument("--kind", default="centre", choices=["centre", "mobile"])
    badd.add_argument("--timezone", default=DEFAULT_TIMEZONE)
    badd.set_defaults(func=cmd_branch_add)
    bset = branch.add_parser("set", help="change a branch's queue policy")
    bset.add_argument("--slug", required=True)
    bset.add_argument(
        "--max-wait",
        required=True,
        help="minutes after which anyone is called before priority visitors, or 'off'",
    )
    bset.set_defaults(func=cmd_branch_set)
    bhours = branch.add_parser("hours", help="opening hours (no hours at all: always open)")
    bhours.add_argument("--slug", required=True)
    bhours.add_argument("--days", required=True, help="sun-thu, or sat,sun")
    bhours.add_argument("--from", dest="start", help="08:00")
    bhours.add_argument("--to", dest="end", help="15:00")
    bhours.add_argument("--closed", action="store_true", help="closed on these days every week")
    bhours.set_defaults(func=cmd_branch_hours)
    bholiday = branch.add_parser("holiday", help="close a branch for a whole day")
    bholiday.add_argument("--slug", required=True)
    bholiday.add_argument("--date", required=True, help="2026-12-18")
    bholiday.add_argument("--open", action="store_true", help="open that day again")
    bholiday.set_defaults(func=cmd_branch_holiday)

    stop = sub.add_parser("stop", help="stops of a mobile unit").add_subparsers(
        dest="action", required=True
    )
    sadd_stop = stop.add_parser("add", help="where a mobile unit stands on which days")
    sadd_stop.add_argument("--branch", required=True)
    sadd_stop.add_argument("--place-ar", required=True)
    sadd_stop.add_argument("--place-en", required=True)
    sadd_stop.add_argument("--from", dest="start", required=True, help="first day, 2026-12-01")
    sadd_stop.add_argument("--to", dest="end", required=True, help="last day, 2026-12-03")
    sadd_stop.set_defaults(func=cmd_stop_add)

    department = sub.add_parser("department", help="departments letters go to").add_subparsers(
        dest="action", required=True
    )
    dadd = department.add_parser("add", help="add a department")
    dadd.add_argument("--slug", required=True)
    dadd.add_argument("--name-ar", required=True)
    dadd.add_argument("--name-en", required=True)
    dadd.set_defaults(func=cmd_department_add)

    category = sub.add_parser("category", help="kinds of letters").add_subparsers(
        dest="action", required=True
    )
    cadd_cat = category.add_parser("add", help="add a category (or a subcategory)")
    cadd_cat.add_argument("--slug", required=True)
    cadd_cat.add_argument("--name-ar", required=True)
    cadd_cat.add_argument("--name-en", required=True)
    cadd_cat.add_argument("--parent", help="the parent category: this one is a subcategory")
    cadd_cat.add_argument("--sla", action="append", help="target hours of a stage: routed=48")
    cadd_cat.set_defaults(func=cmd_category_add)

    route = sub.add_parser("route", help="routing rules of letters").add_subparsers(
        dest="action", required=True
    )
    rset = route.add_parser("set", help="letters of a category go to a department")
    rset.add_argument("--category", required=True)
    rset.add_argument("--department", required=True)
    rset.add_argument("--branch", help="only for letters of this branch")
    rset.add_argument("--residency", choices=["citizen", "resident"], help="only for these")
    rset.set_defaults(func=cmd_route_set)

    appointment = sub.add_parser("appointment", help="booked visits").add_subparsers(
        dest="action", required=True
    )
    aadd = appointment.add_parser("add", help="book a visit; prints the code for the kiosk")
    aadd.add_argument("--branch", required=True)
    aadd.add_argument("--hall", required=True)
    aadd.add_argument("--service", required=True)
    aadd.add_argument("--at", required=True, help='local time, "2026-11-24 10:30"')
    aadd.add_argument("--phone", help="mobile for the SMS with the code")
    aadd.add_argument("--language", default=LANGUAGES[0], choices=list(LANGUAGES))
    aadd.set_defaults(func=cmd_appointment_add)

    slots = sub.add_parser("slots", help="when services can be booked").add_subparsers(
        dest="action", required=True
    )
    sadd = slots.add_parser("add", help="add a slot template for a hall and service")
    sadd.add_argument("--branch", required=True)
    sadd.add_argument("--hall", required=True)
    sadd.add_argument("--service", required=True)
    sadd.add_argument("--days", required=True, help="sun-thu, or sun,tue,thu")
    sadd.add_argument("--start", required=True, help="08:00 (branch local time)")
    sadd.add_argument("--end", required=True, help="12:00")
    sadd.add_argument("--minutes", type=int, default=15, help="slot length")
    sadd.add_argument("--capacity", type=int, default=1, help="visitors per slot")
    sadd.add_argument("--blackout", action="append", help="a closed date, 2026-12-18 (repeat)")
    sadd.set_defaults(func=cmd_slots_add)
    slist = slots.add_parser("list", help="the slot templates of a branch")
    slist.add_argument("--branch", required=True)
    slist.set_defaults(func=cmd_slots_list)

    priority = sub.add_parser("priority", help="priority groups").add_subparsers(
        dest="action", required=True
    )
    pset = priority.add_parser("set", help="add or change a priority group")
    pset.add_argument("--slug", required=True)
    pset.add_argument("--name-ar")
    pset.add_argument("--name-en")
    pset.add_argument("--weight", type=int, help="higher is called first (0–100)")
    pset.add_argument("--at-kiosk", choices=["yes", "no"], help="visitors may choose it")
    pset.set_defaults(func=cmd_priority_set)

    hall = sub.add_parser("hall", help="halls").add_subparsers(dest="action", required=True)
    hadd = hall.add_parser("add", help="add a men's or women's hall to a branch")
    hadd.add_argument("--branch", required=True)
    hadd.add_argument("--slug", required=True)
    hadd.add_argument("--section", required=True, choices=["men", "women"])
    hadd.add_argument("--name-ar", required=True)
    hadd.add_argument("--name-en", required=True)
    hadd.add_argument("--prefix", required=True, help="ticket prefix, e.g. M")
    hadd.set_defaults(func=cmd_hall_add)

    service = sub.add_parser("service", help="services").add_subparsers(
        dest="action", required=True
    )
    sadd = service.add_parser("add", help="add a service to a branch")
    sadd.add_argument("--branch", required=True)
    sadd.add_argument("--slug", required=True)
    sadd.add_argument("--name-ar", required=True)
    sadd.add_argument("--name-en", required=True)
    sadd.add_argument("--minutes", type=int, default=10, help="expected service time")
    sadd.add_argument("--prefix", default="", help="extra ticket prefix letter(s)")
    sadd.add_argument("--mode", default="both", choices=["walk_in", "appointment", "both"])
    sadd.set_defaults(func=cmd_service_add)

    counter = sub.add_parser("counter", help="counters").add_subparsers(
        dest="action", required=True
    )
    cadd = counter.add_parser("add", help="add a counter to a hall")
    cadd.add_argument("--branch", required=True)
    cadd.add_argument("--hall", required=True)
    cadd.add_argument("--number", type=int, required=True)
    cadd.add_argument("--service", action="append", required=True, help="repeat per service")
    cadd.set_defaults(func=cmd_counter_add)

    close_day = sub.add_parser(
        "close-day", help="close tickets left open on past days (the server does it each minute)"
    )
    close_day.set_defaults(func=cmd_close_day)

    worker = sub.add_parser("worker", help="run the SMS outbox worker as its own process")
    worker.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from reception.errors import DomainError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OverflowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a clear line, not a traceback, for whoever types the command
        from alembic.util import CommandError
        from sqlalchemy.exc import IntegrityError, OperationalError

        if isinstance(exc, IntegrityError):
            print("error: this conflicts with something that already exists", file=sys.stderr)
        elif isinstance(exc, OperationalError):
            print(
                f"error: the database is not reachable or not migrated ({exc.orig})",
                file=sys.stderr,
            )
        elif isinstance(exc, CommandError):
            print(f"error: {exc}", file=sys.stderr)
        else:
            raise
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
