"""The pure rules of joining from a phone: codes, location, minutes and places."""

from __future__ import annotations

import pytest

from reception.errors import Conflict, Forbidden, Invalid
from reception.remote import rules

# A point in Riyadh and one about 250 m north of it (1° of latitude ≈ 111.2 km).
LAT, LON = 24.6877, 46.7219
NORTH_250 = LAT + 250 / 111_195


def test_codes_have_six_digits_and_differ() -> None:
    codes = {rules.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150  # a fixed or tiny code space would repeat


def test_a_code_is_typed_with_any_digits_and_separators() -> None:
    assert rules.clean_code("١٢٣ ٤٥٦") == "123456"
    assert rules.clean_code("12-34-56") == "123456"
    for bad in ("12345", "1234567", "", "abcdef"):
        with pytest.raises(Invalid) as refused:
            rules.clean_code(bad)
        assert refused.value.code == "bad_code"


def test_a_code_matches_only_its_own_join() -> None:
    stored = rules.code_hash("secret", "join-a", "123456")
    assert rules.code_matches("secret", "join-a", "123456", stored)
    assert not rules.code_matches("secret", "join-b", "123456", stored)
    assert not rules.code_matches("secret", "join-a", "123457", stored)
    assert not rules.code_matches("other", "join-a", "123456", stored)
    assert "123456" not in stored


def test_addresses_are_kept_as_keyed_hashes() -> None:
    key = rules.address_key("secret", "203.0.113.9")
    assert "203.0.113.9" not in key
    assert key == rules.address_key("secret", "203.0.113.9")
    assert key != rules.address_key("secret", "203.0.113.10")


def test_distance_is_measured_on_the_earth() -> None:
    assert rules.distance_m(LAT, LON, LAT, LON) == 0
    assert abs(rules.distance_m(LAT, LON, NORTH_250, LON) - 250) < 1
    riyadh_jeddah = rules.distance_m(24.7136, 46.6753, 21.4858, 39.1925)
    assert 840_000 < riyadh_jeddah < 860_000


def test_a_location_inside_the_radius_checks_in() -> None:
    assert rules.check_location(NORTH_250, LON, 20, LAT, LON, 300) == pytest.approx(250, abs=1)


def test_accuracy_counts_for_the_visitor_up_to_the_radius() -> None:
    far = LAT + 500 / 111_195
    assert rules.check_location(far, LON, 250, LAT, LON, 300) == pytest.approx(500, abs=1)
    with pytest.raises(Conflict) as refused:
        rules.check_location(far, LON, 150, LAT, LON, 300)
    assert refused.value.code == "too_far"


def test_an_imprecise_or_impossible_location_is_refused() -> None:
    with pytest.raises(Conflict) as refused:
        rules.check_location(LAT, LON, 601, LAT, LON, 300)
    assert refused.value.code == "location_imprecise"
    for lat, lon, accuracy in ((91, LON, 10), (LAT, 181, 10), (LAT, LON, -1)):
        with pytest.raises(Invalid) as bad:
            rules.check_location(lat, lon, accuracy, LAT, LON, 300)
        assert bad.value.code == "bad_location"


@pytest.mark.parametrize("raw", ["0", "-5", "241", "soon", "", "1.5"])
def test_minutes_on_the_way_are_whole_and_bounded(raw: str) -> None:
    with pytest.raises(Invalid):
        rules.check_minutes(raw)


def test_minutes_on_the_way_are_read() -> None:
    assert rules.check_minutes(" 25 ") == 25
    assert rules.check_minutes(rules.ON_WAY_MAX_MINUTES) == rules.ON_WAY_MAX_MINUTES


def test_places_moved_back_are_bounded_by_the_branch() -> None:
    assert rules.check_places("3", 5) == 3
    for raw in ("0", "6", "x"):
        with pytest.raises(Invalid):
            rules.check_places(raw, 5)


def test_only_what_the_branch_offers_remotely() -> None:
    rules.check_offered("hall", "men", ["men", "women"])
    rules.check_offered("priority", None, [])
    with pytest.raises(Forbidden) as refused:
        rules.check_offered("service", "complaint", ["letter"])
    assert refused.value.code == "remote_service_not_offered"


def test_saying_on_my_way_raises_the_allowance() -> None:
    policy = {"passes_allowed": 3, "passes_allowed_on_way": 10}
    assert rules.passes_allowed(policy, on_way=False) == 3
    assert rules.passes_allowed(policy, on_way=True) == 10
