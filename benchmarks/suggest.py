"""Accuracy of the letter-category suggestion on the labelled set
(`reception/letters/samples.py`, written for this project — six categories, twelve
letters each, not real citizens' letters).

Four-fold cross-validation grouped by letter: a held-out letter's spelling variants
never appear in training. Training uses each letter's subject in three spellings (as
written, without hamza, with ha for ta marbuta); the test asks about the held-out
letters as written and in their variants. Printed beside two baselines measured in the
same run: always the most common category, and word unigrams without Arabic folding.
Writes benchmarks/results/suggest.json."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from reception.letters.samples import SAMPLES, spelling_variants
from reception.letters.suggest import Suggester, suggestion_text

RESULTS = Path(__file__).resolve().parent / "results"
FOLDS = 4


def word_baseline(texts: list[str], labels: list[str]) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000)).fit(texts, labels)


def main() -> None:
    scores: Counter[str] = Counter()
    asked = 0
    for fold in range(FOLDS):
        seen: Counter[str] = Counter()
        train, test = [], []
        for sample in SAMPLES:
            seen[sample[0]] += 1
            (test if seen[sample[0]] % FOLDS == fold else train).append(sample)
        texts, labels = [], []
        for category, subject, body in train:
            for variant in [subject, *spelling_variants(subject)]:
                texts.append(suggestion_text(variant, body))
                labels.append(category)
        model = Suggester.fit(texts, labels)
        words = word_baseline(texts, labels)
        majority = Counter(labels).most_common(1)[0][0]
        for category, subject, body in test:
            for variant in [subject, *spelling_variants(subject)]:
                asked += 1
                ranked = [label for label, _ in model.suggest(variant, body)]
                scores["top1"] += ranked[0] == category
                scores["top3"] += category in ranked
                scores["majority"] += majority == category
                probabilities = words.predict_proba([suggestion_text(variant, body)])[0]
                order = [words.classes_[i] for i in probabilities.argsort()[::-1]]
                scores["words_top1"] += order[0] == category
                scores["words_top3"] += category in order[:3]
    result = {
        "benchmark": "suggest",
        "letters": len(SAMPLES),
        "categories": len({c for c, _, _ in SAMPLES}),
        "folds": FOLDS,
        "questions": asked,
        **{key: round(value / asked, 3) for key, value in scores.items()},
    }
    result["top1_vs_majority"] = round(result["top1"] / result["majority"], 2)
    result["top1_vs_words"] = round(result["top1"] / result["words_top1"], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "suggest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"letter suggestions ({asked} held-out questions, {FOLDS}-fold by letter): "
        f"top-1 {result['top1']:.2f}, top-3 {result['top3']:.2f}; "
        f"most common category {result['majority']:.2f} "
        f"({result['top1_vs_majority']}×); word unigrams without folding: "
        f"top-1 {result['words_top1']:.2f}, top-3 {result['words_top3']:.2f} "
        f"({result['top1_vs_words']}×)"
    )


if __name__ == "__main__":
    main()
