"""The waiting estimate's replay of the line, its range and its remote-visitor input:
pure rules, no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reception.queue.estimate import estimate_newcomers, remaining_minutes
from reception.queue.rules import (
    InLine,
    QueueState,
    RemoteAhead,
    estimate_eta,
    estimate_wait,
)

LETTER, COMPLAINT = 1, 2


def state(**kw: object) -> QueueState:
    base: dict[str, object] = {
        "counters": {1: frozenset({LETTER})},
        "waiting": {},
        "busy": [],
        "minutes": {LETTER: 10.0, COMPLAINT: 20.0},
        "line": (),
    }
    base.update(kw)
    return QueueState(**base)  # type: ignore[arg-type]


def letters(n: int, waited: float = 0.0) -> tuple[InLine, ...]:
    return tuple(InLine(LETTER, 0, waited) for _ in range(n))


def test_the_replay_follows_which_counter_takes_which_ticket() -> None:
    hall = state(
        counters={1: frozenset({LETTER}), 2: frozenset({LETTER, COMPLAINT})},
        line=(InLine(COMPLAINT, 0, 0), *letters(2)),
    )
    # counter 1 takes a letter (free at 10), counter 2 the complaint (free at 20);
    # at 10 counter 1 takes the other letter, at 20 the newcomer
    assert estimate_eta(hall, LETTER) == 20
    # the second letter itself (a complaint and a letter before it): counter 1 at 10
    assert estimate_eta(hall, LETTER, {COMPLAINT: 1, LETTER: 1}) == 10
    # a complaint newcomer: only counter 2 serves it, after the complaint ahead
    assert estimate_eta(hall, COMPLAINT) == 20


def test_a_ticket_past_the_maximum_wait_goes_before_priority() -> None:
    line = (InLine(LETTER, 3, 0), InLine(LETTER, 0, 50))
    assert estimate_eta(state(line=line, max_wait_minutes=45), LETTER, {LETTER: 1}) == 0
    assert estimate_eta(state(line=line), LETTER, {LETTER: 1}) == 10


def test_priority_visitors_expected_meanwhile_go_ahead_of_lower_weights() -> None:
    busy_hall = state(line=letters(2), arrivals={(LETTER, 3): 1 / 20})
    # one priority visitor every 20 minutes, the first expected at 10: two go first
    assert estimate_eta(busy_hall, LETTER) == 40
    assert estimate_eta(state(line=letters(2)), LETTER) == 20
    # a priority newcomer goes before the letters; those of its own weight do not pass it
    assert estimate_eta(busy_hall, LETTER, weight=3) == 0
    at_work = state(busy=[(1, LETTER)], busy_for={1: 0.0}, arrivals={(LETTER, 3): 1 / 20})
    assert estimate_eta(at_work, LETTER) == 20
    assert estimate_eta(at_work, LETTER, {}, weight=3) == 10


def test_a_visit_under_way_counts_by_how_long_it_has_lasted() -> None:
    at_work = state(busy=[(1, LETTER)])
    assert estimate_eta(at_work, LETTER) == 5  # not known since when: half a visit
    assert estimate_eta(state(busy=[(1, LETTER)], busy_for={1: 0.0}), LETTER) == 10
    long_ago = estimate_eta(state(busy=[(1, LETTER)], busy_for={1: 30.0}), LETTER)
    assert long_ago is not None and 0 < long_ago < 10
    assert remaining_minutes(10, 0) == 10
    assert remaining_minutes(10, 5) > remaining_minutes(10, 0) - 5  # a long visit goes on


def test_a_slower_counter_takes_longer() -> None:
    two = {1: frozenset({LETTER}), 2: frozenset({LETTER})}
    assert estimate_eta(state(counters=two, line=letters(3)), LETTER) == 10
    assert estimate_eta(state(counters=two, line=letters(3), pace={1: 2.0}), LETTER) == 20


def test_remote_visitors_ahead_count_with_their_chance_of_coming() -> None:
    hall = state(line=letters(1))
    assert estimate_eta(hall, LETTER) == 10
    assert estimate_eta(hall, LETTER, remote={LETTER: RemoteAhead(2, 0.5)}) == 20
    assert estimate_eta(hall, LETTER, remote={LETTER: RemoteAhead(2, 1.0)}) == 30
    assert estimate_eta(hall, LETTER, remote={LETTER: RemoteAhead(2, 0.0)}) == 10
    # without the line (the pooled estimate) too
    pooled = QueueState({1: frozenset({LETTER})}, {LETTER: 1}, [], {LETTER: 10.0})
    assert estimate_eta(pooled, LETTER, remote={LETTER: RemoteAhead(2, 0.5)}) == 20


def test_the_range_surrounds_the_estimate_in_sensible_steps() -> None:
    assert estimate_wait(state(), LETTER) == estimate_wait(state(line=()), LETTER)
    now = estimate_wait(state(), LETTER)
    assert now is not None and (now.minutes, now.low, now.high) == (0, 0, 3)  # up to 3 min
    short = estimate_wait(state(line=letters(1), busy=[(1, LETTER)], busy_for={1: 0.0}), LETTER)
    assert short is not None and short.low < short.minutes == 20 < short.high
    long = estimate_wait(state(line=letters(6), busy=[(1, LETTER)], busy_for={1: 0.0}), LETTER)
    assert long is not None and long.minutes == 70
    assert long.low % 5 == 0 and long.high % 5 == 0 and long.low < 70 < long.high
    assert estimate_wait(state(counters={}), LETTER) is None


@given(
    ahead=st.integers(0, 30),
    counters=st.integers(1, 4),
    minutes=st.floats(0.5, 40, allow_nan=False),
    waited=st.floats(0, 120, allow_nan=False),
    elapsed=st.floats(0, 60, allow_nan=False),
    rate=st.floats(0, 0.5, allow_nan=False),
)
def test_the_replay_is_a_range_that_holds_its_estimate(
    ahead: int, counters: int, minutes: float, waited: float, elapsed: float, rate: float
) -> None:
    hall = state(
        counters={c: frozenset({LETTER, COMPLAINT}) for c in range(1, counters + 1)},
        minutes={LETTER: minutes, COMPLAINT: minutes * 2},
        line=tuple(InLine(LETTER if k % 3 else COMPLAINT, 0, waited) for k in range(ahead)),
        busy=[(1, LETTER)],
        busy_for={1: elapsed},
        arrivals={(COMPLAINT, 2): rate},
        max_wait_minutes=45,
    )
    found = estimate_wait(hall, LETTER)
    assert found is not None and 0 <= found.low <= found.minutes <= found.high


@given(
    line=st.lists(
        st.tuples(st.sampled_from([LETTER, COMPLAINT, 3]), st.sampled_from([0, 0, 0, 2])),
        max_size=25,
    ),
    served=st.lists(
        st.sets(st.sampled_from([LETTER, COMPLAINT, 3]), min_size=1), min_size=0, max_size=4
    ),
    rate=st.floats(0, 0.2, allow_nan=False),
    max_wait=st.sampled_from([None, 20.0]),
)
def test_one_replay_for_every_newcomer_says_what_each_would_alone(
    line: list[tuple[int, int]],
    served: list[set[int]],
    rate: float,
    max_wait: float | None,
) -> None:
    ordered = sorted(line, key=lambda t: -t[1])  # line order: higher weight first
    hall = state(
        counters={c: frozenset(s) for c, s in enumerate(served, start=1)},
        minutes={LETTER: 10.0, COMPLAINT: 20.0, 3: 4.0},
        line=tuple(InLine(s, w, 30.0 - k) for k, (s, w) in enumerate(ordered)),
        busy=[(1, LETTER)] if served and LETTER in served[0] else [],
        busy_for={1: 3.0},
        arrivals={(COMPLAINT, 2): rate},
        max_wait_minutes=max_wait,
    )
    together = estimate_newcomers(hall)
    for service in (LETTER, COMPLAINT, 3):
        assert together[service] == estimate_wait(hall, service), service
