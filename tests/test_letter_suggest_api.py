"""Category suggestions where the operator decides: the suggest API and its form twin
(who may ask, what is refused, the text never logged), the suggestion beside each
letter waiting for triage (on the page and on the live desk), the letter page's
careful look instead of a preselection when the model is unsure."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from reception.app import create_app
from tests.conftest import make_settings
from tests.factories import World
from tests.helpers import bearer, csrf, register_at_desk, sign_in, wait_until
from tests.test_letters_api import register as letter_of

pytestmark = pytest.mark.suggestions

SUGGEST = "/api/v1/letters/suggest"
TEXT = {"subject": "طلب إصدار جواز سفر جديد", "body": "أرجو إصدار جواز سفر لابني"}


def ready(client: TestClient) -> None:
    model = client.app.state.suggestions  # type: ignore[attr-defined]
    wait_until(lambda: model.status().state == "ready", "a trained model", timeout=60)


@pytest.fixture
def unsure(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    """The app with a threshold no suggestion reaches: every one needs a careful look."""
    settings = make_settings(
        database_url, tmp_path / "var", suggestion_confident_at=1.0, suggestions_enabled=True
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def register(client: TestClient, world: World, **fields: str) -> dict[str, Any]:
    return letter_of(client, world, **{**TEXT, **fields})


# --- the API --------------------------------------------------------------------------


def test_triage_staff_of_the_branch_get_suggestions_for_a_text(
    client: TestClient, world: World
) -> None:
    ready(client)
    for who in ("operator-men", "operator-women", "supervisor", "admin"):
        r = client.post(SUGGEST, json=TEXT, headers=bearer(world, who))
        assert r.status_code == 200, (who, r.text)
        answer = r.json()
        assert answer["state"] == "ready" and answer["version"] is not None
        assert set(answer) == {
            "state",
            "progress",
            "trained_on",
            "version",
            "retraining",
            "suggestions",
            "careful_look",
        }
        assert len(answer["suggestions"]) == 3  # the three likeliest of the demo's categories
        first = answer["suggestions"][0]
        assert first["category"] == "request_passport", answer
        assert 0 < first["confidence"] <= 1
        assert answer["careful_look"] is (first["confidence"] < 0.5)
    # the branch named: the caller's own is fine, another is not
    mine = client.post(SUGGEST, json={**TEXT, "branch": "riyadh"}, headers=bearer(world, "admin"))
    assert mine.status_code == 200
    other = client.post(
        SUGGEST, json={**TEXT, "branch": "jeddah"}, headers=bearer(world, "operator-men")
    )
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_branch"
    # an empty text is not ranked
    empty = client.post(SUGGEST, json={"subject": ""}, headers=bearer(world, "operator-men"))
    assert empty.status_code == 200 and empty.json()["suggestions"] == []


@pytest.mark.parametrize("who", ["officer", "display-men", "kiosk", "kiosk-jeddah"])
def test_officers_displays_and_kiosks_are_refused(
    client: TestClient, world: World, who: str
) -> None:
    r = client.post(SUGGEST, json=TEXT, headers=bearer(world, who))
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"


def test_anonymous_callers_and_staff_sessions_are_refused_by_the_api(
    client: TestClient, world: World
) -> None:
    r = client.post(SUGGEST, json=TEXT)
    assert r.status_code == 401 and r.json()["error"]["code"]
    sign_in(client, "operator-men")  # the API takes bearer tokens only
    assert client.post(SUGGEST, json=TEXT).status_code == 401


def test_bad_bodies_are_refused_in_the_callers_language(client: TestClient, world: World) -> None:
    english = bearer(world, "operator-men", **{"Accept-Language": "en"})
    arabic = bearer(world, "operator-men", **{"Accept-Language": "ar"})
    cases = [
        ({"subject": "س" * 201}, 422),
        ({"subject": "x", "body": "ب" * 20001}, 422),
        ({"body": "no subject"}, 422),
        ({"subject": "x", "extra": 1}, 422),
        ({"subject": "x", "branch": ""}, 422),
        ({"subject": 5}, 422),
    ]
    for body, status in cases:
        r = client.post(SUGGEST, json=body, headers=english)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["message"].startswith("Field "), r.text
        r = client.post(SUGGEST, json=body, headers=arabic)
        assert r.status_code == status and re.search("[\u0600-\u06ff]", r.text), r.text
    as_json = {**english, "Content-Type": "application/json"}
    r = client.post(SUGGEST, content=b"{not json", headers=as_json)
    assert r.status_code == 422 and r.json()["error"]["code"] == "malformed_json"
    r = client.post(SUGGEST, content=b"subject=x", headers=english)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_content_type"


def test_the_text_is_never_logged(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    ready(client)
    subject, body = "موضوع-سري-٧٣٩١ secret-subject-7391", "نص-سري-٨٢٤٠ secret-body-8240"
    caplog.set_level(logging.DEBUG)
    headers = bearer(world, "operator-men")
    calls = [
        ({"subject": subject, "body": body}, 200),
        ({"subject": subject + "x" * 200, "body": body}, 422),
        ({"subject": subject, "body": body + "y" * 20000}, 422),
        ({"subject": subject, "body": body, "branch": "jeddah"}, 403),
        ({"subject": subject, "body": body, "branch": "nowhere"}, 422),
    ]
    for sent, status in calls:
        assert client.post(SUGGEST, json=sent, headers=headers).status_code == status
    broken = f'{{"subject": "{subject}", '.encode()
    r = client.post(
        SUGGEST, content=broken, headers={**headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "malformed_json"
    officer = client.post(SUGGEST, json={"subject": subject}, headers=bearer(world, "officer"))
    assert officer.status_code == 403
    sign_in(client, "operator-men")
    token = csrf(client.get("/staff/letters/new").text)
    twin = client.post(
        "/staff/letters/suggest", data={"csrf_token": token, "subject": subject, "body": body}
    )
    assert twin.status_code == 200
    stale = client.post("/staff/letters/suggest", data={"csrf_token": "x", "subject": subject})
    assert stale.status_code == 403
    assert caplog.records, "nothing was logged at all: the check would prove nothing"
    for record in caplog.records:
        logged = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for secret in ("secret-subject-7391", "secret-body-8240", "٧٣٩١", "٨٢٤٠"):
            assert secret not in logged, record


# --- the form's twin -----------------------------------------------------------------


def test_the_registration_forms_twin_answers_as_the_api(client: TestClient, world: World) -> None:
    ready(client)
    api = client.post(SUGGEST, json=TEXT, headers=bearer(world, "operator-men")).json()
    sign_in(client, "operator-men")
    page = client.get("/staff/letters/new")
    assert 'aria-live="polite"' in page.text and "js/suggest_form.js" in page.text
    config = json.loads(
        re.search(r'id="suggest-config">(.*?)</script>', page.text, re.S).group(1)  # type: ignore[union-attr]
    )
    assert config["url"] == "/staff/letters/suggest"
    assert config["names"]["request_passport"] == "طلب جوازات"
    token = csrf(page.text)
    r = client.post("/staff/letters/suggest", data={"csrf_token": token, **TEXT})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.json()["suggestions"] == api["suggestions"]
    assert r.json()["careful_look"] == api["careful_look"]
    missing = client.post("/staff/letters/suggest", data=TEXT)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf"
    long = client.post("/staff/letters/suggest", data={"csrf_token": token, "subject": "س" * 201})
    assert long.status_code == 422 and long.json()["error"]["code"] == "invalid"


def test_the_forms_twin_refuses_officers_and_sends_strangers_to_sign_in(
    client: TestClient, world: World
) -> None:
    r = client.post("/staff/letters/suggest", data=TEXT, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    sign_in(client, "officer")
    token = csrf(client.get("/staff/inbox").text)
    r = client.post("/staff/letters/suggest", data={"csrf_token": token, **TEXT})
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"


# --- the triage list -------------------------------------------------------------------


def suggested_cells(page: str) -> dict[str, str]:
    """Each row's reference and the text of its suggestion cell."""
    rows = re.findall(r'<tr class="sla-[a-z]+" data-letter="\d+">(.*?)</tr>', page, re.S)
    found = {}
    for row in rows:
        reference = re.search(r'<bdi dir="ltr">([^<]+)</bdi></a>', row).group(1)  # type: ignore[union-attr]
        cell = re.search(r'<td class="suggested">(.*?)</td>', row, re.S)
        found[reference] = " ".join(re.sub(r"<[^>]+>", " ", cell.group(1)).split()) if cell else ""
    return found


def test_the_triage_list_shows_each_waiting_letters_first_suggestion(
    client: TestClient, world: World
) -> None:
    ready(client)
    passport = register(client, world)
    meeting = register(client, world, subject="طلب مقابلة معالي الوزير", body="أرجو لقاء معاليه")
    api = client.post(SUGGEST, json=TEXT, headers=bearer(world, "operator-men")).json()
    sign_in(client, "operator-men")
    page = client.get("/staff/letters").text
    assert '<th scope="col">المقترح</th>' in page
    cells = suggested_cells(page)
    first = api["suggestions"][0]
    if api["careful_look"]:
        assert cells[passport["reference"]] == "يحتاج إلى تدقيق"
    else:
        assert cells[passport["reference"]] == f"طلب جوازات {round(first['confidence'] * 100)}%"
    assert cells[meeting["reference"]]
    # the search results carry no suggestion column
    found = client.get("/staff/letters", params={"q": passport["reference"]}).text
    assert found.count('<td class="suggested">') == 2  # the queue's rows only


def test_an_unsure_suggestion_is_a_careful_look_badge(unsure: TestClient, world: World) -> None:
    ready(unsure)
    letter = register(unsure, world)
    sign_in(unsure, "operator-men")
    page = unsure.get("/staff/letters").text
    assert suggested_cells(page)[letter["reference"]] == "يحتاج إلى تدقيق"
    assert 'class="badge badge-careful" title="طلب جوازات' in page
    r = unsure.post(SUGGEST, json=TEXT, headers=bearer(world, "operator-men"))
    assert r.json()["careful_look"] is True


def test_the_live_desk_carries_the_suggestions(client: TestClient, world: World) -> None:
    ready(client)
    waiting = register(client, world)
    with client.websocket_connect("/staff/letters/ws", headers=bearer(world, "operator-men")) as ws:
        snapshot = json.loads(ws.receive_text())
        row = next(r for r in snapshot["rows"] if r["reference"] == waiting["reference"])
        assert row["suggestion"]["category"] == "request_passport"
        assert row["suggestion"]["name_ar"] == "طلب جوازات"
        assert row["suggestion"]["percent"] == round(row["suggestion"]["confidence"] * 100)
        arrived = register(client, world, subject="مخالفة مرورية خاطئة", body="أعترض على المخالفة")
        while True:
            message = json.loads(ws.receive_text())
            if message.get("type") == "letter.registered":
                break
        assert message["letter"]["reference"] == arrived["reference"]
        assert message["letter"]["suggestion"]["category"]
        assert set(message["letter"]["suggestion"]) >= {"name_en", "confidence", "careful_look"}


# --- the letter page -------------------------------------------------------------------


def category_select(page: str) -> str:
    return page.split('id="category"')[1].split("</select>")[0]


def test_a_confident_suggestion_is_preselected(client: TestClient, world: World) -> None:
    ready(client)
    sign_in(client, "operator-men")
    path = register_at_desk(client, subject=TEXT["subject"], body=TEXT["body"])
    page = client.get(path).text
    answer = client.post(SUGGEST, json=TEXT, headers=bearer(world, "operator-men")).json()
    assert not answer["careful_look"], "this text should be a sure one"
    assert '<option value="request_passport" selected>' in category_select(page)
    assert "يحتاج إلى تدقيق" not in page


def test_an_unsure_suggestion_is_not_preselected_and_is_marked(
    unsure: TestClient, world: World
) -> None:
    ready(unsure)
    sign_in(unsure, "operator-men")
    path = register_at_desk(unsure, subject=TEXT["subject"], body=TEXT["body"])
    page = unsure.get(path).text
    assert "selected" not in category_select(page).replace('<option value="">', "")
    assert '<span class="badge badge-careful" id="careful-look">يحتاج إلى تدقيق</span>' in page
    assert 'aria-describedby="careful-look"' in page
    assert "طلب جوازات" in page.split('class="suggestion suggestion-careful"')[1][:2000]


def test_with_suggestions_off_the_answer_says_so(
    database_url: str, tmp_path: Path, world: World
) -> None:
    settings = make_settings(database_url, tmp_path / "var", suggestions_enabled=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.post(SUGGEST, json=TEXT, headers=bearer(world, "operator-men"))
        assert r.status_code == 200
        assert r.json()["state"] == "off" and r.json()["suggestions"] == []
        assert r.json()["careful_look"] is False
        register(client, world)
        sign_in(client, "operator-men")
        page = client.get("/staff/letters").text
        assert "badge-careful" not in page and '<td class="suggested"><span class="muted">—' in page
