"""Engine and sessions. SQLite gets WAL, foreign keys and one serialised writer
connection; PostgreSQL (`postgresql+psycopg://`) runs the same code with a pool."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlmodel import Session, create_engine

from reception.clock import Clock, bind_clock

T = TypeVar("T")


POSTGRES_WRITERS = 4
"""Write transactions at once per worker on PostgreSQL. More do not go faster: the
check-ins of one hall wait for each other's commit anyway (one number series, one
event sequence), and each extra thread competes for the worker's interpreter lock,
which stretches the time every waiting transaction holds its row locks. Measured
with 64 clients on one hall: 4 instead of the pool's 20 gave about 25 % more
check-ins per second and half the p99 (benchmarks/checkin.py). The pool's other
connections stay free for reads."""


def writer_slots(engine: Engine) -> int:
    """How many write transactions may run at once: SQLite's single writer, or on
    PostgreSQL `POSTGRES_WRITERS` (at most the pool's connections)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return max(1, min(POSTGRES_WRITERS, pool.size() + max(0, pool._max_overflow)))
    return 1


def reader_slots(read_engine: Engine, engine: Engine) -> int:
    """How many reads may run at once: the read pool's connections, less the writers'
    when reads and writes share one pool (PostgreSQL)."""
    pool = read_engine.pool
    if not isinstance(pool, QueuePool):
        return 4
    size = pool.size() + max(0, pool._max_overflow)
    if read_engine is engine:
        size -= writer_slots(engine)
    return max(1, size)


_COMPILED: dict[tuple[ClauseElement, str], tuple[str, tuple[str, ...] | None]] = {}


def fetch_one(engine: Engine, stmt: ClauseElement, params: dict[str, Any]) -> Any:
    """The first row of a prebuilt SELECT (a module-level constant), run on a pooled
    driver connection: no session, no transaction of ours, no result processing. For
    a lookup on every request (a bearer token), where SQLAlchemy's layers cost ten
    times the query. Values come back as the driver gives them (no type conversion)."""
    return once_more_if_gone(lambda: _fetch(engine, stmt, params, every=False))


def fetch_all(engine: Engine, stmt: ClauseElement, params: dict[str, Any]) -> list[Any]:
    """Every row of a prebuilt SELECT, the way `fetch_one` runs it (a session cookie's
    account with its halls, on every signed-in request)."""
    return list(once_more_if_gone(lambda: _fetch(engine, stmt, params, every=True)))


def _fetch(engine: Engine, stmt: ClauseElement, params: dict[str, Any], every: bool) -> Any:
    key = (stmt, engine.dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        built = cast(SQLCompiler, stmt.compile(dialect=engine.dialect))
        order = tuple(built.positiontup or ()) if built.positional else None
        compiled = _COMPILED[key] = (built.string, order)
    sql, order = compiled
    args: Any = tuple(params[name] for name in order) if order is not None else params
    dbapi_error = engine.dialect.loaded_dbapi.Error
    raw: Any = None
    try:
        raw = engine.raw_connection()
        # psycopg would wrap the one SELECT in BEGIN and, back in the pool, ROLLBACK:
        # two more round trips. (SQLite's connections here already commit by themselves.)
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            raw.driver_connection.autocommit = True
        cursor = raw.cursor()
        try:
            cursor.execute(sql, args)
            return cursor.fetchall() if every else cursor.fetchone()
        finally:
            cursor.close()
            if postgres:
                raw.driver_connection.autocommit = False
    except dbapi_error as exc:  # as SQLAlchemy would raise it (a locked database: 503)
        gone = engine.dialect.is_disconnect(exc, raw, None)
        if gone and raw is not None:
            raw.invalidate()  # not back into the pool
        raise DBAPIError.instance(
            sql,
            args,
            exc,
            dbapi_error,
            hide_parameters=True,  # the parameters are secrets' digests
            connection_invalidated=gone,
            dialect=engine.dialect,
        ) from exc
    finally:
        if raw is not None:
            raw.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, readonly: bool = False, synchronous: str = "full") -> Engine:
    """The writer engine, or with `readonly` one for reads only. On SQLite the writer
    is a single connection (serialised writes beat several writers busy-waiting on
    the lock) and readers are a small pool that WAL lets run beside it."""
    import reception.models  # noqa: F401  every table known, whoever asks for an engine

    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            poolclass=QueuePool,
            pool_size=4 if readonly else 1,
            max_overflow=0,
            pool_timeout=60,
        )
        _configure_sqlite(engine, "BEGIN" if readonly else "BEGIN IMMEDIATE", synchronous)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    # No ping when a connection leaves the pool (a round trip for every request):
    # connections are replaced after `POSTGRES_RECYCLE_SECONDS`, and one found dropped
    # (a restarted server) is replaced while its work runs again (`once_more_if_gone`).
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=POSTGRES_RECYCLE_SECONDS)


POSTGRES_RECYCLE_SECONDS = 600
"""A pooled PostgreSQL connection older than this is closed and opened again before
use (under the idle time-out of most proxies and firewalls)."""

AT_COMMIT = "reception_at_commit"
"""Set on an error raised by a COMMIT: the transaction may have been committed."""


def once_more_if_gone(work: Callable[[], T]) -> T:
    """`work()`, run a second time when the database connection turned out to be gone
    (the pool hands out a fresh one then). Safe for a read, and for a transaction that
    failed before its COMMIT was sent: PostgreSQL kept nothing of it. An error at the
    COMMIT itself is raised as it is (the transaction may have been committed)."""
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated or getattr(exc, AT_COMMIT, False):
            raise
    return work()


def _configure_sqlite(engine: Engine, begin: str, synchronous: str) -> None:
    if synchronous.upper() not in ("FULL", "NORMAL"):
        raise ValueError("synchronous is full or normal")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # FULL (the default): an acknowledged ticket survives a power cut, not only a
        # crash of the process. NORMAL skips the sync of each commit (SQLITE_SYNCHRONOUS).
        cur.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, _record: Any) -> None:
        # A COMMIT that failed (a deferred constraint, a full disk) leaves SQLite inside
        # the transaction, and the pool does not roll it back: the single writer would
        # refuse every later BEGIN. End it before the connection is handed out again.
        if dbapi_conn is not None and dbapi_conn.in_transaction:
            dbapi_conn.rollback()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock at the start, so two processes never both read and
        # then both try to upgrade to a writer (which SQLite answers with "locked").
        # Readers begin a deferred transaction: one consistent snapshot, no lock.
        conn.exec_driver_sql(begin)


@contextmanager
def session_scope(engine: Engine, clock: Clock | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. Its writes take
    their times from `clock` (the system clock if none is given)."""
    with Session(engine, expire_on_commit=False) as session:
        if clock is not None:
            bind_clock(session, clock)
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        try:
            session.commit()
        except BaseException as exc:
            setattr(exc, AT_COMMIT, True)
            session.rollback()
            raise


BATCH_MEMO = "batch_memo"
"""Key in `Session.info` of what the actions of one batch may share: reads that the
batch's earlier actions left unchanged (the hall's setting between check-ins, say)."""
KEEPS_MEMO = "keeps_batch_memo"
"""An action sets this in `Session.info` when it changed nothing the memo may hold;
after any other action the memo is emptied. Unknown actions thus clear it."""


def batch_memo(session: Session, key: Any, load: Callable[[], T]) -> T:
    """What `load` reads, shared by the actions of a batch that follow each other
    (`BATCH_MEMO`); outside a batch, read every time. Calling this marks the action
    as one that changes nothing such reads hold (`KEEPS_MEMO`): an action that also
    changes what it memoises must remove that mark."""
    session.info[KEEPS_MEMO] = True
    memo = session.info.get(BATCH_MEMO)
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    value: T = memo[key]
    return value


def run_batch(engine: Engine, jobs: list[Any]) -> list[tuple[bool, Any]]:
    """Group commit: run several actions in one transaction, each in its own session,
    and commit them together. An action that raises gets its exception and is undone
    alone; the others are unaffected. Results count only once the whole transaction
    has committed: if the commit fails, every action gets that error. On SQLite this
    pays one write lock and one fsync for a whole burst of check-ins instead of one
    per request. Nobody else writes while the batch holds SQLite's write lock, so what
    an action read stays true for the next unless an action in between changed it
    (`BATCH_MEMO`, `KEEPS_MEMO`); an action that fails empties the memo.

    Each action runs inside a plain SQL savepoint that its session does not manage
    (`_run_together`): a third of the cost of a session-managed savepoint. A session
    that rolls back on its own (a failed ORM flush) ends the whole transaction; only
    then is the batch run again with session-managed savepoints (`_run_undoing_each`),
    so actions must do nothing outside the transaction, and may take other numbers,
    times and tokens the second time (nothing was answered yet)."""
    results = _run_together(engine, jobs)
    return results if results is not None else _run_undoing_each(engine, jobs)


def _run_together(engine: Engine, jobs: list[Any]) -> list[tuple[bool, Any]] | None:
    """Every action in one transaction, each between `SAVEPOINT` and `RELEASE` of its
    own; None when a session ended the transaction itself (then nothing was kept)."""
    results: list[tuple[bool, Any]] = []
    memo: dict[Any, Any] = {}
    with _batch_transaction(engine) as (conn, outer):
        # Straight on the driver: through SQLAlchemy the two statements cost as much
        # as the rest of a check-in's bookkeeping. (Group commit is SQLite's only.)
        driver: Any = conn.connection.driver_connection
        for fn in jobs:
            driver.execute("SAVEPOINT batch_action")
            # "rollback_only": the session's commit flushes and leaves the batch's
            # transaction open; closing the session leaves it alone as well.
            session = _action_session(conn, memo, "rollback_only")
            try:
                value, ok = fn(session), True
                session.commit()
            except Exception as exc:
                value, ok = exc, False
            finally:
                session.close()
            if not outer.is_active:  # the session rolled everything back
                return None
            if not ok:  # undo this action alone
                driver.execute("ROLLBACK TO SAVEPOINT batch_action")
            driver.execute("RELEASE SAVEPOINT batch_action")
            results.append((ok, value))
            if not ok or not session.info.get(KEEPS_MEMO):
                memo.clear()
    return results


def _run_undoing_each(engine: Engine, jobs: list[Any]) -> list[tuple[bool, Any]]:
    """Every action in its own savepoint: one that raises is rolled back to it alone."""
    results: list[tuple[bool, Any]] = []
    memo: dict[Any, Any] = {}
    with _batch_transaction(engine) as (conn, _outer):
        for fn in jobs:
            session = _action_session(conn, memo, "create_savepoint")
            try:
                value = fn(session)
                session.commit()  # releases this action's savepoint
                results.append((True, value))
            except Exception as exc:  # the action's own failure: only it is undone
                session.rollback()  # (which also expires what it read: forget that)
                results.append((False, exc))
                memo.clear()
            finally:
                session.close()
            if not session.info.get(KEEPS_MEMO):
                memo.clear()
    return results


@contextmanager
def _batch_transaction(engine: Engine) -> Iterator[tuple[Connection, RootTransaction]]:
    """The batch's transaction: committed at the end if it is still open, rolled back
    if anything escapes (then every action gets that error)."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn, outer
            if outer.is_active:
                outer.commit()
        except BaseException:
            if outer.is_active:
                outer.rollback()
            raise


def _action_session(conn: Connection, memo: dict[Any, Any], mode: Any) -> Session:
    return Session(
        bind=conn, join_transaction_mode=mode, expire_on_commit=False, info={BATCH_MEMO: memo}
    )
