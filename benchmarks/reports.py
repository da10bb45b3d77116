"""Report speed on a year of a busy branch: `reception.stats.reports.summary` for a
year, a month and a day, and the daily series of the year, on a SQLite file.

The data: a busy branch (≥ 200,000 tickets in a year, ≥ 50,000 letters with their
steps and calls, SMS, ratings, appointments, enquiries) beside a smaller second branch,
written with bulk Core inserts. Timed against the baseline of a plain
`SELECT count(*) FROM ticket` over the same table in the same run, and each figure
three times: from the tickets without the report indexes the models add
(REPORT_INDEXES), from the tickets with them, and after the daily rollup of the closed
days (reception/stats/rollup.py, run once after loading and timed). Prints the ratios;
writes benchmarks/results/reports.json."""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Index, create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

import reception.models  # noqa: F401  every table
from reception.clock import FrozenClock
from reception.db import make_engine
from reception.demo import CATEGORIES, DEPARTMENTS, SLA
from reception.stats import reports
from reception.stats.rollup import roll_up_closed_days

RESULTS = Path(__file__).resolve().parent / "results"
SEED = 20261124
YEAR = 2025
BUSY_PER_DAY = int(os.environ.get("BENCH_TICKETS_PER_DAY", "820"))
LETTER_SHARE = 0.25
REPORT_INDEXES = {
    "ticket": ("ix_ticket_branch_day",),
    "letter": ("ix_letter_branch_created",),
    "letterstep": ("ix_letterstep_kind_at",),
    "outgoingsms": ("ix_outgoingsms_created", "ix_outgoingsms_branch_created"),
}
"""The indexes the reports need, by table (declared in the models)."""


def utc(day: date, minutes: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)


def working_days() -> Iterator[date]:
    day = date(YEAR, 1, 1)
    while day.year == YEAR:
        if day.weekday() not in (4, 5):  # Friday and Saturday off
            yield day
        day += timedelta(days=1)


def insert(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    target = SQLModel.metadata.tables[table]
    for start in range(0, len(rows), 20_000):
        conn.execute(target.insert(), rows[start : start + 20_000])


def load(conn: Connection) -> dict[str, int]:
    """Write the year; returns the number of rows per table."""
    rng = random.Random(SEED)
    insert(conn, "prioritygroup", [
        {"id": 1, "slug": "elderly", "name_ar": "كبار السن", "name_en": "Elderly", "weight": 3,
         "at_kiosk": True, "sort_order": 0},
        {"id": 2, "slug": "disability", "name_ar": "ذوو الإعاقة", "name_en": "Disability",
         "weight": 3, "at_kiosk": True, "sort_order": 1},
    ])  # fmt: skip
    branches = [(1, "riyadh", 1.0), (2, "jeddah", 0.1)]
    insert(conn, "branch", [
        {"id": b, "slug": slug, "name_ar": slug, "name_en": slug, "kind": "centre",
         "timezone": "Asia/Riyadh", "opening_hours": {}, "holidays": [], "max_recalls": 3,
         "max_wait_minutes": 45, "checkin_early_minutes": 30, "checkin_late_minutes": 15}
        for b, slug, _ in branches
    ])  # fmt: skip
    halls, services, counters = [], [], []
    for b, _slug, _ in branches:
        for offset, section in enumerate(("men", "women")):
            halls.append({"id": b * 10 + offset, "branch_id": b, "slug": section,
                          "section": section, "name_ar": section, "name_en": section,
                          "ticket_prefix": section[0].upper(), "event_seq": 0,
                          "notice_ar": "", "notice_en": "", "display_layout": "auto",
                          "announce_volume": 80})  # fmt: skip
            for number in range(1, 9):
                counters.append({"id": b * 100 + offset * 10 + number,
                                 "hall_id": b * 10 + offset, "slug": str(number),
                                 "number": number, "status": "open"})  # fmt: skip
        for n, slug in enumerate(("letter", "enquiry", "complaint", "follow_up", "appointment")):
            services.append({"id": b * 10 + n, "branch_id": b, "slug": slug, "name_ar": slug,
                             "name_en": slug, "ticket_prefix": "", "expected_minutes": 8,
                             "mode": "both", "active": True, "sort_order": n})  # fmt: skip
    insert(conn, "hall", halls)
    insert(conn, "service", services)
    insert(conn, "counter", counters)
    insert(conn, "staffuser", [
        {"id": u, "username": f"operator{u}", "full_name": f"Operator {u}",
         "password_hash": "x", "role": "operator", "branch_id": 1 if u <= 16 else 2,
         "language": "ar", "active": True, "created_at": datetime(YEAR - 1, 1, 1, tzinfo=UTC)}
        for u in range(1, 21)
    ])  # fmt: skip
    insert(conn, "department", [
        {"id": i, "slug": slug, "name_ar": ar, "name_en": en, "active": True}
        for i, (slug, ar, en) in enumerate(DEPARTMENTS, start=1)
    ])  # fmt: skip
    department_ids = {slug: i for i, (slug, _, _) in enumerate(DEPARTMENTS, start=1)}
    insert(conn, "category", [
        {"id": i, "slug": slug, "name_ar": ar, "name_en": en, "parent_id": None,
         "sla_hours": SLA, "active": True}
        for i, (slug, ar, en, _parent, _dept) in enumerate(CATEGORIES, start=1)
    ])  # fmt: skip
    leaf_categories = [
        (i, department_ids.get(dept or ""))
        for i, (_s, _a, _e, _p, dept) in enumerate(CATEGORIES, start=1)
        if dept
    ]

    tickets: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    sms: list[dict[str, Any]] = []
    appointments: list[dict[str, Any]] = []
    letters: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    enquiries: list[dict[str, Any]] = []
    # The tables come from the models, not the migrations: add the topic a migration adds.
    conn.execute(
        text(
            "INSERT INTO calltopic (slug, name_ar, name_en, active, sort_order) "
            "SELECT 'other', 'أخرى', 'Other', 1, 1000 "
            "WHERE NOT EXISTS (SELECT 1 FROM calltopic WHERE slug = 'other')"
        )
    )
    other_topic = conn.execute(text("SELECT id FROM calltopic WHERE slug = 'other'")).scalar_one()
    statuses = ["done"] * 89 + ["no_show"] * 6 + ["expired"] * 3 + ["cancelled"] * 2
    sms_states = ["delivered"] * 80 + ["sent"] * 12 + ["failed"] * 4 + ["undelivered"] * 4
    letter_states = ["closed"] * 55 + ["answered"] * 15 + ["in_progress"] * 12
    letter_states += ["routed"] * 8 + ["received"] * 5 + ["rejected"] * 3 + ["merged"] * 2
    ticket_id = letter_id = 0
    for day in working_days():
        for b, _slug, share in branches:
            for _ in range(int(BUSY_PER_DAY * share * rng.uniform(0.85, 1.15))):
                ticket_id += 1
                hall_offset = 0 if rng.random() < 0.6 else 1
                hall_id = b * 10 + hall_offset
                service_id = b * 10 + rng.choice((0, 0, 0, 1, 1, 2, 3, 4))
                status = rng.choice(statuses)
                issued = utc(day, 5 * 60 + rng.uniform(0, 8 * 60))
                called = serving = finished = None
                counter = operator = None
                if status in ("done", "no_show"):
                    called = issued + timedelta(minutes=rng.expovariate(1 / 18))
                    counter = b * 100 + hall_offset * 10 + rng.randint(1, 8)
                    operator = (counter % 100) % 16 + 1 if b == 1 else 17 + counter % 4
                if status == "done":
                    assert called is not None
                    serving = called + timedelta(minutes=rng.uniform(0.3, 2))
                    finished = serving + timedelta(minutes=rng.lognormvariate(2.0, 0.5))
                elif status in ("no_show", "expired"):
                    finished = issued + timedelta(hours=9)
                tickets.append({
                    "id": ticket_id, "branch_id": b, "hall_id": hall_id,
                    "service_id": service_id, "business_date": day, "prefix": "T",
                    "seq": ticket_id, "number": f"T-{ticket_id}", "status": status,
                    "priority_id": 1 if rng.random() < 0.12 else None,
                    "priority_weight": 0, "residency": rng.choice(("citizen", "citizen",
                                                                   "resident", None)),
                    "language": "ar", "phone": None,
                    "tracking_token": secrets.token_hex(16), "counter_id": counter,
                    "called_by_id": operator, "recall_count": 0, "issued_at": (issued),
                    "called_at": (called), "serving_at": (serving),
                    "finished_at": (finished),
                })  # fmt: skip
                for purpose in ("ticket_issued",) + (("ticket_called",) if called else ()):
                    if rng.random() < 0.7:
                        sms.append({
                            "idempotency_key": f"{purpose}:{ticket_id}", "to": "+966500000000",
                            "branch_id": b,
                            "body": "…", "language": "ar", "purpose": purpose,
                            "status": rng.choice(sms_states), "attempts": 1,
                            "next_attempt_at": (issued), "created_at": (issued),
                        })  # fmt: skip
                if status == "done" and rng.random() < 0.3:
                    assert finished is not None
                    ratings.append({
                        "ticket_id": ticket_id, "branch_id": b, "hall_id": hall_id,
                        "service_id": service_id, "counter_id": counter,
                        "operator_id": operator, "score": rng.choice((5, 5, 5, 4, 4, 3, 2, 1)),
                        "reasons": [], "comment": "", "source": "device",
                        "at": (finished + timedelta(minutes=1)),
                    })  # fmt: skip
                if rng.random() < LETTER_SHARE:
                    letter_id += 1
                    category, department = rng.choice(leaf_categories)
                    state = rng.choice(letter_states)
                    created = issued + timedelta(minutes=20)
                    letters.append({
                        "id": letter_id, "reference": f"L-{YEAR}-{letter_id:06d}",
                        "tracking_token": secrets.token_hex(16), "branch_id": b,
                        "hall_id": hall_id, "ticket_id": ticket_id, "channel": "counter",
                        "sender_name": "x", "sender_id_number": "1000000008",
                        "residency": rng.choice(("citizen", "resident")),
                        "sex": "male" if hall_offset == 0 else "female", "language": "ar",
                        "subject": "x", "body": "", "search_text": "",
                        "category_id": None if state == "received" else category,
                        "department_id": None if state == "received" else department,
                        "status": state, "received_by": "user:1",
                        "created_at": (created),
                        "status_since": (created + timedelta(days=rng.uniform(0, 20))),
                    })  # fmt: skip
                    kinds = ["register", "classify"] + (["call_in"] if rng.random() < 0.2 else [])
                    kinds += ["call_out"] if rng.random() < 0.1 else []
                    for n, kind in enumerate(kinds):
                        steps.append({"letter_id": letter_id, "actor": "user:1", "kind": kind,
                                      "note": "", "public": False,
                                      "at": (created + timedelta(hours=n * 5))})  # fmt: skip
            for n in range(int(40 * share)):
                enquiries.append({"branch_id": b, "direction": "in" if n % 3 else "out",
                                  "topic_id": other_topic, "note": "x", "actor": "user:1",
                                  "at": (utc(day, 6 * 60 + n))})  # fmt: skip
            for n in range(int(60 * share)):
                appointments.append({
                    "code": secrets.token_hex(5), "kind": "visit", "branch_id": b,
                    "hall_id": b * 10, "service_id": b * 10 + 4,
                    "starts_at": (utc(day, 5 * 60 + n * 7)), "name": "", "language": "ar",
                    "status": rng.choice(("checked_in",) * 8 + ("no_show", "cancelled")),
                    "created_at": (utc(day, 0)), "reminded_day": False,
                    "reminded_soon": False, "video_link": "",
                })  # fmt: skip
    for table, rows in (
        ("ticket", tickets),
        ("outgoingsms", sms),
        ("rating", ratings),
        ("letter", letters),
        ("letterstep", steps),
        ("enquiry", enquiries),
        ("appointment", appointments),
    ):
        insert(conn, table, rows)
    return {
        "tickets": len(tickets),
        "tickets_busy_branch": sum(1 for t in tickets if t["branch_id"] == 1),
        "letters": len(letters),
        "letters_busy_branch": sum(1 for t in letters if t["branch_id"] == 1),
        "letter_steps": len(steps),
        "sms": len(sms),
        "ratings": len(ratings),
        "appointments": len(appointments),
        "enquiries": len(enquiries),
    }


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Median seconds of `repeat` runs after one warm-up run."""
    fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def report_indexes() -> list[Index]:
    found = []
    for table, names in REPORT_INDEXES.items():
        for index in SQLModel.metadata.tables[table].indexes:
            if index.name in names:
                found.append(index)
    return found


def measure(engine: Engine) -> dict[str, float]:
    year = (date(YEAR, 1, 1), date(YEAR, 12, 31))
    month = (date(YEAR, 6, 1), date(YEAR, 6, 30))
    day = (date(YEAR, 6, 15), date(YEAR, 6, 15))
    now = datetime(YEAR + 1, 1, 10, tzinfo=UTC)
    with Session(engine) as session:

        def count() -> Any:
            return session.execute(text("SELECT count(*) FROM ticket")).scalar_one()

        def summary(span: tuple[date, date]) -> Callable[[], Any]:
            return lambda: reports.summary(session, *span, [1], now=now)

        result = {
            "baseline_count_ms": timed(count, 30) * 1000,
            "summary_year_ms": timed(summary(year), 3) * 1000,
            "summary_month_ms": timed(summary(month), 10) * 1000,
            "summary_day_ms": timed(summary(day), 30) * 1000,
            "series_year_by_day_ms": timed(lambda: reports.series(session, *year, [1], "day"), 5)
            * 1000,
        }
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/reports.sqlite3"
        loader = create_engine(url)
        SQLModel.metadata.create_all(loader)
        started = time.perf_counter()
        with loader.begin() as conn:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            rows = load(conn)
        load_seconds = time.perf_counter() - started
        with loader.begin() as conn:
            for index in report_indexes():
                index.drop(conn)
        engine = make_engine(url, readonly=True)
        without = measure(engine)
        engine.dispose()
        with loader.begin() as conn:
            for index in report_indexes():
                index.create(conn)
        engine = make_engine(url, readonly=True)
        with_indexes = measure(engine)
        engine.dispose()
        started = time.perf_counter()
        with Session(loader) as session:
            rolled_days = roll_up_closed_days(
                session, FrozenClock(datetime(YEAR + 1, 1, 10, tzinfo=UTC))
            )
            session.commit()
        rollup_seconds = time.perf_counter() - started
        engine = make_engine(url, readonly=True)
        with_rollup = measure(engine)
        engine.dispose()
        loader.dispose()
        size_mb = Path(folder, "reports.sqlite3").stat().st_size / 1e6

    def ratios(found: dict[str, float]) -> dict[str, float]:
        base = found["baseline_count_ms"]
        timed = {k: v for k, v in found.items() if k != "baseline_count_ms"}
        return {k.replace("_ms", ""): round(v / base, 1) for k, v in timed.items()}

    result = {
        "rows": rows,
        "load_seconds": round(load_seconds, 1),
        "database_mb": round(size_mb, 1),
        "indexes": [
            f"{i.table.name}({', '.join(c.name for c in i.columns)})" for i in report_indexes()
        ],  # fmt: skip
        "without_report_indexes_ms": {k: round(v, 2) for k, v in without.items()},
        "with_report_indexes_ms": {k: round(v, 2) for k, v in with_indexes.items()},
        "rollup": {"days": rolled_days, "seconds": round(rollup_seconds, 2)},
        "with_rollup_ms": {k: round(v, 2) for k, v in with_rollup.items()},
        "ratios_to_count_without": ratios(without),
        "ratios_to_count_with": ratios(with_indexes),
        "ratios_to_count_with_rollup": ratios(with_rollup),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(result, indent=2) + "\n")
    r, w, wo = with_rollup, with_indexes, without
    print(
        f"reports on a year of a busy branch ({rows['tickets_busy_branch']:,} tickets, "
        f"{rows['letters_busy_branch']:,} letters; {rows['tickets']:,} and {rows['letters']:,} "
        f"in all, {rows['sms']:,} SMS, {rows['ratings']:,} ratings; SQLite {size_mb:.0f} MB):"
    )
    print(f"  baseline SELECT count(*) FROM ticket: {r['baseline_count_ms']:.2f} ms")
    print(f"  daily rollup of the year's closed days: {rollup_seconds:.1f} s ({rolled_days} days)")
    for key, label in (
        ("summary_year_ms", "summary, a year"),
        ("summary_month_ms", "summary, a month"),
        ("summary_day_ms", "summary, a day"),
        ("series_year_by_day_ms", "series of a year by day"),
    ):
        print(
            f"  {label}: {r[key]:.1f} ms ({r[key] / r['baseline_count_ms']:.1f}× count) "
            f"with the rollup; from the tickets {w[key]:.1f} ms "
            f"({w[key] / w['baseline_count_ms']:.1f}×, {w[key] / r[key]:.1f}× slower), "
            f"without the report indexes {wo[key]:.1f} ms ({wo[key] / r[key]:.1f}× slower)"
        )


if __name__ == "__main__":
    main()
