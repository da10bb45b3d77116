"""A tracking link made at a mobile unit, opened at the centre before the unit's
records arrived: "being synchronised" (with when the unit last synced) in the
visitor's language, not "not found"; once the records are in, the usual page."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from tests.edge_world import add_unit, letter, push, record, ticket
from tests.factories import World


def test_a_units_links_are_being_synchronised_until_they_arrive(
    client: TestClient, world: World, engine: Engine
) -> None:
    unit = add_unit(client, world, engine)
    early = client.get(f"/t/u{unit.id}xticket1")
    assert early.status_code == 200
    assert "قيد المزامنة" in early.text and "لم تُجرِ الوحدة" in early.text
    assert 'dir="rtl"' in early.text
    page = client.get(f"/l/u{unit.id}xletter1")
    assert page.status_code == 200 and "قيد المزامنة" in page.text

    assert push(client, unit, [record(1, ticket(unit)), record(2, letter(unit))]).status_code == 200
    client.get("/lang?to=en&next=/")
    other = client.get(f"/t/u{unit.id}xticket2")
    assert other.status_code == 200 and "Being synchronised" in other.text
    assert "Last synchronised at" in other.text and 'dir="ltr"' in other.text
    arrived = client.get(f"/t/u{unit.id}xticket1")
    assert arrived.status_code == 200 and "Being synchronised" not in arrived.text
    assert "N-001" in arrived.text
    letter_page = client.get(f"/l/u{unit.id}xletter1")
    assert letter_page.status_code == 200 and f"U{unit.id}-2026-000001" in letter_page.text

    for unknown in (f"/t/u{unit.id + 50}xnothing", "/t/nothing-here", "/l/u0xnothing"):
        assert client.get(unknown).status_code == 404, unknown
