"""What a server-side session costs a signed-in request.

A browser's request finds its principal from the session cookie. Before sessions
were kept on the server this read the account (by the id in the signed cookie) and
then its halls, through an ORM session; now one query on a pooled driver connection
reads the session row by the hash of the cookie's secret, joined to the account and
its halls (`queries.signed_in`). Both are timed here as a request runs them, on
SQLite and, when TEST_DATABASE_URL or BENCH_DATABASE_URL is set, PostgreSQL, with
2,000 sessions in the table.

Prints microseconds per lookup (median of 5 rounds); writes
benchmarks/results/sessions.json."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from benchmarks.common import fresh_postgres_database, postgres_url
from reception.auth.queries import principal_for_user, signed_in, user_by_username
from reception.auth.sessions import start_session
from reception.db import make_engine, session_scope
from reception.demo import load_demo
from reception.migrate import upgrade

RESULTS = Path(__file__).resolve().parent / "results"
LOOKUPS = 2000
ROUNDS = 5
SESSIONS = 2000


def _time(lookup: Callable[[], object]) -> float:
    """Microseconds per lookup, the median of ROUNDS rounds of LOOKUPS."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(LOOKUPS):
            assert lookup() is not None
        rounds.append((time.perf_counter() - start) / LOOKUPS * 1e6)
    return statistics.median(rounds)


def _account_by_id(engine: Engine, user_id: int) -> object:
    """The lookup before: the account by the id in the signed cookie, then its halls."""
    with session_scope(engine) as session:
        return principal_for_user(session, user_id)


def measure(url: str) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    try:
        with tempfile.TemporaryDirectory() as var:
            load_demo(engine, Path(var), "http://127.0.0.1:8000")
        with session_scope(engine) as session:
            user = user_by_username(session, "operator-men")
            assert user is not None and user.id is not None
            user_id = user.id
        now = datetime.now(UTC)
        secret = ""
        for _ in range(SESSIONS):
            with session_scope(engine) as session:
                secret = start_session(
                    session, user_id=user_id, now=now, max_age_seconds=3600
                ).value
        before = _time(lambda: _account_by_id(engine, user_id))
        after = _time(lambda: signed_in(engine, secret))
        return {"account_by_id_us": round(before, 1), "session_by_secret_us": round(after, 1)}
    finally:
        engine.dispose()


def main() -> None:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
    server = postgres_url()
    if server:
        with fresh_postgres_database(server) as url:
            results["postgresql"] = measure(url)
    for backend, figures in results.items():
        print(
            f"sessions {backend}: account by id {figures['account_by_id_us']} µs, "
            f"session by secret {figures['session_by_secret_us']} µs per signed-in request"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sessions.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
