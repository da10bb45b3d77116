"""Operations: readiness (`/readyz`) and Prometheus metrics (`/metrics`).

Counters and histograms live in this process (prometheus_client's default registry):
with several workers each process counts its own requests. Gauges are read from the
database at scrape time, so every worker reports the same queue and outbox.
Labels carry route templates, slugs and statuses only: never a raw path (tracking
tokens, ids), a phone number or a name."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reception.clock import utcnow
from reception.db import session_scope
from reception.notify.models import OutgoingSms, SmsStatus
from reception.queue.models import Branch, Hall, Ticket, TicketStatus

log = logging.getLogger("reception.metrics")

HTTP_REQUESTS = Counter(
    "reception_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "reception_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BROADCAST_EVENTS = Counter(
    "reception_broadcast_events_published",
    "Live events published to displays and consoles after a committed action.",
)
WRITE_BATCHES = Histogram(
    "reception_write_batch_size",
    "Actions committed together by one group commit on SQLite.",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
SMS_RESULTS = Counter(
    "reception_sms_results",
    "Outcomes of SMS send attempts reported by the backend.",
    ["outcome"],
)
for _outcome in ("sent", "retry", "failed"):
    SMS_RESULTS.labels(outcome=_outcome)
INBOUND_REPLAYS = Counter(
    "reception_sms_inbound_replays",
    "Signed inbound SMS webhooks delivered again with a message id already handled (ignored).",
)

UNMATCHED = "<unmatched>"
READY_TIMEOUT_SECONDS = 3.0


# --- HTTP middleware ---------------------------------------------------------------


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/t/{token}`), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestMetrics:
    """Counts each HTTP request and times it; websockets and lifespan pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = str(scope.get("method", "GET"))
            route = route_template(scope)
            HTTP_REQUESTS.labels(method, route, f"{status // 100}xx").inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)


# --- reads at scrape time -----------------------------------------------------------


def waiting_by_hall(session: Session) -> list[tuple[str, str, int, datetime | None]]:
    """(branch slug, hall slug, waiting tickets, when the longest waiting one was issued)
    for every hall, empty halls included."""
    rows = session.exec(
        select(Branch.slug, Hall.slug, func.count(col(Ticket.id)), func.min(col(Ticket.issued_at)))
        .join(Hall, col(Hall.branch_id) == col(Branch.id))
        .join(
            Ticket,
            and_(col(Ticket.hall_id) == col(Hall.id), col(Ticket.status) == TicketStatus.waiting),
            isouter=True,
        )
        .group_by(col(Branch.slug), col(Hall.slug))
        .order_by(col(Branch.slug), col(Hall.slug))
    )
    return [(branch, hall, int(count), oldest) for branch, hall, count, oldest in rows]


def outbox_by_status(session: Session) -> dict[str, int]:
    """Messages in the SMS outbox per status, every status included."""
    counts = dict.fromkeys((status.value for status in SmsStatus), 0)
    rows = session.exec(
        select(OutgoingSms.status, func.count(col(OutgoingSms.id))).group_by(
            col(OutgoingSms.status)
        )
    )
    for status, count in rows:
        counts[str(status)] = int(count)
    return counts


def database_gauges(engine: Engine) -> list[Metric]:
    with session_scope(engine) as session:
        waiting = waiting_by_hall(session)
        outbox = outbox_by_status(session)
    tickets = GaugeMetricFamily(
        "reception_tickets_waiting",
        "Tickets waiting to be called, per branch and hall.",
        labels=["branch", "hall"],
    )
    longest = GaugeMetricFamily(
        "reception_longest_wait_seconds",
        "How long the longest waiting ticket has waited, per branch and hall (0: nobody waits).",
        labels=["branch", "hall"],
    )
    now = utcnow()
    for branch, hall, count, oldest in waiting:
        tickets.add_metric([branch, hall], count)
        waited = (now - oldest).total_seconds() if oldest is not None else 0.0
        longest.add_metric([branch, hall], max(0.0, waited))
    sms = GaugeMetricFamily(
        "reception_sms_outbox", "Messages in the SMS outbox, per status.", labels=["status"]
    )
    for status, count in outbox.items():
        sms.add_metric([status], count)
    return [tickets, longest, sms]


class _Fixed(Collector):
    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics = list(metrics)

    def collect(self) -> Iterator[Metric]:
        return iter(self.metrics)


def exposition(engine: Engine) -> bytes:
    """This process's counters and histograms, then the gauges read from the database.
    A database that does not answer leaves the gauges out and sets
    `reception_database_up 0`."""
    gauges: list[Metric]
    up = GaugeMetricFamily(
        "reception_database_up", "1 when the gauges could be read from the database."
    )
    try:
        gauges = database_gauges(engine)
        up.add_metric([], 1)
    except Exception as exc:  # the scrape still answers; the gauge says what is missing
        log.warning("metrics: database gauges unavailable: %s", type(exc).__name__)
        gauges = []
        up.add_metric([], 0)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Fixed([up, *gauges]))
    return generate_latest(REGISTRY) + generate_latest(scraped)


# --- endpoints ----------------------------------------------------------------------


def _from_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bearer_matches(request: Request, token: str) -> bool:
    if not token:
        return False
    sent = request.headers.get("authorization", "")
    if not sent.lower().startswith("bearer "):
        return False
    return secrets.compare_digest(sent[7:].strip().encode(), token.encode())


async def metrics(request: Request) -> Response:
    """Loopback callers, or anyone with `METRICS_TOKEN` as a bearer token."""
    app = request.app.state.ctx
    if not (_from_loopback(request) or _bearer_matches(request, app.settings.metrics_token)):
        return PlainTextResponse(
            "forbidden\n", status_code=403, headers={"WWW-Authenticate": "Bearer"}
        )
    body = await run_in_threadpool(exposition, app.read_engine)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _check_database(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar_one()


async def _check_broadcast(broadcaster: Any) -> None:
    """Memory needs nothing; Redis answers PING; PostgreSQL's connections are open.
    A backend's reader task that ended means it no longer receives other workers'
    events."""
    reader = getattr(broadcaster, "reader", None)
    if reader is not None and reader.done():
        raise ConnectionError("reader stopped")
    client = getattr(broadcaster, "client", None)
    if client is not None and hasattr(client, "ping"):
        await client.ping()
        return
    for name in ("listener", "publisher"):
        if hasattr(broadcaster, name):
            conn = getattr(broadcaster, name)
            if conn is None or conn.closed:
                raise ConnectionError(f"{name} closed")
    if hasattr(broadcaster, "client") and client is None:
        raise ConnectionError("not connected")


async def readyz(request: Request) -> Response:
    """Ready to take traffic: the database answers and the broadcast is connected.
    The body names the checks and their result only (no URL, host or message)."""
    app = request.app.state.ctx
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(
            run_in_threadpool(_check_database, app.read_engine), READY_TIMEOUT_SECONDS
        )
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        checks["database"] = "failing"
    try:
        await asyncio.wait_for(_check_broadcast(app.broadcaster), READY_TIMEOUT_SECONDS)
        checks["broadcast"] = "ok"
    except Exception as exc:
        log.warning("readiness: broadcast check failed: %s", type(exc).__name__)
        checks["broadcast"] = "failing"
    ready = all(result == "ok" for result in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


routes = [
    Route("/readyz", readyz),
    Route("/metrics", metrics),
]
