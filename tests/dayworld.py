"""The places and people of the replayed day (tests/dayplan.py): halls with their
arrival rates, counters, device tokens, and the HTTP client every action goes through."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from starlette.testclient import TestClient

from tests.dayledger import ZONE, TicketRecord

DAY = date(2024, 5, 12)  # a Sunday; Riyadh is UTC+3 all year
MAX_WAIT = timedelta(minutes=45)  # the branches' anti-starvation rule (the default)
LATE_CHECKIN = timedelta(minutes=15)  # the branches' default check-in window after a slot
PEAK = {8: 0.6, 9: 1.0, 10: 1.25, 11: 1.0, 12: 0.7, 13: 0.45}  # arrivals by local hour
KIOSK_PRIORITIES = {"elderly": 3, "disability": 3}  # what the kiosk offers, with weights
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (0.08, 0.07, 0.12, 0.28, 0.45)


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def luhn_id(first: str, rng: random.Random) -> str:
    """A national ID (first digit 1) or iqama number (2) with a valid check digit."""
    digits = first + "".join(rng.choice("0123456789") for _ in range(8))
    for check in "0123456789":
        total = 0
        for index, ch in enumerate(digits + check):
            value = int(ch) * (2 if index % 2 == 0 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits + check
    raise AssertionError("no check digit")


@dataclass
class HallPlan:
    branch: str
    hall: str  # slug and section (men, women)
    services: dict[str, float]  # walk-in service → share of arrivals
    kiosk: str  # token names
    operator: str
    rate: float  # arrivals per minute at an ordinary hour
    appointments: tuple[str, int, int, int] | None = None  # service, first, last hour, slot


@dataclass
class Desk:
    id: int
    branch: str
    hall: str
    number: int
    services: frozenset[str]
    token: str
    operator: str | None = None  # a signed-in staff user working the staff forms
    state: str = "idle"
    current: TicketRecord | None = None
    next_at: datetime | None = None


@dataclass
class World:
    halls: list[HallPlan]
    desks: list[Desk]
    triage: dict[str, str]  # branch → token registering by phone/post, classifying, closing
    officers: dict[str, str]  # department → token
    rater: dict[str, str]  # branch → rating device token


class Api:
    """The replay's only way in: HTTP requests with the token of the role acting."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens
        self.requests = 0
        self.csrf = ""

    def post(self, who: str, path: str, body: dict[str, Any] | None = None, *ok: int) -> Any:
        self.requests += 1
        r = self.client.post(
            path, json=body or {}, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        assert r.status_code in (ok or (200, 201)), f"{who} POST {path}: {r.status_code} {r.text}"
        return r.json() if r.status_code != 204 else None

    def form(self, path: str, data: dict[str, str] | None = None) -> str:
        """A staff form as the signed-in operator sends it; the page it leads to must
        show no error."""
        self.requests += 2
        r = self.client.post(
            path, data={"csrf_token": self.csrf, **(data or {})}, follow_redirects=False
        )
        assert r.status_code == 303, f"POST {path}: {r.status_code} {r.text[:300]}"
        page = self.client.get(r.headers["location"])
        assert page.status_code == 200 and "flash-error" not in page.text, f"POST {path}"
        return page.text
