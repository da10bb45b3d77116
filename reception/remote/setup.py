"""An administrator sets a branch's rules for joining the line from a phone: one
action that checks every rule (numbers in range, halls, services and priority groups
that exist, coordinates on the globe) before it writes, and audits the change."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from reception import audit
from reception.errors import N_, Invalid
from reception.queue import queries
from reception.queue.models import Branch, Hall, PriorityGroup, Service
from reception.queue.rules import WEEKDAYS
from reception.remote.models import RemotePolicy

NUMBERS: dict[str, tuple[int, int, str]] = {
    "cap_per_hall": (
        1,
        500,
        N_("The most remote tickets in a hall's line is a whole number from {low} to {high}."),
    ),
    "code_minutes": (
        2,
        60,
        N_("The minutes an SMS code is good for is a whole number from {low} to {high}."),
    ),
    "code_attempts": (
        1,
        10,
        N_("The wrong codes allowed is a whole number from {low} to {high}."),
    ),
    "codes_per_number_hour": (
        1,
        20,
        N_("The codes one number may ask for in an hour is a whole number from {low} to {high}."),
    ),
    "joins_per_address_hour": (
        1,
        1000,
        N_("The joins from one connection in an hour is a whole number from {low} to {high}."),
    ),
    "passes_allowed": (
        0,
        100,
        N_("The visitors who may pass a remote ticket is a whole number from {low} to {high}."),
    ),
    "passes_allowed_on_way": (
        0,
        200,
        N_(
            "The visitors who may pass someone on their way is a whole number from {low} to {high}."
        ),
    ),
    "late_max_places": (
        1,
        100,
        N_("The most places a late visitor may move back is a whole number from {low} to {high}."),
    ),
    "notify_at_place": (
        1,
        100,
        N_("The place at which the SMS is sent is a whole number from {low} to {high}."),
    ),
    "radius_m": (
        20,
        5000,
        N_("The radius of a location check-in is a whole number of metres from {low} to {high}."),
    ),
}
"""Each number of the policy: its sane range and the refusal that names it."""

_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_END = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")


def check_number(name: str, value: Any) -> int:
    low, high, message = NUMBERS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"bad_{name}", message, low=low, high=high)
    return value


def check_hours(hours: Mapping[str, Any] | None) -> dict[str, list[list[str]]]:
    """Hours like a branch's opening hours (weekday → [[start, end], …]); empty: the
    branch's own hours."""
    if not hours:
        return {}
    if not isinstance(hours, Mapping):
        raise Invalid("bad_hours", N_("Hours are given per day, like sun: 08:00–12:00."))
    checked: dict[str, list[list[str]]] = {}
    for day, spans in hours.items():
        if day not in WEEKDAYS:
            raise Invalid("bad_days", N_("Days are mon, tue, wed, thu, fri, sat, sun."))
        if not isinstance(spans, list) or len(spans) > 6:
            raise Invalid("bad_hours", N_("Hours are given per day, like sun: 08:00–12:00."))
        checked[day] = []
        for span in spans:
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise Invalid("bad_hours", N_("Hours are given per day, like sun: 08:00–12:00."))
            start, end = (str(v) for v in span)
            if not _TIME.fullmatch(start) or not _END.fullmatch(end):
                raise Invalid("bad_time", N_("Times are written like 08:00 and 15:30."))
            if end <= start:
                raise Invalid("bad_time", N_("Closing comes after opening."))
            checked[day].append([start, end])
    return checked


def _check_coordinate(value: Any, most: float, message: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("bad_coordinates", message)
    number = float(value)
    if not math.isfinite(number) or not -most <= number <= most:
        raise Invalid("bad_coordinates", message)
    return number


def _known(
    session: Session, model: Any, where: Any, slugs: list[str], code: str, message: str
) -> list[str]:
    wanted = list(dict.fromkeys(str(s) for s in slugs))
    if not wanted:
        return []
    found = set(session.exec(select(model.slug).where(where, col(model.slug).in_(wanted))).all())
    missing = [s for s in wanted if s not in found]
    if missing:
        raise Invalid(code, message, slug=missing[0])
    return wanted


def set_remote_policy(
    session: Session,
    *,
    branch: str,
    enabled: bool,
    hours: Mapping[str, Any] | None = None,
    halls: list[str] | None = None,
    services: list[str] | None = None,
    priorities: list[str] | None = None,
    numbers: Mapping[str, Any] | None = None,
    geo_checkin: bool = False,
    latitude: Any = None,
    longitude: Any = None,
    actor: str = "cli",
) -> RemotePolicy:
    """Replace a branch's rules for joining from a phone; numbers not given keep
    their current value (or the default)."""
    row = queries.branch_by_slug(session, branch)
    policy = session.get(RemotePolicy, row.id) or RemotePolicy(branch_id=row.id or 0)
    checked_hours = check_hours(hours)
    hall_slugs = _known(
        session,
        Hall,
        Hall.branch_id == row.id,
        halls or [],
        "unknown_hall",
        N_("There is no hall {slug} in this branch."),
    )
    service_slugs = _known(
        session,
        Service,
        (Service.branch_id == row.id) & (Service.active == True),  # noqa: E712
        services or [],
        "unknown_service",
        N_("There is no service {slug} here."),
    )
    priority_slugs = _known(
        session,
        PriorityGroup,
        col(PriorityGroup.id).is_not(None),
        priorities or [],
        "unknown_priority",
        N_("There is no priority group {slug}."),
    )
    if enabled and (not hall_slugs or not service_slugs):
        raise Invalid(
            "remote_nothing_offered",
            N_("Choose at least one hall and one service that visitors may join from a phone."),
        )
    values = {name: getattr(policy, name) for name in NUMBERS}
    for name, value in (numbers or {}).items():
        if name not in NUMBERS:
            raise Invalid("bad_field", N_("Unknown setting {name}."), name=name)
        values[name] = check_number(name, value)
    if values["passes_allowed_on_way"] < values["passes_allowed"]:
        raise Invalid(
            "bad_passes_allowed_on_way",
            N_("Someone on their way may be passed at least as often as someone who is not."),
        )
    lat = _check_coordinate(
        latitude, 90, N_("The latitude is a number from -90 to 90, like 24.7136.")
    )
    lon = _check_coordinate(
        longitude, 180, N_("The longitude is a number from -180 to 180, like 46.6753.")
    )
    if (lat is None) != (lon is None):
        raise Invalid(
            "bad_coordinates", N_("Give both the latitude and the longitude, or neither.")
        )
    if geo_checkin and lat is None:
        raise Invalid(
            "bad_coordinates",
            N_("A location check-in needs the branch's latitude and longitude."),
        )
    policy.enabled = bool(enabled)
    policy.hours = checked_hours
    policy.halls = hall_slugs
    policy.services = service_slugs
    policy.priorities = priority_slugs
    for name, value in values.items():
        setattr(policy, name, value)
    policy.geo_checkin = bool(geo_checkin)
    policy.latitude = lat
    policy.longitude = lon
    session.add(policy)
    session.flush()
    audit.record(
        session,
        actor,
        "branch.remote_policy",
        "branch",
        row.id,
        enabled=policy.enabled,
        hours=checked_hours,
        halls=hall_slugs,
        services=service_slugs,
        priorities=priority_slugs,
        geo_checkin=policy.geo_checkin,
        **values,
    )
    return policy


def policy_fields(policy: RemotePolicy, branch: Branch) -> dict[str, Any]:
    """A policy as the API and the command line show it."""
    return {
        "branch": branch.slug,
        "enabled": policy.enabled,
        "hours": policy.hours or {},
        "halls": list(policy.halls or []),
        "services": list(policy.services or []),
        "priorities": list(policy.priorities or []),
        **{name: getattr(policy, name) for name in NUMBERS},
        "geo_checkin": policy.geo_checkin,
        "latitude": policy.latitude,
        "longitude": policy.longitude,
    }
