"""Pure rules of joining from a phone: codes, distances, what a policy allows."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Mapping
from typing import Any

from reception.errors import N_, Conflict, Forbidden, Invalid

VISITOR = "visitor"
"""The audit actor of what a visitor does from their own phone."""
CODE_DIGITS = 6
"""The SMS code and the kiosk code: six digits, easy to type on any keypad."""
ON_WAY_MAX_MINUTES = 240
EARTH_RADIUS_M = 6_371_000.0
LOCATION_ACCURACY_FACTOR = 2
"""A location fix less precise than twice the branch's radius proves nothing."""


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(secret: str, token: str, code: str) -> str:
    """A join's code kept as a keyed hash, bound to its join."""
    return hmac.new(secret.encode(), f"{token}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(secret: str, token: str, code: str, stored: str) -> bool:
    return hmac.compare_digest(code_hash(secret, token, code), stored)


def address_key(secret: str, address: str) -> str:
    """A network address as a keyed hash: counted, never kept as itself."""
    return hmac.new(secret.encode(), f"remote-join:{address}".encode(), hashlib.sha256).hexdigest()


def clean_code(raw: str) -> str:
    """The digits of a typed or scanned code (Arabic-Indic digits too, spaces and
    dashes ignored)."""
    digits = "".join(str(int(ch)) for ch in raw if ch.isdigit())
    if len(digits) != CODE_DIGITS:
        raise Invalid("bad_code", N_("The code has six digits."))
    return digits


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def check_location(
    latitude: float,
    longitude: float,
    accuracy_m: float,
    branch_latitude: float,
    branch_longitude: float,
    radius_m: int,
) -> float:
    """The visitor's distance from the branch, if the phone's fix puts them within
    the radius (its accuracy counted in their favour up to the radius itself);
    refused otherwise."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or not (0 <= accuracy_m < 100_000):
        raise Invalid("bad_location", N_("Your phone did not give a usable location."))
    if accuracy_m > LOCATION_ACCURACY_FACTOR * radius_m:
        raise Conflict(
            "location_imprecise",
            N_("Your phone's location is not precise enough. Please check in at the kiosk."),
        )
    distance = distance_m(latitude, longitude, branch_latitude, branch_longitude)
    if distance > radius_m + min(accuracy_m, radius_m):
        raise Conflict(
            "too_far",
            N_("You are not at the branch yet. Check in when you arrive."),
        )
    return distance


def check_minutes(raw: Any) -> int:
    try:
        minutes = int(str(raw).strip())
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= ON_WAY_MAX_MINUTES:
        raise Invalid(
            "bad_minutes",
            N_("Give the minutes you need to arrive, from 1 to {most}."),
            most=ON_WAY_MAX_MINUTES,
        )
    return minutes


def check_places(raw: Any, most: int) -> int:
    try:
        places = int(str(raw).strip())
    except ValueError:
        places = 0
    if not 1 <= places <= most:
        raise Invalid(
            "bad_places",
            N_("Choose how many places to move back, from 1 to {most}."),
            most=most,
        )
    return places


def check_offered(kind: str, slug: str | None, offered: list[str]) -> None:
    """A hall, service or priority group the branch offers for joining from a phone."""
    if slug is None:
        return
    if slug not in offered:
        messages = {
            "hall": N_("This hall cannot be joined from a phone."),
            "service": N_("This service cannot be joined from a phone. Please come to the hall."),
            "priority": N_("This priority cannot be chosen from a phone. Please ask at the hall."),
        }
        raise Forbidden(f"remote_{kind}_not_offered", messages[kind])


def passes_allowed(policy: Mapping[str, Any], on_way: bool) -> int:
    return int(policy["passes_allowed_on_way"] if on_way else policy["passes_allowed"])
