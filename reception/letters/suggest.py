"""Category suggestions for letters: one model for every worker.

The model (`learning.py`) learns from the staff's decisions and from each category's own
words (names, description, example phrases), so it suggests something on the first day.
One worker at a time trains a new generation — in the background, never inside a
request — and stores it in the database with the count of decisions it learned from;
every worker loads the newest generation it finds. A worker that starts (or restarts)
loads the stored model at once instead of training its own.

The model only suggests: the operator always decides, and nothing is routed by it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reception.clock import Clock
from reception.letters import learning
from reception.letters.learning import Example, Model, letter_text, seed_examples
from reception.letters.models import (
    Category,
    Letter,
    SuggestionModel,
    SuggestionTraining,
)

log = logging.getLogger(__name__)

LEARNING = "learning"
TOO_FEW_EXAMPLES = "too_few_examples"
READY = "ready"
OFF = "off"

MAX_DECISIONS = 20_000
"""The newest decisions a generation learns from (older ones add little and cost time)."""
KEEP_GENERATIONS = 3
STALE_TRAINING = timedelta(minutes=10)
"""A training claimed longer ago than this is taken over (its worker died)."""
REST_FACTOR = 4.0
FIRST_LOAD_WAIT = 5.0
"""Seconds a request just after start-up waits for the stored model to be loaded."""


def retrain_step(decisions: int) -> int:
    """New decisions that make a new generation worth training: every one at first,
    when each teaches the most, then fewer as the model settles."""
    if decisions < 50:
        return 1
    if decisions < 500:
        return 5
    return 25


@dataclass(frozen=True)
class Status:
    state: str
    """`ready`, `learning`, `too_few_examples` (or `off` where suggestions are disabled)."""
    progress: float | None = None
    """How far the training under way is (0–1), while `learning`."""
    trained_on: int = 0
    """Decisions the model in use learned from."""
    version: int | None = None
    retraining: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "progress": self.progress,
            "trained_on": self.trained_on,
            "version": self.version,
            "retraining": self.retraining,
        }


@dataclass(frozen=True)
class Inputs:
    """What a generation would learn from, summed up cheaply."""

    decisions: int
    checksum: int
    seed_hash: str
    labels: int
    """Categories with at least one example."""

    @property
    def fingerprint(self) -> str:
        return f"{self.seed_hash}:{self.decisions}:{self.checksum}"


def _fingerprint_parts(fingerprint: str) -> tuple[str, int, int]:
    seed_hash, decisions, checksum = (fingerprint.split(":") + ["", "0", "0"])[:3]
    return seed_hash, int(decisions or 0), int(checksum or 0)


def leaf_categories(session: Session) -> list[Category]:
    """Active categories a letter can be filed under (a parent with subcategories is
    only a heading)."""
    rows = list(session.exec(select(Category).where(col(Category.active).is_(True))).all())
    parents = {c.parent_id for c in rows if c.parent_id is not None}
    return [c for c in rows if c.id not in parents]


def seeds(session: Session) -> list[Example]:
    """Every category's own words as examples."""
    found: list[Example] = []
    for c in sorted(leaf_categories(session), key=lambda c: c.slug):
        found += seed_examples(
            c.slug,
            name_ar=c.name_ar,
            name_en=c.name_en,
            description_ar=c.description_ar,
            description_en=c.description_en,
            examples_ar=c.examples_ar or (),
            examples_en=c.examples_en or (),
        )
    return found


def _seed_hash(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.label}\x1f{e.text}\x1e".encode())
    return digest.hexdigest()[:24]


def _decided(session: Session) -> tuple[int, int]:
    count, checksum = session.exec(
        select(
            func.count(col(Letter.id)), func.coalesce(func.sum(col(Letter.category_id)), 0)
        ).where(col(Letter.category_id).is_not(None))
    ).one()
    return int(count or 0), int(checksum or 0)


def inputs(session: Session) -> tuple[Inputs, list[Example]]:
    seed_rows = seeds(session)
    decisions, checksum = _decided(session)
    labels = {e.label for e in seed_rows}
    if decisions:
        labels |= set(
            session.exec(
                select(Category.slug)
                .join(Letter, col(Letter.category_id) == Category.id)
                .distinct()
            ).all()
        )
    return Inputs(decisions, checksum, _seed_hash(seed_rows), len(labels)), seed_rows


def decisions(session: Session, limit: int = MAX_DECISIONS) -> list[Example]:
    """The newest letters staff have classified, with the category they chose."""
    rows = session.exec(
        select(Letter.subject, Letter.body, Category.slug)
        .join(Category, col(Category.id) == Letter.category_id)
        .where(col(Letter.category_id).is_not(None))
        .order_by(col(Letter.id).desc())
        .limit(limit)
    ).all()
    return [Example(letter_text(s, b), slug) for s, b, slug in reversed(rows)]


def _worth_training(now: Inputs, stored: str | None) -> bool:
    if stored is None:
        return True
    seed_hash, count, checksum = _fingerprint_parts(stored)
    if seed_hash != now.seed_hash:
        return True
    changed = abs(now.decisions - count) or int(checksum != now.checksum)
    return changed >= retrain_step(now.decisions) or (changed > 0 and now.decisions < count)


class Suggestions:
    """This worker's view of the shared model. `rank` and `status` are safe from any
    thread; `check` (one pass: load the newest generation, train a new one if it is
    this worker's turn) runs in the background loop `run_suggestions`."""

    def __init__(
        self,
        engine: Engine,
        read_engine: Engine | None = None,
        clock: Clock | None = None,
        enabled: bool = True,
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self.clock = clock or Clock()
        self.enabled = enabled
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{id(self) % 10_000}"
        self.current: Model | None = None
        self.version: int | None = None
        self.trained_here = 0
        """Generations this worker trained (the others it only loaded)."""
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._enough = False
        self._training: float | None = None  # progress of a training here
        self._rest_until = 0.0  # monotonic time before which this worker trains no more
        self._unreadable: set[int] = set()  # stored generations this worker cannot load
        self._elsewhere: float | None = None  # progress of a training by another worker

    # --- asking ----------------------------------------------------------------------

    def status(self) -> Status:
        if not self.enabled:
            return Status(OFF)
        with self._lock:
            model, version = self.current, self.version
            training = self._training if self._training is not None else self._elsewhere
            enough = self._enough
        if model is not None:
            return Status(READY, None, model.decisions, version, training is not None)
        if self._loaded.is_set() and not enough:
            return Status(TOO_FEW_EXAMPLES)
        return Status(LEARNING, round(training or 0.0, 2))

    def rank(self, letters: Sequence[tuple[str, str]], k: int = 3) -> list[list[tuple[str, float]]]:
        """The `k` likeliest categories of each (subject, body), best first; empty lists
        while there is no model. Blocking (call from a thread); it never trains."""
        if not self.enabled:
            return [[] for _ in letters]
        self._loaded.wait(FIRST_LOAD_WAIT)
        with self._lock:
            model = self.current
        if model is None:
            return [[] for _ in letters]
        return model.rank([letter_text(s, b) for s, b in letters], k)

    def suggest(self, subject: str, body: str, k: int = 3) -> list[tuple[str, float]]:
        return self.rank([(subject, body)], k)[0]

    # --- the background pass ---------------------------------------------------------

    def check(self) -> None:
        """Load the newest stored generation; then, if the decisions or the categories'
        words changed enough and no other worker is at it, train and store the next."""
        try:
            with Session(self.read_engine) as session:
                now, seed_rows = inputs(session)
                newest = session.exec(
                    select(SuggestionModel.id, SuggestionModel.fingerprint)
                    .order_by(col(SuggestionModel.id).desc())
                    .limit(1)
                ).first()
                training = session.get(SuggestionTraining, 1)
            with self._lock:
                self._enough = now.labels >= learning.MIN_CATEGORIES
                running = training is not None and training.running and self._training is None
                self._elsewhere = training.progress if running and training else None
            stored = None
            if newest is not None:
                stored = newest[1]
                if newest[0] != self.version and not self._load(newest[0] or 0):
                    stored = None  # unreadable here: train a fresh one
        finally:
            self._loaded.set()
        if (
            now.labels >= learning.MIN_CATEGORIES
            and _worth_training(now, stored)
            and (stored is None or time.monotonic() >= self._rest_until)
        ):
            self._train(now, seed_rows)

    def _load(self, version: int) -> bool:
        with Session(self.read_engine) as session:
            data = session.exec(
                select(SuggestionModel.data).where(SuggestionModel.id == version)
            ).first()
        if data is None:
            return False
        try:
            model = learning.from_bytes(data)
        except ValueError:
            log.warning("stored letter-suggestion model %s is of another version", version)
            self._unreadable.add(version)
            return False
        with self._lock:
            self.current, self.version = model, version
        log.info(
            "letter suggestions: generation %s loaded (%d decisions)", version, model.decisions
        )
        return True

    def _claim(self, fingerprint: str) -> bool:
        now = self.clock.now()
        table = SuggestionTraining.__table__  # type: ignore[attr-defined]
        with Session(self.engine) as session:
            if session.get(SuggestionTraining, 1) is None:
                session.add(SuggestionTraining(id=1))
                with contextlib.suppress(IntegrityError):
                    session.commit()
                session.rollback()
            claimed = session.execute(
                update(table)
                .where(
                    table.c.id == 1,
                    (table.c.running.is_(False)) | (table.c.started_at < now - STALE_TRAINING),
                )
                .values(
                    fingerprint=fingerprint,
                    owner=self.owner,
                    started_at=now,
                    progress=0.0,
                    running=True,
                )
            )
            session.commit()
            return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    def _report(self, fraction: float, final: bool = False) -> None:
        table = SuggestionTraining.__table__  # type: ignore[attr-defined]
        values: dict[str, object] = {"progress": fraction}
        if final:
            values["running"] = False
        with Session(self.engine) as session:
            session.execute(
                update(table).where(table.c.id == 1, table.c.owner == self.owner).values(**values)
            )
            session.commit()
        with self._lock:
            self._training = None if final else fraction

    def _stored_already(self, fingerprint: str) -> int | None:
        """The generation of exactly these inputs another worker stored meanwhile."""
        with Session(self.engine) as session:  # the primary: a replica may lag
            newest = session.exec(
                select(SuggestionModel.id, SuggestionModel.fingerprint)
                .order_by(col(SuggestionModel.id).desc())
                .limit(1)
            ).first()
        if newest is None or newest[1] != fingerprint or newest[0] in self._unreadable:
            return None
        return newest[0]

    def _train(self, now: Inputs, seed_rows: list[Example]) -> None:
        if not self._claim(now.fingerprint):
            return
        started = time.monotonic()
        try:
            done = self._stored_already(now.fingerprint)
            if done is not None:  # trained by another worker between our look and claim
                self._load(done)
                return
            self._report(0.05)
            with Session(self.read_engine) as session:
                examples = seed_rows + decisions(session)
            self._report(0.2)
            model = learning.train(examples, lambda f: self._report(0.2 + 0.7 * f))
            if model is None:
                return
            version = self._store(model, now.fingerprint, self.clock.now())
            with self._lock:
                self.current, self.version = model, version
            self.trained_here += 1
            log.info(
                "letter suggestions: generation %s trained on %d decisions and %d seeds",
                version,
                model.decisions,
                model.seeds,
            )
        finally:
            self._report(1.0, final=True)
            # A long training is not followed at once by the next: at most a fifth of
            # this worker's time goes to learning however fast decisions come in.
            self._rest_until = time.monotonic() + REST_FACTOR * (time.monotonic() - started)

    def _store(self, model: Model, fingerprint: str, at: datetime) -> int:
        with Session(self.engine) as session:
            row = SuggestionModel(
                created_at=at,
                decisions=model.decisions,
                seeds=model.seeds,
                fingerprint=fingerprint,
                data=learning.to_bytes(model),
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            old = session.exec(
                select(SuggestionModel.id)
                .order_by(col(SuggestionModel.id).desc())
                .offset(KEEP_GENERATIONS)
            ).all()
            for version in old:
                stale = session.get(SuggestionModel, version)
                if stale is not None:
                    session.delete(stale)
            session.commit()
            return row.id


async def run_suggestions(model: Suggestions, interval: float, stop: asyncio.Event) -> None:
    """Keep this worker's model the newest: a pass at start, then every `interval`."""
    import anyio.to_thread

    if not model.enabled:
        return
    while not stop.is_set():
        try:
            await anyio.to_thread.run_sync(model.check)
        except Exception:  # a failed pass keeps the model in use; the next one retries
            log.exception("letter suggestions: a background pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def careful_look(ranked: Sequence[tuple[str, float]], confident_at: float) -> bool:
    """Whether the first suggestion is too unsure to be preselected."""
    return bool(ranked) and ranked[0][1] < confident_at


def answer(
    status: Status, ranked: Sequence[tuple[str, float]], confident_at: float
) -> dict[str, object]:
    """The API's answer: the model's state and its suggestions for one text."""
    return {
        **status.as_json(),
        "suggestions": [{"category": c, "confidence": p} for c, p in ranked],
        "careful_look": careful_look(ranked, confident_at),
    }
