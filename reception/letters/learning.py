"""The letter-category model itself: examples in, a ranked list of categories with
confidences out. Pure — no database, no threads; `suggest.py` decides when it is trained,
where it is stored and who may ask it.

Examples come from two places: the staff's decisions (each classified letter) and the
administrator's words about each category (its names, description and example phrases),
so that suggestions are useful before the first decision is recorded.

How it reads a letter — chosen by measurement (`python -m benchmarks.suggest`, and
`--candidates` for the comparison, results in `benchmarks/results/suggest*.txt`) on 364
invented labelled letters (56 in English) with 5-fold cross-validation:
- Text: `normalise_arabic` (hamza, ta marbuta, alef maqsura, diacritics), then numbers
  folded into their kind (`fold_text`: ID, phone, date, amount, year, number; Arabic-Indic
  or Latin digits alike). On these letters folding changed nothing measurable; it is kept
  because a digit string can only teach a model noise, and real letters carry many.
- Features: TF-IDF character n-grams 2–5 within words (typos, attached و/ال, English
  spelling) together with word 1–2-grams, sublinear counts. Characters 1–4 or 2–6 and
  words 1–1 were within two letters of this; characters alone lost English letters
  (0.84 against 0.89).
- Classifier: multinomial logistic regression, C=30, categories balanced. A linear SVM
  with calibration (top-1 0.937 against 0.940 for the same start), SGD with modified Huber
  loss (0.948, but 0.74 right during the first 50 decisions against 0.80) and complement
  naive Bayes (0.945, 0.72 during the first 50) were no better; with the heavier seeds the
  SVM lost English letters (0.86 against 0.95). Logistic regression gives probabilities
  directly and trains in a fraction of a second; C from 3 to 100 were within two letters.
- Seeds: each of the administrator's phrases weighs as three decisions. Weighing them as
  one decision cost English letters most (they are few among the decisions, and the
  English phrases carry them); 2–4 were equal. Joining a category's words into one more
  example added nothing and was dropped.
- Confidence: logistic regression over eight categories spreads its probability (mean top
  confidence 0.69 for 95 % right), so probabilities are sharpened with a temperature of
  0.5; that brought the expected calibration error from 0.26 to 0.06 in
  cross-validation and 0.24 to 0.11 during a new desk's first 50 decisions. 0.3–0.4 fit
  the cross-validation better but were over-confident early on, which misleads more.
- Training uses one thread: beside a busy server, numeric threads only wait for each
  other (twentyfold slower measured on two loaded cores).
"""

from __future__ import annotations

import io
import math
import pickle
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from reception.letters.rules import normalise_arabic

MIN_CATEGORIES = 2
"""A model needs at least two categories with examples to choose between."""
MOST_SURE = 0.99
"""The highest confidence shown."""


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


_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")
_NUMBER_KINDS = [
    # a mobile number: 05xxxxxxxx or +9665xxxxxxxx / 009665xxxxxxxx, spaces or dashes allowed
    (re.compile(r"(?<!\d)(?:(?:\+|00)?966[\s-]?|0)5\d(?:[\s-]?\d){7}(?!\d)"), " numphone "),
    # a national ID or iqama number: ten digits starting with 1 or 2
    (re.compile(r"(?<!\d)[12]\d{9}(?!\d)"), " numid "),
    # a date: 1446/3/12, 2025-11-03, 3/11, 12.5.2024
    (
        re.compile(r"(?<![\d.,])\d{1,4}\s?[/\-.]\s?\d{1,2}(?:\s?[/\-.]\s?\d{1,4})?(?![\d,])"),
        " numdate ",
    ),
    # an amount of money: 15000 ريال, 2,500 sar
    (
        re.compile(r"(?<!\d)\d[\d,.]*\s?(?=(?:ريال|رس|ر\.س|sar\b|sr\b|riyal|دولار|\$))"),
        " numamount ",
    ),
    # a year: 1446ه, 2024
    (re.compile(r"(?<!\d)(?:13|14|19|20)\d\d(?!\d)"), " numyear "),
    (re.compile(r"\d+(?:[.,]\d+)*"), " num "),
]


def fold_text(text: str) -> str:
    """`normalise_arabic`, then every number folded into a word for its kind (`numphone`,
    `numid`, `numdate`, `numamount`, `numyear`, `num`): what a number says about a
    letter is its kind, not its digits, and the digits may be Arabic-Indic or Latin."""
    text = normalise_arabic(text.translate(_DIGITS))
    for pattern, token in _NUMBER_KINDS:
        text = pattern.sub(token, text)
    return " ".join(text.split())


_REPEATED_LETTER = re.compile(r"([\u0621-\u064a])\1+")


def fold_text_squeezed(text: str) -> str:
    """`fold_text` with a doubled Arabic letter written once (a frequent slip of the pen)."""
    return _REPEATED_LETTER.sub(r"\1", fold_text(text))


@dataclass(frozen=True)
class Recipe:
    """How a model is built; the defaults are the measured choice."""

    classifier: str = "logistic"
    """logistic | svm (linear SVM, calibrated) | sgd | complement_nb"""
    c: float = 30.0
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] | None = (1, 2)
    fold_numbers: bool = True
    squeeze_repeats: bool = False
    seed_weight: float = 3.0
    """How much one of the administrator's phrases weighs beside one decision."""
    seed_documents: bool = False
    """Also learn from each category's words joined into one letter-sized example."""
    balanced: bool = True
    """Weigh the categories so that a rare one is not drowned by the common ones."""
    temperature: float = 0.5
    """Confidences are softened (>1) or sharpened (<1) by this after training."""


DEFAULT_RECIPE = Recipe()


def _preprocessor(recipe: Recipe) -> Callable[[str], str]:
    if not recipe.fold_numbers:
        return normalise_arabic
    return fold_text_squeezed if recipe.squeeze_repeats else fold_text


def build_pipeline(recipe: Recipe) -> Any:
    """The untrained scikit-learn pipeline of a recipe."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline

    preprocessor = _preprocessor(recipe)
    parts: list[tuple[str, Any]] = [
        (
            "chars",
            TfidfVectorizer(
                preprocessor=preprocessor,
                analyzer="char_wb",
                ngram_range=recipe.char_ngrams,
                sublinear_tf=True,
            ),
        )
    ]
    if recipe.word_ngrams:
        parts.append(
            (
                "words",
                TfidfVectorizer(
                    preprocessor=preprocessor,
                    analyzer="word",
                    ngram_range=recipe.word_ngrams,
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                ),
            )
        )
    features = FeatureUnion(parts) if len(parts) > 1 else parts[0][1]
    return make_pipeline(features, _classifier(recipe))


def _classifier(recipe: Recipe) -> Any:
    weights = "balanced" if recipe.balanced else None
    if recipe.classifier == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            max_iter=3000, C=recipe.c, class_weight=weights, solver="newton-cg"
        )
    if recipe.classifier == "svm":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        return CalibratedClassifierCV(LinearSVC(C=recipe.c, class_weight=weights), cv=3)
    if recipe.classifier == "sgd":
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(
            loss="modified_huber",
            alpha=1.0 / (recipe.c * 1000),
            class_weight=weights,
            random_state=0,
            max_iter=50,
            tol=None,
        )
    if recipe.classifier == "complement_nb":
        from sklearn.naive_bayes import ComplementNB

        return ComplementNB(alpha=1.0 / recipe.c)
    raise ValueError(f"unknown classifier {recipe.classifier!r}")


def _training_set(
    examples: Sequence[Example], recipe: Recipe
) -> tuple[list[str], list[str], list[float]]:
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    weights = [recipe.seed_weight if e.seed else 1.0 for e in examples]
    if recipe.seed_documents:
        joined: dict[str, list[str]] = {}
        for e in examples:
            if e.seed:
                joined.setdefault(e.label, []).append(e.text)
        for label, parts in joined.items():
            texts.append(" . ".join(parts))
            labels.append(label)
            weights.append(recipe.seed_weight)
    return texts, labels, weights


@dataclass
class Model:
    """A trained model. `rank` is safe to call from several threads at once."""

    pipeline: Any
    labels: list[str]
    decisions: int
    """How many staff decisions it learned from (the seeds not counted)."""
    seeds: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    temperature: float = 1.0

    def probabilities(self, texts: Sequence[str]) -> Any:
        """One row of confidences per text, in the order of `labels`."""
        import numpy as np
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            rows = np.asarray(self.pipeline.predict_proba(list(texts)), dtype=float)
        if self.temperature != 1.0:
            logits = np.log(np.clip(rows, 1e-12, 1.0)) / self.temperature
            logits -= logits.max(axis=1, keepdims=True)
            rows = np.exp(logits)
            rows /= rows.sum(axis=1, keepdims=True)
        return rows

    def rank(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """For each text, the `k` likeliest categories with their confidence (0–1)."""
        if not texts:
            return []
        ranked = []
        for probabilities in self.probabilities(texts):
            pairs = sorted(zip(self.labels, probabilities, strict=True), key=lambda x: -x[1])
            # Never shown as certain: a model that says 100 % invites the operator to stop
            # reading, and it is never that sure of a letter it has not seen.
            ranked.append([(label, min(round(float(p), 2), MOST_SURE)) for label, p in pairs[:k]])
        return ranked


def train(
    examples: Sequence[Example],
    progress: Callable[[float], None] | None = None,
    *,
    recipe: Recipe = DEFAULT_RECIPE,
) -> Model | None:
    """A model of these examples, or None when there are too few to choose between."""
    if len({e.label for e in examples}) < MIN_CATEGORIES:
        return None
    report = progress or (lambda fraction: None)
    report(0.1)
    texts, labels, weights = _training_set(examples, recipe)
    pipeline = build_pipeline(recipe)
    last = pipeline.steps[-1][0]
    if recipe.classifier == "svm" and min(labels.count(x) for x in set(labels)) < 3:
        recipe = replace(recipe, classifier="logistic")
        pipeline = build_pipeline(recipe)
        last = pipeline.steps[-1][0]
    from threadpoolctl import threadpool_limits

    # One core: training runs beside the server, and on small matrices threads only wait.
    with threadpool_limits(limits=1):
        pipeline.fit(texts, labels, **{f"{last}__sample_weight": weights})
    report(1.0)
    return Model(
        pipeline=pipeline,
        labels=[str(c) for c in pipeline.classes_],
        decisions=sum(1 for e in examples if not e.seed),
        seeds=sum(1 for e in examples if e.seed),
        meta={"recipe": asdict(recipe)},
        temperature=recipe.temperature if math.isfinite(recipe.temperature) else 1.0,
    )


FORMAT = 2
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
