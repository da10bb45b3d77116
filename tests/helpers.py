"""What many tests do the same way: show a device's or user's bearer token, read a
page's CSRF token, sign a staff member in, issue a ticket at the kiosk, and wait for
something that happens in the background (with a deadline, never a fixed sleep)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from tests.factories import PASSWORD, World

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

WAIT_SECONDS = 10.0
"""How long a test waits for something to happen in the background before it fails."""


def bearer(world: World, name: str, **extra: str) -> dict[str, str]:
    """The headers of an API call made with `name`'s token (a device or a user),
    plus any `extra` headers."""
    return {"Authorization": f"Bearer {world.tokens[name]}", **extra}


def csrf(html: str) -> str:
    """The CSRF token of a page's form."""
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def page_csrf(client: TestClient, path: str = "/staff") -> str:
    """The CSRF token a signed-in browser finds on `path`."""
    return csrf(client.get(path).text)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign a staff member in through the login form, as a browser does."""
    page = client.get("/staff/login")
    r = client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def issue(client: TestClient, world: World, token: str = "kiosk", **body: Any) -> dict[str, Any]:
    """A ticket issued through the API (by default at Riyadh, men's hall, letters);
    `body` overrides or adds fields (hall, service, phone, language …)."""
    payload = {"branch": "riyadh", "hall": "men", "service": "letter", **body}
    r = client.post("/api/v1/tickets", json=payload, headers=bearer(world, token))
    assert r.status_code == 201, r.text
    return dict(r.json())


def wait_until(
    condition: Callable[[], Any],
    what: str = "the condition",
    timeout: float = WAIT_SECONDS,
    interval: float = 0.05,
) -> Any:
    """Ask `condition` until it answers something true, and return that answer;
    fail if it has not by `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


async def eventually(
    condition: Callable[[], Any],
    what: str = "the condition",
    timeout: float = WAIT_SECONDS,
    interval: float = 0.01,
) -> Any:
    """`wait_until` inside an event loop: other tasks run while it waits."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


CITIZEN = "1000000008"
"""A valid national ID (Luhn check digit)."""


def register_at_desk(client: TestClient, **fields: str) -> str:
    """Register a letter on the desk's form as the signed-in operator of the men's
    hall; the letter's page (where the form goes on)."""
    form = client.get("/staff/letters/new?hall=men")
    done = client.post(
        "/staff/letters",
        data={
            "csrf_token": csrf(form.text),
            "channel": "counter",
            "hall": "men",
            "sender_name": "محمد عبدالله الأحمد",
            "sender_id_number": CITIZEN,
            "sex": "male",
            "phone": "0501234567",
            "language": "ar",
            "subject": "طلب بدل فاقد للهوية",
            "body": "فقدت الهوية",
            **fields,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    return str(done.headers["location"])
