"""Who may use which route: every route of the application against every kind of
caller (nobody, a bearer token of each role, a signed-in staff session), checked
against one table. A new route without a line in the table fails the suite."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from reception.app import create_app
from reception.queue.models import Branch, Hall
from reception.settings import Settings
from tests.edge_world import add_unit
from tests.factories import PASSWORD, World
from tests.helpers import bearer

# --- callers -----------------------------------------------------------------------

TOKENS = (
    "kiosk",
    "kiosk-women",
    "operator-men",
    "operator-women",
    "display-men",
    "admin",
    "supervisor",
    "officer",
    "officer-traffic",
    "kiosk-jeddah",
    "edge",
)
USERS = ("admin", "supervisor", "operator-men", "operator-women", "officer", "kiosk", "display-men")
CALLERS = ("anonymous", *(f"token:{t}" for t in TOKENS), *(f"user:{u}" for u in USERS))


def _both(name: str) -> frozenset[str]:
    """The token and, where the demo has one, the signed-in user of the same name."""
    return frozenset({f"token:{name}"} | ({f"user:{name}"} if name in USERS else set()))


ANYONE = frozenset(CALLERS)
ADMIN = _both("admin")
SUPERVISOR = _both("supervisor")
MANAGERS = ADMIN | SUPERVISOR
OPERATOR_MEN = _both("operator-men")
OPERATOR_WOMEN = _both("operator-women")
OPERATORS = OPERATOR_MEN | OPERATOR_WOMEN
OFFICER = _both("officer")  # civil affairs: the department of the sample letter
OFFICER_TRAFFIC = _both("officer-traffic")
KIOSK = _both("kiosk")  # the whole Riyadh branch
KIOSK_WOMEN = _both("kiosk-women")
KIOSK_JEDDAH = _both("kiosk-jeddah")
DISPLAY_MEN = _both("display-men")
KIOSKS = KIOSK | KIOSK_WOMEN | KIOSK_JEDDAH
OFFICERS = OFFICER | OFFICER_TRAFFIC
EDGE = frozenset({"token:edge"})  # a mobile unit's link: its two routes and nothing else
STAFF = ANYONE - {"anonymous"} - EDGE
NOBODY: frozenset[str] = frozenset()
USERS_SIGNED_IN = frozenset(f"user:{u}" for u in USERS)  # one's own account

# --- the table ---------------------------------------------------------------------
#
# "METHOD /path/{param}" → the callers that may use it. Path parameters are filled
# from the world built below: the Riyadh men's counter 1, a men's ticket, a men's
# letter routed to civil affairs, an appointment in the men's hall and its meeting
# request. Token-only routes under /api/ ignore sessions (a signed-in browser is
# anonymous there).

ACCESS: dict[str, frozenset[str]] = {
    # public: the visitor's side, sign-in, health, provider webhooks (signed, not bearer)
    "GET /": ANYONE,
    "GET /lang": ANYONE,
    "GET /healthz": ANYONE,
    "GET /favicon.ico": ANYONE,
    "GET /readyz": ANYONE,
    "GET /metrics": NOBODY,  # its own scrape token, not a staff credential
    "GET /staff/login": ANYONE,
    "POST /staff/login": ANYONE,
    "POST /staff/logout": ANYONE,
    "GET /staff/account": USERS_SIGNED_IN,
    "POST /staff/account/password": USERS_SIGNED_IN,
    "POST /staff/account/sign-out-everywhere": USERS_SIGNED_IN,
    "GET /start": STAFF,
    "GET /device": ANYONE,
    "POST /device": ANYONE,
    "GET /t/{token}": ANYONE,
    "WS /t/{token}/ws": ANYONE,
    "GET /l/{token}": ANYONE,
    "POST /l/{token}/meeting": ANYONE,
    "GET /a/{token}": ANYONE,
    "GET /a/{token}/cancel": ANYONE,
    "GET /join/{branch}": ANYONE,
    "POST /join/{branch}": ANYONE,
    "GET /join/{branch}/code/{token}": ANYONE,
    "POST /join/{branch}/code/{token}": ANYONE,
    "POST /t/{token}/on-way": ANYONE,
    "GET /t/{token}/late": ANYONE,
    "POST /t/{token}/late": ANYONE,
    "GET /t/{token}/cancel": ANYONE,
    "POST /t/{token}/cancel": ANYONE,
    "POST /t/{token}/here": ANYONE,
    "POST /a/{token}/cancel": ANYONE,
    "GET /a/{token}/reschedule": ANYONE,
    "POST /a/{token}/reschedule": ANYONE,
    "GET /r/{token}": ANYONE,
    "POST /r/{token}": ANYONE,
    "GET /r/{token}/thanks": ANYONE,
    "GET /api/v1/openapi.json": ANYONE,
    "POST /api/v1/sms/status": ANYONE,
    "POST /api/v1/sms/inbound": ANYONE,
    # a mobile unit pulls its set-up and pushes its records
    "GET /api/v1/edge/config": EDGE,
    "POST /api/v1/edge/push": EDGE,
    # kiosks (of the men's hall or the whole branch) and the managers standing in
    "GET /kiosk": KIOSKS | MANAGERS,
    "POST /kiosk/tickets": KIOSKS | MANAGERS,
    "GET /kiosk/appointment": KIOSKS | MANAGERS,
    "POST /kiosk/appointment": KIOSKS | MANAGERS,
    "GET /kiosk/remote": KIOSKS | MANAGERS,
    "POST /kiosk/remote": KIOSKS | MANAGERS,
    "GET /kiosk/tickets/{ticket_id}": KIOSK | MANAGERS,
    "POST /api/v1/tickets": KIOSK | MANAGERS,
    "POST /api/v1/appointments/check-in": KIOSKS | MANAGERS,
    "GET /rate": KIOSKS,
    "POST /rate": KIOSKS,
    "GET /rate/thanks": KIOSKS,
    "POST /api/v1/ratings": KIOSKS,
    # joining from a phone: public (the join and tracking tokens are the proof) but the
    # kiosk's check-in by code, for the kiosks, supervisors and admins of the branch
    "POST /api/v1/branches/{branch}/remote-tickets": ANYONE,
    "POST /api/v1/remote-joins/{join}/confirm": ANYONE,
    "POST /api/v1/branches/{branch}/remote-tickets/arrivals": KIOSK | KIOSK_WOMEN | MANAGERS,
    "POST /api/v1/tickets/track/{token}/on-my-way": ANYONE,
    "POST /api/v1/tickets/track/{token}/late": ANYONE,
    "POST /api/v1/tickets/track/{token}/cancel": ANYONE,
    "POST /api/v1/tickets/track/{token}/arrive": ANYONE,
    # the men's counter 1 and the men's hall
    "GET /staff": STAFF,  # everyone signed in lands on their own screen
    "GET /staff/counters/{counter_id}": OPERATOR_MEN | MANAGERS,
    "GET /staff/counters/{counter_id}/close-current": OPERATOR_MEN | MANAGERS,
    "POST /staff/counters/{counter_id}/{action}": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/counters/{counter}/call-next": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/counters/{counter}/call/{ticket}": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/counters/{counter}/current/transfer": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/counters/{counter}/current/residency": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/counters/{counter}/current/{action}": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/counters/{counter}/status": OPERATOR_MEN | MANAGERS,
    "GET /display": DISPLAY_MEN | OPERATOR_MEN | MANAGERS,
    "WS /display/ws": DISPLAY_MEN | OPERATOR_MEN | MANAGERS,
    "GET /api/v1/branches": STAFF,
    # supervision
    "GET /staff/supervise": MANAGERS,
    "POST /staff/counters/{counter_id}/services": MANAGERS,
    "POST /staff/halls/{hall_id}/display": MANAGERS,
    "POST /staff/screens/{token_id}/counters": MANAGERS,
    "PUT /api/v1/halls/{hall}/display": MANAGERS,
    # letters: the triage desks of the letter's hall and the department it went to
    "GET /staff/letters": OPERATORS | MANAGERS | OFFICERS,  # officers go to their inbox
    "POST /staff/letters": OPERATORS | MANAGERS,
    "GET /staff/letters/new": OPERATORS | MANAGERS,
    "POST /staff/letters/new": OPERATORS | MANAGERS,  # fill the form from a ticket
    "POST /staff/enquiries": OPERATORS | MANAGERS,
    "POST /staff/letters/suggest": OPERATORS | MANAGERS,  # as the new-letter form is typed
    "GET /staff/inbox": OFFICERS | MANAGERS,
    "WS /staff/letters/ws": OPERATORS | MANAGERS,  # the live triage desk
    "WS /staff/inbox/ws": OFFICERS | MANAGERS,  # the live inbox
    "GET /staff/letters/{letter_id}": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /staff/letters/{letter_id}/classify": OPERATOR_MEN | MANAGERS,
    "POST /staff/letters/{letter_id}/move": MANAGERS | OFFICER,  # accept: department work
    "POST /staff/letters/{letter_id}/call": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /staff/letters/{letter_id}/attachments": OPERATOR_MEN | MANAGERS | OFFICER,
    "GET /staff/letters/{letter_id}/attachments/{attachment_id}": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /staff/letters/{letter_id}/meeting": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /api/v1/letters": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/letters/suggest": OPERATORS | MANAGERS,  # a text, for the caller's branch
    "POST /api/v1/enquiries": OPERATORS | MANAGERS,
    "GET /api/v1/call-topics": OPERATORS | MANAGERS,
    # each sees only their own letters (checked below); kiosks and displays none (403)
    "GET /api/v1/letters": OPERATORS | MANAGERS | OFFICERS,
    "GET /api/v1/letters/{reference}": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /api/v1/letters/{reference}/classify": OPERATOR_MEN | MANAGERS,
    "GET /api/v1/letters/{reference}/suggestion": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /api/v1/letters/{reference}/calls": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /api/v1/letters/{reference}/attachments": OPERATOR_MEN | MANAGERS | OFFICER,
    "POST /api/v1/letters/{reference}/{move}": MANAGERS | OFFICER,  # accept: department work
    "POST /api/v1/letters/{letter}/meeting-requests": OPERATOR_MEN | MANAGERS | OFFICER,
    "GET /api/v1/letters/{letter}/meeting-requests": OPERATOR_MEN | MANAGERS | OFFICER,
    # the minister's office
    "GET /staff/meetings": MANAGERS,
    "POST /staff/meetings/{meeting_id}/decision": MANAGERS,
    "GET /api/v1/meeting-requests": MANAGERS,
    "POST /api/v1/meeting-requests/{meeting}/decision": MANAGERS,
    "GET /staff/agenda": OPERATORS | MANAGERS,
    "GET /staff/agenda.ics": OPERATORS | MANAGERS,
    "GET /api/v1/agenda": OPERATORS | MANAGERS,
    "GET /api/v1/agenda.ics": OPERATORS | MANAGERS,
    # appointments (one in the men's hall)
    "GET /staff/appointments": OPERATORS | MANAGERS,
    "POST /staff/appointments": OPERATORS | MANAGERS,
    "GET /staff/calendar": OPERATORS | MANAGERS,
    "GET /staff/appointments/{appointment_id}": OPERATOR_MEN | MANAGERS,
    "GET /staff/appointments/{appointment_id}/cancel": OPERATOR_MEN | MANAGERS,
    "POST /staff/appointments/{appointment_id}/cancel": OPERATOR_MEN | MANAGERS,
    "GET /api/v1/slots": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/appointments": OPERATORS | MANAGERS,
    "GET /api/v1/appointments": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/appointments/{appointment}/cancel": OPERATOR_MEN | MANAGERS,
    "POST /api/v1/appointments/{appointment}/reschedule": OPERATOR_MEN | MANAGERS,
    # statistics
    "GET /staff/reports": MANAGERS,
    "GET /staff/sync": MANAGERS,
    "GET /staff/reports/monthly": MANAGERS,
    "GET /staff/reports/summary.csv": MANAGERS,
    "GET /staff/reports/summary.xlsx": MANAGERS,
    "GET /staff/dashboard": MANAGERS,
    "GET /staff/dashboard/figures": MANAGERS,
    "WS /staff/dashboard/ws": MANAGERS,
    "GET /api/v1/reports/summary": MANAGERS,
    "GET /api/v1/edge/status": MANAGERS,
    "GET /api/v1/reports/summary.csv": MANAGERS,
    "GET /api/v1/reports/summary.xlsx": MANAGERS,
    "GET /api/v1/reports/series": MANAGERS,
    # administration
    "GET /staff/admin": ADMIN,
    "GET /staff/admin/sms": ADMIN,
    "GET /staff/admin/units": ADMIN,
    "POST /staff/admin/units": ADMIN,
    "POST /staff/admin/units/{unit}/revoke": ADMIN,
    "POST /staff/admin/sms/texts": ADMIN,
    "POST /staff/admin/sms/preview": ADMIN,
    "POST /staff/admin/sms/rules": ADMIN,
    "GET /api/v1/sms-templates": ADMIN,
    "PUT /api/v1/sms-templates/{purpose}/{language}": ADMIN,
    "DELETE /api/v1/sms-templates/{purpose}/{language}": ADMIN,
    **{
        f"POST /staff/admin/{what}": ADMIN
        for what in (
            "branches",
            "halls",
            "services",
            "counters",
            "policy",
            "priorities",
            "hours",
            "holidays",
            "stops",
            "slot-templates",
            "slot-templates/active",
            "departments",
            "categories",
            "categories/{slug}/describe",
            "call-topics",
            "call-topics/set",
            "routing",
            "users",
            "users/active",
            "users/access",
            "users/sign-out",
            "tokens",
            "tokens/{token}/revoke",
            "remote-policy",
        )
    },
    **{
        f"{method} /api/v1/admin/{what}": ADMIN
        for method, what in (
            ("POST", "branches"),
            ("PUT", "branches/{branch}/policy"),
            ("GET", "branches/{branch}/remote-policy"),
            ("PUT", "branches/{branch}/remote-policy"),
            ("POST", "branches/{branch}/halls"),
            ("POST", "branches/{branch}/services"),
            ("POST", "branches/{branch}/stops"),
            ("POST", "branches/{branch}/halls/{hall}/counters"),
            ("PUT", "counters/{counter}/services"),
            ("PUT", "priorities/{priority}"),
            ("POST", "departments"),
            ("POST", "categories"),
            ("GET", "categories"),
            ("PATCH", "categories/{category}"),
            ("GET", "call-topics"),
            ("POST", "call-topics"),
            ("PATCH", "call-topics/{topic}"),
            ("DELETE", "call-topics/{topic}"),
            ("PUT", "routing-rules"),
            ("POST", "users"),
            ("PATCH", "users/{username}"),
            ("POST", "users/{username}/sign-out"),
            ("PUT", "branches/{branch}/hours"),
            ("PUT", "branches/{branch}/holidays/{day}"),
            ("DELETE", "branches/{branch}/holidays/{day}"),
            ("GET", "tokens"),
            ("POST", "tokens"),
            ("POST", "tokens/{token}/revoke"),
            ("GET", "branches/{branch}/slot-templates"),
            ("GET", "edge-units"),
            ("POST", "edge-units"),
            ("POST", "edge-units/{unit}/revoke"),
            ("POST", "branches/{branch}/slot-templates"),
            ("PATCH", "slot-templates/{template}"),
        )
    },
}

SIGN_OUT = ("POST /staff/logout", "POST /staff/account/sign-out-everywhere")
"""Routes that end the caller's own session: walked last."""

# Bodies valid enough to reach the permission check (where the input is read first).
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/tickets": {"branch": "riyadh", "hall": "men", "service": "letter"},
    "POST /api/v1/counters/{counter}/current/transfer": {"service": "enquiry"},
    "POST /api/v1/counters/{counter}/current/residency": {"residency": "citizen"},
    "POST /api/v1/counters/{counter}/status": {"action": "open"},
    "PUT /api/v1/halls/{hall}/display": {"notice_ar": "", "notice_en": ""},
    "POST /api/v1/appointments/check-in": {"code": "00000000"},
    "POST /api/v1/appointments/{appointment}/reschedule": {
        "starts_at": "2030-11-25T10:10:00+03:00"
    },
    "POST /api/v1/letters/{letter}/meeting-requests": {"mode": "in_person", "reason": "مقابلة"},
    "POST /api/v1/meeting-requests/{meeting}/decision": {"action": "decline", "note": "لا"},
    "POST /api/v1/enquiries": {"direction": "in", "topic": "other", "note": "استفسار عن موعد"},
    "POST /api/v1/letters/{reference}/calls": {"direction": "out", "note": "اتصال"},
    "POST /api/v1/letters": {
        "branch": "riyadh",
        "hall": "men",
        "sender_name": "سعد علي",
        "sender_id_number": "1000000008",
        "sex": "male",
        "subject": "طلب",
        "body": "نص الطلب",
    },
    "POST /api/v1/ratings": {"ticket": "M-999", "score": 5},
    "POST /api/v1/branches/{branch}/remote-tickets": {
        "hall": "men",
        "service": "letter",
        "phone": "0501234567",
    },
    "POST /api/v1/remote-joins/{join}/confirm": {"code": "123456"},
    "POST /api/v1/branches/{branch}/remote-tickets/arrivals": {"code": "123456"},
    "POST /api/v1/tickets/track/{token}/on-my-way": {"minutes": 10},
    "POST /api/v1/tickets/track/{token}/late": {"places": 1},
    "POST /api/v1/tickets/track/{token}/arrive": {
        "latitude": 24.7,
        "longitude": 46.7,
        "accuracy": 10,
    },
    "POST /api/v1/letters/{reference}/classify": {"category": "request_civil"},
    "POST /api/v1/letters/suggest": {"subject": "طلب إصدار هوية", "body": "فقدت الهوية"},
    "POST /api/v1/edge/push": {
        "unit_clock": "2030-11-24T10:00:00+03:00",
        "pending_after": 0,
        "records": [],
    },
    "POST /api/v1/admin/edge-units": {"branch": "nowhere", "name": "laptop"},
}
FORMS: dict[str, dict[str, str]] = {
    "POST /staff/letters/{letter_id}/call": {"direction": "in", "note": "اتصال"},
    "POST /staff/letters/{letter_id}/move": {"move": "accept"},
    "POST /staff/enquiries": {"direction": "in", "topic": "other"},
    "POST /staff/letters/suggest": {"subject": "طلب إصدار هوية"},
}
PARAMS: dict[str, dict[str, str]] = {
    **{
        f"POST /api/v1/tickets/track/{{token}}/{action}": {"token": "t"}
        for action in ("on-my-way", "late", "cancel", "arrive")
    },
    "POST /api/v1/remote-joins/{join}/confirm": {"join": "no-such-join"},
    "GET /join/{branch}/code/{token}": {"token": "no-such-join"},
    "POST /join/{branch}/code/{token}": {"token": "no-such-join"},
    "PUT /api/v1/halls/{hall}/display": {"hall": "hall_id"},
    "POST /api/v1/counters/{counter}/current/{action}": {"action": "start"},
    "PATCH /api/v1/admin/call-topics/{topic}": {"topic": "other"},
    "POST /api/v1/admin/edge-units/{unit}/revoke": {"unit": "spare_unit"},
    "POST /staff/admin/units/{unit}/revoke": {"unit": "spare_unit"},
    "PATCH /api/v1/admin/categories/{category}": {"category": "appeal"},
    "POST /staff/admin/categories/{slug}/describe": {"slug": "appeal"},
    "DELETE /api/v1/admin/call-topics/{topic}": {"topic": "no-such-topic"},
    "PUT /api/v1/sms-templates/{purpose}/{language}": {"purpose": "ticket_next", "language": "en"},
    "DELETE /api/v1/sms-templates/{purpose}/{language}": {
        "purpose": "ticket_next",
        "language": "en",
    },
}

# --- the world -------------------------------------------------------------------


@dataclass
class Sample:
    params: dict[str, str]
    query: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    """Tokens made for the sample (a mobile unit's), beside the world's."""


def _tracking_token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def build_sample(client: TestClient, world: World, engine: Engine) -> Sample:
    ticket = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk"),
    )
    assert ticket.status_code == 201, ticket.text
    letter = client.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "hall": "men",
            "sender_name": "محمد عبدالله الأحمد",
            "sender_id_number": "1000000008",
            "sex": "male",
            "phone": "0501234567",
            "subject": "طلب إصدار هوية وطنية بدل فاقد",
            "body": "فقدت بطاقة الهوية الوطنية وأرجو إصدار بدل فاقد.",
        },
        headers=bearer(world, "operator-men"),
    )
    assert letter.status_code == 201, letter.text
    reference = letter.json()["reference"]
    routed = client.post(
        f"/api/v1/letters/{reference}/classify",
        json={"category": "request_civil"},
        headers=bearer(world, "operator-men"),
    )
    assert routed.status_code == 200 and routed.json()["department"] == "civil_affairs"
    meeting = client.post(
        f"/api/v1/letters/{reference}/meeting-requests",
        json={"mode": "in_person", "reason": "يطلب عرض تظلمه على معالي الوزير"},
        headers=bearer(world, "operator-men"),
    )
    assert meeting.status_code == 201, meeting.text
    appointment = client.post(
        "/api/v1/appointments",
        json={
            "branch": "riyadh",
            "hall": "men",
            "service": "letter",
            "starts_at": "2030-11-24T10:10:00+03:00",
        },
        headers=bearer(world, "supervisor"),
    )
    assert appointment.status_code == 201, appointment.text
    spare = client.post(
        "/api/v1/admin/tokens",
        json={"name": "spare", "role": "display", "branch": "riyadh", "hall": "men"},
        headers=bearer(world, "admin"),
    )
    assert spare.status_code == 201, spare.text
    # An account no caller signs in with: the administrators' changes to it (sign out
    # everywhere, a new role) leave every caller's own session as it was.
    spare_user = client.post(
        "/api/v1/admin/users",
        json={
            "username": "spare-operator",
            "password": PASSWORD,
            "role": "operator",
            "branch": "riyadh",
            "halls": ["men"],
        },
        headers=bearer(world, "admin"),
    )
    assert spare_user.status_code == 201, spare_user.text
    # A mobile unit whose token is the caller "edge", and one whose revoking is walked.
    unit = add_unit(client, world, engine, slug="mobile-north")
    spare_unit = add_unit(client, world, engine, slug="mobile-south")
    tokens = client.get("/api/v1/admin/tokens", headers=bearer(world, "admin")).json()
    screen = next(t for t in _items(tokens) if t["name"] == "display-men")
    with Session(engine) as session:
        riyadh = session.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        men = session.exec(
            select(Hall).where(Hall.slug == "men", Hall.branch_id == riyadh.id)
        ).one()
    return Sample(
        params={
            "counter_id": str(world.counters["men"][0]),
            "counter": str(world.counters["men"][0]),
            "ticket_id": str(ticket.json()["id"]),
            "ticket": str(ticket.json()["id"]),
            "letter_id": str(letter.json()["id"]),
            "letter": reference,
            "reference": reference,
            "meeting_id": str(meeting.json()["id"]),
            "meeting": str(meeting.json()["id"]),
            "appointment_id": str(appointment.json()["id"]),
            "appointment": str(appointment.json()["id"]),
            "attachment_id": "1",
            "hall_id": str(men.id),
            "hall": "men",
            "branch": "riyadh",
            "priority": "elderly",
            "template": "1",
            "day": "2030-01-01",
            "token_id": str(screen["id"]),
            "action": "call-next",
            "move": "accept",
            "t": _tracking_token(ticket.json()["tracking_url"]),
            "l": _tracking_token(letter.json()["tracking_url"]),
            "a": _tracking_token(appointment.json().get("tracking_url", "/a/none")),
            "r": "not-a-rating-link",
            "admin_token": str(spare.json()["id"]),
            "username": spare_user.json()["username"],
            "spare_unit": str(spare_unit.id),
        },
        query={"hall": "men", "branch": "riyadh"},
        tokens={"edge": unit.token},
    )


def _items(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        for key in ("items", "tokens", "branches"):
            if key in body:
                return list(body[key])
    return list(body)


# --- walking the routes ---------------------------------------------------------------


def app_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """("METHOD", "/path/{param}") for every route, websockets as ("WS", …)."""
    for route in routes:
        if isinstance(route, Mount):
            if route.path == "/static":
                continue
            yield from app_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, WebSocketRoute):
            yield "WS", prefix + route.path
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield method, prefix + route.path


def all_routes(settings: Settings) -> list[str]:
    return [f"{m} {p}" for m, p in app_routes(list(create_app(settings).routes))]


def fill(route: str, sample: Sample) -> str:
    path = route.split(" ", 1)[1]
    overrides = PARAMS.get(route, {})

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in overrides:
            return sample.params.get(overrides[name], overrides[name])
        if name == "token":
            if path.startswith(("/t/", "/l/", "/a/", "/r/")):
                return sample.params[path[1]]
            if "/admin/tokens/" in path:
                return sample.params["admin_token"]
        return sample.params[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def session_of(client: TestClient) -> dict[str, Any]:
    """The (signed, not encrypted) session cookie's content."""
    cookie = next((c.value for c in client.cookies.jar if c.name == "reception_session"), None)
    if not cookie:
        return {}
    payload = cookie.split(".")[0]
    return dict(json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4))))


def csrf_of(client: TestClient) -> str:
    return str(session_of(client)["csrf"])


class Callers:
    """One cookie jar per caller on the shared client; the bearer token in a header."""

    def __init__(self, client: TestClient, world: World) -> None:
        self.client = client
        self.world = world
        self.jars: dict[str, Any] = {}
        self.csrf: dict[str, str] = {}

    def enter(self, caller: str) -> None:
        if caller not in self.jars:
            self.client.cookies.clear()
            page = self.client.get("/staff/login")
            assert page.status_code == 200
            if caller.startswith("user:"):
                r = self.client.post(
                    "/staff/login",
                    data={
                        "username": caller[5:],
                        "password": PASSWORD,
                        "csrf_token": csrf_of(self.client),
                    },
                    follow_redirects=False,
                )
                assert r.status_code == 303, (caller, r.text)
                self.client.get("/staff/login")  # every rendered page keeps a CSRF token
            self.leave(caller)
            self.csrf[caller] = csrf_of(self.client)
        self.client.cookies = self.jars[caller]

    def leave(self, caller: str) -> None:
        cookies = self.client.cookies
        self.jars[caller] = type(cookies)(cookies)

    def headers(self, caller: str) -> dict[str, str]:
        if caller.startswith("token:"):
            return bearer(self.world, caller[6:])
        return {}

    def call(self, caller: str, route: str, sample: Sample) -> Outcome:
        self.enter(caller)
        try:
            method, path = route.split(" ", 1)
            url = fill(route, sample)
            headers = self.headers(caller)
            if method == "WS":
                return self._socket(url, headers)
            kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                if path.startswith("/api/"):
                    kwargs["json"] = BODIES.get(route, {})
                else:
                    kwargs["data"] = {**FORMS.get(route, {}), "csrf_token": self.csrf[caller]}
            else:
                kwargs["params"] = sample.query
            r = self.client.request(method, url, **kwargs)
            flash = session_of(self.client).get("flash")
            if flash:
                self.client.get("/staff/login")  # shows, and so clears, the message
            return Outcome(
                status=r.status_code,
                location=r.headers.get("location", ""),
                json_error=_json_error(r),
                flash=flash,
                text=" ".join(r.text.split())[:200],
            )
        finally:
            self.leave(caller)

    def _socket(self, url: str, headers: dict[str, str]) -> Outcome:
        query = "?hall=men&branch=riyadh" if url.startswith("/display") else ""
        try:
            with self.client.websocket_connect(url + query, headers=headers) as ws:
                ws.receive_text()
                return Outcome(status=101)
        except WebSocketDisconnect as closed:
            return Outcome(status=closed.code)


@dataclass
class Outcome:
    status: int
    location: str = ""
    json_error: bool = False
    flash: dict[str, str] | None = None
    text: str = ""


def _json_error(r: Any) -> bool:
    try:
        body = r.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]
    )


# --- the tests ------------------------------------------------------------------------


def test_every_route_has_a_line_in_the_table(settings: Settings) -> None:
    routes = all_routes(settings)
    assert len(routes) == len(set(routes))
    missing = sorted(set(routes) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(routes))
    assert not missing, f"routes without an access line: {missing}"
    assert not stale, f"access lines for routes that no longer exist: {stale}"
    for route, callers in ACCESS.items():
        assert callers <= ANYONE, route


def allowed(route: str) -> frozenset[str]:
    callers = ACCESS[route]
    if route.split(" ", 1)[1].startswith("/api/") and callers != ANYONE:
        return frozenset(c for c in callers if not c.startswith("user:"))  # bearer only
    return callers


def refused(route: str, caller: str, seen: Outcome, unknown_letter: str) -> str | None:
    """Why `seen` is not a proper refusal, or None."""
    path = route.split(" ", 1)[1]
    if route.startswith("WS "):
        return None if seen.status in (4401, 4403, 4404) else "socket not refused"
    if 200 <= seen.status < 300 or seen.status >= 500:
        return f"status {seen.status}"
    if path.startswith("/api/"):
        if seen.status not in (401, 403, 404):
            return f"status {seen.status}"
        return None if seen.json_error else "not a JSON error"
    if seen.status == 303:
        if seen.location.startswith("/staff/login"):
            return None if caller == "anonymous" else "signed-in caller sent to sign in"
        if seen.flash and seen.flash.get("text") == unknown_letter:
            return None  # the form's answer: no such letter (for this caller)
        return f"redirect to {seen.location} flash {seen.flash}"
    if caller == "anonymous" and route.startswith("GET /staff"):
        return "anonymous not sent to the sign-in page"
    return None if seen.status in (401, 403, 404) else f"status {seen.status}"


def served(route: str, caller: str, seen: Outcome, unknown_letter: str) -> str | None:
    """Why `seen` is not an answer to a caller who may use the route, or None."""
    if route.startswith("WS "):
        return None if seen.status in (101, 1000) else f"socket closed {seen.status}"
    if seen.status >= 500:
        return f"status {seen.status}: {seen.text}"
    if ACCESS[route] == ANYONE:
        return None  # sign-in and pairing answer a wrong secret with 401
    if seen.status in (401, 403):
        return f"status {seen.status}: {seen.text}"
    if seen.status == 303 and seen.location.startswith("/staff/login") and route not in SIGN_OUT:
        return "sent to sign in"
    if seen.flash and seen.flash.get("text") == unknown_letter:
        return "told the letter does not exist"
    return None


def test_the_access_matrix(
    client: TestClient, world: World, settings: Settings, engine: Engine
) -> None:
    sample = build_sample(client, world, engine)
    callers = Callers(client, World(world.branch, world.counters, world.tokens | sample.tokens))
    nowhere = Sample({**sample.params, "letter_id": "999999"}, {})
    probe = callers.call("token:admin", "POST /staff/letters/{letter_id}/classify", nowhere)
    assert probe.status == 303 and probe.flash, probe
    unknown_letter = probe.flash["text"]

    routes = sorted(set(all_routes(settings)) & set(ACCESS), key=lambda r: r in SIGN_OUT)
    wrong: list[str] = []
    for route in routes:
        may = allowed(route)
        for caller in CALLERS:
            seen = callers.call(caller, route, sample)
            check = served if caller in may else refused
            problem = check(route, caller, seen, unknown_letter)
            if problem:
                verdict = "allowed" if caller in may else "denied"
                wrong.append(f"{route} as {caller} ({verdict}): {problem}")
    assert not wrong, "\n".join(wrong)


def test_halls_departments_and_branches_are_kept_apart(
    client: TestClient, world: World, engine: Engine
) -> None:
    """The matrix's sharpest lines, spelled out: the women's desk never reaches a men's
    counter, ticket or letter; traffic never reads a civil-affairs letter; a kiosk of
    Jeddah issues nothing in Riyadh; lists leave out what the caller may not see."""
    sample = build_sample(client, world, engine)
    men_counter, ticket = sample.params["counter"], sample.params["ticket"]
    reference = sample.params["reference"]
    women = bearer(world, "operator-women")

    assert (
        client.post(f"/api/v1/counters/{men_counter}/call-next", headers=women).status_code == 403
    )
    called = client.post(f"/api/v1/counters/{men_counter}/call/{ticket}", headers=women)
    assert called.status_code == 403 and called.json()["error"]["code"] == "wrong_hall"
    women_counter = world.counters["women"][0]
    across = client.post(f"/api/v1/counters/{women_counter}/call/{ticket}", headers=women)
    assert across.status_code in (403, 404, 409) and "error" in across.json()
    assert client.get(f"/api/v1/letters/{reference}", headers=women).status_code == 404
    traffic = bearer(world, "officer-traffic")
    assert client.get(f"/api/v1/letters/{reference}", headers=traffic).status_code == 404
    assert (
        client.get(f"/api/v1/letters/{reference}", headers=bearer(world, "officer")).status_code
        == 200
    )

    jeddah = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk-jeddah"),
    )
    assert jeddah.status_code == 403 and jeddah.json()["error"]["code"]
    women_kiosk = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk-women"),
    )
    assert women_kiosk.status_code == 403

    for name in ("operator-women", "officer-traffic"):
        listed = client.get("/api/v1/letters", headers=bearer(world, name))
        assert listed.status_code == 200
        assert reference not in listed.text, name
    for name in ("kiosk", "display-men", "kiosk-jeddah"):  # devices read no letters at all
        listed = client.get("/api/v1/letters", headers=bearer(world, name))
        assert listed.status_code == 403 and reference not in listed.text, name
    for name in ("operator-men", "officer", "supervisor", "admin"):
        listed = client.get("/api/v1/letters", headers=bearer(world, name))
        assert reference in listed.text, name
