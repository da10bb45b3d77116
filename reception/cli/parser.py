"""The `reception` command's arguments: one sub-command per area, each bound to its
function in the module of that area."""

from __future__ import annotations

import argparse

from reception.cli import (
    access,
    appointments,
    centre,
    edge_centre,
    edge_node,
    letters,
    remote,
    server,
)
from reception.settings import DEFAULT_TIMEZONE, LANGUAGES

ROLES = ["admin", "supervisor", "operator", "department_officer", "kiosk", "display"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reception", description="Reception centre server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=server.cmd_serve)

    migrate = sub.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=server.cmd_migrate)

    demo = sub.add_parser("demo", help="load demo data (safe to repeat)")
    demo.set_defaults(func=server.cmd_demo)

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
    create.set_defaults(func=access.cmd_user_create)
    for name, text in (("disable", "disable an account"), ("enable", "enable it again")):
        toggle = user.add_parser(name, help=text)
        toggle.add_argument("--username", required=True)
        toggle.set_defaults(func=access.cmd_user_active)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    tcreate = token.add_parser("create", help="create a bearer token for a device or system")
    tcreate.add_argument("--role", required=True, choices=ROLES)
    tcreate.add_argument("--name", required=True)
    tcreate.add_argument("--branch")
    tcreate.add_argument("--hall")
    tcreate.add_argument("--department", help="a department officer's department")
    tcreate.set_defaults(func=access.cmd_token_create)
    token.add_parser("list", help="list tokens (never their secrets)").set_defaults(
        func=access.cmd_token_list
    )
    trevoke = token.add_parser("revoke", help="revoke a token at once")
    trevoke.add_argument("--id", type=int, required=True)
    trevoke.set_defaults(func=access.cmd_token_revoke)

    branch = sub.add_parser("branch", help="branches").add_subparsers(dest="action", required=True)
    badd = branch.add_parser("add", help="add a branch (a centre or a mobile unit)")
    badd.add_argument("--slug", required=True)
    badd.add_argument("--name-ar", required=True)
    badd.add_argument("--name-en", required=True)
    badd.add_argument("--kind", default="centre", choices=["centre", "mobile"])
    badd.add_argument("--timezone", default=DEFAULT_TIMEZONE)
    badd.set_defaults(func=centre.cmd_branch_add)
    bset = branch.add_parser("set", help="change a branch's queue policy")
    bset.add_argument("--slug", required=True)
    bset.add_argument(
        "--max-wait",
        required=True,
        help="minutes after which anyone is called before priority visitors, or 'off'",
    )
    bset.set_defaults(func=centre.cmd_branch_set)
    bhours = branch.add_parser("hours", help="opening hours (no hours at all: always open)")
    bhours.add_argument("--slug", required=True)
    bhours.add_argument("--days", required=True, help="sun-thu, or sat,sun")
    bhours.add_argument("--from", dest="start", help="08:00")
    bhours.add_argument("--to", dest="end", help="15:00")
    bhours.add_argument("--closed", action="store_true", help="closed on these days every week")
    bhours.set_defaults(func=centre.cmd_branch_hours)
    bholiday = branch.add_parser("holiday", help="close a branch for a whole day")
    bholiday.add_argument("--slug", required=True)
    bholiday.add_argument("--date", required=True, help="2026-12-18")
    bholiday.add_argument("--open", action="store_true", help="open that day again")
    bholiday.set_defaults(func=centre.cmd_branch_holiday)

    stop = sub.add_parser("stop", help="stops of a mobile unit").add_subparsers(
        dest="action", required=True
    )
    sadd_stop = stop.add_parser("add", help="where a mobile unit stands on which days")
    sadd_stop.add_argument("--branch", required=True)
    sadd_stop.add_argument("--place-ar", required=True)
    sadd_stop.add_argument("--place-en", required=True)
    sadd_stop.add_argument("--from", dest="start", required=True, help="first day, 2026-12-01")
    sadd_stop.add_argument("--to", dest="end", required=True, help="last day, 2026-12-03")
    sadd_stop.set_defaults(func=centre.cmd_stop_add)

    department = sub.add_parser("department", help="departments letters go to").add_subparsers(
        dest="action", required=True
    )
    dadd = department.add_parser("add", help="add a department")
    dadd.add_argument("--slug", required=True)
    dadd.add_argument("--name-ar", required=True)
    dadd.add_argument("--name-en", required=True)
    dadd.set_defaults(func=letters.cmd_department_add)

    category = sub.add_parser("category", help="kinds of letters").add_subparsers(
        dest="action", required=True
    )
    cadd_cat = category.add_parser("add", help="add a category (or a subcategory)")
    cadd_cat.add_argument("--slug", required=True)
    cadd_cat.add_argument("--name-ar", required=True)
    cadd_cat.add_argument("--name-en", required=True)
    cadd_cat.add_argument("--parent", help="the parent category: this one is a subcategory")
    cadd_cat.add_argument("--sla", action="append", help="target hours of a stage: routed=48")
    cdescribe = category.add_parser(
        "describe", help="replace a category's descriptions and example phrases"
    )
    cdescribe.add_argument("--slug", required=True)
    for described in (cadd_cat, cdescribe):
        described.add_argument("--description-ar", help="what letters belong here, in Arabic")
        described.add_argument("--description-en", help="the same in English")
        described.add_argument("--example-ar", action="append", help="a phrase citizens write")
        described.add_argument("--example-en", action="append", help="a phrase, in English")
    cadd_cat.set_defaults(func=letters.cmd_category_add)
    cdescribe.set_defaults(func=letters.cmd_category_describe)

    route = sub.add_parser("route", help="routing rules of letters").add_subparsers(
        dest="action", required=True
    )
    rset = route.add_parser("set", help="letters of a category go to a department")
    rset.add_argument("--category", required=True)
    rset.add_argument("--department", required=True)
    rset.add_argument("--branch", help="only for letters of this branch")
    rset.add_argument("--residency", choices=["citizen", "resident"], help="only for these")
    rset.set_defaults(func=letters.cmd_route_set)

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
    aadd.set_defaults(func=appointments.cmd_appointment_add)

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
    sadd.set_defaults(func=appointments.cmd_slots_add)
    slist = slots.add_parser("list", help="the slot templates of a branch")
    slist.add_argument("--branch", required=True)
    slist.set_defaults(func=appointments.cmd_slots_list)

    priority = sub.add_parser("priority", help="priority groups").add_subparsers(
        dest="action", required=True
    )
    pset = priority.add_parser("set", help="add or change a priority group")
    pset.add_argument("--slug", required=True)
    pset.add_argument("--name-ar")
    pset.add_argument("--name-en")
    pset.add_argument("--weight", type=int, help="higher is called first (0–100)")
    pset.add_argument("--at-kiosk", choices=["yes", "no"], help="visitors may choose it")
    pset.set_defaults(func=centre.cmd_priority_set)

    hall = sub.add_parser("hall", help="halls").add_subparsers(dest="action", required=True)
    hadd = hall.add_parser("add", help="add a men's or women's hall to a branch")
    hadd.add_argument("--branch", required=True)
    hadd.add_argument("--slug", required=True)
    hadd.add_argument("--section", required=True, choices=["men", "women"])
    hadd.add_argument("--name-ar", required=True)
    hadd.add_argument("--name-en", required=True)
    hadd.add_argument("--prefix", required=True, help="ticket prefix, e.g. M")
    hadd.set_defaults(func=centre.cmd_hall_add)

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
    sadd.set_defaults(func=centre.cmd_service_add)

    counter = sub.add_parser("counter", help="counters").add_subparsers(
        dest="action", required=True
    )
    cadd = counter.add_parser("add", help="add a counter to a hall")
    cadd.add_argument("--branch", required=True)
    cadd.add_argument("--hall", required=True)
    cadd.add_argument("--number", type=int, required=True)
    cadd.add_argument("--service", action="append", required=True, help="repeat per service")
    cadd.set_defaults(func=centre.cmd_counter_add)

    remote.add_commands(sub)

    edge = sub.add_parser("edge", help="a mobile unit's link to the centre").add_subparsers(
        dest="action", required=True
    )
    edge_centre.add_commands(edge)  # at the centre: `edge unit add|revoke`, `edge units`
    edge_node.add_commands(edge)  # at a unit: `edge init`, `edge sync`, `edge status`

    close_day = sub.add_parser(
        "close-day", help="close tickets left open on past days (the server does it each minute)"
    )
    close_day.set_defaults(func=server.cmd_close_day)

    worker = sub.add_parser("worker", help="run the SMS outbox worker as its own process")
    worker.set_defaults(func=server.cmd_worker)
    return parser
