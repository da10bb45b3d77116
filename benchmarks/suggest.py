"""How well the letter-category model suggests, on the labelled letters written for this
project (`benchmarks/letters/*.jsonl`: invented letters, Arabic with its typos and mixed
digits, some English) and the administrator's category descriptions
(`benchmarks/letters/taxonomy.json`), which are the model's first examples.

Measured in the same run for three models:
- ours: `reception.letters.learning.train` (seeds + decisions);
- reference: a plain model — TF-IDF char_wb 2–5 + word 1–2 n-grams, logistic
  regression, no Arabic or number folding, no seeds;
- previous: the earlier model — char_wb 2–5 on `normalise_arabic`, no seeds.

Stratified 5-fold cross-validation by letter (stratified by category and language): top-1,
top-3, top-1 per language, expected calibration error of the top confidence, a learning
curve (top-1 after 25, 50, 100, 200 and all decisions of the fold; the seeds always
included for ours), and the seeds alone. Then an operator at a new desk: letters in a
seeded random order, the model asked before each decision and trained again after it;
how often its first suggestion was right during the first 50 decisions (three orders,
averaged). Training time for 50 and 400 decisions. Deterministic (fixed seeds).

`--candidates` compares model recipes instead (what the module docstring of
`learning.py` reports). Writes benchmarks/results/suggest.json and .txt."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from reception.letters import learning
from reception.letters.learning import Example, Model, Recipe, letter_text, seed_examples
from reception.letters.rules import normalise_arabic

ROOT = Path(__file__).resolve().parent.parent
LETTERS = ROOT / "benchmarks" / "letters"
RESULTS = ROOT / "benchmarks" / "results"
FOLDS = 5
CURVE = (25, 50, 100, 200)
FIRST = 50
ORDERS = (1, 2, 3)


@dataclass(frozen=True)
class Letter:
    category: str
    language: str
    text: str


Trainer = Callable[[Sequence[Example]], Model | None]


def load_letters() -> list[Letter]:
    letters = []
    for path in sorted(LETTERS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                text = letter_text(row.get("subject") or "", row.get("body") or "")
                letters.append(Letter(row["category"], row.get("language", "ar"), text))
    if not letters:  # before the labelled set exists: the demo's small Arabic set
        from reception.letters.samples import SAMPLES

        letters = [Letter(c, "ar", letter_text(s, b)) for c, s, b in SAMPLES]
    return letters


def load_seeds(categories: set[str]) -> list[Example]:
    seeds: list[Example] = []
    for row in json.loads((LETTERS / "taxonomy.json").read_text(encoding="utf-8")):
        if row["slug"] in categories:
            fields = {k: v for k, v in row.items() if k != "slug"}
            seeds += seed_examples(row["slug"], **fields)
    return seeds


def ours(seeds: list[Example], recipe: Recipe = learning.DEFAULT_RECIPE) -> Trainer:
    return lambda decisions: learning.train([*seeds, *decisions], recipe=recipe)


def _plain(features: Any, c: float, solver: str) -> Trainer:
    def fit(decisions: Sequence[Example]) -> Model | None:
        from sklearn.base import clone
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        labels = [e.label for e in decisions]
        if len(set(labels)) < learning.MIN_CATEGORIES:
            return None
        pipeline = make_pipeline(
            clone(features), LogisticRegression(max_iter=3000, C=c, solver=solver)
        )
        pipeline.fit([e.text for e in decisions], labels)
        return Model(pipeline, [str(x) for x in pipeline.classes_], len(decisions))

    return fit


def reference(solver: str = "lbfgs") -> Trainer:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    features = FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2))),
        ]
    )
    return _plain(features, 1.0, solver)


def previous(solver: str = "lbfgs") -> Trainer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    features = TfidfVectorizer(
        preprocessor=normalise_arabic, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
    )
    return _plain(features, 10.0, solver)


def folds(letters: list[Letter]) -> list[tuple[list[int], list[int]]]:
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{x.category}/{x.language}" for x in letters]
    counts = {s: strata.count(s) for s in strata}
    strata = [s if counts[s] >= FOLDS else s.split("/")[0] for s in strata]
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    return [(list(a), list(b)) for a, b in splitter.split(strata, strata)]


def decisions_of(letters: Sequence[Letter]) -> list[Example]:
    return [Example(x.text, x.category) for x in letters]


def expected_calibration_error(confidences: list[float], right: list[bool]) -> float:
    bins: dict[int, list[int]] = {}
    for index, confidence in enumerate(confidences):
        bins.setdefault(min(int(confidence * 10), 9), []).append(index)
    total = 0.0
    for members in bins.values():
        mean_confidence = statistics.fmean(confidences[i] for i in members)
        accuracy = statistics.fmean(right[i] for i in members)
        total += len(members) * abs(mean_confidence - accuracy)
    return total / max(1, len(confidences))


def _ask(model: Model | None, letters: Sequence[Letter]) -> list[tuple[list[str], float]]:
    """For each letter: the three first categories and the confidence of the first."""
    if model is None:
        return [([], 0.0) for _ in letters]
    answers = []
    for row in model.probabilities([x.text for x in letters]):
        order = sorted(range(len(row)), key=lambda i: -row[i])[:3]
        answers.append(([model.labels[i] for i in order], float(row[order[0]])))
    return answers


def cross_validate(
    letters: list[Letter], trainer: Trainer, curve: Sequence[int] = CURVE
) -> dict[str, Any]:
    top1 = top3 = 0
    by_language: dict[str, list[bool]] = {}
    confidences: list[float] = []
    right: list[bool] = []
    curve_right = {n: 0 for n in curve}
    curve_asked = {n: 0 for n in curve}
    for fold, (train_ix, test_ix) in enumerate(folds(letters)):
        train_letters = [letters[i] for i in train_ix]
        test_letters = [letters[i] for i in test_ix]
        model = trainer(decisions_of(train_letters))
        for letter, (ranked, confidence) in zip(
            test_letters, _ask(model, test_letters), strict=True
        ):
            hit = bool(ranked) and ranked[0] == letter.category
            top1 += hit
            top3 += letter.category in ranked
            by_language.setdefault(letter.language, []).append(hit)
            confidences.append(confidence)
            right.append(hit)
        for n in curve:
            if n >= len(train_letters):
                continue
            subset = random.Random(1000 + fold * 10 + n).sample(train_letters, n)
            answers = _ask(trainer(decisions_of(subset)), test_letters)
            curve_right[n] += sum(
                bool(r) and r[0] == x.category
                for x, (r, _) in zip(test_letters, answers, strict=True)
            )
            curve_asked[n] += len(test_letters)
    asked = len(letters)
    result: dict[str, Any] = {
        "top1": top1 / asked,
        "top3": top3 / asked,
        "ece": expected_calibration_error(confidences, right),
        "mean_confidence": statistics.fmean(confidences),
    }
    for language, hits in sorted(by_language.items()):
        result[f"top1_{language}"] = sum(hits) / len(hits)
        result[f"right_{language}"] = f"{sum(hits)}/{len(hits)}"
    for n in curve:
        if curve_asked[n]:
            result[f"top1_after_{n}"] = curve_right[n] / curve_asked[n]
    result["top1_after_all"] = result["top1"]
    return result


def seeds_only(letters: list[Letter], trainer: Trainer) -> float | None:
    model = trainer([])
    if model is None:
        return None
    answers = _ask(model, letters)
    return sum(
        bool(r) and r[0] == x.category for x, (r, _) in zip(letters, answers, strict=True)
    ) / len(letters)


def first_decisions(
    letters: list[Letter], trainer: Trainer, orders: Sequence[int] = ORDERS
) -> float:
    """An operator at a new desk: how often the first suggestion was right before each of
    the first decisions, the model trained again after every decision."""
    right = 0
    for order in orders:
        queue = random.Random(order).sample(letters, min(FIRST, len(letters)))
        for index, letter in enumerate(queue):
            model = trainer(decisions_of(queue[:index]))
            ranked, _ = _ask(model, [letter])[0]
            right += bool(ranked) and ranked[0] == letter.category
    return right / (len(orders) * min(FIRST, len(letters)))


def training_seconds(letters: list[Letter], trainer: Trainer, n: int) -> float:
    """CPU seconds of one training (median of three), on one thread: the machine may be
    shared, and the CPU time is what training takes from a server."""
    subset = decisions_of(random.Random(7).sample(letters, min(n, len(letters))))
    times = []
    for _ in range(3):
        start = time.process_time()
        trainer(subset)
        times.append(time.process_time() - start)
    return statistics.median(times)


def measure(
    letters: list[Letter], trainer: Trainer, full: bool = True, timed: Trainer | None = None
) -> dict[str, Any]:
    """Every figure of one model; `timed` is the model as it is used, when `trainer`
    reaches the same fit by a faster route (for the baselines: another solver of the
    same logistic regression, the optimum being unique)."""
    result = cross_validate(letters, trainer, CURVE if full else ())
    result["seeds_only"] = seeds_only(letters, trainer)
    result["first_50"] = first_decisions(letters, trainer, ORDERS if full else ORDERS[:1])
    result["train_s_50"] = training_seconds(letters, timed or trainer, 50)
    if full:
        result["train_s_400"] = training_seconds(letters, timed or trainer, 400)
    return result


ROWS = [
    ("top1", "top-1"),
    ("top3", "top-3"),
    ("top1_ar", "top-1 Arabic"),
    ("top1_en", "top-1 English"),
    ("right_en", "English right"),
    *[(f"top1_after_{n}", f"top-1 after {n} decisions") for n in CURVE],
    ("top1_after_all", "top-1 after all (fold)"),
    ("seeds_only", "top-1, seeds only"),
    ("first_50", "right during first 50 decisions"),
    ("ece", "calibration error (ECE)"),
    ("mean_confidence", "mean top confidence"),
    ("train_s_50", "training CPU s, 50 decisions"),
    ("train_s_400", "training CPU s, 400 decisions"),
]


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:.3f}"


def _ratio(a: Any, b: Any) -> str:
    if isinstance(a, float | int) and isinstance(b, float | int) and b:
        return f"{a / b:.2f}×"
    return "—"


def table(results: dict[str, dict[str, Any]], letters: list[Letter]) -> str:
    english = sum(x.language == "en" for x in letters)
    lines = [
        f"letter suggestions: {len(letters)} letters ({english} English), "
        f"{len({x.category for x in letters})} categories, {FOLDS}-fold by letter",
        f"{'':34}{'ours':>9}{'reference':>11}{'previous':>10}{'÷ref':>8}{'÷prev':>8}",
    ]
    for key, name in ROWS:
        name = name.replace("400", str(min(400, len(letters))))
        a, b, c = (results[m].get(key) for m in ("ours", "reference", "previous"))
        if a is None and b is None and c is None:
            continue
        lines.append(
            f"{name:34}{_cell(a):>9}{_cell(b):>11}{_cell(c):>10}{_ratio(a, b):>8}{_ratio(a, c):>8}"
        )
    return "\n".join(lines)


def recipes() -> dict[str, Recipe]:
    """What was compared: one start (C=10, seeds weighing as a decision, no temperature)
    and one change at a time, then combinations of the changes that helped."""
    start = Recipe(c=10.0, seed_weight=1.0, seed_documents=True, temperature=1.0)
    return {
        "chosen": learning.DEFAULT_RECIPE,
        "start": start,
        "no folding": replace(start, fold_numbers=False),
        "chars only": replace(start, word_ngrams=None),
        "chars 1-4": replace(start, char_ngrams=(1, 4)),
        "chars 2-6": replace(start, char_ngrams=(2, 6)),
        "words 1-1": replace(start, word_ngrams=(1, 1)),
        "C=3": replace(start, c=3.0),
        "C=30": replace(start, c=30.0),
        "C=100": replace(start, c=100.0),
        "not balanced": replace(start, balanced=False),
        "no seed documents": replace(start, seed_documents=False),
        "seed weight 0.5": replace(start, seed_weight=0.5),
        "seed weight 2": replace(start, seed_weight=2.0),
        "seed weight 4": replace(start, seed_weight=4.0),
        "svm calibrated": replace(start, classifier="svm", c=1.0),
        "sgd modified huber": replace(start, classifier="sgd", c=1.0),
        "complement nb": replace(start, classifier="complement_nb", c=10.0),
        "sw3": replace(start, seed_weight=3.0),
        "sw2 C30": replace(start, seed_weight=2.0, c=30.0),
        "sw3 C30": replace(start, seed_weight=3.0, c=30.0),
        "sw2 chars 1-4": replace(start, seed_weight=2.0, char_ngrams=(1, 4)),
        "sw2 squeeze": replace(start, seed_weight=2.0, squeeze_repeats=True),
        "sw2 svm": replace(start, seed_weight=2.0, classifier="svm", c=1.0),
        "sw2 svm C0.3": replace(start, seed_weight=2.0, classifier="svm", c=0.3),
        "sw2 no seed docs": replace(start, seed_weight=2.0, seed_documents=False),
    }


def candidates(letters: list[Letter], seeds: list[Example]) -> None:
    grid = recipes()
    only = set(sys.argv[2:])
    head = f"{'recipe':22}{'top1':>7}{'top3':>7}{'en':>7}{'ece':>7}{'seeds':>7}"
    lines = [
        f"recipes on {len(letters)} letters, {FOLDS}-fold: top-1, top-3, top-1 of English"
        " letters, calibration error, top-1 from the seeds alone, right during the first"
        f" {FIRST} decisions (one order), training CPU s for 50 decisions",
        head + f"{'first50':>8}{'t50 s':>7}",
    ]
    print("\n".join(lines), flush=True)
    for name, recipe in grid.items():
        if only and name not in only:
            continue
        r = measure(letters, ours(seeds, recipe), full=False)
        line = (
            f"{name:22}{r['top1']:7.3f}{r['top3']:7.3f}{r.get('top1_en', 0):7.3f}{r['ece']:7.3f}"
            f"{r['seeds_only'] or 0:7.3f}{r['first_50']:8.3f}{r['train_s_50']:7.2f}"
        )
        print(line, flush=True)
        lines.append(line)
    (RESULTS / "suggest_candidates.txt").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", action="store_true", help="compare model recipes")
    args, _ = parser.parse_known_args()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # the way the server trains: one core
        run(args.candidates)


def run(compare_recipes: bool) -> None:
    letters = load_letters()
    seeds = load_seeds({x.category for x in letters})
    RESULTS.mkdir(parents=True, exist_ok=True)
    if compare_recipes:
        candidates(letters, seeds)
        return
    results = {
        "ours": measure(letters, ours(seeds)),
        "reference": measure(letters, reference("newton-cg"), timed=reference()),
        "previous": measure(letters, previous("newton-cg"), timed=previous()),
    }
    text = table(results, letters)
    print(text)
    (RESULTS / "suggest.txt").write_text(text + "\n")
    payload = {
        "benchmark": "suggest",
        "letters": len(letters),
        "english": sum(x.language == "en" for x in letters),
        "folds": FOLDS,
        "recipe": asdict(learning.DEFAULT_RECIPE),
        **{
            name: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
            for name, r in results.items()
        },
    }
    (RESULTS / "suggest.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
