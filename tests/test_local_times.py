"""Every time a person sees is the branch's wall-clock time (Asia/Riyadh: UTC+3), on
every letter screen, the citizen's page and the kiosk ticket, in Arabic and English;
counts read with the Arabic plural forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.letters.models import Letter
from reception.notify.models import OutgoingSms
from reception.notify.outbox import render_sms
from reception.settings import Settings
from reception.timefmt import local_time
from tests.factories import World
from tests.helpers import bearer, csrf, register_at_desk, sign_in
from tests.test_web import pair

REGISTERED = datetime(2026, 11, 24, 10, 1, tzinfo=UTC)  # 13:01 in Riyadh
ROUTED = datetime(2026, 11, 24, 10, 7, tzinfo=UTC)  # 13:07 in Riyadh


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(REGISTERED)


@pytest.fixture
def c(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


def in_both_languages(client: TestClient, path: str) -> Iterator[str]:
    for language in ("ar", "en"):
        client.get(f"/lang?to={language}&next=/")
        page = client.get(path)
        assert page.status_code == 200, (path, language, page.text[:500])
        assert f'<html lang="{language}"' in page.text
        yield page.text
    client.get("/lang?to=ar&next=/")


def shows_local(text: str, *local: str) -> None:
    for hour in local:
        assert hour in text, hour
    for utc in ("10:01", "10:07"):
        assert utc not in text, utc


def test_letter_times_are_the_branch_s_on_every_screen(
    c: TestClient, world: World, engine: Engine, clock: FrozenClock
) -> None:
    sign_in(c, "operator-men")
    letter_path = register_at_desk(c)
    reference = re.search(r"L-\d{4}-\d{6}", c.get(letter_path).text).group(0)  # type: ignore[union-attr]
    for text in in_both_languages(c, "/staff/letters"):  # waiting for triage, since 13:01
        assert reference in text
        shows_local(text, "2026-11-24 13:01")

    clock.at = ROUTED
    page = c.get(letter_path)
    r = c.post(
        f"{letter_path}/classify", data={"csrf_token": csrf(page.text), "category": "request_civil"}
    )
    assert r.status_code == 200
    for text in in_both_languages(c, letter_path):  # the history: registered, then routed
        shows_local(text, "2026-11-24 13:01", "2026-11-24 13:07")
    for text in in_both_languages(c, f"/staff/letters?q={reference}"):  # search results
        assert reference in text
        shows_local(text, "2026-11-24 13:07")

    officer = TestClient(c.app)
    sign_in(officer, "officer")
    for text in in_both_languages(officer, "/staff/inbox"):
        assert reference in text
        shows_local(text, "2026-11-24 13:07")

    with Session(engine) as s:
        token = s.exec(select(Letter.tracking_token).where(Letter.reference == reference)).one()
    citizen = TestClient(c.app)
    for text in in_both_languages(citizen, f"/l/{token}"):
        shows_local(text, "2026-11-24 13:01")


def test_the_kiosk_ticket_shows_the_branch_s_time(
    c: TestClient, world: World, engine: Engine
) -> None:
    r = c.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter", "phone": "0501234567"},
        headers=bearer(world, "kiosk"),
    )
    assert r.status_code == 201, r.text
    kiosk = TestClient(c.app)
    assert pair(kiosk, world.tokens["kiosk"]).status_code == 303  # type: ignore[attr-defined]
    ar, en = in_both_languages(kiosk, f"/kiosk/tickets/{r.json()['id']}")
    shows_local(ar, ">13:01<", "الثلاثاء، 24 نوفمبر 2026")  # the date in words
    shows_local(en, ">13:01<", "Tuesday, November 24, 2026")
    with Session(engine) as s:
        sms = s.exec(select(OutgoingSms).where(OutgoingSms.purpose == "ticket_issued")).one()
    assert "لا أحد أمامك" in sms.body  # the first in line: no "أمامك 0"


def test_one_helper_reads_stored_times_in_the_branch_s_zone() -> None:
    assert local_time(REGISTERED, "Asia/Riyadh") == "2026-11-24 13:01"
    assert local_time("2026-11-24T10:01:00+00:00", "Asia/Riyadh", "time") == "13:01"
    assert local_time(REGISTERED.replace(tzinfo=None), "Asia/Riyadh", "time") == "13:01"
    assert local_time(REGISTERED, None, "time") == "13:01"  # no branch: the default zone
    assert local_time(REGISTERED, "Europe/London", "time") == "10:01"
    assert local_time(None, "Asia/Riyadh") == ""


ARABIC_MINUTES = {
    1: "حوالي دقيقة واحدة",
    2: "حوالي دقيقتين",
    3: "حوالي 3 دقائق",
    8: "حوالي 8 دقائق",
    11: "حوالي 11 دقيقة",
    100: "حوالي 100 دقيقة",
}
ARABIC_AHEAD = {
    1: "أمامك شخص واحد",
    2: "أمامك شخصان",
    3: "أمامك 3 أشخاص",
    8: "أمامك 8 أشخاص",
    11: "أمامك 11 شخصًا",
    100: "أمامك 100 شخص",
}


@pytest.mark.parametrize("n", sorted(ARABIC_MINUTES))
def test_the_ticket_sms_counts_in_arabic(n: int) -> None:
    body = render_sms(
        "ticket_issued", "ar", number="M-007", ahead=n, eta=n, link="http://testserver/t/x"
    )
    assert ARABIC_AHEAD[n] in body and ARABIC_MINUTES[n] in body, body
    english = render_sms(
        "ticket_issued", "en", number="M-007", ahead=n, eta=n, link="http://testserver/t/x"
    )
    assert f"{n} ahead of you, about {n} min." in english, english


def test_the_ticket_sms_without_an_estimate() -> None:
    body = render_sms("ticket_issued", "ar", number="M-007", ahead=0, eta="?", link="x")
    assert "لا أحد أمامك" in body and "غير معروف" in body and "?" not in body


KIOSK_WAITING = {
    1: "شخص واحد في الانتظار",
    2: "شخصان في الانتظار",
    3: "3 أشخاص في الانتظار",
    8: "8 أشخاص في الانتظار",
    11: "11 شخصًا في الانتظار",
}


def test_the_kiosk_counts_people_waiting_in_arabic(c: TestClient, world: World) -> None:
    kiosk = TestClient(c.app)
    assert pair(kiosk, world.tokens["kiosk"]).status_code == 303  # type: ignore[attr-defined]
    issued = 0
    for n, said in KIOSK_WAITING.items():
        while issued < n:
            r = c.post(
                "/api/v1/tickets",
                json={"branch": "riyadh", "hall": "men", "service": "letter"},
                headers=bearer(world, "kiosk"),
            )
            assert r.status_code == 201, r.text
            issued += 1
        page = kiosk.get("/kiosk?hall=men")
        assert page.status_code == 200 and said in page.text, (n, page.text[-3000:])
