"""The administration screen of mobile units, through the browser's forms: adding a unit
shows its token once (and it works), the list says when each unit last synced, what it
still holds and whether it is revoked; revoking asks first, then stops the token."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col
from starlette.testclient import TestClient

from reception.db import session_scope
from reception.edge.models import EdgeUnit
from reception.queue import setup
from tests.factories import World
from tests.helpers import csrf, page_csrf, sign_in

PAGE = "/staff/admin/units"


def _mobile(engine: Engine) -> None:
    with session_scope(engine) as s:
        setup.add_branch(s, slug="north", name_ar="الشمال", name_en="North", kind="mobile")


def test_add_a_unit_see_its_token_once_then_revoke_it_after_confirming(
    client: TestClient, world: World, engine: Engine
) -> None:
    _mobile(engine)
    sign_in(client, "admin")
    empty = client.get(PAGE, params={"branch": "north"})
    assert empty.status_code == 200 and "لا توجد وحدة بعد." in empty.text

    added = client.post(
        PAGE, data={"csrf_token": csrf(empty.text), "branch": "north", "name": "حاسوب 1"}
    )
    assert added.status_code == 200
    shown = re.search(
        r'<code dir="ltr" class="edge-token" id="new-token">([^<]+)</code>', added.text
    )
    assert shown, added.text
    token = shown.group(1)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/edge/config", headers=auth).status_code == 200
    assert "RECEPTION_EDGE_TOKEN" in added.text  # how to use it

    listed = client.get(PAGE, params={"branch": "north"})
    assert token not in listed.text  # shown once only
    assert "حاسوب 1" in listed.text and "لم تتم المزامنة بعد" in listed.text
    assert "فعّالة" in listed.text
    unit_id = int(re.search(r'data-unit="(\d+)"', listed.text).group(1))  # type: ignore[union-attr]
    with session_scope(engine) as s:
        s.execute(
            update(EdgeUnit)
            .where(col(EdgeUnit.id) == unit_id)
            .values(last_push_at=datetime(2026, 12, 7, 6, 5, tzinfo=UTC), pending=12)
        )
    listed = client.get(PAGE, params={"branch": "north"})
    assert "2026-12-07 09:05" in listed.text  # in the branch's time
    assert '<td class="num"><bdi dir="ltr">12</bdi></td>' in listed.text

    revoke = f"{PAGE}/{unit_id}/revoke"
    question = client.post(revoke, data={"csrf_token": csrf(listed.text), "branch": "north"})
    assert question.status_code == 200
    assert 'name="confirm" value="yes"' in question.text and "حاسوب 1" in question.text
    assert "12</bdi> سجلًا" in question.text  # what it still held
    assert client.get("/api/v1/edge/config", headers=auth).status_code == 200  # not yet

    done = client.post(
        revoke,
        data={"csrf_token": csrf(question.text), "branch": "north", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{PAGE}?branch=north"
    after = client.get(PAGE, params={"branch": "north"})
    assert "أُلغيت الوحدة" in after.text and "ملغاة" in after.text
    assert f"{PAGE}/{unit_id}/revoke" not in after.text
    assert client.get("/api/v1/edge/config", headers=auth).status_code == 401


def test_refusals_are_clear(client: TestClient, world: World, engine: Engine) -> None:
    _mobile(engine)
    sign_in(client, "admin")
    token = page_csrf(client, PAGE)
    centre = client.post(PAGE, data={"csrf_token": token, "branch": "riyadh", "name": "x"})
    assert centre.status_code == 422 and "flash-error" in centre.text
    nameless = client.post(PAGE, data={"csrf_token": token, "branch": "north", "name": " "})
    assert nameless.status_code == 422
    forged = client.post(PAGE, data={"csrf_token": "forged", "branch": "north", "name": "x"})
    assert forged.status_code == 403
    unknown = client.post(f"{PAGE}/999/revoke", data={"csrf_token": token})
    assert unknown.status_code == 404
    assert client.get(PAGE, params={"branch": "nowhere"}).status_code == 404
    client.get("/lang?to=en&next=/")
    english = client.get(PAGE)  # the first mobile branch
    assert "Units of this branch" in english.text and "Add unit" in english.text


def test_only_an_administrator_manages_units(
    client: TestClient, world: World, engine: Engine
) -> None:
    _mobile(engine)
    sign_in(client, "supervisor")
    assert client.get(PAGE, params={"branch": "north"}).status_code == 403
