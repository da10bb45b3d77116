"""The OpenAPI 3.1 document, built from the pydantic schemas the routes validate with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from reception import __version__
from reception.api import schemas

_MODELS: list[type[BaseModel]] = [
    schemas.TicketCreate,
    schemas.LetterCreate,
    schemas.ClassifyBody,
    schemas.LetterMoveBody,
    schemas.CallBody,
    schemas.PhoneCallBody,
    schemas.AppointmentCreate,
    schemas.AppointmentOut,
    schemas.CheckInBody,
    schemas.RescheduleBody,
    schemas.SlotTemplateIn,
    schemas.SlotTemplatePatch,
    schemas.TransferBody,
    schemas.DisplayBody,
    schemas.FinishBody,
    schemas.CounterStatusBody,
    schemas.CloseCurrentBody,
    schemas.CurrentOpenError,
    schemas.CounterOutShort,
    schemas.TicketOut,
    schemas.CalledTicket,
    schemas.ErrorBody,
    schemas.BranchList,
    schemas.ResidencyBody,
    schemas.ResidencyOut,
    schemas.SmsTextIn,
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed request",
        401: "Missing or invalid token",
        403: "Not allowed for this token",
        404: "Not found",
        409: "Not possible in the current state",
        413: "The body is too large",
        422: "Invalid input",
        429: "Too many wrong guesses; retry after the Retry-After seconds",
        503: "Temporarily unavailable; retry after the Retry-After seconds",
    }
    return {str(c): _json(schemas.ErrorBody, text[c]) for c in codes}


def _current_open(*codes: int) -> dict[str, Any]:
    """Errors of a request that moves a counter on: a 409 may be `current_open`, with
    the ticket still open at the counter."""
    return {
        **_errors(*codes),
        "409": _json(
            schemas.CurrentOpenError,
            "Not possible in the current state; `current_open`: a ticket is still open at "
            "the counter and the request did not say how it ended (`close_current`)",
        ),
    }


_CLOSE_CURRENT_BODY: dict[str, Any] = {
    "required": False,
    "description": "Optional: `close_current`, how the ticket still open at the counter ended.",
    "content": {"application/json": {"schema": _ref(schemas.CloseCurrentBody)}},
}


def _path_int(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


def _operator_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    called = _json(schemas.CalledTicket, "The ticket after the action")
    errors = _errors(401, 403, 404, 409, 422, 503)
    return {
        "/api/v1/counters/{counter}/call/{ticket}": {
            "post": {
                "operationId": "callTicket",
                "summary": "Call one chosen waiting ticket out of turn (a ticket still "
                "open at the counter is closed as `close_current` says)",
                "security": bearer,
                "parameters": [_path_int("counter"), _path_int("ticket")],
                "requestBody": _CLOSE_CURRENT_BODY,
                "responses": {"200": called, **_current_open(400, 401, 403, 404, 422, 503)},
            }
        },
        "/api/v1/counters/{counter}/current/{action}": {
            "post": {
                "operationId": "actOnCurrent",
                "summary": "Recall, start, finish, no-show, or return to the queue "
                "the ticket the counter has called",
                "security": bearer,
                "parameters": [
                    _path_int("counter"),
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "enum": ["recall", "start", "finish", "no-show", "return"],
                        },
                    },
                ],
                "requestBody": {
                    "required": False,
                    "description": "Only for `finish`: how the visit ended.",
                    "content": {"application/json": {"schema": _ref(schemas.FinishBody)}},
                },
                "responses": {"200": called, **errors},
            }
        },
        "/api/v1/counters/{counter}/current/transfer": {
            "post": {
                "operationId": "transferCurrent",
                "summary": "Send the current visitor to another service (and counter); "
                "the ticket keeps its place by arrival",
                "security": bearer,
                "parameters": [_path_int("counter")],
                "requestBody": _body(schemas.TransferBody),
                "responses": {"200": called, **_errors(400, 401, 403, 404, 409, 422, 503)},
            }
        },
        "/api/v1/counters/{counter}/current/residency": {
            "post": {
                "operationId": "correctCurrentResidency",
                "summary": "Correct the residency (citizen or resident) of the visitor the "
                "counter has called or is serving; audited with the old and the new value",
                "security": bearer,
                "parameters": [_path_int("counter")],
                "requestBody": _body(schemas.ResidencyBody),
                "responses": {
                    "200": _json(schemas.ResidencyOut, "The ticket with its residency"),
                    **_errors(400, 401, 403, 404, 409, 422, 503),
                },
            }
        },
        "/api/v1/counters/{counter}/status": {
            "post": {
                "operationId": "setCounterStatus",
                "summary": "Pause, resume, close or open a counter (closing it with a "
                "ticket still open needs `close_current`)",
                "security": bearer,
                "parameters": [_path_int("counter")],
                "requestBody": _body(schemas.CounterStatusBody),
                "responses": {
                    "200": _json(schemas.CounterOutShort, "The counter"),
                    **_current_open(400, 401, 403, 404, 422, 503),
                },
            }
        },
    }


def _admin_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    from reception.api import accounts, admin

    table: list[tuple[str, str, type[BaseModel] | None, str, list[str]]] = [
        (
            "/api/v1/admin/branches",
            "post",
            admin.BranchIn,
            "Add a branch (centre or mobile unit)",
            [],
        ),
        (
            "/api/v1/admin/branches/{branch}/policy",
            "put",
            admin.BranchPolicyIn,
            "Set the anti-starvation limit",
            ["branch"],
        ),
        ("/api/v1/admin/branches/{branch}/halls", "post", admin.HallIn, "Add a hall", ["branch"]),
        (
            "/api/v1/admin/branches/{branch}/services",
            "post",
            admin.ServiceIn,
            "Add a service",
            ["branch"],
        ),
        (
            "/api/v1/admin/branches/{branch}/stops",
            "post",
            admin.StopIn,
            "Add a stop of a mobile unit",
            ["branch"],
        ),
        (
            "/api/v1/admin/branches/{branch}/halls/{hall}/counters",
            "post",
            admin.CounterIn,
            "Add a counter",
            ["branch", "hall"],
        ),
        (
            "/api/v1/admin/counters/{counter}/services",
            "put",
            admin.CounterServicesIn,
            "Reassign a counter's services",
            ["counter"],
        ),
        (
            "/api/v1/admin/priorities/{priority}",
            "put",
            admin.PriorityIn,
            "Add or change a priority group",
            ["priority"],
        ),
        (
            "/api/v1/admin/branches/{branch}/hours",
            "put",
            admin.HoursIn,
            "Set the opening hours of some days",
            ["branch"],
        ),
        (
            "/api/v1/admin/branches/{branch}/holidays/{day}",
            "put",
            None,
            "Close a branch for a whole day (YYYY-MM-DD)",
            ["branch", "day"],
        ),
        (
            "/api/v1/admin/branches/{branch}/holidays/{day}",
            "delete",
            None,
            "Open a branch again on that day",
            ["branch", "day"],
        ),
        ("/api/v1/admin/departments", "post", admin.DepartmentIn, "Add a department", []),
        (
            "/api/v1/admin/categories",
            "post",
            admin.CategoryIn,
            "Add a letter category (with a parent: a subcategory)",
            [],
        ),
        (
            "/api/v1/admin/routing-rules",
            "put",
            admin.RoutingRuleIn,
            "Set where a category's letters go (optionally per branch or residency)",
            [],
        ),
        ("/api/v1/admin/users", "post", admin.UserIn, "Add a staff or device account", []),
        (
            "/api/v1/admin/users/{username}",
            "patch",
            accounts.UserChangeIn,
            "Change an account's role, branch, halls, state or password; its open sockets "
            "close at once on every worker, and disabling or a new password ends its sessions",
            ["username"],
        ),
        (
            "/api/v1/admin/users/{username}/sign-out",
            "post",
            None,
            "Sign an account out everywhere: every session ends, every socket closes",
            ["username"],
        ),
        ("/api/v1/admin/tokens", "get", None, "List every token (without secrets)", []),
        (
            "/api/v1/admin/tokens",
            "post",
            admin.TokenIn,
            "Issue a bearer token (shown once in the answer)",
            [],
        ),
        ("/api/v1/admin/tokens/{token}/revoke", "post", None, "Revoke a token at once", ["token"]),
        ("/api/v1/sms-templates", "get", None, "List every SMS text with its preview", []),
        (
            "/api/v1/sms-templates/{purpose}/{language}",
            "put",
            schemas.SmsTextIn,
            "Set an administrator's text for one SMS in one language",
            ["purpose", "language"],
        ),
        (
            "/api/v1/sms-templates/{purpose}/{language}",
            "delete",
            None,
            "Use the shipped text again for one SMS in one language",
            ["purpose", "language"],
        ),
    ]
    return _paths_from(table, bearer, "admin")


def _letter_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    table: list[tuple[str, str, type[BaseModel] | None, str, list[str]]] = [
        ("/api/v1/letters", "post", schemas.LetterCreate, "Register a letter (triage staff)", []),
        (
            "/api/v1/enquiries",
            "post",
            schemas.PhoneCallBody,
            "Register a phone call in the call log: topic, direction, minutes, and "
            "optionally the letter (reference) or ticket (id or today's number) it concerns",
            [],
        ),
        (
            "/api/v1/letters",
            "get",
            None,
            "List letters: q (Arabic-folded words or a reference), status, category, "
            "department, hall, sla (ok/near/late), sender_id, phone, from, to, limit; "
            "kiosk and display tokens are refused (403)",
            [],
        ),
        ("/api/v1/letters/{reference}", "get", None, "One letter with its steps", ["reference"]),
        (
            "/api/v1/letters/{reference}/classify",
            "post",
            schemas.ClassifyBody,
            "Classify and route (by the routing rules unless a department is named)",
            ["reference"],
        ),
        (
            "/api/v1/letters/{reference}/suggestion",
            "get",
            None,
            "Suggested categories with confidences, learned from staff decisions",
            ["reference"],
        ),
        (
            "/api/v1/letters/{reference}/calls",
            "post",
            schemas.CallBody,
            "Log a phone call about the letter",
            ["reference"],
        ),
        (
            "/api/v1/letters/{reference}/{move}",
            "post",
            schemas.LetterMoveBody,
            "Move it on: accept, note, request-info, answer, return, reopen "
            "(department); close, reject, merge (triage)",
            ["reference", "move"],
        ),
    ]
    return _paths_from(table, bearer, "letter")


def _query(name: str, description: str, fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": 40}
    if fmt:
        schema = {"type": "string", "format": fmt}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _appointment_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    table: list[tuple[str, str, type[BaseModel] | None, str, list[str]]] = [
        (
            "/api/v1/appointments/{appointment}/cancel",
            "post",
            None,
            "Cancel an appointment (staff token); its seat is free again and the visitor "
            "gets an SMS",
            ["appointment"],
        ),
        (
            "/api/v1/appointments/{appointment}/reschedule",
            "post",
            schemas.RescheduleBody,
            "Move an appointment to another free slot (staff token)",
            ["appointment"],
        ),
        (
            "/api/v1/admin/branches/{branch}/slot-templates",
            "get",
            None,
            "List the slot templates of a branch (admin)",
            ["branch"],
        ),
        (
            "/api/v1/admin/branches/{branch}/slot-templates",
            "post",
            schemas.SlotTemplateIn,
            "Add a slot template: days, hours, slot length and capacity for a hall and "
            "service (admin)",
            ["branch"],
        ),
        (
            "/api/v1/admin/slot-templates/{template}",
            "patch",
            schemas.SlotTemplatePatch,
            "Change a slot template's capacity, blackout dates or whether it is active (admin)",
            ["template"],
        ),
    ]
    paths = _paths_from(table, bearer, "appointment")
    listing = {
        "description": "Done",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    paths["/api/v1/slots"] = {
        "get": {
            "operationId": "listFreeSlots",
            "summary": "Free slots of a hall and service between two days (staff or portal token)",
            "security": bearer,
            "parameters": [
                _query("branch", "Branch slug"),
                _query("hall", "Hall slug"),
                _query("service", "Service slug"),
                _query("date_from", "First day (branch local), default today", "date"),
                _query("date_to", "Last day, default date_from; at most 62 days", "date"),
            ],
            "responses": {"200": listing, **_errors(400, 401, 403, 404, 422, 503)},
        }
    }
    paths["/api/v1/appointments"] = {
        "get": {
            "operationId": "listAppointmentsOfDay",
            "summary": "A day's appointments in the halls the token may use; supervisors "
            "also see each number's count of appointments not come to",
            "security": bearer,
            "parameters": [
                _query("branch", "Branch slug"),
                _query("day", "The day (branch local), default today", "date"),
                _query("hall", "Only this hall"),
            ],
            "responses": {"200": listing, **_errors(400, 401, 403, 404, 422, 503)},
        }
    }
    return paths


def _success_status(method: str, model: type[BaseModel] | None, summary: str) -> str:
    """201 for what creates something (an admin addition, a registered letter)."""
    creates = method == "post" and model is not None
    creates = creates and summary.split()[0] in ("Add", "Issue", "Register")
    return "201" if creates else "200"


LETTER_MOVES = [
    "accept",
    "note",
    "request-info",
    "answer",
    "return",
    "reopen",
    "close",
    "reject",
    "merge",
]


def _path_schema(name: str) -> dict[str, Any]:
    if name in ("counter", "token", "appointment", "template"):
        return {"type": "integer"}
    if name == "move":
        return {"type": "string", "enum": LETTER_MOVES}
    if name == "day":
        return {"type": "string", "format": "date"}
    return {"type": "string"}


def _paths_from(
    table: list[tuple[str, str, type[BaseModel] | None, str, list[str]]],
    bearer: list[dict[str, list[str]]],
    prefix: str,
) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, method, model, summary, params in table:
        words = "".join(w.title() for w in summary.split()[:3] if w.isalpha())
        operation: dict[str, Any] = {
            "operationId": prefix + method.title() + words,
            "summary": summary,
            "security": bearer,
            "parameters": [
                {"name": p, "in": "path", "required": True, "schema": _path_schema(p)}
                for p in params
            ],
            "responses": {
                _success_status(method, model, summary): {
                    "description": "Done",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                **_errors(400, 401, 403, 404, 409, 422, 503),
            },
        }
        if model is not None:
            operation["requestBody"] = _body(model)
        paths.setdefault(path, {})[method] = operation
    return paths


def _meeting_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    """Meetings with the minister and the day agenda (reception/api/meetings.py)."""
    from reception.api.meetings import MeetingDecisionBody, MeetingRequestBody

    def done(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }

    letter = {
        "name": "letter",
        "in": "path",
        "required": True,
        "description": "The letter's id or its reference (L-2026-000123).",
        "schema": {"type": "string"},
    }
    day_query = [
        {
            "name": "branch",
            "in": "query",
            "required": False,
            "description": "Branch slug (administrators; others get their own branch).",
            "schema": {"type": "string"},
        },
        {
            "name": "day",
            "in": "query",
            "required": False,
            "description": "Local day, YYYY-MM-DD; today when left out.",
            "schema": {"type": "string", "format": "date"},
        },
    ]
    errors = _errors(400, 401, 403, 404, 409, 422, 503)
    return {
        "/api/v1/letters/{letter}/meeting-requests": {
            "post": {
                "operationId": "requestMeeting",
                "summary": "Ask the minister's office for a meeting about a letter (triage "
                "staff of its hall, or an officer of the department holding it); one open "
                "request per letter; the citizen gets an SMS",
                "security": bearer,
                "parameters": [letter],
                "requestBody": _body(MeetingRequestBody),
                "responses": {"201": done("The new meeting request"), **errors},
            },
            "get": {
                "operationId": "listLetterMeetings",
                "summary": "The meeting requests of a letter, the latest first",
                "security": bearer,
                "parameters": [letter],
                "responses": {"200": done("`{meeting_requests: [...]}`"), **errors},
            },
        },
        "/api/v1/meeting-requests": {
            "get": {
                "operationId": "listMeetingRequests",
                "summary": "The minister's office's queue (supervisor or admin): open "
                "requests first; filter with status",
                "security": bearer,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "enum": [
                                "requested",
                                "proposed",
                                "approved",
                                "declined",
                                "referred",
                                "cancelled",
                            ],
                        },
                    }
                ],
                "responses": {"200": done("`{meeting_requests: [...]}`"), **errors},
            }
        },
        "/api/v1/meeting-requests/{meeting}/decision": {
            "post": {
                "operationId": "decideMeeting",
                "summary": "The minister's office decides (supervisor or admin): approve "
                "(books an appointment of kind meeting), propose another date, decline "
                "(note required), refer (referred_to required), cancel, reschedule; "
                "an illegal step is 409",
                "security": bearer,
                "parameters": [_path_int("meeting")],
                "requestBody": _body(MeetingDecisionBody),
                "responses": {"200": done("The meeting request after the decision"), **errors},
            }
        },
        "/api/v1/agenda": {
            "get": {
                "operationId": "dayAgenda",
                "summary": "A branch's agenda of one local day: meetings with the minister, "
                "then the other appointments (names masked)",
                "security": bearer,
                "parameters": day_query,
                "responses": {"200": done("`{branch, day, meetings, appointments}`"), **errors},
            }
        },
        "/api/v1/agenda.ics": {
            "get": {
                "operationId": "dayAgendaCalendar",
                "summary": "The same agenda as an iCalendar file (RFC 5545, times in UTC, "
                "no phone or ID numbers)",
                "security": bearer,
                "parameters": day_query,
                "responses": {
                    "200": {
                        "description": "One VEVENT per agenda entry",
                        "content": {"text/calendar": {"schema": {"type": "string"}}},
                    },
                    **errors,
                },
            }
        },
    }


def _rating_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    """Visit ratings from a rating device (reception/api/ratings.py)."""
    from reception.api.ratings import RatingCreate

    rated = {
        "description": "The rating: `{id, ticket, score, reasons, comment, source, at}`",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    return {
        "/api/v1/ratings": {
            "post": {
                "operationId": "rateVisit",
                "summary": "Rate a finished visit (kiosk token of the ticket's branch and "
                "hall): once per ticket, within 24 hours of its end; a second rating is 409 "
                "already_rated, a visit not finished 409 not_finished, a late one 409 "
                "too_late_to_rate",
                "security": bearer,
                "requestBody": _body(RatingCreate),
                "responses": {"201": rated, **_errors(400, 401, 403, 404, 409, 422, 503)},
            }
        }
    }


def build_openapi() -> dict[str, Any]:
    from reception.api.accounts import UserChangeIn
    from reception.api.admin import ADMIN_MODELS
    from reception.api.call_topics import CALL_TOPIC_MODELS, call_topic_paths
    from reception.api.meetings import MEETING_MODELS
    from reception.api.ratings import RATING_MODELS
    from reception.api.reports import report_paths

    components: dict[str, Any] = {}
    models: list[type[BaseModel]] = [*_MODELS, *ADMIN_MODELS, UserChangeIn]
    for model in [*models, *MEETING_MODELS, *RATING_MODELS, *CALL_TOPIC_MODELS]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            components[name] = sub
        components[model.__name__] = schema
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Reception API",
            "version": __version__,
            "description": "Tickets, counters and branches of a reception centre. Errors are "
            '`{"error": {"code", "message"}}`; messages follow `Accept-Language` (ar, en).',
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/api/v1/branches": {
                "get": {
                    "operationId": "listBranches",
                    "summary": "Branches with their halls, services and counters",
                    "security": bearer,
                    "responses": {
                        "200": _json(schemas.BranchList, "The branches"),
                        **_errors(401, 503),
                    },
                }
            },
            "/api/v1/tickets": {
                "post": {
                    "operationId": "issueTicket",
                    "summary": "Issue a ticket (kiosk, supervisor or admin token)",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "Repeat a request with the same key to get the "
                            "same ticket back instead of a second one.",
                            "schema": {"type": "string", "maxLength": 100},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref(schemas.TicketCreate)}},
                    },
                    "responses": {
                        "201": _json(schemas.TicketOut, "The new ticket"),
                        "200": _json(schemas.TicketOut, "The ticket of an earlier identical key"),
                        **_errors(400, 401, 403, 409, 422, 503),
                    },
                }
            },
            "/api/v1/counters/{counter}/call-next": {
                "post": {
                    "operationId": "callNext",
                    "summary": "Call the next ticket; a ticket still open at the counter is "
                    "first closed as `close_current` says (without it: 409 `current_open`)",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "counter",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "requestBody": _CLOSE_CURRENT_BODY,
                    "responses": {
                        "200": _json(schemas.CalledTicket, "The called ticket"),
                        "204": {"description": "Nobody is waiting for this counter"},
                        **_current_open(400, 401, 403, 404, 422, 503),
                    },
                }
            },
            "/api/v1/appointments": {
                "post": {
                    "operationId": "bookAppointment",
                    "summary": "Book a visit (operator, supervisor or admin token); the answer "
                    "carries the code the visitor types at the kiosk",
                    "security": bearer,
                    "requestBody": _body(schemas.AppointmentCreate),
                    "responses": {
                        "201": _json(schemas.AppointmentOut, "The booked appointment"),
                        **_errors(400, 401, 403, 404, 409, 422, 503),
                    },
                }
            },
            "/api/v1/appointments/check-in": {
                "post": {
                    "operationId": "checkInAppointment",
                    "summary": "Check in with an appointment code (kiosk token): a ticket with "
                    "the appointment priority; the same ticket again on a retry (200)",
                    "security": bearer,
                    "requestBody": _body(schemas.CheckInBody),
                    "responses": {
                        "201": _json(schemas.TicketOut, "The new ticket"),
                        "200": _json(schemas.TicketOut, "The ticket of an earlier check-in"),
                        **_errors(400, 401, 403, 404, 409, 422, 429, 503),
                    },
                }
            },
            "/api/v1/halls/{hall}/display": {
                "put": {
                    "operationId": "setHallDisplay",
                    "summary": "Notice text, layout and announcement volume of a hall's "
                    "displays (supervisor or admin); every display applies it at once",
                    "security": bearer,
                    "parameters": [_path_int("hall")],
                    "requestBody": _body(schemas.DisplayBody),
                    "responses": {
                        "200": {
                            "description": "The hall's display settings",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **_errors(400, 401, 403, 404, 422, 503),
                    },
                }
            },
            **_operator_paths(bearer),
            **_admin_paths(bearer),
            **_letter_paths(bearer),
            **_meeting_paths(bearer),
            **report_paths(bearer),
            "/api/v1/letters/{reference}/attachments": {
                "post": {
                    "operationId": "letterAttachScan",
                    "summary": "Attach a scanned PDF, PNG or JPEG (at most 10 MB; the type is "
                    "read from the content, not the name)",
                    "security": bearer,
                    "parameters": [
                        {
                            "name": "reference",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"file": {"type": "string", "format": "binary"}},
                                    "required": ["file"],
                                    "additionalProperties": False,
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Attached",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **_errors(400, 401, 403, 404, 409, 413, 422, 503),
                    },
                }
            },
            "/api/v1/sms/inbound": {
                "post": {
                    "operationId": "smsInbound",
                    "summary": "A message a citizen sent (signed by Twilio): "
                    "STATUS/حالة <reference>, STOP/إيقاف, START/تشغيل; "
                    "answered with TwiML in the keyword's language; a MessageSid already "
                    "handled (a replayed request) changes nothing and gets an empty answer",
                    "security": [],
                    "parameters": [
                        {
                            "name": "X-Twilio-Signature",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "From": {"type": "string"},
                                        "Body": {"type": "string"},
                                        "MessageSid": {"type": "string"},
                                    },
                                    "required": ["From", "Body"],
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "TwiML", "content": {"application/xml": {}}},
                        **_errors(400, 403, 404, 503),
                    },
                }
            },
            "/api/v1/sms/status": {
                "post": {
                    "operationId": "smsStatusCallback",
                    "summary": "Delivery report from Twilio (signed with X-Twilio-Signature)",
                    "security": [],
                    "parameters": [
                        {
                            "name": "X-Twilio-Signature",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "MessageSid": {"type": "string"},
                                        "MessageStatus": {
                                            "type": "string",
                                            "description": "accepted, queued, sending, "
                                            "sent, delivered, undelivered or failed. A "
                                            "report with another status, or without a "
                                            "sid, is ignored (still 204, so Twilio does "
                                            "not send it again).",
                                            "examples": ["delivered"],
                                        },
                                        "ErrorCode": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "204": {"description": "Recorded (or not ours)"},
                        **_errors(400, 403, 404, 503),
                    },
                }
            },
        },
    }
    for path, operations in _appointment_paths(bearer).items():
        document["paths"].setdefault(path, {}).update(operations)
    document["paths"].update(_rating_paths(bearer))
    document["paths"].update(call_topic_paths(bearer))
    _body_limit_responses(document)
    _input_guard_responses(document)
    return document


def _body_limit_responses(document: dict[str, Any]) -> None:
    """Every request body passes the size limit first (reception.app.BodyLimit): 413."""
    for operations in document["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault("413", _errors(413)["413"])


def _input_guard_responses(document: dict[str, Any]) -> None:
    """Control characters in a path, a query or a body are refused before any route
    (reception.inputs.InputGuard): 422 on every operation."""
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].setdefault("422", _errors(422)["422"])
