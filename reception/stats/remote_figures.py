"""Joins from a phone in a report: how many joined, checked in (and the check-in
rate, checked in ÷ joined), cancelled or never came, and how long those who came
waited, from the check-in and from the join to the call (see
reception/stats/remote_rows.py for what counts). The days already rolled up come
from the rollup, the others from the tickets, as for every visitor figure.

A ticket joined from a phone counts as a visitor only once it checked in
(reception/stats/durations.py `is_visitor`)."""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from reception.stats.numbers import histogram_figures, share
from reception.stats.periods import DateRange
from reception.stats.remote_rows import (
    DIMENSION,
    DURATIONS,
    KEYS,
    fold_remote,
    remote_counts,
    remote_durations,
)
from reception.stats.rollup import (
    MEASURES,
    rolled_durations,
    rolled_figures,
    rolled_through,
)
from reception.stats.visitor_figures import fresh_tickets


def remote_figures(session: Session, branch_ids: Sequence[int], span: DateRange) -> dict[str, Any]:
    through = rolled_through(session, branch_ids)
    fresh = fresh_tickets(branch_ids, span, through)
    figures: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(MEASURES))
    fold_remote(remote_counts(session, fresh), into=figures)
    histograms = {m: Tally(dict(remote_durations(session, fresh, m))) for m in DURATIONS}
    if through:
        last = min(max(through.values()), span.end)
        rolled_figures(session, list(through), span.start, last, into=figures)
        for measure, histogram in histograms.items():
            histogram.update(rolled_durations(session, list(through), span.start, last, measure))
    counts = {key: figures[(DIMENSION, key)][0] for key in KEYS}
    return {
        **counts,
        "checkin_rate": share(counts["arrived"], counts["joined"]),
        "wait_minutes": histogram_figures(histograms["r_wait"]),
        "join_to_call_minutes": histogram_figures(histograms["r_join"]),
    }
