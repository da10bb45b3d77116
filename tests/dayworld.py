"""The places and people of the replayed day (tests/dayplan.py): halls with their
arrival rates, counters, device tokens, the HTTP client every action goes through, and
`set_up`, which builds what the day needs on top of tests/factories.py through the
admin API (a mobile unit with two halls, opening hours, priorities, appointment slots)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from starlette.testclient import TestClient

from reception.clock import FrozenClock
from tests.dayledger import ZONE, Ledger, TicketRecord
from tests.factories import PASSWORD
from tests.factories import World as Seeded
from tests.helpers import csrf

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
    places: list[tuple[str, str, str]]  # every hall of every branch: branch, hall, section


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


MOBILE = "mobile1"
RIYADH_SERVICES = {"letter": 0.5, "enquiry": 0.35, "complaint": 0.15}
MOBILE_SERVICES = {"letter": 0.6, "enquiry": 0.4}


# --- the world the day needs ------------------------------------------------------------


def admin(api: Api, method: str, path: str, body: dict[str, Any]) -> Any:
    r = api.client.request(
        method, path, json=body, headers={"Authorization": f"Bearer {api.tokens['admin']}"}
    )
    assert r.status_code in (200, 201), f"{method} {path}: {r.text}"
    return r.json()


def sign_in(api: Api, username: str, counter: int) -> None:
    """A staff user signs in: their counter is worked through the staff forms."""
    page = api.client.get("/staff/login")
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf(page.text)}
    assert api.client.post("/staff/login", data=data, follow_redirects=False).status_code == 303
    page = api.client.get(f"/staff/counters/{counter}")
    assert page.status_code == 200
    api.csrf = csrf(page.text)


def set_up(api: Api, seeded: Seeded) -> World:
    """Through the admin API: opening hours, priority groups, appointment slots, and a
    mobile unit with two halls, its counters and its device tokens."""
    for slug, ar, en, weight, at_kiosk in (
        ("appointment", "صاحب موعد", "Appointment holder", 4, False),
        ("disability", "من ذوي الإعاقة", "Living with a disability", 3, True),
    ):
        admin(
            api,
            "PUT",
            f"/api/v1/admin/priorities/{slug}",
            {"name_ar": ar, "name_en": en, "weight": weight, "at_kiosk": at_kiosk},
        )
    admin(
        api,
        "POST",
        "/api/v1/admin/branches",
        {"slug": MOBILE, "name_ar": "الوحدة المتنقلة", "name_en": "Mobile unit", "kind": "mobile"},
    )
    admin(
        api,
        "POST",
        f"/api/v1/admin/branches/{MOBILE}/stops",
        {
            "place_ar": "حائل",
            "place_en": "Hail",
            "starts_on": DAY.isoformat(),
            "ends_on": DAY.isoformat(),
        },
    )
    for branch in ("riyadh", MOBILE):
        admin(
            api,
            "PUT",
            f"/api/v1/admin/branches/{branch}/hours",
            {"days": "sun-thu", "start": "08:00", "end": "14:00"},
        )
    for slug, ar, en in (("letter", "خطاب", "Letter"), ("enquiry", "استفسار", "Enquiry")):
        admin(
            api,
            "POST",
            f"/api/v1/admin/branches/{MOBILE}/services",
            {"slug": slug, "name_ar": ar, "name_en": en, "expected_minutes": 6},
        )
    desks: list[Desk] = []
    for hall, prefix, numbers in (("men", "A", (1, 2)), ("women", "B", (1,))):
        admin(
            api,
            "POST",
            f"/api/v1/admin/branches/{MOBILE}/halls",
            {
                "slug": hall,
                "section": hall,
                "name_ar": f"قاعة {hall}",
                "name_en": f"{hall} hall",
                "ticket_prefix": prefix,
            },
        )
        for number in numbers:
            made = admin(
                api,
                "POST",
                f"/api/v1/admin/branches/{MOBILE}/halls/{hall}/counters",
                {"number": number, "services": list(MOBILE_SERVICES)},
            )
            desks.append(
                Desk(
                    made["id"],
                    MOBILE,
                    hall,
                    number,
                    frozenset(MOBILE_SERVICES),
                    f"operator-mobile-{hall}",
                )
            )
        for counter_id, number in zip(seeded.counters[hall], (1, 2, 3, 4), strict=True):
            served = {"letter", "enquiry"} | ({"complaint"} if number == 4 else set())
            desks.append(
                Desk(counter_id, "riyadh", hall, number, frozenset(served), f"operator-{hall}")
            )
        admin(
            api,
            "POST",
            "/api/v1/admin/branches/riyadh/slot-templates",
            {
                "hall": hall,
                "service": "letter",
                "weekdays": "sun-thu",
                "start": "09:00",
                "end": "13:00",
                "slot_minutes": 20,
                "capacity": 2,
            },
        )
    for name, role, hall in (
        ("kiosk-mobile", "kiosk", None),
        ("operator-mobile-men", "operator", "men"),
        ("operator-mobile-women", "operator", "women"),
        ("supervisor-mobile", "supervisor", None),
    ):
        made = admin(
            api,
            "POST",
            "/api/v1/admin/tokens",
            {"name": name, "role": role, "branch": MOBILE, "hall": hall},
        )
        api.tokens[name] = made["token"]
    halls = [
        HallPlan(
            "riyadh", "men", RIYADH_SERVICES, "kiosk", "operator-men", 0.33, ("letter", 9, 13, 20)
        ),
        HallPlan(
            "riyadh",
            "women",
            RIYADH_SERVICES,
            "kiosk",
            "operator-women",
            0.2,
            ("letter", 9, 13, 20),
        ),
        HallPlan(MOBILE, "men", MOBILE_SERVICES, "kiosk-mobile", "operator-mobile-men", 0.11),
        HallPlan(MOBILE, "women", MOBILE_SERVICES, "kiosk-mobile", "operator-mobile-women", 0.07),
    ]
    sign_in(api, "operator-men", seeded.counters["men"][0])
    first = next(d for d in desks if (d.branch, d.hall, d.number) == ("riyadh", "men", 1))
    first.operator = "operator-men"
    return World(
        halls=halls,
        desks=desks,
        triage={"riyadh": "supervisor", MOBILE: "supervisor-mobile"},
        officers={"civil_affairs": "officer", "traffic": "officer-traffic"},
        rater={"riyadh": "kiosk", MOBILE: "kiosk-mobile"},
        places=[(b, hall, hall) for b in ("riyadh", "jeddah", MOBILE) for hall in ("men", "women")],
    )


@dataclass
class PlanBase:
    """What every part of the day's plan shares: the seeded chance, the clock, the way
    in, the world and the ledger of what was done."""

    seed: int
    api: Api
    clock: FrozenClock
    world: World
    housekeeping: Callable[[], None]  # the server's periodic pass, run at the plan's times
    ledger: Ledger = field(default_factory=Ledger)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.ledger.places = list(self.world.places)

    def tick(self, most: float = 8.0) -> datetime:
        """A few seconds (and a fraction) pass between two things happening."""
        self.clock.advance(seconds=self.rng.uniform(0.3, most))
        return self.clock.now()

    def phone(self, share: float = 0.55) -> str | None:
        """A mobile number or none; each handset confirms delivery, reports it
        undelivered, is refused because its owner unsubscribed at the provider, or
        stays silent, always the same way."""
        if self.rng.random() < share:
            number = self.mobile_number()
            fates = ("delivered", "undelivered", "opted_out", "silent")
            fate = self.rng.choices(fates, (0.73, 0.07, 0.03, 0.17))
            self.ledger.handsets.setdefault(number, fate[0])
            return number
        return None

    def mobile_number(self) -> str:
        digits = "".join(self.rng.choice("0123456789") for _ in range(7))
        return "+9665" + self.rng.choice("0456") + digits
