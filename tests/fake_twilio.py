"""A fake Twilio REST API on 127.0.0.1 for the real `twilio` client to talk to.

It serves `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` the way Twilio
does: HTTP Basic auth with the account SID and auth token, a form body, and a
201 answer shaped like Twilio's Message resource. Every request is recorded.
Planned faults (`fake.plan(...)`) are answered first, one per request, in order."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2010-04-01"
_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/(AC[0-9a-fA-F]{{32}})/Messages\.json$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def new_account_sid() -> str:
    return "AC" + secrets.token_hex(16)


def _error_body(status: int, code: int, message: str) -> bytes:
    return json.dumps(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
    ).encode()


@dataclass(frozen=True)
class Fault:
    """One planned bad answer. With `stall` > 0 the request is held that many seconds
    (or until the server stops) and the connection is then dropped with no answer."""

    status: int = 500
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    stall: float = 0.0


_DEFAULT_CODES = {
    400: (21211, "Invalid 'To' Phone Number"),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


def error(status: int, code: int | None = None, message: str | None = None) -> Fault:
    """A Twilio error answer in the classic shape `{"code", "message", "status", ...}`."""
    default_code, default_message = _DEFAULT_CODES.get(status, (status, "Error"))
    headers = (("Retry-After", "1"),) if status == 429 else ()
    return Fault(
        status=status,
        body=_error_body(status, code or default_code, message or default_message),
        headers=headers,
    )


def problem(status: int, code: int, title: str, detail: str = "") -> Fault:
    """A Twilio error answer in the RFC 9457 problem-details shape."""
    body = {
        "type": f"https://www.twilio.com/docs/errors/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    return Fault(
        status=status, body=json.dumps(body).encode(), content_type="application/problem+json"
    )


def raw(status: int, body: str, content_type: str = "text/html") -> Fault:
    """A non-JSON answer, as a load balancer in front of the API might give."""
    return Fault(status=status, body=body.encode(), content_type=content_type)


def stall(seconds: float) -> Fault:
    return Fault(status=0, stall=seconds)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    auth: tuple[str, str] | None
    status: int | None  # None: held and dropped without an answer


def segments(body: str) -> int:
    if all(ch in _GSM7 for ch in body):
        single, part = 160, 153
    else:
        single, part = 70, 67
    return 1 if len(body) <= single else math.ceil(len(body) / part)


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=new_account_sid)
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    requests: list[ReceivedRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- scripting ---------------------------------------------------------------

    def plan(self, *faults: Fault) -> None:
        with self._changed:
            self._faults.extend(faults)

    @property
    def planned(self) -> int:
        with self._changed:
            return len(self._faults)

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def wait_for(self, messages: int = 1, requests: int = 0, timeout: float = 10.0) -> bool:
        """Wait until at least this many messages were created and requests received."""
        with self._changed:
            return self._changed.wait_for(
                lambda: len(self.messages) >= messages and len(self.requests) >= requests,
                timeout=timeout,
            )

    # --- life cycle ----------------------------------------------------------------

    def start(self) -> None:
        assert self._server is None, "already running"
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-twilio",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        thread.join(timeout=10)
        server.drop_connections()
        server.server_close()  # joins the handler threads
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the handler calls ----------------------------------------------------

    def _next_fault(self) -> Fault | None:
        with self._changed:
            return self._faults.popleft() if self._faults else None

    def _record(self, request: ReceivedRequest, message: dict[str, Any] | None) -> None:
        with self._changed:
            self.requests.append(request)
            if message is not None:
                self.messages.append(message)
            self._changed.notify_all()

    def _create_message(self, account_sid: str, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC))
        base = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
        service = form.get("MessagingServiceSid")
        body = form.get("Body", "")
        return {
            "account_sid": account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not form.get("From") else "queued",
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": form.get("To"),
            "uri": f"{base}.json",
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], fake: FakeTwilio) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Wake handlers waiting on idle keep-alive connections so they can end."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # the client went away (e.g. after its own time-out)
        if exc is not None:
            self.fake.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTwilio/1.0"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection is closed after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._read_body()
        self._not_found()

    def do_POST(self) -> None:
        fake = self.server.fake
        raw_body = self._read_body()
        path = urlsplit(self.path).path
        form = {
            k: v[-1] for k, v in parse_qs(raw_body.decode("utf-8"), keep_blank_values=True).items()
        }
        auth = self._basic_auth()
        headers = dict(self.headers.items())

        def received(status: int | None) -> ReceivedRequest:
            return ReceivedRequest("POST", path, headers, form, auth, status)

        match = _MESSAGES.match(path)
        if match is None:
            fake._record(received(404), None)
            self._not_found()
            return
        fault = fake._next_fault()
        if fault is not None:
            if fault.stall > 0:
                fake._record(received(None), None)
                fake._stopping.wait(fault.stall)
                self.close_connection = True
                return
            fake._record(received(fault.status), None)
            self._send(fault.status, fault.body, fault.content_type, fault.headers)
            return
        account_sid = match.group(1)
        if auth != (fake.account_sid, fake.auth_token) or account_sid != fake.account_sid:
            fake._record(received(401), None)
            self._send(
                401,
                _error_body(401, 20003, "Authenticate"),
                "application/json",
                (("WWW-Authenticate", 'Basic realm="Twilio API"'),),
            )
            return
        problem_ = self._validate(form)
        if problem_ is not None:
            code, message = problem_
            fake._record(received(400), None)
            self._send(400, _error_body(400, code, message), "application/json")
            return
        message_ = fake._create_message(account_sid, form)
        fake._record(received(201), message_)
        self._send(201, json.dumps(message_).encode(), "application/json")

    @staticmethod
    def _validate(form: dict[str, str]) -> tuple[int, str] | None:
        to = form.get("To")
        if not to:
            return 21604, "A 'To' phone number is required."
        if not _E164.match(to):
            return 21211, f"Invalid 'To' Phone Number: {to}"
        if not form.get("Body"):
            return 21602, "Message body is required."
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 21603, "A 'From' phone number is required."
        if len(form["Body"]) > 1600:
            return 21617, "The concatenated message body exceeds the 1600 character limit."
        return None

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _basic_auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None

    def _not_found(self) -> None:
        body = _error_body(404, 20404, f"The requested resource {self.path} was not found")
        self._send(404, body, "application/json")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve_fake_twilio() -> Iterator[FakeTwilio]:
    """Run a fake Twilio on a free loopback port for the duration of the block."""
    fake = FakeTwilio()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
