"""The letter-category model itself: examples in, a ranked list of categories with
confidences out. Pure — no database, no threads; `suggest.py` decides when it is trained,
where it is stored and who may ask it.

Examples come from two places: the staff's decisions (each classified letter) and the
administrator's words about each category (its names, description and example phrases),
so that suggestions are useful before the first decision is recorded."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reception.letters.rules import normalise_arabic

MIN_CATEGORIES = 2
"""A model needs at least two categories with examples to choose between."""


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    seed: bool = False
    """From the administrator's description of the category, not from a decision."""


def letter_text(subject: str, body: str) -> str:
    """What the model reads of a letter (the subject counts double)."""
    return f"{subject} {subject} {body[:3000]}"


def seed_examples(
    slug: str,
    *,
    name_ar: str,
    name_en: str,
    description_ar: str = "",
    description_en: str = "",
    examples_ar: Iterable[str] = (),
    examples_en: Iterable[str] = (),
) -> list[Example]:
    """A category's own words as examples: each name, description and phrase is one."""
    texts = [name_ar, name_en, description_ar, description_en, *examples_ar, *examples_en]
    return [Example(t.strip(), slug, seed=True) for t in texts if t and t.strip()]


@dataclass
class Model:
    """A trained model. `rank` is safe to call from several threads at once."""

    pipeline: Any
    labels: list[str]
    decisions: int
    """How many staff decisions it learned from (the seeds not counted)."""
    seeds: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def rank(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """For each text, the `k` likeliest categories with their confidence (0–1)."""
        if not texts:
            return []
        rows = self.pipeline.predict_proba(list(texts))
        ranked = []
        for probabilities in rows:
            pairs = sorted(zip(self.labels, probabilities, strict=True), key=lambda x: -x[1])
            ranked.append([(label, round(float(p), 2)) for label, p in pairs[:k]])
        return ranked


def train(
    examples: Sequence[Example], progress: Callable[[float], None] | None = None
) -> Model | None:
    """A model of these examples, or None when there are too few to choose between."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    labels = [e.label for e in examples]
    if len(set(labels)) < MIN_CATEGORIES:
        return None
    report = progress or (lambda fraction: None)
    report(0.1)
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
    pipeline.fit([e.text for e in examples], labels)
    report(1.0)
    return Model(
        pipeline=pipeline,
        labels=[str(c) for c in pipeline.classes_],
        decisions=sum(1 for e in examples if not e.seed),
        seeds=sum(1 for e in examples if e.seed),
    )


FORMAT = 1
"""Bumped whenever `Model` or the pipeline changes shape: an older stored model is then
trained again rather than loaded."""


def to_bytes(model: Model) -> bytes:
    """The model as stored for every worker to load (only ever read back by us)."""
    import sklearn

    buffer = io.BytesIO()
    pickle.dump((FORMAT, sklearn.__version__, model), buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return buffer.getvalue()


def from_bytes(data: bytes) -> Model:
    """The stored model; ValueError when it was written by another format or library
    version (the caller trains a fresh one)."""
    import sklearn

    try:
        fmt, version, model = pickle.loads(data)  # noqa: S301 - our own database's bytes
    except Exception as error:
        raise ValueError("unreadable stored model") from error
    if fmt != FORMAT or version != sklearn.__version__ or not isinstance(model, Model):
        raise ValueError("stored model of another format or library version")
    return model
