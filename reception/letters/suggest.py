"""Category suggestions for a new letter, learned from the staff's own decisions.

Character n-grams (2–5, inside word boundaries) of the Arabic-folded subject and body,
weighted by TF-IDF, feed a logistic regression whose probabilities are shown as the
confidence. Character n-grams cope with Arabic morphology (prefixes like ال، و، ب and
suffixes) without a stemmer. The model only suggests: the operator always decides,
and nothing is ever routed by it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.letters.models import Category, Letter
from reception.letters.rules import normalise_arabic

log = logging.getLogger(__name__)

MIN_LETTERS = 12
MIN_CATEGORIES = 2
RETRAIN_AFTER_NEW = 5


def suggestion_text(subject: str, body: str) -> str:
    return f"{subject} {subject} {body[:3000]}"  # the subject counts double


@dataclass
class Suggester:
    """A trained model, or none yet. `suggest` is safe to call from any thread."""

    pipeline: Any = None
    labels: list[str] = field(default_factory=list)
    trained_on: int = 0
    trained_at: datetime | None = None

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> Suggester:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        if len(texts) < MIN_LETTERS or len(set(labels)) < MIN_CATEGORIES:
            return cls(trained_on=len(texts))
        pipeline = make_pipeline(
            TfidfVectorizer(
                preprocessor=normalise_arabic,
                analyzer="char_wb",
                ngram_range=(2, 5),
                sublinear_tf=True,
                min_df=1,
            ),
            LogisticRegression(max_iter=2000, C=10.0),
        )
        pipeline.fit(list(texts), list(labels))
        return cls(
            pipeline=pipeline,
            labels=list(pipeline.classes_),
            trained_on=len(texts),
            trained_at=datetime.now(UTC),
        )

    def suggest(self, subject: str, body: str, k: int = 3) -> list[tuple[str, float]]:
        if self.pipeline is None:
            return []
        probabilities = self.pipeline.predict_proba([suggestion_text(subject, body)])[0]
        ranked = sorted(zip(self.labels, probabilities, strict=True), key=lambda x: -x[1])
        return [(label, round(float(p), 2)) for label, p in ranked[:k]]


def training_set(session: Session) -> tuple[list[str], list[str]]:
    """Every letter staff have classified, with the category they chose."""
    rows = session.exec(
        select(Letter.subject, Letter.body, Category.slug)
        .join(Category, col(Category.id) == Letter.category_id)
        .where(col(Letter.category_id).is_not(None))
    ).all()
    return [suggestion_text(s, b) for s, b, _ in rows], [slug for _, _, slug in rows]


class SuggestionModel:
    """The current model of this process. Nothing is learned (and scikit-learn, some
    70 MB, is not loaded) until someone first asks for a suggestion here: a worker
    that only serves displays and kiosks stays small. From then on it is retrained in
    the background as decisions accumulate (after `RETRAIN_AFTER_NEW` new ones)."""

    FIRST_WAIT = 3.0
    """Seconds the first asker waits for the first training; after that it gets no
    suggestion this time and the training goes on in the background."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self.current = Suggester()
        self.in_use = False
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._started = False
        self._retry_after = 0.0

    def refresh(self, engine: Engine, force: bool = False) -> bool:
        with Session(engine) as session:
            count = len(
                session.exec(select(Letter.id).where(col(Letter.category_id).is_not(None))).all()
            )
            if not force and abs(count - self.current.trained_on) < RETRAIN_AFTER_NEW:
                return False
            texts, labels = training_set(session)
        fresh = Suggester.fit(texts, labels)
        with self._lock:
            self.current = fresh
            self.in_use = True
        self._ready.set()
        log.info("letter suggestions retrained on %d letters", fresh.trained_on)
        return True

    def suggest(self, subject: str, body: str) -> list[tuple[str, float]]:
        """Blocking (call it from a thread): the first call in a process starts the
        training and waits for it up to `FIRST_WAIT` seconds."""
        if not self.in_use and self.engine is not None:
            with self._lock:
                start = not self._started and time.monotonic() >= self._retry_after
                if start:
                    self._started = True
                    self._ready.clear()
                training = self._started
            if start:
                threading.Thread(target=self._first_training, daemon=True).start()
            if training:
                self._ready.wait(self.FIRST_WAIT)
        with self._lock:
            model = self.current
        return model.suggest(subject, body)

    def _first_training(self) -> None:
        assert self.engine is not None
        try:
            self.refresh(self.engine, force=True)
        except Exception:
            log.exception("training letter suggestions failed")
            with self._lock:  # an asker after a minute tries again; none waits meanwhile
                self._started = False
                self._retry_after = time.monotonic() + 60
        finally:
            self._ready.set()


async def run_retraining(
    engine: Engine, model: SuggestionModel, interval: float, stop: asyncio.Event
) -> None:
    import anyio.to_thread

    while not stop.is_set():
        if model.in_use:  # no model is kept up to date that nobody here has asked for
            try:
                await anyio.to_thread.run_sync(model.refresh, engine)
            except Exception:  # a failed retraining keeps the previous model
                log.exception("retraining letter suggestions failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
