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
