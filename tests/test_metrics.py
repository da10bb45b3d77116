"""Monitoring: liveness, readiness and Prometheus metrics, and who may read them."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from reception.app import create_app
from reception.settings import Settings
from tests.conftest import make_settings, missing, uses_backend
from tests.factories import World
from tests.helpers import bearer, wait_until

TOKEN = "metrics-" + "x" * 32
LOOPBACK = ("127.0.0.1", 40000)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def monitored(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    """The app with a metrics token, seen from a loopback address."""
    settings = make_settings(database_url, tmp_path / "var", metrics_token=TOKEN)
    with TestClient(create_app(settings), raise_server_exceptions=False, client=LOOPBACK) as c:
        yield c


def test_liveness_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"ready": True, "checks": {"database": "ok", "broadcast": "ok"}}
    assert r.headers["cache-control"] == "no-store"


def test_metrics_only_from_loopback_or_with_the_token(
    database_url: str, tmp_path: Path, world: World
) -> None:
    settings = make_settings(database_url, tmp_path / "var", metrics_token=TOKEN)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, client=("203.0.113.9", 5000)) as remote:
        assert remote.get("/metrics").status_code == 403
        wrong = remote.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403 and "reception_" not in wrong.text
        right = remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200 and "reception_tickets_waiting" in right.text
        assert right.headers["content-type"].startswith("text/plain")
    with TestClient(app, raise_server_exceptions=False, client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 200
    unset = make_settings(database_url, tmp_path / "var2")
    assert isinstance(unset, Settings) and unset.metrics_token == ""
    with TestClient(
        create_app(unset), raise_server_exceptions=False, client=("203.0.113.9", 5000)
    ) as remote:
        # No token configured: an empty bearer token must not open the door.
        assert remote.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 403


def test_gauges_read_the_queue_and_the_outbox_at_scrape_time(
    monitored: TestClient, world: World
) -> None:
    before = monitored.get("/metrics").text
    assert value(before, "reception_tickets_waiting", branch="riyadh", hall="men") == 0
    assert value(before, "reception_database_up") == 1
    kiosk = bearer(world, "kiosk")
    for hall, phone in (("men", "0551234567"), ("men", None), ("women", None)):
        body = {"branch": "riyadh", "hall": hall, "service": "letter"}
        if phone:
            body["phone"] = phone
        assert monitored.post("/api/v1/tickets", json=body, headers=kiosk).status_code == 201
    after = monitored.get("/metrics").text
    assert value(after, "reception_tickets_waiting", branch="riyadh", hall="men") == 2
    assert value(after, "reception_tickets_waiting", branch="riyadh", hall="women") == 1
    assert value(before, "reception_longest_wait_seconds", branch="riyadh", hall="men") == 0
    assert value(after, "reception_longest_wait_seconds", branch="riyadh", hall="men") > 0
    outbox = {
        status: value(after, "reception_sms_outbox", status=status)
        for status in ("pending", "sending", "sent", "failed")
    }
    assert sum(outbox.values()) >= 1  # the ticket's "issued" SMS, wherever the worker is
    assert "0551234567" not in after and "966551234567" not in after


def test_requests_are_counted_by_route_template_never_by_path(
    monitored: TestClient, world: World
) -> None:
    route = "/t/{token}"
    before = monitored.get("/metrics").text
    secret_path = "/t/this-is-a-secret-tracking-token"
    monitored.get(secret_path)
    monitored.get("/no/such/page/12345")
    monitored.get("/healthz")
    after = monitored.get("/metrics").text
    # (not "12345" alone: the `_created` timestamps are floats that may contain it)
    assert "this-is-a-secret-tracking-token" not in after
    assert "/no/such/page" not in after and "12345}" not in after and '12345"' not in after
    tracked = [
        value(text, "reception_http_requests_total", method="GET", route=route, status="4xx")
        for text in (before, after)
    ]
    assert tracked[1] - tracked[0] == 1
    missing = [
        value(
            text, "reception_http_requests_total", method="GET", route="<unmatched>", status="4xx"
        )
        for text in (before, after)
    ]
    assert missing[1] - missing[0] == 1
    count = [
        value(text, "reception_http_request_duration_seconds_count", method="GET", route="/healthz")
        for text in (before, after)
    ]
    assert count[1] - count[0] == 1


def test_published_events_and_sms_outcomes_are_counted(monitored: TestClient, world: World) -> None:
    before = monitored.get("/metrics").text
    kiosk = bearer(world, "kiosk")
    body = {"branch": "riyadh", "hall": "men", "service": "letter", "phone": "0551234567"}
    assert monitored.post("/api/v1/tickets", json=body, headers=kiosk).status_code == 201

    def sent_and_counted() -> str | None:
        after = monitored.get("/metrics").text
        counted = value(after, "reception_sms_results_total", outcome="sent") > value(
            before, "reception_sms_results_total", outcome="sent"
        )
        return (
            after if counted and value(after, "reception_sms_outbox", status="sent") >= 1 else None
        )

    after = wait_until(sent_and_counted, "the sent SMS in the metrics")
    assert value(after, "reception_sms_results_total", outcome="sent") > value(
        before, "reception_sms_results_total", outcome="sent"
    )
    assert value(after, "reception_broadcast_events_published_total") > value(
        before, "reception_broadcast_events_published_total"
    )
    assert value(after, "reception_sms_outbox", status="sent") >= 1


def test_a_database_that_cannot_be_opened_is_a_503_and_then_recovers(
    seeded_sqlite_template: tuple[Path, World], tmp_path: Path
) -> None:
    """A real outage: the database's volume is not there yet (its folder is missing,
    so SQLite cannot open the file). Then it appears, and the next request works."""
    template, world = seeded_sqlite_template
    mount = tmp_path / "volume"
    settings = make_settings(f"sqlite:///{mount / 'reception.sqlite3'}", tmp_path / "var")
    kiosk = bearer(world, "kiosk")
    with TestClient(create_app(settings), raise_server_exceptions=False, client=LOOPBACK) as c:
        r = c.get("/api/v1/branches", headers=kiosk)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "2"
        assert r.json()["error"]["code"] == "unavailable"
        assert "Traceback" not in r.text and "sqlite" not in r.text.lower()
        page = c.get("/t/some-tracking-token")
        assert page.status_code == 503 and page.headers["retry-after"] == "2"
        assert "Traceback" not in page.text
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {
            "ready": False,
            "checks": {"database": "failing", "broadcast": "ok"},
        }
        assert str(mount) not in ready.text
        scrape = c.get("/metrics")
        assert scrape.status_code == 200
        assert value(scrape.text, "reception_database_up") == 0
        assert str(mount) not in scrape.text

        staging = tmp_path / "staging"
        staging.mkdir()
        shutil.copyfile(template, staging / "reception.sqlite3")
        staging.rename(mount)  # the whole volume appears at once

        r = c.get("/api/v1/branches", headers=kiosk)
        assert r.status_code == 200, r.text
        assert c.get("/readyz").status_code == 200
        assert value(c.get("/metrics").text, "reception_database_up") == 1


@pytest.fixture
def own_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test alone, so the test may stop it."""
    uses_backend("redis")
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        missing("Redis: redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.redis
def test_readiness_fails_when_the_broadcast_server_goes_away(
    own_redis: tuple[str, subprocess.Popen[bytes]], database_url: str, tmp_path: Path, world: World
) -> None:
    url, proc = own_redis
    settings = make_settings(database_url, tmp_path / "var", broadcast_url=url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.get("/readyz").json() == {
            "ready": True,
            "checks": {"database": "ok", "broadcast": "ok"},
        }
        proc.terminate()
        proc.wait(timeout=10)
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json() == {"ready": False, "checks": {"database": "ok", "broadcast": "failing"}}
        assert "127.0.0.1" not in r.text and "redis" not in r.text.lower()
