"""The deployment the README describes, run for real: PostgreSQL, Redis,
`reception serve --workers 2` and nginx in front of it with TLS, rendered from
`deploy/nginx.conf`. Chromium takes a ticket at the kiosk and calls it from the
staff console through nginx; the hall display, connected over wss:// through nginx,
shows the call without a reload, and displays held by either worker get it."""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.browser import free_port, screenshot
from tests.conftest import missing, postgres_copy, postgres_database_url, require_postgres
from tests.servers import (
    Server,
    end_processes,
    established_peer_ports,
    has_connection_to,
    reception_server,
)
from tests.test_browser import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.stress,
    pytest.mark.timeout(300),
]

ROOT = Path(__file__).resolve().parent.parent
NGINX_SITE = ROOT / "deploy" / "nginx.conf"
SECRET = "scaleout-test-secret-key-0123456789abcdef"
CLI_SECONDS = 120
START_SECONDS = 60  # two workers importing the app on a busy 2-core CI machine
WAIT_SECONDS = 20.0
MIN_SOCKETS = 4
MAX_SOCKETS = 24


# --- the pieces -------------------------------------------------------------------


def _binary(name: str, *fallbacks: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((path for path in fallbacks if Path(path).exists()), None)


@pytest.fixture
def nginx_binary() -> str:
    binary = _binary("nginx", "/usr/sbin/nginx")
    if binary is None:
        missing("nginx: the nginx binary is not installed (Debian package nginx)")
    assert binary is not None
    return binary


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the test's stand-in for the real one)."""
    openssl = _binary("openssl", "/usr/bin/openssl")
    if openssl is None:
        missing("openssl: needed to make the test's TLS certificate")
    assert openssl is not None
    cert, key = tmp_path / "tls" / "fullchain.pem", tmp_path / "tls" / "privkey.pem"
    cert.parent.mkdir()
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty database of its own on the TEST_DATABASE_URL server, dropped afterwards."""
    require_postgres()
    with postgres_copy(None, "reception_scale_") as name:
        yield postgres_database_url(name)


def reception_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    """`python -m reception.cli …` as an operator types it, with the deployment's env."""
    result = subprocess.run(
        [sys.executable, "-m", "reception.cli", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
    )
    assert result.returncode == 0, f"reception {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def demo_logins(var: Path) -> dict[str, str]:
    logins = {}
    for line in (var / "demo-logins.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            user, password = line.split(":", 1)
            logins[user.strip()] = password.strip()
    return logins


def render_site(app_port: int, https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx.conf with the test's addresses: every substitution must apply, so the
    file users copy and the file this test runs cannot drift apart unnoticed."""
    site = NGINX_SITE.read_text()
    upstreams = re.findall(r"^\s*server 10\.0\.0\.\d+:8000 [^;]*;\n", site, flags=re.M)
    assert len(upstreams) >= 2, "deploy/nginx.conf: the upstream should list several hosts"
    # One `reception serve --workers 2` on one port stands in for the hosts.
    site = site.replace(upstreams[0], f"    server 127.0.0.1:{app_port} max_fails=3;\n")
    for line in upstreams[1:]:
        site = site.replace(line, "")
    substitutions = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/ssl/reception/fullchain.pem": str(cert),
        "/etc/ssl/reception/privkey.pem": str(key),
    }
    for old, new in substitutions.items():
        assert site.count(old) == 1, f"deploy/nginx.conf no longer has {old!r} once"
        site = site.replace(old, new)
    return site


@dataclass
class Nginx:
    proc: subprocess.Popen[bytes]
    prefix: Path
    processes: dict[int, psutil.Process]

    def log(self) -> str:
        parts = []
        for name in ("error.log", "stderr.log"):
            path = self.prefix / name
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def remember_workers(self) -> None:
        try:
            for child in psutil.Process(self.proc.pid).children():
                self.processes.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def stop(self) -> None:
        """Fast shutdown of the master (it ends its workers); whatever is left of the
        processes it started is killed by PID."""
        self.remember_workers()
        end_processes(self.proc, self.processes)


def _port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running_nginx(binary: str, site: str, prefix: Path, ports: tuple[int, ...]) -> Iterator[Nginx]:
    """nginx in the foreground with its own configuration, pid file, logs and
    temporary folders under `prefix`; `site` is included in its http block."""
    prefix.mkdir()
    (prefix / "reception.conf").write_text(site)
    temp = {
        name: prefix / name
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")  # all of nginx's
    }
    for folder in temp.values():
        folder.mkdir()
    # A root master hands its workers to `nobody` unless told otherwise; they must
    # read this folder, which pytest made for root alone.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}worker_processes 2;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log {prefix / 'access.log'};\n"
        f"    client_body_temp_path {temp['client_body']};\n"
        f"    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n"
        f"    uwsgi_temp_path {temp['uwsgi']};\n"
        f"    scgi_temp_path {temp['scgi']};\n"
        f"    include {prefix / 'reception.conf'};\n"
        "}\n"
    )
    conf = prefix / "nginx.conf"
    conf.write_text(main)
    command = [binary, "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "error.log")]
    checked = subprocess.run(
        [*command, "-t", "-q"], capture_output=True, text=True, timeout=CLI_SECONDS
    )
    assert checked.returncode == 0, f"nginx -t refused the configuration:\n{checked.stderr}"
    with (prefix / "stderr.log").open("wb") as sink:
        proc = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdout=sink, stderr=subprocess.STDOUT
        )
    nginx = Nginx(proc, prefix, {proc.pid: psutil.Process(proc.pid)})
    try:
        deadline = time.monotonic() + 20
        while not all(_port_open(port) for port in ports):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{nginx.log()}")
            time.sleep(0.1)
        nginx.remember_workers()
        yield nginx
    finally:
        nginx.stop()


def wait_for_workers(server: Server, redis_port: int, count: int) -> list[psutil.Process]:
    """The uvicorn worker processes, once each holds its Redis connection."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        workers = server.workers()
        if len(workers) == count and all(has_connection_to(w, redis_port) for w in workers):
            return workers
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} workers not ready:\n{server.output()}")
        time.sleep(0.1)


def held_sockets(workers: list[psutil.Process], port: int) -> dict[int, int]:
    """Open connections each worker accepted from nginx. nginx closes plain requests'
    upstream connections (`Connection: close`), so what stays open is websockets."""
    return {w.pid: len(established_peer_ports(w, port)) for w in workers}


def next_event(ws: ClientConnection, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no display message in time")
        message = json.loads(ws.recv(timeout=remaining))
        assert isinstance(message, dict)
        if message.get("type") != "heartbeat":
            return message


def wait_until(condition: Any, what: str, timeout: float = WAIT_SECONDS, page: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if page is not None:
            page.wait_for_timeout(100)  # lets Playwright deliver its events meanwhile
        else:
            time.sleep(0.1)


def open_page(browser: Any, base: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, bypass_csp=True, ignore_https_errors=True)
    context.set_default_timeout(WAIT_SECONDS * 1000)
    context.set_default_navigation_timeout(WAIT_SECONDS * 1000)
    return context.new_page()


def sign_in_as(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


# --- the test --------------------------------------------------------------------------


def test_journey_through_nginx_with_two_workers(
    browser: Any,
    nginx_binary: str,
    certificate: tuple[Path, Path],
    redis_url: str,
    fresh_postgres: str,
    tmp_path: Path,
) -> None:
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    base = f"https://127.0.0.1:{https_port}"
    var = tmp_path / "var"
    env = {
        "DATABASE_URL": fresh_postgres,
        "BROADCAST_URL": redis_url,
        "SECRET_KEY": SECRET,
        "VAR_DIR": str(var),
        "SMS_BACKEND": "console",
        "PUBLIC_BASE_URL": base,
        "SECURE_COOKIES": "true",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    reception_cli(env, tmp_path, "migrate")
    reception_cli(env, tmp_path, "demo")
    logins = demo_logins(var)
    cert, key = certificate
    tls = ssl.create_default_context(cafile=str(cert))
    redis_port = int(redis_url.rsplit(":", 1)[1].split("/", 1)[0])
    site = render_site(app_port, https_port, http_port, cert, key)

    with (
        reception_server(
            env,
            tmp_path / "server.log",
            workers=2,
            port=app_port,
            cwd=tmp_path,
            start_seconds=START_SECONDS,
        ) as server,
        running_nginx(nginx_binary, site, tmp_path / "nginx", (https_port, http_port)) as nginx,
        ExitStack() as cleanup,
    ):
        workers = wait_for_workers(server, redis_port, 2)
        assert len({w.pid for w in workers}) == 2

        # Plain HTTP is sent to HTTPS; over HTTPS the application knows it is behind
        # TLS (X-Forwarded-Proto from a trusted proxy): HSTS, secure cookies.
        request = urllib.request.Request(f"http://127.0.0.1:{http_port}/kiosk", method="GET")
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirected:
            opener.open(request, timeout=10)
        assert redirected.value.code == 301
        assert redirected.value.headers["Location"].startswith("https://")
        with urllib.request.urlopen(f"{base}/staff/login", timeout=10, context=tls) as response:
            assert response.status == 200
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
            cookie = response.headers["Set-Cookie"] or ""
            assert "reception_session=" in cookie and "secure" in cookie.lower(), cookie
            assert f'"{base}/static/' in response.read().decode(), "links are not https://"
        with urllib.request.urlopen(f"{base}/readyz", timeout=10, context=tls) as response:
            ready = json.loads(response.read())
        assert ready == {"ready": True, "checks": {"database": "ok", "broadcast": "ok"}}

        # The hall display, live over wss:// through nginx.
        display = open_page(browser, base, {"width": 1920, "height": 1080})
        cleanup.callback(display.context.close)
        sockets: list[str] = []
        frames: list[str] = []

        def watch(ws: Any) -> None:
            sockets.append(ws.url)
            ws.on("framereceived", lambda payload: frames.append(str(payload)))

        display.on("websocket", watch)
        sign_in_as(display, base, "display-men", logins["display-men"])
        assert display.url == f"{base}/display", display.url
        wait_until(
            lambda: any('"snapshot"' in f for f in frames), "the display's snapshot", page=display
        )
        assert sockets and sockets[0].startswith(f"wss://127.0.0.1:{https_port}/display/ws")
        display.evaluate("() => { window.__sameDocument = true; }")
        assert_accessible(display)

        # More displays of the same hall, until both workers hold some of them.
        cookie_jar = {c["name"]: c for c in display.context.cookies()}
        assert cookie_jar["reception_session"]["secure"], "SECURE_COOKIES had no effect"
        session = cookie_jar["reception_session"]["value"]
        extra: list[ClientConnection] = []
        snapshots: list[dict[str, Any]] = []
        held: dict[int, int] = {}
        while len(extra) < MIN_SOCKETS or min(held.values(), default=0) == 0:
            assert len(extra) < MAX_SOCKETS, f"every display ended up on one worker: {held}"
            ws = cleanup.enter_context(
                connect(
                    f"wss://127.0.0.1:{https_port}/display/ws?hall=men",
                    ssl=tls,
                    additional_headers={"Cookie": f"reception_session={session}"},
                    open_timeout=WAIT_SECONDS,
                    close_timeout=5,
                )
            )
            extra.append(ws)
            snapshot = next_event(ws)
            assert snapshot["type"] == "snapshot" and snapshot["hall"] == "men", snapshot
            snapshots.append(snapshot)
            held = held_sockets(workers, app_port)
        assert sum(held.values()) >= len(extra) + 1, held  # + the browser's display

        # A visitor takes a ticket at the kiosk.
        kiosk = open_page(browser, base, {"width": 1280, "height": 1024})
        cleanup.callback(kiosk.context.close)
        sign_in_as(kiosk, base, "kiosk", logins["kiosk"])
        assert kiosk.url == f"{base}/kiosk", kiosk.url
        kiosk.get_by_role("link", name="قاعة الرجال").click()
        kiosk.get_by_role("link", name="تسليم خطاب لمعالي الوزير").click()
        kiosk.get_by_role("link", name="لا، لا شيء مما سبق").click()
        kiosk.get_by_role("button", name="بدون رسالة، اطبع تذكرتي فقط").click()
        kiosk.locator("#ticket-number").wait_for()
        ticket = kiosk.locator("#ticket-number").inner_text().strip()
        assert re.fullmatch(r"M-\d{3}", ticket), ticket
        screenshot(kiosk, "scaleout-kiosk-ticket")

        # The operator at counter 2 calls the next visitor, then the kiosk's ticket.
        operator = open_page(browser, base, {"width": 1280, "height": 900})
        cleanup.callback(operator.context.close)
        sign_in_as(operator, base, "operator-men", logins["operator-men"])
        operator.get_by_role("link", name="العمل على الكاونتر 2").click()
        operator.get_by_role("button", name="نداء التالي").click()
        first = operator.locator(".current-number").inner_text().strip()
        assert re.fullmatch(r"M-\d{3}", first) and first != ticket, first
        display.locator("[data-latest-number]").filter(has_text=first).wait_for()
        operator.get_by_role("button", name=f"نداء {ticket}").click()
        # The first visitor is still at the counter: the operator says how it ended.
        operator.locator("button[name=close_current][value=served]").click()
        operator.locator(".current-number").filter(has_text=ticket).wait_for()
        screenshot(operator, "scaleout-staff-counter")

        display.locator("[data-latest-number]").filter(has_text=ticket).wait_for()
        assert display.locator("[data-latest-counter]").inner_text().strip() == "2"
        assert display.evaluate("() => window.__sameDocument === true"), "the display reloaded"
        screenshot(display, "scaleout-display-men")

        # Every display, whichever worker holds it, got both calls in order.
        for index, (ws, snapshot) in enumerate(zip(extra, snapshots, strict=True)):
            seq = snapshot["seq"]
            called: list[str] = []
            while len(called) < 2:
                event = next_event(ws)
                assert event["seq"] == seq + 1, (index, seq, event)
                seq = event["seq"]
                if event["type"] == "ticket.called":
                    called.append(event["ticket"]["number"])
            assert called == [first, ticket], (index, called)
        assert nginx.proc.poll() is None, nginx.log()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
