"""Property-based tests of the JSON API against its own OpenAPI document.

Schemathesis reads `/api/v1/openapi.json` from the application (in process, over
ASGI, on a SQLite file and on PostgreSQL, with the factories' world and a day of
demo-like activity) and generates requests for every operation, valid and invalid,
sent with a bearer token: mostly of a role that may use the operation, one case in
four of any role (administrator, supervisor, operator, department officer, kiosk,
display), whose refusal must be documented too (the SMS webhooks: a valid Twilio
signature). Some values are swapped for hostile ones (digits of other scripts,
control characters, bidi overrides, huge numbers, empty and very long strings).
Every answer must pass all of Schemathesis's checks: no server error, and the
status code, headers, content type and body the document promises."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.specs.openapi import checks as openapi_checks
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from reception.api.all_routes import routes as api_routes
from reception.api.openapi import build_openapi
from reception.app import create_app
from reception.clock import FrozenClock
from reception.demo import luhn_id
from reception.settings import Settings
from tests.conftest import (
    SQLITE_AND_POSTGRES,
    make_settings,
    postgres_copy,
    postgres_database_url,
)
from tests.factories import World
from tests.fake_twilio import FakeTwilio, serve_fake_twilio

# 10:00 in Riyadh on a Tuesday: the branch is open and today's slots can be checked in.
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
BASE_URL = "http://testserver"
assert openapi_checks  # imported for its registrations: the OpenAPI checks
CHECKS = list(REGISTERED_CHECKS.get_all())
assert len(CHECKS) >= 10, CHECKS
# More for a deeper search: SCHEMATHESIS_MAX_EXAMPLES=200 pytest tests/test_schemathesis.py
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
EVERY_ROLE = ("admin", "supervisor", "operator-men", "officer", "kiosk", "display-men")
HOSTILE = [
    "1²",
    "²",
    "٣",
    "a\x00b",
    "\x00",
    "\u202eevil",
    "x\x1b[2J",
    "",
    " ",
    "9" * 40,
    "-1",
    "ي" * 5000,
]

# --- who may call what ---------------------------------------------------------------
#
# Each operation is called with the tokens of the roles that may use it (the README's
# API table; tests/test_access_matrix.py checks the refusals). A token whose hall or
# department does not match the drawn resource is still refused (403/404): that too
# must be documented.

MANAGERS = ("supervisor", "admin")
DESK = ("operator-men", *MANAGERS)
LETTER_STAFF = ("operator-men", *MANAGERS, "officer")
TOKENS: dict[str, tuple[str, ...]] = {
    "GET /api/v1/openapi.json": EVERY_ROLE,
    "GET /api/v1/branches": ("kiosk", "operator-women", "display-men", "officer", *MANAGERS),
    "POST /api/v1/tickets": ("kiosk", "kiosk-women", "kiosk-jeddah", *MANAGERS),
    "POST /api/v1/appointments/check-in": ("kiosk", "kiosk-women", *MANAGERS),
    "POST /api/v1/ratings": ("kiosk", "kiosk-women"),
    "POST /api/v1/counters/{counter}/call-next": DESK,
    "POST /api/v1/counters/{counter}/call/{ticket}": DESK,
    "POST /api/v1/counters/{counter}/current/{action}": DESK,
    "POST /api/v1/counters/{counter}/current/transfer": DESK,
    "POST /api/v1/counters/{counter}/current/residency": DESK,
    "POST /api/v1/counters/{counter}/status": DESK,
    "PUT /api/v1/halls/{hall}/display": MANAGERS,
    "GET /api/v1/slots": DESK,
    "POST /api/v1/appointments": ("operator-women", *DESK),
    "GET /api/v1/appointments": DESK,
    "POST /api/v1/appointments/{appointment}/cancel": DESK,
    "POST /api/v1/appointments/{appointment}/reschedule": DESK,
    "POST /api/v1/letters": DESK,
    "POST /api/v1/letters/suggest": ("operator-women", *DESK),
    "POST /api/v1/enquiries": ("operator-women", *DESK),
    "GET /api/v1/call-topics": ("operator-women", *DESK),
    "GET /api/v1/letters": (*LETTER_STAFF, "officer-traffic"),
    "GET /api/v1/letters/{reference}": LETTER_STAFF,
    "POST /api/v1/letters/{reference}/classify": DESK,
    "GET /api/v1/letters/{reference}/suggestion": LETTER_STAFF,
    "POST /api/v1/letters/{reference}/calls": LETTER_STAFF,
    "POST /api/v1/letters/{reference}/attachments": LETTER_STAFF,
    "POST /api/v1/letters/{reference}/{move}": LETTER_STAFF,
    "POST /api/v1/letters/{letter}/meeting-requests": LETTER_STAFF,
    "GET /api/v1/letters/{letter}/meeting-requests": LETTER_STAFF,
    "GET /api/v1/meeting-requests": MANAGERS,
    "POST /api/v1/meeting-requests/{meeting}/decision": MANAGERS,
    "GET /api/v1/agenda": ("operator-women", *DESK),
    "GET /api/v1/agenda.ics": ("operator-women", *DESK),
    "GET /api/v1/reports/summary": MANAGERS,
    "GET /api/v1/reports/summary.csv": MANAGERS,
    "GET /api/v1/reports/summary.xlsx": MANAGERS,
    "GET /api/v1/reports/series": MANAGERS,
    "POST /api/v1/branches/{branch}/remote-tickets": (),  # the visitor's phone: no token
    "POST /api/v1/remote-joins/{join}/confirm": (),
    "POST /api/v1/branches/{branch}/remote-tickets/arrivals": ("kiosk", "kiosk-women", *MANAGERS),
    "POST /api/v1/tickets/track/{token}/on-my-way": (),
    "POST /api/v1/tickets/track/{token}/late": (),
    "POST /api/v1/tickets/track/{token}/cancel": (),
    "POST /api/v1/tickets/track/{token}/arrive": (),
    "POST /api/v1/sms/inbound": (),  # signed by Twilio, no bearer token
    "POST /api/v1/sms/status": (),
    "GET /api/v1/sms-templates": ("admin",),
    "PUT /api/v1/sms-templates/{purpose}/{language}": ("admin",),
    "DELETE /api/v1/sms-templates/{purpose}/{language}": ("admin",),
    "GET /api/v1/edge/config": ("edge",),  # a mobile unit's token, and only it
    "POST /api/v1/edge/push": ("edge",),
    "GET /api/v1/edge/status": MANAGERS,  # a unit's link; at the centre it says it is none
}


def tokens_for(label: str) -> tuple[str, ...]:
    if label in TOKENS:
        return TOKENS[label]
    assert " /api/v1/admin/" in label, f"no token line for {label}"
    return ("admin",)


def operation_order(label: str) -> int:
    """Administration last (it may close the branch or revoke tokens), the rest in
    the document's order."""
    return 1 if "/admin/" in label else 0


DOCUMENT = build_openapi(api_routes)
LABELS = sorted(
    (f"{method.upper()} {path}" for path, ops in DOCUMENT["paths"].items() for method in ops),
    key=operation_order,
)


def query_parameters(label: str) -> dict[str, bool]:
    """The documented query parameters of an operation: name → takes a list."""
    method, path = label.split(" ", 1)
    operation = DOCUMENT["paths"][path][method.lower()]
    return {
        p["name"]: p["schema"].get("type") == "array"
        for p in operation.get("parameters", [])
        if p["in"] == "query"
    }


# --- the data the requests point at ------------------------------------------------------


@dataclass
class Known:
    """Values that exist, by parameter or field name: drawn often so that requests get
    past "not found" to the real work."""

    path: dict[str, list[Any]] = field(default_factory=dict)
    query: dict[str, list[Any]] = field(default_factory=dict)
    body: dict[str, list[Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    """Tokens made on the way (the mobile unit's), beside the world's."""
    unit: int = 0
    """The mobile unit whose token the test uses: never revoked by it."""


@dataclass
class Api:
    app: Any
    schema: Any
    world: World
    known: Known
    signer: RequestValidator


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def build_activity(client: TestClient, world: World) -> Known:
    """A morning at the Riyadh branch, through the API: slot templates, tickets (some
    called, served and finished), letters (one routed to civil affairs, one asking for a
    meeting with the minister), appointments, a mobile unit, a Jeddah holiday and spare
    tokens to revoke."""

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {world.tokens[name]}"}

    admin, desk = auth("admin"), auth("operator-men")
    templates = [
        _ok(
            client.post(
                "/api/v1/admin/branches/riyadh/slot-templates",
                json={
                    "hall": hall,
                    "service": "letter",
                    "weekdays": "sun-sat",
                    "start": "08:00",
                    "end": "20:00",
                    "slot_minutes": 5,
                    "capacity": 3,
                },
                headers=admin,
            )
        )["id"]
        for hall in ("men", "women")
    ]
    tickets = []
    numbers = []
    for n in range(16):
        hall = "women" if n % 4 == 3 else "men"
        issued = _ok(
            client.post(
                "/api/v1/tickets",
                json={
                    "branch": "riyadh",
                    "hall": hall,
                    "service": ("letter", "enquiry", "complaint")[n % 3],
                    **({"phone": "0501234567"} if n % 2 else {}),
                },
                headers=auth("kiosk") if hall == "men" else auth("kiosk-women"),
            )
        )
        tickets.append(issued["id"])
        numbers.append(issued["number"])
    first, second = world.counters["men"][:2]
    _ok(client.post(f"/api/v1/counters/{first}/call-next", headers=desk), 200)
    _ok(client.post(f"/api/v1/counters/{first}/current/start", headers=desk), 200)
    _ok(client.post(f"/api/v1/counters/{first}/current/finish", headers=desk), 200)
    _ok(client.post(f"/api/v1/counters/{second}/call-next", headers=desk), 200)
    _ok(client.post(f"/api/v1/counters/{first}/call-next", headers=desk), 200)

    letters = []
    for n, subject in enumerate(("طلب إصدار هوية بدل فاقد", "شكوى من تأخر معاملة")):
        letters.append(
            _ok(
                client.post(
                    "/api/v1/letters",
                    json={
                        "branch": "riyadh",
                        "hall": "men",
                        "ticket_number": numbers[n],
                        "sender_name": "محمد عبدالله",
                        "sender_id_number": luhn_id(f"10000000{n}"),
                        "sex": "male",
                        "phone": "0501234567",
                        "subject": subject,
                        "body": "أرجو النظر في طلبي.",
                    },
                    headers=desk,
                )
            )
        )
    reference = letters[0]["reference"]
    _ok(
        client.post(
            f"/api/v1/letters/{reference}/classify",
            json={"category": "request_civil"},
            headers=desk,
        ),
        200,
    )
    meeting = _ok(
        client.post(
            f"/api/v1/letters/{reference}/meeting-requests",
            json={"mode": "in_person", "reason": "يطلب عرض تظلمه على معالي الوزير"},
            headers=desk,
        )
    )
    slots = _ok(
        client.get(
            "/api/v1/slots",
            params={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=desk,
        ),
        200,
    )["slots"]
    starts = [slot["starts_at"] for slot in slots[:40]]
    appointments = [
        _ok(
            client.post(
                "/api/v1/appointments",
                json={
                    "branch": "riyadh",
                    "hall": "men",
                    "service": "letter",
                    "starts_at": starts[n],
                    "name": "زائر",
                    "phone": "0501234567",
                },
                headers=desk,
            )
        )
        for n in range(6)
    ]
    mobile = _ok(
        client.post(
            "/api/v1/admin/branches",
            json={
                "slug": "mobile-1",
                "name_ar": "وحدة متنقلة",
                "name_en": "Mobile unit 1",
                "kind": "mobile",
            },
            headers=admin,
        )
    )
    unit = _ok(
        client.post(
            "/api/v1/admin/edge-units", json={"branch": "mobile-1", "name": "Laptop"}, headers=admin
        )
    )
    # Jeddah is closed today (a holiday): its kiosks get "closed", not a ticket.
    _ok(client.put("/api/v1/admin/branches/jeddah/holidays/2026-11-24", headers=admin), 200)
    spare = [
        _ok(
            client.post(
                "/api/v1/admin/tokens",
                json={"name": f"spare-{n}", "role": "display", "branch": "riyadh", "hall": "men"},
                headers=admin,
            )
        )["id"]
        for n in range(3)
    ]
    remote = join_from_phones(client)
    hall_ids = _hall_ids(client)
    counters = [*world.counters["men"], *world.counters["women"]]
    references = [letter["reference"] for letter in letters]
    codes = [a["code"] for a in appointments[:3]]  # the others stay booked
    return Known(
        path={
            "counter": counters,
            "ticket": tickets,
            "hall_id": hall_ids,
            "hall": ["men", "women"],
            "branch": ["riyadh", "jeddah", mobile["slug"]],
            "priority": ["elderly"],
            "category": ["request_civil", "appeal", "meeting"],
            "reference": references,
            "letter": [*references, *(str(letter["id"]) for letter in letters)],
            "meeting": [meeting["id"]],
            "appointment": [a["id"] for a in appointments[3:]],
            "template": templates,
            "token": spare,
            "day": ["2026-11-24", "2026-11-25"],
            "join": remote.joins,
            "tracking": remote.tracking,
        },
        query={
            "branch": ["riyadh", "jeddah"],
            "hall": ["men", "women"],
            "service": ["letter", "enquiry", "complaint"],
            "day": ["2026-11-24"],
            "date_from": ["2026-11-20", "2026-11-24"],
            "date_to": ["2026-11-24", "2026-12-31"],
            "q": ["هوية", reference],
        },
        body={
            "branch": ["riyadh", "riyadh", "jeddah"],
            "hall": ["men", "women"],
            "service": ["letter", "enquiry", "complaint"],
            "services": [["letter"], ["letter", "enquiry"]],
            "priority": ["elderly"],
            "ticket": [*numbers, *tickets],
            "ticket_number": numbers,
            "code": [*codes, *remote.codes],
            "counter": counters,
            "category": ["request_civil", "complaint_traffic", "appeal"],
            "department": ["civil_affairs", "traffic"],
            "parent": ["request", "complaint"],
            "merge_into": references,
            "sender_id_number": [luhn_id("100000009"), luhn_id("200000001")],
            "phone": ["0501234567", "+966551234567"],
            "starts_at": starts[6:],
            "role": ["display", "kiosk"],
            "days": ["sun-thu", "fri,sat"],
            "weekdays": ["sun-thu"],
            "start": ["08:00"],
            "end": ["12:00", "15:00"],
        },
        tokens={"edge": unit["token"]},
        unit=unit["id"],
    )


@dataclass
class RemoteSample:
    joins: list[str]
    tracking: list[str]
    codes: list[str]


def join_from_phones(client: TestClient) -> RemoteSample:
    """Riyadh takes joins from a phone (limits wide enough for the run): three joins
    confirmed with the code read from the outbox, two waiting for theirs."""
    import re

    from sqlmodel import Session, select

    from reception.notify.models import OutgoingSms
    from reception.queue.models import Branch
    from reception.remote.models import RemotePolicy

    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        riyadh = session.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        session.add(
            RemotePolicy(
                branch_id=riyadh.id or 0,
                enabled=True,
                halls=["men", "women"],
                services=["letter", "enquiry"],
                priorities=["elderly"],
                cap_per_hall=1000,
                codes_per_number_hour=1000,
                joins_per_address_hour=1000,
                geo_checkin=True,
                latitude=24.7136,
                longitude=46.6753,
            )
        )
        session.commit()
    joins, tracking, codes = [], [], []
    for n, phone in enumerate(("0501111111", "0502222222", "0503333333", "0504444444")):
        started = _ok(
            client.post(
                "/api/v1/branches/riyadh/remote-tickets",
                json={"hall": ("men", "women")[n % 2], "service": "letter", "phone": phone},
            ),
            202,
        )
        joins.append(started["join"])
        if n == 3:
            continue  # left waiting for its code
        with Session(engine) as session:
            key = f"remote_code:{started['join']}"
            body = session.exec(select(OutgoingSms.body).where(OutgoingSms.idempotency_key == key))
            match = re.search(r"(?<!\d)\d{6}(?!\d)", body.one())
        assert match
        ticket = _ok(
            client.post(
                f"/api/v1/remote-joins/{started['join']}/confirm", json={"code": match.group(0)}
            )
        )
        tracking.append(ticket["tracking_url"].rsplit("/", 1)[1])
        codes.append(ticket["code"])
    return RemoteSample(joins, tracking, codes)


def _hall_ids(client: TestClient) -> list[int]:
    """The ids of every hall (the API names halls by slug, the display route by id)."""
    from sqlmodel import Session, select

    from reception.queue.models import Hall

    app = client.app
    engine = app.state.ctx.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        return [h.id for h in session.exec(select(Hall)) if h.id is not None]


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[FakeTwilio]:
    with serve_fake_twilio() as server:
        yield server


@pytest.fixture(scope="module", params=SQLITE_AND_POSTGRES)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    """A fresh copy of the seeded world: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        template, world = request.getfixturevalue("seeded_sqlite_template")
        folder = tmp_path_factory.mktemp("schemathesis-db")
        shutil.copyfile(template, folder / "reception.sqlite3")
        yield f"sqlite:///{folder / 'reception.sqlite3'}", world
        return
    template_name, world = request.getfixturevalue("seeded_postgres_template")
    with postgres_copy(template_name) as name:
        yield postgres_database_url(name), world


@pytest.fixture(scope="module")
def api(
    database: tuple[str, World],
    tmp_path_factory: pytest.TempPathFactory,
    fake_twilio: FakeTwilio,
) -> Iterator[Api]:
    database_url, world = database
    folder = tmp_path_factory.mktemp("schemathesis")
    settings: Settings = make_settings(
        database_url,
        folder / "var",
        sms_backend="twilio",
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=fake_twilio.auth_token,
        twilio_from_number="+15005550006",
        twilio_api_base_url=fake_twilio.url,
        public_base_url=BASE_URL,
    )
    clock = FrozenClock(MORNING)
    with TestClient(create_app(settings, clock)) as client:
        known = build_activity(client, world)
    app = create_app(settings, clock)
    # The bearer token is the test's to choose (a valid one): not a generated parameter.
    # Valid by the document is not always valid by the rules: a slug that does not
    # exist, a phone number that is not one, a date outside the window, a control
    # character in a name. Those get a clear 422 (or 404, 409), which the document
    # promises, so "valid data accepted" allows them.
    config = schemathesis.Config.from_dict(
        {
            "generation": {"with-security-parameters": False},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 422, 429]
                }
            },
        }
    )
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=config)
    world = World(world.branch, world.counters, world.tokens | known.tokens)
    yield Api(app, schema, world, known, RequestValidator(fake_twilio.auth_token))


# --- the test --------------------------------------------------------------------------


def _path_pool(label: str, name: str, known: Known) -> list[Any] | None:
    if name == "hall" and label.startswith("PUT /api/v1/halls/"):
        return known.path["hall_id"]
    if name == "token" and "/tickets/track/" in label:
        return known.path["tracking"]
    return known.path.get(name)


def point_at_known_data(case: Any, data: st.DataObject, known: Known, label: str) -> None:
    """Three cases in four use values that exist wherever the generated case has a
    parameter or field of a known name; the fourth is left as generated, with some
    strings swapped for hostile ones."""
    if not data.draw(st.sampled_from([True, True, True, False]), label="known values"):
        make_hostile(case, data)
        return

    def pick(value: Any, pool: list[Any] | None) -> Any:
        return data.draw(st.sampled_from(pool)) if pool else value

    for name, value in list((case.path_parameters or {}).items()):
        case.path_parameters[name] = pick(value, _path_pool(label, name, known))
    query = dict(case.query or {})
    for name, is_list in query_parameters(label).items():
        pool = known.query.get(name)
        if pool:
            value = data.draw(st.sampled_from(pool))
            query[name] = [value] if is_list else value
    case.query = query
    if isinstance(case.body, dict):
        for name, value in list(case.body.items()):
            case.body[name] = pick(value, known.body.get(name))


def make_hostile(case: Any, data: st.DataObject) -> None:
    hostile = st.one_of(st.none(), st.sampled_from(HOSTILE))

    def swap(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        chosen = data.draw(hostile, label="hostile")
        return value if chosen is None else chosen

    for name, value in list((case.path_parameters or {}).items()):
        chosen = swap(str(value))
        case.path_parameters[name] = chosen or value  # an empty path segment is another URL
    if isinstance(case.query, dict):
        case.query = {k: swap(v) for k, v in case.query.items()}
    if isinstance(case.body, dict):
        case.body = {k: swap(v) for k, v in case.body.items()}


def keep_own_tokens(case: Any, known: Known, label: str) -> None:
    """Revoking a token this test signs in with would end the run early."""
    revoke = label == "POST /api/v1/admin/tokens/{token}/revoke"
    if revoke and case.path_parameters["token"] not in known.path["token"]:
        case.path_parameters["token"] = 2**31 - 1
    unit = label == "POST /api/v1/admin/edge-units/{unit}/revoke"
    if unit and str(case.path_parameters["unit"]) == str(known.unit):
        case.path_parameters["unit"] = 2**31 - 1


def sign_for_twilio(case: Any, signer: RequestValidator) -> dict[str, str]:
    params = case.body if isinstance(case.body, dict) else {}
    if not all(isinstance(v, str) for v in params.values()):
        return {"X-Twilio-Signature": "unsigned"}
    return {"X-Twilio-Signature": signer.compute_signature(BASE_URL + case.formatted_path, params)}


@pytest.mark.parametrize("label", LABELS)
def test_operation_conforms_to_the_openapi_document(api: Api, label: str) -> None:
    operation = api.schema.find_operation_by_label(label)
    assert operation is not None, label
    valid = operation.as_strategy(GenerationMode.POSITIVE)
    cases = st.one_of(valid, valid, operation.as_strategy(GenerationMode.NEGATIVE))
    names = tokens_for(label)

    @given(case=cases, data=st.data())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    def run(case: Any, data: st.DataObject) -> None:
        if case.meta is None or case.meta.generation.mode.is_positive:  # negatives as generated
            point_at_known_data(case, data, api.known, label)
        keep_own_tokens(case, api.known, label)
        if names:
            anyone = data.draw(st.sampled_from([False, False, False, True]), label="any role")
            token = api.world.tokens[
                data.draw(st.sampled_from(EVERY_ROLE if anyone else names), label="token")
            ]
            headers = {"Authorization": f"Bearer {token}"}
        else:
            headers = sign_for_twilio(case, api.signer)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if names:  # a valid token is never refused as missing or invalid
            assert response.status_code != 401, response.text

    run()
