"""Administration through the API with an admin token: a new branch works at once."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.factories import World


def test_an_admin_sets_up_a_branch_that_works_at_once(client: TestClient, world: World) -> None:
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}

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


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


def _sign_in(client: TestClient, username: str) -> str:
    from tests.factories import PASSWORD

    page = client.get("/staff/login")
    client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    return _csrf(client.get("/staff").text)


def test_administration_screens(client: TestClient, world: World) -> None:
    csrf = _sign_in(client, "admin")
    page = client.get("/staff/admin")
    assert page.status_code == 200 and "الإدارة" in page.text
    base = {"csrf_token": csrf, "branch": "riyadh"}
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
            "csrf_token": csrf,
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
    csrf = _sign_in(client, "supervisor")
    assert client.get("/staff/admin").status_code == 403
    r = client.post(
        "/staff/admin/policy", data={"csrf_token": csrf, "branch": "riyadh", "max_wait": "5"}
    )
    assert r.status_code == 403


def test_branches_and_halls_from_the_screen(client: TestClient, world: World) -> None:
    csrf = _sign_in(client, "admin")
    r = client.post(
        "/staff/admin/branches",
        data={
            "csrf_token": csrf,
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
            "csrf_token": csrf,
            "branch": "abha",
            "slug": "women",
            "section": "women",
            "name_ar": "النساء",
            "name_en": "Women",
            "prefix": "a",
        },
    )
    assert "أُضيفت القاعة" in r.text and "(A)" in r.text
    r = client.post(
        "/staff/admin/halls",
        data={
            "csrf_token": csrf,
            "branch": "abha",
            "slug": "women",
            "section": "women",
            "name_ar": "النساء",
            "name_en": "Women",
            "prefix": "A",
        },
    )
    assert "موجود من قبل" in r.text
