"""Administration through the API with an admin token: a new branch works at once."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.factories import World
from tests.helpers import bearer, page_csrf, sign_in


def test_an_admin_sets_up_a_branch_that_works_at_once(client: TestClient, world: World) -> None:
    admin = bearer(world, "admin")

    def post(path: str, body: dict, status: int = 201) -> dict:
        r = client.post(path, json=body, headers=admin)
        assert r.status_code == status, (path, r.text)
        return r.json()

    post("/api/v1/admin/branches", {"slug": "dammam", "name_ar": "الدمام", "name_en": "Dammam"})
    post(
        "/api/v1/admin/branches/dammam/halls",
        {
            "slug": "women",
            "section": "women",
            "name_ar": "النساء",
            "name_en": "Women",
            "ticket_prefix": "D",
        },
    )
    post(
        "/api/v1/admin/branches/dammam/services",
        {"slug": "letter", "name_ar": "خطاب", "name_en": "Letter", "expected_minutes": 7},
    )
    counter = post(
        "/api/v1/admin/branches/dammam/halls/women/counters", {"number": 1, "services": ["letter"]}
    )
    kiosk = post(
        "/api/v1/admin/tokens", {"name": "dammam kiosk", "role": "kiosk", "branch": "dammam"}
    )
    operator = post(
        "/api/v1/admin/tokens",
        {"name": "dammam desk", "role": "operator", "branch": "dammam", "hall": "women"},
    )
    r = client.post(
        "/api/v1/tickets",
        json={"branch": "dammam", "hall": "women", "service": "letter"},
        headers={"Authorization": f"Bearer {kiosk['token']}"},
    )
    assert r.status_code == 201 and r.json()["number"] == "D-001"
    r = client.post(
        f"/api/v1/counters/{counter['id']}/call-next",
        headers={"Authorization": f"Bearer {operator['token']}"},
    )
    assert r.json()["number"] == "D-001"

    r = client.put(
        "/api/v1/admin/branches/dammam/policy", json={"max_wait_minutes": None}, headers=admin
    )
    assert r.status_code == 200 and r.json()["max_wait_minutes"] is None
    r = client.put("/api/v1/admin/priorities/elderly", json={"weight": 5}, headers=admin)
    assert r.status_code == 200 and r.json()["weight"] == 5
    r = client.post(f"/api/v1/admin/tokens/{kiosk['id']}/revoke", headers=admin)
    assert r.status_code == 200
    r = client.post(
        "/api/v1/tickets",
        json={"branch": "dammam", "hall": "women", "service": "letter"},
        headers={"Authorization": f"Bearer {kiosk['token']}"},
    )
    assert r.status_code == 401

    post("/api/v1/admin/branches", {"slug": "dammam", "name_ar": "x", "name_en": "x"}, 409)
    post("/api/v1/admin/branches", {"slug": "Bad Slug", "name_ar": "x", "name_en": "x"}, 422)
    post(
        "/api/v1/admin/branches/nowhere/halls",
        {"slug": "men", "section": "men", "name_ar": "x", "name_en": "x", "ticket_prefix": "X"},
        422,
    )
    post(
        "/api/v1/admin/users",
        {"username": "tv", "password": "long-enough-pw", "role": "display", "branch": "dammam"},
        422,
    )
    assert client.post("/api/v1/admin/tokens/99999999999/revoke", headers=admin).status_code == 404


def test_only_admins_administer(client: TestClient, world: World) -> None:
    body = {"slug": "x", "name_ar": "x", "name_en": "x"}
    for name in ("kiosk", "operator-men", "display-men", "officer"):
        r = client.post(
            "/api/v1/admin/branches",
            json=body,
            headers={"Authorization": f"Bearer {world.tokens[name]}"},
        )
        assert r.status_code == 403, name
    assert client.post("/api/v1/admin/branches", json=body).status_code == 401


def test_administration_screens(client: TestClient, world: World) -> None:
    sign_in(client, "admin")
    form_token = page_csrf(client)
    page = client.get("/staff/admin")
    assert page.status_code == 200 and "الإدارة" in page.text
    base = {"csrf_token": form_token, "branch": "riyadh"}
    r = client.post(
        "/staff/admin/services",
        data={
            **base,
            "slug": "passport",
            "name_ar": "جوازات",
            "name_en": "Passports",
            "minutes": "9",
        },
    )
    assert "أُضيفت الخدمة" in r.text and "Passports" in r.text
    r = client.post(
        "/staff/admin/counters",
        data={**base, "hall": "men", "number": "7", "service": ["passport", "letter"]},
    )
    assert "أُضيف الكاونتر" in r.text
    r = client.post(
        "/staff/admin/counters", data={**base, "hall": "men", "number": "7", "service": ["letter"]}
    )
    assert "موجود في هذه القاعة من قبل" in r.text
    r = client.post("/staff/admin/policy", data={**base, "max_wait": "30"})
    assert "حُفظت سياسة الطابور" in r.text and 'value="30"' in r.text
    r = client.post("/staff/admin/priorities", data={**base, "slug": "elderly", "weight": "4"})
    assert "حُفظت فئة الأولوية" in r.text
    r = client.post(
        "/staff/admin/tokens",
        data={
            "csrf_token": form_token,
            "name": "lobby tv",
            "role": "display",
            "token_branch": "riyadh",
            "hall": "women",
        },
    )
    token = r.text.split('<code dir="ltr" class="token">')[1].split("<")[0]
    assert token.startswith("rcp_")
    assert token not in client.get("/staff/admin").text  # shown once
    listing = client.get("/api/v1/branches", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200
    r = client.post(
        "/staff/admin/users",
        data={
            **base,
            "username": "op-7",
            "password": "long-enough-pw",
            "role": "operator",
            "user_branch": "riyadh",
            "hall": ["men"],
        },
    )
    assert "أُنشئ الحساب" in r.text and "op-7" in r.text
    r = client.post("/staff/admin/users/active", data={**base, "username": "op-7", "active": "no"})
    assert "حُدّث الحساب" in r.text


def test_administration_is_for_admins(client: TestClient, world: World) -> None:
    sign_in(client, "supervisor")
    form_token = page_csrf(client)
    assert client.get("/staff/admin").status_code == 403
    r = client.post(
        "/staff/admin/policy", data={"csrf_token": form_token, "branch": "riyadh", "max_wait": "5"}
    )
    assert r.status_code == 403


def test_branches_and_halls_from_the_screen(client: TestClient, world: World) -> None:
    sign_in(client, "admin")
    form_token = page_csrf(client)
    r = client.post(
        "/staff/admin/branches",
        data={
            "csrf_token": form_token,
            "branch": "riyadh",
            "new_slug": "abha",
            "name_ar": "أبها",
            "name_en": "Abha",
            "kind": "mobile",
        },
    )
    assert "أُضيف الفرع" in r.text
    r = client.post(
        "/staff/admin/halls",
        data={
            "csrf_token": form_token,
            "branch": "abha",
            "slug": "women",
            "section": "women",
            "name_ar": "النساء",
            "name_en": "Women",
            "prefix": "a",
        },
    )
    assert "أُضيفت القاعة" in r.text and '<bdi dir="ltr">A</bdi>' in r.text
    r = client.post(
        "/staff/admin/halls",
        data={
            "csrf_token": form_token,
            "branch": "abha",
            "slug": "women",
            "section": "women",
            "name_ar": "النساء",
            "name_en": "Women",
            "prefix": "A",
        },
    )
    assert "موجود من قبل" in r.text


def test_opening_hours_and_holidays_through_the_api(client: TestClient, world: World) -> None:
    admin = bearer(world, "admin")
    kiosk = bearer(world, "kiosk")
    ticket = {"branch": "riyadh", "hall": "men", "service": "letter"}
    assert client.post("/api/v1/tickets", json=ticket, headers=kiosk).status_code == 201

    r = client.put(
        "/api/v1/admin/branches/riyadh/hours",
        json={"days": "sun-thu", "start": "07:00", "end": "23:59"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["opening_hours"]["sun"] == [["07:00", "23:59"]]
    r = client.put(
        "/api/v1/admin/branches/riyadh/hours",
        json={"days": "sun-sat", "closed": True},
        headers=admin,
    )
    assert r.status_code == 200 and all(v == [] for v in r.json()["opening_hours"].values())
    r = client.post("/api/v1/tickets", json=ticket, headers=kiosk)
    assert r.status_code == 409 and r.json()["error"]["code"] == "closed"

    bad = client.put(
        "/api/v1/admin/branches/riyadh/hours",
        json={"days": "someday", "start": "8", "end": "3"},
        headers={**admin, "Accept-Language": "ar"},
    )
    assert bad.status_code == 422 and "08:00" in bad.json()["error"]["message"]

    r = client.put("/api/v1/admin/branches/riyadh/holidays/2026-12-18", headers=admin)
    assert r.status_code == 200 and r.json()["holidays"] == ["2026-12-18"]
    r = client.delete("/api/v1/admin/branches/riyadh/holidays/2026-12-18", headers=admin)
    assert r.status_code == 200 and r.json()["holidays"] == []
    r = client.put("/api/v1/admin/branches/riyadh/holidays/18-12-2026", headers=admin)
    assert r.status_code == 422 and "2026-12-18" in r.json()["error"]["message"]
    r = client.put("/api/v1/admin/branches/nowhere/holidays/2026-12-18", headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_branch"

    listed = client.get("/api/v1/admin/tokens", headers=admin).json()["tokens"]
    assert {"kiosk", "display-men"} <= {t["name"] for t in listed}
    assert not any("token" in t or "token_hash" in t for t in listed)
    assert client.get("/api/v1/admin/tokens", headers=kiosk).status_code == 403


def test_hours_holidays_and_stops_from_the_screen(client: TestClient, world: World) -> None:
    sign_in(client, "admin")
    form_token = page_csrf(client)
    base = {"csrf_token": form_token, "branch": "riyadh"}
    r = client.post(
        "/staff/admin/hours", data={**base, "days": "sun-thu", "start": "08:00", "end": "15:00"}
    )
    assert "حُفظت ساعات العمل" in r.text and "08:00–15:00" in r.text
    r = client.post("/staff/admin/hours", data={**base, "days": "fri,sat", "closed": "yes"})
    assert "مغلق" in r.text
    r = client.post("/staff/admin/hours", data={**base, "days": "monday"})
    assert "sun" in r.text and 'role="alert"' in r.text
    r = client.post("/staff/admin/holidays", data={**base, "day": "2026-12-18"})
    assert "حُفظت أيام العطل" in r.text and "18 ديسمبر 2026" in r.text  # the day in words
    r = client.post("/staff/admin/holidays", data={**base, "day": "2026-12-18", "open": "yes"})
    assert "18 ديسمبر 2026" not in r.text
    r = client.post("/staff/admin/holidays", data={**base, "day": "tomorrow"})
    assert 'role="alert"' in r.text
    r = client.post(
        "/staff/admin/branches",
        data={**base, "new_slug": "van", "name_ar": "وحدة", "name_en": "Van", "kind": "mobile"},
    )
    r = client.get("/staff/admin?branch=van")
    assert "sec-stops-title" in r.text
    stop = {
        "csrf_token": form_token,
        "branch": "van",
        "place_ar": "تبوك",
        "place_en": "Tabuk",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-03",
    }
    r = client.post("/staff/admin/stops", data=stop)
    assert "أُضيفت المحطة" in r.text and "تبوك" in r.text
    r = client.post("/staff/admin/stops", data={**stop, "ends_on": "2026-11-01"})
    assert 'role="alert"' in r.text


def test_letter_taxonomy_from_the_screen(client: TestClient, world: World) -> None:
    sign_in(client, "admin")
    form_token = page_csrf(client)
    base = {"csrf_token": form_token, "branch": "riyadh"}
    r = client.post(
        "/staff/admin/departments",
        data={**base, "slug": "housing", "name_ar": "الإسكان", "name_en": "Housing"},
    )
    assert "أُضيفت الإدارة" in r.text
    r = client.post(
        "/staff/admin/categories",
        data={
            **base,
            "slug": "housing_aid",
            "name_ar": "دعم سكني",
            "name_en": "Housing aid",
            "parent": "request",
            "sla_routed": "12",
        },
    )
    assert "أُضيف التصنيف" in r.text
    r = client.post(
        "/staff/admin/routing",
        data={**base, "category": "housing_aid", "department": "housing", "residency": "resident"},
    )
    assert "حُفظت قاعدة التوجيه" in r.text and "الإسكان" in r.text
    r = client.post(
        "/staff/admin/categories",
        data={**base, "slug": "x", "name_ar": "س", "name_en": "x", "sla_routed": "soon"},
    )
    assert 'role="alert"' in r.text
    supervisor = TestClient(client.app)
    sign_in(supervisor, "supervisor")
    token = page_csrf(supervisor)
    r = supervisor.post(
        "/staff/admin/departments",
        data={"csrf_token": token, "branch": "riyadh", "slug": "y", "name_ar": "ي", "name_en": "y"},
    )
    assert r.status_code == 403


def test_appointment_times_from_the_screen(client: TestClient, world: World) -> None:
    sign_in(client, "admin")
    form_token = page_csrf(client)
    base = {"csrf_token": form_token, "branch": "riyadh"}
    page = client.get("/staff/admin")
    assert "slots-title" in page.text and "st-capacity" in page.text
    times = {
        **base,
        "hall": "women",
        "service": "letter",
        "days": "sun-thu",
        "start": "09:00",
        "end": "11:00",
        "minutes": "20",
        "capacity": "3",
        "blackout": "2026-12-18, 2026-12-19",
    }
    r = client.post("/staff/admin/slot-templates", data=times)
    assert "أُضيفت أوقات المواعيد" in r.text and "09:00–11:00" in r.text
    assert "2026-12-19" in r.text and 'role="alert"' not in r.text
    r = client.post("/staff/admin/slot-templates", data={**times, "minutes": "2"})
    assert 'role="alert"' in r.text and "480" in r.text
    r = client.post("/staff/admin/slot-templates", data={**times, "capacity": "many"})
    assert 'role="alert"' in r.text
    r = client.post("/staff/admin/slot-templates", data={**times, "end": "08:00"})
    assert 'role="alert"' in r.text
    admin = bearer(world, "admin")
    (added,) = client.get("/api/v1/admin/branches/riyadh/slot-templates", headers=admin).json()[
        "templates"
    ]
    assert (added["slot_minutes"], added["capacity"], added["active"]) == (20, 3, True)
    r = client.post(
        "/staff/admin/slot-templates/active",
        data={**base, "template": str(added["id"]), "active": "no"},
    )
    assert "تغيرت أوقات المواعيد" in r.text and "عرضها من جديد" in r.text
    (changed,) = client.get("/api/v1/admin/branches/riyadh/slot-templates", headers=admin).json()[
        "templates"
    ]
    assert changed["active"] is False
    r = client.post("/staff/admin/slot-templates", data={**times, "csrf_token": "forged"})
    assert r.status_code == 403


def test_a_counters_new_services_reach_the_halls_display(client: TestClient, world: World) -> None:
    """Reassigned through the API as on the supervisor's screen: the display hears of it
    with the hall's next event number (it would otherwise keep the old counters' lines)."""
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    counter = world.counters["men"][0]
    sign_in(client, "display-men")
    with client.websocket_connect("/display/ws?hall=men") as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot"
        r = client.put(
            f"/api/v1/admin/counters/{counter}/services",
            json={"services": ["letter", "complaint"]},
            headers=admin,
        )
        assert r.status_code == 200, r.text
        assert r.json()["services"] == ["letter", "complaint"]
        event = ws.receive_json()
    assert (event["type"], event["seq"]) == ("counter.services", snapshot["seq"] + 1)
    assert event["hall"] == "men"
