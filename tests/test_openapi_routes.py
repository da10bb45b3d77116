"""The OpenAPI document is built from the routes: every /api/v1 route of the
application is in it with each of its methods, and it documents nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from reception.api.all_routes import routes as api_routes
from reception.api.openapi import build_openapi
from reception.api.queue import CURRENT_ACTIONS
from reception.appointments.models import AppointmentKind, MeetingMode, MeetingStatus
from reception.auth.models import Role
from reception.letters.models import Channel
from reception.queue import counters
from reception.queue.models import BranchKind, Residency, Section, ServiceMode, VisitOutcome
from reception.queue.rules import CLOSE_CHOICES

DOCUMENT = build_openapi(api_routes)
ANSWERED = {"GET", "POST", "PUT", "PATCH", "DELETE"}  # HEAD comes with GET


def _routes_of(client: TestClient) -> set[tuple[str, str]]:
    routes = client.app.routes  # type: ignore[attr-defined]
    return {
        (method.lower(), route.path)
        for route in routes
        if isinstance(route, Route) and route.path.startswith("/api/v1/")
        for method in (route.methods or ()) & ANSWERED
    }


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in document["paths"].items() for method in ops}


def test_every_api_route_is_documented_and_nothing_else(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    routes = _routes_of(client)
    assert len(routes) > 60
    assert not routes - _documented(document), "routes missing from the document"
    assert not _documented(document) - routes, "documented operations without a route"
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_a_route_without_its_operations_is_refused() -> None:
    async def endpoint(request: Any) -> None: ...

    with pytest.raises(TypeError, match="/api/v1/undocumented"):
        build_openapi([Route("/api/v1/undocumented", endpoint, methods=["GET"])])


def test_enums_are_the_values_the_code_accepts() -> None:
    document = DOCUMENT
    operation = document["paths"]["/api/v1/counters/{counter}/current/{action}"]["post"]
    (action,) = [p for p in operation["parameters"] if p["name"] == "action"]
    assert {a.replace("-", "_") for a in action["schema"]["enum"]} == set(CURRENT_ACTIONS)
    close = document["components"]["schemas"]["CloseCurrentBody"]["properties"]["close_current"]
    assert set(close["enum"]) == {*CLOSE_CHOICES, None}


GIVEN_ROLES = [r for r in Role if r != Role.edge]
"""The roles an account or token is given; an `edge` token comes with a mobile unit only."""

# (model, field) of the API whose values are those of a list or enum of the domain
SAME_VALUES: list[tuple[str, str, Any]] = [
    ("FinishBody", "outcome", VisitOutcome),
    ("CounterStatusBody", "action", counters.MOVES),
    ("UserIn", "role", GIVEN_ROLES),
    ("TokenIn", "role", GIVEN_ROLES),
    ("UserChangeIn", "role", GIVEN_ROLES),
    ("HallIn", "section", Section),
    ("BranchIn", "kind", BranchKind),
    ("ServiceIn", "mode", ServiceMode),
    ("ServiceOut", "mode", ServiceMode),
    ("TicketCreate", "residency", Residency),
    ("AppointmentCreate", "residency", Residency),
    ("CheckInBody", "residency", Residency),
    ("ResidencyBody", "residency", Residency),
    ("RoutingRuleIn", "residency", Residency),
    ("LetterCreate", "channel", Channel),
    ("AppointmentOut", "kind", AppointmentKind),
    ("MeetingRequestBody", "mode", MeetingMode),
    ("MeetingDecisionBody", "mode", MeetingMode),
]


def _values(schema: dict[str, Any]) -> set[Any]:
    found = set(schema.get("enum", ())) | ({schema["const"]} if "const" in schema else set())
    for option in schema.get("anyOf", ()):
        found |= _values(option)
    return found


@pytest.mark.parametrize(("model", "name", "domain"), SAME_VALUES)
def test_the_api_models_take_the_values_of_the_domain(model: str, name: str, domain: Any) -> None:
    schema = DOCUMENT["components"]["schemas"][model]["properties"][name]
    assert _values(schema) == {str(v) for v in domain}


def test_the_meeting_queue_filters_by_every_status() -> None:
    document = DOCUMENT
    operation = document["paths"]["/api/v1/meeting-requests"]["get"]
    (status,) = operation["parameters"]
    assert set(status["schema"]["enum"]) == set(MeetingStatus)


def test_every_body_and_answer_model_is_in_the_components() -> None:
    document = DOCUMENT
    schemas = document["components"]["schemas"]
    for ops in document["paths"].values():
        for operation in ops.values():
            for ref in _refs(operation):
                assert ref.removeprefix("#/components/schemas/") in schemas, ref
            assert "422" in operation["responses"]  # control characters, everywhere
            if "requestBody" in operation:
                assert "413" in operation["responses"]


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [
            r for value in node.values() for r in _refs(value)
        ]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []
