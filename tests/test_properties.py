"""Properties of the pure rules, checked on many generated cases: priority order,
ticket numbers, the state machines, waiting estimates, routing, Arabic folding,
identity numbers, appointment slots and SMS segments."""

from __future__ import annotations

import math
import string
import uuid
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from reception.appointments.models import AppointmentStatus, MeetingStatus, SlotTemplate
from reception.appointments.rules import (
    MEETING_TRANSITIONS,
    check_appointment_transition,
    check_meeting_transition,
    generate_slots,
)
from reception.appointments.rules import TRANSITIONS as APPOINTMENT_TRANSITIONS
from reception.errors import Conflict, Invalid
from reception.feedback.rules import normalise_ticket_number
from reception.letters.models import LetterStatus
from reception.letters.rules import (
    TRANSITIONS as LETTER_TRANSITIONS,
)
from reception.letters.rules import (
    Rule,
    check_id_number,
    check_letter_transition,
    choose_department,
    normalise_arabic,
)
from reception.notify.segments import GSM_BASIC, GSM_EXTENDED, count_segments
from reception.queue import actions as queue_actions
from reception.queue import checkin
from reception.queue.models import Counter, Hall, Service, Ticket, TicketStatus
from reception.queue.rules import (
    TICKET_TRANSITIONS,
    WEEKDAYS,
    QueueState,
    check_ticket_transition,
    estimate_eta,
    minutes_per_visit,
    people_ahead,
)
from tests.factories import World

FEW = settings(max_examples=100, deadline=None)
MANY = settings(max_examples=200, deadline=None)
WITH_DB = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- state machines ------------------------------------------------------------

MACHINES: dict[str, tuple[type[StrEnum], dict[Any, str], Any, StrEnum]] = {
    # A ticket starts waiting (kiosk) or remote (joined from a phone, then waiting).
    "ticket": (TicketStatus, TICKET_TRANSITIONS, check_ticket_transition, TicketStatus.remote),
    "letter": (LetterStatus, LETTER_TRANSITIONS, check_letter_transition, LetterStatus.received),
    "appointment": (
        AppointmentStatus,
        APPOINTMENT_TRANSITIONS,
        check_appointment_transition,
        AppointmentStatus.booked,
    ),
    "meeting": (
        MeetingStatus,
        MEETING_TRANSITIONS,
        check_meeting_transition,
        MeetingStatus.requested,
    ),
}


@pytest.mark.parametrize("machine", list(MACHINES))
@FEW
@given(data=st.data())
def test_random_walks_stay_in_known_states(machine: str, data: st.DataObject) -> None:
    """Any sequence of attempted moves: allowed ones return the table's name and land
    in a known state, refused ones raise Conflict (never another exception) and leave
    the state as it was."""
    states, table, check, initial = MACHINES[machine]
    state: StrEnum = initial
    for _ in range(data.draw(st.integers(0, 30), label="steps")):
        target = data.draw(st.sampled_from(list(states)), label="target")
        if (state, target) in table:
            assert check(str(state), target) == table[(state, target)]
            state = target
        else:
            with pytest.raises(Conflict) as refused:
                check(str(state), target)
            assert refused.value.status_code == 409
        assert state in states


@pytest.mark.parametrize("machine", list(MACHINES))
def test_terminal_states_have_no_way_out(machine: str) -> None:
    states, table, check, _ = MACHINES[machine]
    terminal = [s for s in states if not any(c == s for c, _ in table)]
    assert terminal, "every machine ends somewhere"
    for final in terminal:
        for target in states:
            with pytest.raises(Conflict):
                check(str(final), target)


@pytest.mark.parametrize("machine", list(MACHINES))
def test_every_state_is_reachable_from_the_start(machine: str) -> None:
    states, table, _, initial = MACHINES[machine]
    seen = {initial}
    frontier = [initial]
    while frontier:
        here = frontier.pop()
        for c, t in table:
            if c == here and t not in seen:
                seen.add(t)
                frontier.append(t)
    assert seen == set(states)


@pytest.mark.parametrize("machine", list(MACHINES))
@FEW
@given(current=st.text(max_size=20), data=st.data())
def test_unknown_states_are_a_conflict(machine: str, current: str, data: st.DataObject) -> None:
    states, _, check, _ = MACHINES[machine]
    target = data.draw(st.sampled_from(list(states)))
    if current in {s.value for s in states}:
        return
    with pytest.raises(Conflict):
        check(current, target)


# --- waiting estimates -----------------------------------------------------------


@st.composite
def queue_states(draw: st.DrawFn) -> tuple[QueueState, int]:
    services = list(range(1, draw(st.integers(1, 4)) + 1))
    counters = {
        c: frozenset(draw(st.sets(st.sampled_from(services), max_size=len(services))))
        for c in range(1, draw(st.integers(0, 5)) + 1)
    }
    waiting = {s: draw(st.integers(0, 40)) for s in services}
    busy_choices = [(c, s) for c, served in counters.items() for s in served]
    busy = draw(st.lists(st.sampled_from(busy_choices), max_size=5)) if busy_choices else []
    minutes = {s: draw(st.floats(0, 60, allow_nan=False)) for s in services}
    state = QueueState(counters=counters, waiting=waiting, busy=busy, minutes=minutes)
    return state, draw(st.sampled_from(services))


@MANY
@given(case=queue_states(), data=st.data())
def test_eta_is_never_negative_and_monotone_in_people_ahead(
    case: tuple[QueueState, int], data: st.DataObject
) -> None:
    state, service = case
    ahead = {s: data.draw(st.integers(0, n)) for s, n in state.waiting.items()}
    grown = dict(ahead)
    extra_service = data.draw(st.sampled_from(sorted(ahead)))
    grown[extra_service] += data.draw(st.integers(1, 10))

    eta, eta_grown = estimate_eta(state, service, ahead), estimate_eta(state, service, grown)
    if not any(service in served for served in state.counters.values()):
        assert eta is None and eta_grown is None
    else:
        assert eta is not None and eta_grown is not None
        assert 0 <= eta <= eta_grown
        newcomer = estimate_eta(state, service)
        assert newcomer is not None and newcomer >= eta  # behind everyone: no sooner
    count, count_grown = people_ahead(state, service, ahead), people_ahead(state, service, grown)
    assert 0 <= count <= count_grown


@MANY
@given(
    expected=st.floats(0.5, 60, allow_nan=False),
    observed=st.lists(st.floats(-10, 1000, allow_nan=False), max_size=30),
)
def test_live_service_time_lies_between_the_expected_and_the_observed(
    expected: float, observed: list[float]
) -> None:
    live = minutes_per_visit(expected, observed)
    usable = [m for m in observed if 0 < m < 8 * 60]
    low, high = min([expected, *usable]), max([expected, *usable])
    assert low - 1e-9 <= live <= high + 1e-9


# --- routing -------------------------------------------------------------------

RESIDENCIES = ("citizen", "resident")


@st.composite
def routing_rules(draw: st.DrawFn) -> list[Rule]:
    """At most one rule per (branch, residency), as an administrator keeps them."""
    keys = draw(
        st.sets(
            st.tuples(st.sampled_from([None, 1, 2, 3]), st.sampled_from([None, *RESIDENCIES])),
            max_size=12,
        )
    )
    return [Rule(draw(st.integers(1, 50)), branch, residency) for branch, residency in keys]


def _specificity(rule: Rule) -> int:
    return (2 if rule.branch_id is not None else 0) + (1 if rule.residency else 0)


@MANY
@given(
    rules=routing_rules(),
    branch=st.integers(1, 3),
    residency=st.sampled_from(RESIDENCIES),
    data=st.data(),
)
def test_the_most_specific_matching_rule_wins_whatever_the_order(
    rules: list[Rule], branch: int, residency: str, data: st.DataObject
) -> None:
    chosen = choose_department(rules, branch, residency)
    matching = [
        r for r in rules if r.branch_id in (None, branch) and r.residency in (None, residency)
    ]
    if not matching:
        assert chosen is None
    else:
        best = max(matching, key=_specificity)
        assert chosen == best.department_id
    shuffled = data.draw(st.permutations(rules))
    assert choose_department(shuffled, branch, residency) == chosen


# --- Arabic folding -------------------------------------------------------------

ARABIC_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
        st.sampled_from(" \t\nAaZz09İß\u0301\u0640"),
    ),
    max_size=40,
)


@MANY
@given(text=st.one_of(ARABIC_TEXT, st.text(max_size=40)))
def test_arabic_folding_is_idempotent(text: str) -> None:
    once = normalise_arabic(text)
    assert normalise_arabic(once) == once
    assert once == once.strip() and "  " not in once


# --- identity numbers -------------------------------------------------------------


def _luhn_valid(digits: str) -> bool:
    """Luhn from the right: every second digit doubled, digits of products summed."""
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


@MANY
@given(number=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_identity_numbers_are_exactly_the_luhn_valid_ones(number: str) -> None:
    valid = number[0] in "12" and _luhn_valid(number)
    if valid:
        assert check_id_number(number) == (
            number,
            "citizen" if number[0] == "1" else "resident",
        )
        arabic = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        assert check_id_number(f" {arabic[:5]} {arabic[5:]} ")[0] == number
    else:
        with pytest.raises(Invalid):
            check_id_number(number)


@MANY
@given(
    raw=st.one_of(
        st.text(max_size=14),
        st.text(alphabet=st.characters(categories=["Nd"]), min_size=10, max_size=10),
        st.text(alphabet="1234567890 ٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९", min_size=9, max_size=12),
    )
)
def test_anything_typed_is_accepted_as_ascii_digits_or_refused(raw: str) -> None:
    try:
        digits, residency = check_id_number(raw)
    except Invalid:
        return
    assert len(digits) == 10 and all(ch in string.digits for ch in digits)
    assert digits[0] in "12" and _luhn_valid(digits)
    assert residency == ("citizen" if digits[0] == "1" else "resident")


DIGIT_SETS = ("0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "０１２３４５６７８９")


@MANY
@given(
    body=st.text(alphabet=string.digits, min_size=8, max_size=8),
    first=st.sampled_from("12"),
    scripts=st.lists(st.sampled_from(DIGIT_SETS), min_size=10, max_size=10),
)
def test_a_valid_number_in_any_digits_is_stored_in_ascii_or_refused(
    body: str, first: str, scripts: list[str]
) -> None:
    base = first + body
    number = base + next(d for d in string.digits if _luhn_valid(base + d))
    written = "".join(script[int(ch)] for script, ch in zip(scripts, number, strict=True))
    try:
        digits, _ = check_id_number(written)
    except Invalid:
        return
    assert digits == number


@FEW
@given(number=st.text(alphabet="0123456789", min_size=9, max_size=9).map(lambda s: "1" + s))
def test_one_changed_digit_is_always_caught(number: str) -> None:
    base = number[:9]
    check = next(d for d in string.digits if _luhn_valid(base + d))
    valid = base + check
    for index in range(1, 10):
        for digit in string.digits:
            if digit != valid[index]:
                with pytest.raises(Invalid):
                    check_id_number(valid[:index] + digit + valid[index + 1 :])


# --- appointment slots ------------------------------------------------------------


@st.composite
def templates(draw: st.DrawFn) -> SlotTemplate:
    days = draw(st.sets(st.sampled_from(WEEKDAYS), min_size=1))
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 5, 24 * 60 - 1))
    length = draw(st.integers(5, min(480, end - start)))
    first = date(2025, 1, 1)
    blackouts = draw(st.lists(st.integers(0, 40).map(lambda n: first + timedelta(days=n))))
    return SlotTemplate(
        id=draw(st.integers(1, 9)),
        branch_id=1,
        hall_id=1,
        service_id=1,
        weekdays=",".join(d for d in WEEKDAYS if d in days),
        start=f"{start // 60:02d}:{start % 60:02d}",
        end=f"{end // 60:02d}:{end % 60:02d}",
        slot_minutes=length,
        capacity=draw(st.integers(1, 500)),
        blackout_dates=[d.isoformat() for d in blackouts],
    )


def _clock_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@MANY
@given(
    template=templates(),
    offset=st.integers(0, 20),
    span=st.integers(0, 20),
    holidays=st.lists(st.integers(0, 40).map(lambda n: date(2025, 1, 1) + timedelta(days=n))),
    zone=st.sampled_from(["Asia/Riyadh", "Asia/Dubai", "UTC", "Asia/Kolkata"]),
)
def test_slots_fit_the_template(
    template: SlotTemplate, offset: int, span: int, holidays: list[date], zone: str
) -> None:
    first = date(2025, 1, 1) + timedelta(days=offset)
    last = first + timedelta(days=span)
    closed = {d.isoformat() for d in holidays} | set(template.blackout_dates)
    slots = generate_slots(template, first, last, zone, [d.isoformat() for d in holidays])

    begin, finish = _clock_minutes(template.start), _clock_minutes(template.end)
    length = template.slot_minutes
    open_days = [
        first + timedelta(days=n)
        for n in range(span + 1)
        if WEEKDAYS[(first + timedelta(days=n)).weekday()] in template.weekdays.split(",")
        and (first + timedelta(days=n)).isoformat() not in closed
    ]
    assert len(slots) == len(open_days) * ((finish - begin) // length)

    local_zone = ZoneInfo(zone)
    ordered = sorted(slots, key=lambda s: s.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        assert earlier.ends_at <= later.starts_at
    for slot in slots:
        assert slot.starts_at.tzinfo is not None and slot.starts_at.utcoffset() == timedelta(0)
        assert slot.ends_at - slot.starts_at == timedelta(minutes=length)
        assert slot.template_id == template.id and slot.capacity == template.capacity
        local_start = slot.starts_at.astimezone(local_zone)
        local_end = slot.ends_at.astimezone(local_zone)
        assert local_start.date() in open_days
        day_start = datetime.combine(local_start.date(), time(0), tzinfo=local_zone)
        assert local_start >= day_start + timedelta(minutes=begin)
        assert local_end <= day_start + timedelta(minutes=finish)


# --- SMS segments --------------------------------------------------------------

SMS_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(GSM_BASIC + GSM_EXTENDED),
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(),
    ),
    max_size=400,
)


@MANY
@given(text=SMS_TEXT, more=SMS_TEXT)
def test_more_characters_never_cost_fewer_segments(text: str, more: str) -> None:
    short, long = count_segments(text), count_segments(text + more)
    assert long.segments >= short.segments >= 1
    assert long.characters >= short.characters
    single, multi = (160, 153) if long.encoding == "GSM-7" else (70, 67)
    assert long.segments == (1 if long.characters <= single else math.ceil(long.characters / multi))


# --- ticket numbers ---------------------------------------------------------------

PREFIXES = st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=6)


@MANY
@given(prefix=PREFIXES, seq=st.integers(1, 9999))
def test_printed_numbers_read_back_as_printed(prefix: str, seq: int) -> None:
    printed = f"{prefix}-{seq:03d}"  # the format issue_ticket prints
    assert normalise_ticket_number(printed) == printed
    arabic_digits = str(seq).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for typed in (printed.lower(), f"{prefix}{seq}", f" {prefix} {arabic_digits} "):
        assert normalise_ticket_number(typed) == printed


# --- with a database: the numbering series and the order of the line -----------------


@WITH_DB
@given(
    calls=st.lists(
        st.tuples(
            st.sampled_from(["men", "women"]),
            st.sampled_from(["M", "MA", "W"]),
            st.sampled_from([date(2025, 3, 1), date(2025, 3, 2)]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_number_series_never_repeat(
    line_engine: tuple[Engine, World], calls: list[tuple[str, str, date]]
) -> None:
    engine, _ = line_engine
    with Session(engine) as session:
        halls = {h.slug: h.id or 0 for h in session.exec(select(Hall).where(Hall.branch_id == 1))}
        issued: dict[tuple[Any, ...], list[int]] = {}
        for hall, prefix, day in calls:
            key = (halls[hall], prefix, day)
            issued.setdefault(key, []).append(checkin.next_number(session, *key))
        session.rollback()
    for numbers in issued.values():
        assert numbers == list(range(1, len(numbers) + 1))


WAITING_TICKET = st.fixed_dictionaries(
    {
        "weight": st.sampled_from([0, 0, 0, 1, 3]),
        "age": st.integers(0, 120),  # minutes waited
        "service": st.sampled_from(["letter", "enquiry", "complaint"]),
        "status": st.sampled_from(["waiting", "waiting", "waiting", "called", "done"]),
        "assigned": st.sampled_from([None, None, None, "here", "elsewhere"]),
        "hall": st.sampled_from(["men", "men", "men", "women"]),
        "sent_back": st.booleans(),
    }
)


@WITH_DB
@given(
    specs=st.lists(WAITING_TICKET, max_size=12),
    limit=st.sampled_from([None, 30, 60]),
    counter_index=st.sampled_from([0, 3]),
    data=st.data(),
)
def test_the_next_ticket_is_never_outranked(
    line_engine: tuple[Engine, World],
    specs: list[dict[str, Any]],
    limit: int | None,
    counter_index: int,
    data: st.DataObject,
) -> None:
    """The counter takes, from the tickets it may call, one that waited past the
    branch limit (the longest-waiting of those) if any; otherwise the highest weight,
    then the earliest place in line. The answer does not depend on insertion order."""
    engine, world = line_engine
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    counter_id = world.counters["men"][counter_index]
    other_counter = world.counters["men"][1]
    order = data.draw(st.permutations(range(len(specs))), label="insert order")
    ages = sorted((spec["age"] for spec in specs), reverse=True)  # earlier id, longer wait
    with Session(engine) as session:
        halls = {h.slug: h for h in session.exec(select(Hall).where(Hall.branch_id == 1))}
        services = {s.slug: s for s in session.exec(select(Service).where(Service.branch_id == 1))}
        counter = session.get(Counter, counter_id)
        assert counter is not None
        served = {
            s.id
            for s in services.values()
            if s.slug in (("letter", "enquiry") if counter.number < 4 else services)
        }
        base_id = 1_000_000
        tickets: dict[int, Ticket] = {}
        for index in order:
            spec = specs[index]
            ticket_id = base_id + index  # ids follow arrival, whatever the insert order
            tickets[ticket_id] = Ticket(
                id=ticket_id,
                branch_id=1,
                hall_id=halls[spec["hall"]].id or 0,
                service_id=services[spec["service"]].id or 0,
                business_date=now.date(),
                prefix="P",
                seq=index + 1,
                number=f"P-{index + 1:03d}",
                status=spec["status"],
                priority_weight=spec["weight"],
                tracking_token=uuid.uuid4().hex,
                issued_at=now - timedelta(minutes=ages[index], seconds=len(specs) - index),
                assigned_counter_id={"here": counter_id, "elsewhere": other_counter}.get(
                    spec["assigned"]
                ),
                queue_key=base_id + 100 + index if spec["sent_back"] else None,
            )
            session.add(tickets[ticket_id])
        session.flush()
        starving_before = now - timedelta(minutes=limit) if limit else None
        found = queue_actions._lock_next_waiting(
            session, halls["men"].id or 0, counter_id, starving_before
        )
        men = halls["men"].id
        # (id, weight, place in line, issued at, eligible)
        facts = {
            t.id: (
                t.id or 0,
                t.priority_weight,
                t.queue_key or t.id or 0,
                t.issued_at,
                t.hall_id == men
                and t.status == "waiting"
                and t.service_id in served
                and t.assigned_counter_id in (None, counter_id),
            )
            for t in tickets.values()
        }
        chosen_id = found[0].id if found else None
        session.rollback()

    candidates = [f for f in facts.values() if f[4]]
    if not candidates:
        assert chosen_id is None
        return
    assert chosen_id is not None
    chosen = facts[chosen_id]
    assert chosen[4], "only a ticket this counter may call"
    starving = [f for f in candidates if starving_before and f[3] <= starving_before]
    if starving:
        assert chosen[3] == min(f[3] for f in starving)
        return

    def rank(f: tuple[Any, ...]) -> tuple[int, int, int]:
        return (-f[1], f[2], f[0])

    assert all(rank(chosen) <= rank(t) for t in candidates)
