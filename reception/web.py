"""What every screen shares: templates per language, the signed-in principal, CSRF,
and `run_action`, which hands an action to the application's `ActionRunner` (its
transaction in a worker thread, its events published after the commit)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from reception import PACKAGE_DIR
from reception.auth.bearer_cache import BearerCache
from reception.auth.live import LiveSocket, LiveSockets
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.auth.queries import (
    principal_for_bearer,
    principal_for_token_id,
    signed_in,
)
from reception.auth.sessions import DEVICE_ROLES
from reception.clock import Clock
from reception.db import is_sqlite, once_more_if_gone, session_scope
from reception.errors import (
    N_,
    DomainError,
    Forbidden,
    NotFound,
    Unauthorized,
)
from reception.events.base import HubBroadcaster
from reception.i18n import direction, pick_language, translations
from reception.inputs import to_id
from reception.labels import DAY_NAMES, LETTER_STEP_LABELS, STATUS_LABELS, TICKET_EVENT_LABELS
from reception.outcome import Outcome
from reception.runner import ActionRunner, GroupCommit
from reception.settings import DEFAULT_TIMEZONE, LANGUAGES, Settings
from reception.timefmt import local_time, long_date

T = TypeVar("T")

EDGE_PATHS = frozenset({"/api/v1/edge/config", "/api/v1/edge/push"})
"""The only routes a mobile unit's token (role `edge`) reaches; they take no other."""


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    read_engine: Engine
    writers: anyio.CapacityLimiter
    """First come, first served access to the writer connections: without it a thread
    that just committed tends to take the connection straight back while others wait
    until their pool time-out."""
    readers: anyio.CapacityLimiter
    """Threads that read at once: as many as the read pool has connections (on
    PostgreSQL, where one pool serves both, less the writers' share). More would
    only wait for a connection, each with its own stack and allocator arena (2,000
    displays reconnecting at once would otherwise start the default 40 threads)."""
    clock: Clock
    broadcaster: HubBroadcaster
    templates: dict[str, Jinja2Templates]
    group_commit: GroupCommit | None = None
    """On SQLite, writes from requests are committed in groups (see `GroupCommit`)."""
    sockets: LiveSockets = field(default_factory=LiveSockets)
    """The signed-in sockets of this worker, closed when their access ends."""

    bearers: BearerCache = field(init=False)
    """What the bearer tokens used here lately may do (`token_cache_seconds`)."""

    runner: ActionRunner = field(init=False)
    """Runs this process's actions: commits, then publishes their events."""

    def __post_init__(self) -> None:
        if self.group_commit is None and is_sqlite(self.engine):
            self.group_commit = GroupCommit(self.engine, self.writers, self._publish_orphan)
        # With `memory://` no notice reaches this process from another one (the
        # `reception` command revoking a token): nothing is kept then.
        shared = not self.settings.broadcast_url.startswith("memory")
        self.bearers = BearerCache(self.settings.token_cache_seconds if shared else 0)
        self.runner = ActionRunner(
            self.engine,
            self.clock,
            self.broadcaster,
            writers=self.writers,
            group_commit=self.group_commit,
            on_committed=self.bearers.forget_events,
        )

    async def _publish_orphan(self, value: Any) -> None:
        await self.runner.publish_orphan(value)


def _make_templates(language: str, settings: Settings) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        lang=language,
        dir=direction(language),
        other_lang="en" if language == "ar" else "ar",
        day_names=DAY_NAMES,
        default_timezone=DEFAULT_TIMEZONE,
        status_label=lambda code: translations(language).gettext(STATUS_LABELS.get(code) or code),
        event_label=lambda code: translations(language).gettext(
            TICKET_EVENT_LABELS.get(code) or code
        ),
        letter_step_label=lambda code: translations(language).gettext(
            LETTER_STEP_LABELS.get(code) or code
        ),
    )
    env.filters["local"] = lambda row, attr="name": getattr(row, f"{attr}_{language}", "")
    env.filters["localtime"] = partial(_localtime, language=language)
    env.filters["long_date"] = partial(long_date, language=language)
    env.filters["lang_of"] = lang_of_name
    return Jinja2Templates(env=env)


def lang_of_name(text: object) -> Markup:
    """` lang="ar"` for a name typed in Arabic letters, so a person's name inside an
    English page is read (and checked) as the Arabic it is; nothing otherwise."""
    if any("\u0600" <= ch <= "\u06ff" for ch in str(text or "")):
        return Markup(' lang="ar"')
    return Markup("")


def _localtime(
    moment: datetime | str | None,
    timezone: str | None = None,
    fmt: str = "datetime",
    *,
    language: str,
) -> str:
    return local_time(moment, timezone, fmt, language)


def make_templates(settings: Settings, edge_unit: bool = False) -> dict[str, Jinja2Templates]:
    """The templates per language; `edge_unit`: this instance is a mobile unit (its
    staff navigation links the sync page)."""
    templates: dict[str, Jinja2Templates] = {
        language: _make_templates(language, settings) for language in LANGUAGES
    }
    for each in templates.values():
        each.env.globals["edge_unit"] = edge_unit
    return templates


def ctx(conn: HTTPConnection) -> AppContext:
    app_context: AppContext = conn.app.state.ctx
    return app_context


def language_of(conn: HTTPConnection) -> str:
    default = ctx(conn).settings.default_language
    chosen = conn.session.get("lang") if "session" in conn.scope else None
    if chosen in LANGUAGES:
        return str(chosen)
    if conn.url.path.startswith("/api/"):
        return pick_language(conn.headers.get("accept-language"), default)
    return default


def t(conn: HTTPConnection, message: str, **params: Any) -> str:
    text = translations(language_of(conn)).gettext(message)
    return text.format(**params) if params else text


def error_text(conn: HTTPConnection, exc: DomainError) -> str:
    language = language_of(conn)
    params = {
        k: translations(language).gettext(STATUS_LABELS[v]) if v in STATUS_LABELS else v
        for k, v in exc.params.items()
    }
    return translations(language).gettext(exc.message).format(**params)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    language = language_of(request)
    data = dict(context or {})
    data.setdefault("principal", request.scope.get("principal"))
    data["csrf_token"] = csrf_token(request)
    data["flash"] = request.session.pop("flash", None)
    response = (
        ctx(request)
        .templates[language]
        .TemplateResponse(request, name, data, status_code=status_code)
    )
    response.headers["Content-Language"] = language
    return response


def flash(request: Request, message: str, kind: str = "error") -> None:
    request.session["flash"] = {"text": message, "kind": kind}


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> dict[str, Any]:
    """Read the posted form and reject it unless it carries the session's CSRF token."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise Forbidden(
            "csrf", N_("This form has expired. Please go back, reload the page and try again.")
        )
    return {k: v for k, v in form.items()}


def with_session(engine: Engine, fn: Callable[[Session], T]) -> T:
    def once() -> T:
        with session_scope(engine) as session:
            return fn(session)

    return once_more_if_gone(once)


async def read(conn: HTTPConnection, fn: Callable[[Session], T]) -> T:
    return await _on_reader(conn, with_session, fn)


async def _on_reader(conn: HTTPConnection, fn: Callable[..., T], *args: Any) -> T:
    """`fn(read_engine, *args)` in a thread, within the read threads' limit."""
    app = ctx(conn)
    return await anyio.to_thread.run_sync(fn, app.read_engine, *args, limiter=app.readers)


async def principal_of(conn: HTTPConnection) -> Principal | None:
    if "principal" in conn.scope:
        known: Principal | None = conn.scope["principal"]
        return known
    principal: Principal | None = None
    conn.scope["principal_read_at"] = time.monotonic()
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        principal = await _bearer(conn, auth[7:].strip())
        if principal is None:
            raise Unauthorized("bad_token", N_("The access token is not valid."))
        if principal.role == Role.edge and conn.url.path not in EDGE_PATHS:
            raise Forbidden(
                "edge_token",
                N_("A mobile unit's token only pulls its set-up and pushes its records."),
            )
    elif (
        "session" in conn.scope
        and conn.session.get("sid")
        and not conn.url.path.startswith("/api/")  # the API takes bearer tokens only
    ):
        secret = str(conn.session["sid"])
        found = await _on_reader(conn, signed_in, secret)
        if found is None or session_expired(ctx(conn), found.principal, found.started):
            _signed_out(conn)
        else:
            principal = found.principal
            conn.scope["staff_session_id"] = found.session_id
    elif (
        "session" in conn.scope
        and conn.session.get("device_token_id")
        and not conn.url.path.startswith("/api/")
    ):
        token_id = int(conn.session["device_token_id"])
        principal = await read(conn, lambda s: principal_for_token_id(s, token_id))
        if principal is None:
            _signed_out(conn, device=True)  # revoked: the device must be paired again
    elif "session" in conn.scope and conn.session.get("user_id"):
        _signed_out(conn)  # a cookie from before sessions were kept on the server
    conn.scope["principal"] = principal
    return principal


async def _bearer(conn: HTTPConnection, token: str) -> Principal | None:
    """A bearer token's principal: from this worker's cache, or read and then kept."""
    bearers = ctx(conn).bearers
    key = bearers.key(token)
    principal = bearers.get(key)
    if principal is None:
        generation = bearers.generation
        principal = await _on_reader(conn, principal_for_bearer, token)
        if principal is not None:
            bearers.put(key, principal, generation)
    return principal


def _signed_out(conn: HTTPConnection, device: bool = False) -> None:
    """Forget an ended session (keeping the language); a device goes to be paired."""
    language = conn.session.get("lang")
    conn.session.clear()
    if language:
        conn.session["lang"] = language
    conn.scope["signed_out_device"] = device


def session_expired(app: AppContext, principal: Principal, started: datetime) -> bool:
    """Staff sessions end `session_max_age_seconds` after sign-in; a kiosk or display
    stays signed in until it is signed out (a visitor cannot sign it in again)."""
    if principal.role in DEVICE_ROLES:
        return False
    age = (app.clock.now() - started).total_seconds()
    return age > app.settings.session_max_age_seconds


def hold_socket(ws: HTTPConnection, stop: Callable[[], object] | None = None) -> Any:
    """Register an accepted socket of the signed-in principal for as long as the
    `with` block runs: it is closed (4401 or 4409) as soon as that access ends or
    changes, on whichever worker it is held."""
    principal = ws.scope.get("principal")
    assert principal is not None, "only a signed-in socket is held"
    entry = LiveSocket(
        ws=ws,  # type: ignore[arg-type]
        principal=principal,
        session_id=ws.scope.get("staff_session_id"),
        read_at=float(ws.scope.get("principal_read_at", 0.0)),
        stop=stop,
    )
    return ctx(ws).sockets.hold(entry)


async def require_principal(conn: HTTPConnection) -> Principal:
    principal = await principal_of(conn)
    if principal is None:
        raise Unauthorized("login_required", N_("Please sign in first."))
    return principal


async def require_admin(conn: HTTPConnection) -> Principal:
    """The signed-in administrator; anyone else is refused (401 or 403)."""
    principal = await require_principal(conn)
    principal.require_role(Role.admin)
    return principal


async def run_action(conn: HTTPConnection, fn: Callable[[Session], Outcome[T]]) -> T:
    """Run one action through the application's runner: one transaction, then its
    events published after the commit."""
    return await ctx(conn).runner.run(fn)


def path_id(conn: HTTPConnection, name: str, what: str = "counter") -> int:
    """A numeric id from the path; anything else is a clear 404, never a crash."""
    raw = str(conn.path_params.get(name, ""))
    value = to_id(raw)
    if value is None:
        if what == "ticket":
            raise NotFound("unknown_ticket", N_("This ticket does not exist."))
        if what == "letter":
            raise NotFound("unknown_letter", N_("There is no such letter."))
        if what == "hall":
            raise NotFound("unknown_hall_id", N_("There is no hall {id}."), id=raw[:12])
        if what == "appointment":
            raise NotFound("unknown_appointment", N_("There is no such appointment."))
        if what == "template":
            raise NotFound("unknown_template", N_("There is no such slot template."))
        if what == "unit":
            raise NotFound("unknown_unit", N_("There is no mobile unit {id}."), id=raw[:12])
        if what == "token":
            raise NotFound("unknown_token", N_("There is no token {id}."), id=raw[:12])
        raise NotFound("unknown_counter", N_("There is no counter {id}."), id=raw[:12])
    return value


async def with_write_session(conn: HTTPConnection, fn: Callable[[Session], T]) -> T:
    """A write that publishes nothing (a provider's delivery report, say)."""
    return await ctx(conn).runner.write(fn)
