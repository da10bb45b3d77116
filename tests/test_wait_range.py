"""The wait a visitor is shown is a range, the same on the API's answer and on the
tracking page, in Arabic (with its plural) and English."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.factories import World
from tests.helpers import issue, wait_until


def test_the_tracking_page_shows_the_range_the_api_gave(client: TestClient, world: World) -> None:
    tickets = [issue(client, world) for _ in range(12)]
    # four idle counters take the first four at once, the next four after one visit
    # (6 min), the last four after two: the twelfth is called in about 12 minutes
    last = tickets[-1]
    low, minutes, high = (
        last["eta_low_minutes"],
        last["eta_minutes"],
        last["eta_high_minutes"],
    )
    assert minutes == 12 and 0 < low < 12 < high, last
    assert tickets[0]["eta_minutes"] == 0 and tickets[0]["eta_low_minutes"] == 0

    path = last["tracking_url"].removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200
    wait = re.search(r'<p class="ticket-wait"[^>]*>([^<]*)</p>', page.text)
    assert wait is not None
    noun = "دقائق" if 3 <= high <= 10 else "دقيقة"
    assert wait.group(1) == f"الانتظار المتوقع: من {low} إلى {high} {noun}."

    client.get("/lang?to=en&next=/")
    wait = re.search(r'<p class="ticket-wait"[^>]*>([^<]*)</p>', client.get(path).text)
    assert wait is not None and wait.group(1) == f"Expected wait: {low} to {high} min."

    first = client.get(tickets[0]["tracking_url"].removeprefix("http://testserver")).text
    assert "You are next." in first  # no one ahead and a counter free


def test_the_ticket_sms_gives_the_range(client: TestClient, world: World) -> None:
    for _ in range(11):
        issue(client, world)
    ticket = issue(client, world, phone="0501234567", language="en")
    low, high = ticket["eta_low_minutes"], ticket["eta_high_minutes"]
    assert 0 < low < high
    backend = client.app.state.sms_backend  # type: ignore[attr-defined]
    sms = wait_until(lambda: backend.sent, "the SMS to be sent")[0]
    assert f"11 ahead of you, {low} to {high} min." in sms["body"], sms["body"]
