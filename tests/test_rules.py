"""Pure queue rules: the ticket state machine, phone numbers, waiting estimate."""

from __future__ import annotations

import pytest

from reception.errors import Conflict, Invalid
from reception.queue.models import TicketStatus as S
from reception.queue.rules import (
    TICKET_TRANSITIONS,
    check_ticket_transition,
    normalise_phone,
)

ALLOWED = {
    (S.remote, S.waiting),
    (S.remote, S.cancelled),
    (S.remote, S.expired),
    (S.waiting, S.called),
    (S.called, S.called),
    (S.called, S.serving),
    (S.called, S.no_show),
    (S.called, S.waiting),
    (S.called, S.done),
    (S.serving, S.done),
    (S.serving, S.transferred),
    (S.called, S.transferred),
    (S.transferred, S.waiting),
    (S.waiting, S.cancelled),
    (S.waiting, S.expired),
    (S.called, S.expired),
    (S.serving, S.expired),
    (S.transferred, S.expired),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_transition_is_allowed_or_refused(current: S, target: S) -> None:
    if (current, target) in ALLOWED:
        assert check_ticket_transition(current, target) == TICKET_TRANSITIONS[(current, target)]
    else:
        with pytest.raises(Conflict) as info:
            check_ticket_transition(current, target)
        assert info.value.status_code == 409
        assert info.value.params["current"] == current


def test_finished_tickets_never_move() -> None:
    for final in (S.done, S.no_show, S.cancelled, S.expired):
        assert not [t for (c, t) in TICKET_TRANSITIONS if c == final]


def test_unknown_status_is_a_conflict_not_a_crash() -> None:
    with pytest.raises(Conflict):
        check_ticket_transition("lost", "waiting")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0501234567", "+966501234567"),
        ("050 123 4567", "+966501234567"),
        ("+966 50 123 4567", "+966501234567"),
        ("00966501234567", "+966501234567"),
        ("966501234567", "+966501234567"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "hello", "0112345678", "+9665", "05012345678901"])
def test_bad_or_landline_numbers_are_refused(raw: str) -> None:
    with pytest.raises(Invalid):
        normalise_phone(raw)


def test_live_service_time_learns_from_recent_visits() -> None:
    from reception.queue.rules import minutes_per_visit

    assert minutes_per_visit(10, []) == 10
    assert minutes_per_visit(10, [4]) == (4 + 30) / 4  # one visit barely moves it
    many = [4.0] * 40
    assert abs(minutes_per_visit(10, many) - 4) < 0.5  # many visits dominate
    assert minutes_per_visit(10, [0, -3, 9999]) == 10  # nonsense is ignored


def test_eta_shares_work_between_counters() -> None:
    from reception.queue.rules import QueueState, estimate_eta

    letter, complaint = 1, 2
    state = QueueState(
        counters={10: frozenset({letter}), 11: frozenset({letter, complaint})},
        waiting={letter: 3, complaint: 1},
        busy=[(10, letter)],
        minutes={letter: 10.0, complaint: 20.0},
    )
    # A newcomer for letters: both counters; everything waiting goes first:
    # 3 letters × 10 + 1 complaint × 20 (only counter 11 can take it, inside the pool)
    # + half of the visit at counter 10 → (30 + 20 + 5) ÷ 2 = 27.5 → 28
    assert estimate_eta(state, letter) == 28
    # A letter with two letters and the complaint before it: (20 + 20 + 5) ÷ 2 → 23
    assert estimate_eta(state, letter, {letter: 2, complaint: 1}) == 23
    # A priority letter that goes before everyone: only half a visit at counter 10
    assert estimate_eta(state, letter, {}) == 3
    # A complaint: pool = counter 11 alone; letters are shared with counter 10, so each
    # weighs half: two letters before it → 2 × 10 × ½ = 10
    assert estimate_eta(state, complaint, {letter: 2}) == 10
    assert estimate_eta(state, 99) is None
    assert estimate_eta(QueueState({}, {}, [], {}), letter) is None


def test_people_ahead_counts_what_the_counters_will_see_first() -> None:
    from reception.queue.rules import QueueState, people_ahead

    letter, complaint, other = 1, 2, 3
    state = QueueState(
        counters={10: frozenset({letter}), 11: frozenset({letter, complaint})},
        waiting={letter: 2, complaint: 1, other: 1},
        busy=[],
        minutes={},
    )
    assert people_ahead(state, letter) == 3  # not the ticket no open counter serves
    assert people_ahead(state, letter, {}) == 0
    assert people_ahead(state, complaint, {letter: 2}) == 1  # letters, each half ours
    assert people_ahead(state, other, {other: 1}) == 1  # no open counter: its own line


def test_opening_hours_and_holidays() -> None:
    from datetime import datetime

    from reception.queue.rules import is_open, parse_hours

    hours = parse_hours("sun-thu", "08:00", "15:00")
    assert sorted(hours) == ["mon", "sun", "thu", "tue", "wed"]
    sunday_9 = datetime(2026, 11, 22, 9, 0)
    assert is_open(hours, [], sunday_9)
    assert not is_open(hours, [], datetime(2026, 11, 22, 15, 0))  # closing time
    assert not is_open(hours, [], datetime(2026, 11, 27, 9, 0))  # a Friday
    assert not is_open(hours, ["2026-11-22"], sunday_9)  # a holiday
    assert is_open({}, [], datetime(2026, 11, 27, 3, 0))  # no hours: always open
    assert sorted(parse_hours("thu-sun", "08:00", "12:00")) == ["fri", "sat", "sun", "thu"]
    for days, start, end in [
        ("sun", "8:00", "15:00"),
        ("sun", "15:00", "08:00"),
        ("funday", "08:00", "15:00"),
        ("sun-xyz", "08:00", "15:00"),
    ]:
        with pytest.raises(Invalid):
            parse_hours(days, start, end)
