"""`create_app(settings)`: the Starlette application and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reception import PACKAGE_DIR
from reception.api.all_routes import routes as api_routes
from reception.auth.guard import malformed_link
from reception.auth.live import follow_access
from reception.auth.queries import current_access
from reception.auth.throttle import GuessLimits
from reception.clock import Clock
from reception.db import make_engine, reader_slots, writer_slots
from reception.display.routes import routes as display_routes
from reception.edge.background import held, start_pusher, unit_settings
from reception.edge.capture import install as install_capture
from reception.edge.node import load_node, sends_sms_here
from reception.errors import N_, DomainError, TooManyRequests, Unauthorized
from reception.events import create_broadcaster
from reception.inputs import InputGuard, to_int
from reception.kiosk.remote import routes as kiosk_remote_routes
from reception.kiosk.routes import routes as kiosk_routes
from reception.letters.suggest import Suggestions, run_suggestions
from reception.metrics import RequestMetrics
from reception.metrics import routes as monitoring_routes
from reception.notify.backends import create_backend
from reception.notify.worker import run_worker
from reception.queue.housekeeping import run_housekeeping
from reception.settings import LANGUAGES, Settings, load_settings
from reception.staff.account import routes as account_routes
from reception.staff.admin import routes as admin_screen_routes
from reception.staff.agenda import routes as meeting_screen_routes
from reception.staff.appointments import routes as appointment_screen_routes
from reception.staff.dashboard import routes as dashboard_routes
from reception.staff.device import routes as device_routes
from reception.staff.edge_units import routes as edge_unit_screen_routes
from reception.staff.letters import routes as letter_routes
from reception.staff.remote_admin import routes as remote_admin_screen_routes
from reception.staff.reports import routes as report_screen_routes
from reception.staff.routes import routes as staff_routes
from reception.staff.sync import routes as sync_routes
from reception.track.join import routes as join_routes
from reception.track.meeting import routes as meeting_answer_routes
from reception.track.rating import routes as feedback_routes
from reception.track.remote import routes as remote_track_routes
from reception.track.routes import routes as track_routes
from reception.web import (
    AppContext,
    error_text,
    language_of,
    make_templates,
    render,
    session_expired,
    t,
    with_session,
)

log = logging.getLogger("reception")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_error(
    code: str,
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> Response:
    return JSONResponse(
        {"error": {"code": code, "message": message}, **(details or {})},
        status_code=status,
        headers=headers,
    )


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    message = error_text(request, exc)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    if _is_api(request):
        return api_error(exc.code, message, exc.status_code, headers, exc.details)
    if isinstance(exc, Unauthorized):
        if request.scope.get("signed_out_device"):  # a revoked device token
            message = N_("This screen was signed out. Pair it again with a new token.")
            request.session["flash"] = {"text": t(request, message), "kind": "info"}
            return RedirectResponse("/device", status_code=303)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            referer = urlsplit(request.headers.get("referer", ""))
            same_site = referer.netloc == request.url.netloc
            target = (referer.path or "/") + (f"?{referer.query}" if referer.query else "")
            target = target if same_site else "/staff"
        return RedirectResponse("/staff/login?" + urlencode({"next": target}), status_code=303)
    response = render(request, "error.html", {"message": message}, status_code=exc.status_code)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


_HTTP_MESSAGES = {
    404: N_("This page does not exist."),
    405: N_("This method is not allowed here."),
    400: N_("The request could not be understood."),
}


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = t(
        request, _HTTP_MESSAGES.get(exc.status_code, N_("The request could not be understood."))
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    if _is_api(request):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return api_error(code, message, exc.status_code, headers or None)
    response = render(request, "error.html", {"message": message}, status_code=exc.status_code)
    response.headers.update(headers)
    return response


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (one path may have a route per method)."""
    methods: set[str] = set()
    scope = {**request.scope, "method": "GET"}
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(scope)
            if match != Match.NONE:
                methods |= route.methods
    return ", ".join(sorted(methods))


async def on_db_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", type(exc).__name__)
    message = t(request, N_("The service is busy for a moment. Please try again."))
    if _is_api(request):
        return api_error("unavailable", message, 503, {"Retry-After": "2"})
    response = render(request, "error.html", {"message": message}, status_code=503)
    response.headers["Retry-After"] = "2"
    return response


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    message = t(request, N_("Something went wrong on our side. Please try again."))
    if _is_api(request):
        return api_error("internal", message, 500)
    return render(request, "error.html", {"message": message}, status_code=500)


class BodyLimit:
    """Refuse request bodies over `max_bytes` (413) before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if scope["path"].endswith("/attachments"):
            limit = self.upload_bytes
        elif scope["path"] == "/api/v1/edge/push":  # a batch, or one attachment in base64
            limit = max(self.max_bytes, 16 * 1024 * 1024, self.upload_bytes * 3 // 2)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        size = to_int(declared.decode("latin-1"), high=10**18) if declared else None
        if size is not None and size > limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = t(Request(scope), N_("The request body is too large."))
        response = JSONResponse(
            {"error": {"code": "too_large", "message": message}}, status_code=413
        )
        await response(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class SecurityHeaders:
    """Strict defaults: no inline script, no framing, no caching of staff pages."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    )

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = {
                    b"content-security-policy": self.CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"x-frame-options": b"DENY",
                }
                if not path.startswith("/static/"):
                    extra[b"cache-control"] = b"no-store"
                if self.hsts:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def home(request: Request) -> Response:
    return render(request, "home.html")


async def choose_language(request: Request) -> Response:
    language = request.query_params.get("to", "")
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if language in LANGUAGES:
        request.session["lang"] = language
    return RedirectResponse(target, status_code=303)


async def favicon(request: Request) -> Response:
    """Browsers ask for `/favicon.ico` on every site; the icon ships in `static/`."""
    return FileResponse(
        PACKAGE_DIR / "static" / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


class ReceptionApp(Starlette):
    """Starlette, except that websockets skip the middlewares that act on HTTP only
    (each would pass the socket straight on). A hall display's socket stays open for
    days, and every layer it passes through keeps a frame alive as long: with 2,000
    displays on one worker these layers alone held about 3 MB."""

    HTTP_ONLY: tuple[type, ...] = (RequestMetrics, SecurityHeaders, BodyLimit, InputGuard)
    socket_stack: ASGIApp | None = None

    def build_socket_stack(self) -> ASGIApp:
        handlers = {k: v for k, v in self.exception_handlers.items() if k not in (500, Exception)}
        app: ASGIApp = ExceptionMiddleware(self.router, handlers=handlers, debug=self.debug)
        for cls, args, kwargs in reversed(self.user_middleware):
            if cls not in self.HTTP_ONLY:
                app = cls(app, *args, **kwargs)
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        if self.socket_stack is None:
            self.socket_stack = self.build_socket_stack()
        await self.socket_stack(scope, receive, send)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    settings = settings or load_settings()
    clock = clock or Clock()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        engine = make_engine(settings.database_url, synchronous=settings.sqlite_synchronous)
        read_engine = (
            make_engine(settings.database_url, readonly=True)
            if settings.database_url.startswith("sqlite")
            else engine
        )
        node = load_node(engine)
        if node is not None:  # a mobile unit: capture its records, links point at the centre
            install_capture(engine)
        run_settings = unit_settings(settings, node)
        broadcaster = create_broadcaster(settings.broadcast_url)
        await broadcaster.connect()
        sms_backend = create_backend(settings)
        app.state.ctx = AppContext(
            settings=run_settings,
            engine=engine,
            read_engine=read_engine,
            writers=anyio.CapacityLimiter(writer_slots(engine)),
            readers=anyio.CapacityLimiter(reader_slots(read_engine, engine)),
            clock=clock,
            broadcaster=broadcaster,
            templates=make_templates(run_settings, edge_unit=node is not None),
        )
        app.state.sms_backend = sms_backend
        # Wrong passwords, links and appointment codes: counted in the database, so
        # every worker sees the same count (limits from the settings).
        app.state.guess_limits = GuessLimits.from_settings(settings)
        stop = asyncio.Event()
        background = start_pusher(engine, clock, run_settings, node, stop)
        worker = asyncio.create_task(
            run_worker(
                engine,
                clock,
                sms_backend,
                settings.sms_worker_interval_seconds,
                settings.sms_max_attempts,
                stop,
                settings.send_policy(),
            )
            if sends_sms_here(node)
            else held(stop)
        )
        housekeeping = asyncio.create_task(
            run_housekeeping(
                engine,
                clock,
                broadcaster,
                settings.housekeeping_interval_seconds,
                stop,
                run_settings.public_base_url,
                strike_max_age=max(settings.login_lock_seconds, settings.guess_window_seconds),
            )
        )
        context = app.state.ctx

        async def check_access(users: set[int], tokens: set[int], sessions: set[int]) -> Any:
            return await anyio.to_thread.run_sync(
                with_session,
                read_engine,
                lambda s: current_access(s, users, tokens, sessions),
                limiter=context.readers,
            )

        access = asyncio.create_task(
            follow_access(
                broadcaster,
                context.sockets,
                check_access,
                lambda principal, started: session_expired(context, principal, started),
                settings.access_recheck_seconds,
                context.bearers,
            )
        )
        app.state.suggestions = Suggestions(
            engine, read_engine, clock, enabled=settings.suggestions_enabled
        )
        retraining = asyncio.create_task(
            run_suggestions(app.state.suggestions, settings.suggestion_check_seconds, stop)
        )
        # Everything built so far (routes, templates, catalogs, metadata) lives as long
        # as the process: move it out of the collector's sight, so its passes under
        # load (thousands of display sockets) only scan what requests create.
        if getattr(app.state, "serving", False):  # a server process, not a test harness
            gc.collect()
            gc.freeze()
        try:
            yield {}
        finally:
            stop.set()
            # Leaving the access channel needs the broadcast server: when it is gone the
            # follower cannot finish until the broadcaster itself is closed below.
            access.cancel()
            await asyncio.wait({access}, timeout=2.0)
            if background:  # a push cut off here is sent again at the next start
                _, unfinished = await asyncio.wait(background, timeout=2.0)
                for task in unfinished:
                    task.cancel()
            for task in (worker, housekeeping, retraining, *background):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await broadcaster.disconnect()
            await asyncio.wait({access}, timeout=2.0)
            close = getattr(sms_backend, "close", None)
            if close is not None:
                close()
            engine.dispose()
            read_engine.dispose()

    routes = [
        Route("/", home, name="home"),
        Route("/lang", choose_language, name="lang"),
        Route("/healthz", healthz),
        Route("/favicon.ico", favicon, methods=["GET"]),
        *monitoring_routes,
        Mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static"),
        *kiosk_routes,
        *kiosk_remote_routes,
        *admin_screen_routes,
        *remote_admin_screen_routes,
        *edge_unit_screen_routes,
        *account_routes,
        *staff_routes,
        *device_routes,
        *letter_routes,
        *appointment_screen_routes,
        *display_routes,
        *track_routes,
        *remote_track_routes,
        *join_routes,
        *api_routes,
        *report_screen_routes,
        *dashboard_routes,
        *meeting_screen_routes,
        *meeting_answer_routes,
        *feedback_routes,
        *sync_routes,
    ]
    middleware = [
        Middleware(RequestMetrics),
        Middleware(SecurityHeaders, hsts=settings.public_base_url.startswith("https://")),
        Middleware(
            BodyLimit,
            max_bytes=settings.max_body_bytes,
            upload_bytes=settings.max_upload_bytes,
        ),
        Middleware(
            SessionMiddleware,
            secret_key=settings.secret_key,
            session_cookie="reception_session",
            max_age=400 * 24 * 3600,  # devices stay signed in; staff expiry is checked per request
            same_site="lax",
            https_only=settings.secure_cookies,
        ),
        Middleware(InputGuard, on_error=on_domain_error, on_bad_link=malformed_link),
    ]
    return ReceptionApp(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            DomainError: on_domain_error,
            HTTPException: on_http_error,
            OperationalError: on_db_unavailable,
            Exception: on_unexpected,
        },
    )


def create_app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` and `reception serve`."""
    logging.basicConfig(level=load_settings().log_level.upper())
    app = create_app()
    app.state.serving = True
    return app


__all__ = ["create_app", "create_app_from_env", "language_of"]
