"""The category suggestion on the labelled set: trained on some letters, asked about
others it never saw, it must beat always guessing the most common category."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from reception.letters.samples import SAMPLES, spelling_variants
from reception.letters.suggest import Suggester, suggestion_text


def split() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Every fourth letter of each category is held out, with all its spellings."""
    train, test, seen = [], [], Counter[str]()
    for sample in SAMPLES:
        seen[sample[0]] += 1
        (test if seen[sample[0]] % 4 == 0 else train).append(sample)
    return train, test


def test_suggestions_beat_the_most_common_category_on_unseen_letters() -> None:
    train, test = split()
    texts, labels = [], []
    for category, subject, body in train:
        for variant in [subject, *spelling_variants(subject)]:
            texts.append(suggestion_text(variant, body))
            labels.append(category)
    model = Suggester.fit(texts, labels)
    majority = Counter(labels).most_common(1)[0][0]
    top1 = top3 = baseline = 0
    for category, subject, body in test:
        ranked = [label for label, _ in model.suggest(subject, body)]
        top1 += ranked[0] == category
        top3 += category in ranked
        baseline += majority == category
    assert len(test) == 18
    assert top1 > baseline, (top1, baseline)
    assert top3 >= top1
    confidences = [p for _, p in model.suggest(*test[0][1:])]
    assert confidences == sorted(confidences, reverse=True) and 0 < sum(confidences) <= 1.0001


def test_no_suggestion_before_enough_decisions() -> None:
    assert Suggester.fit(["a b"] * 3, ["x", "y", "x"]).suggest("a", "b") == []
    few = [suggestion_text(s, b) for _, s, b in SAMPLES[:20]]
    assert Suggester.fit(few, ["request_civil"] * 20).suggest("x", "y") == []  # one category


def test_a_failed_first_training_answers_at_once_and_waits_a_minute_to_retry(
    tmp_path: Path,
) -> None:
    import time

    from sqlalchemy import create_engine

    from reception.letters.suggest import SuggestionModel

    engine = create_engine(f"sqlite:///{tmp_path}/no-such-dir/letters.sqlite3")
    model = SuggestionModel(engine)
    model.FIRST_WAIT = 600.0  # were the failure not signalled, this would hang
    try:
        assert model.suggest("subject", "body") == []
        assert not model.in_use
        assert model._retry_after > time.monotonic()  # the next try is a minute away
        assert model.suggest("subject", "body") == []  # no wait, no new training
    finally:
        engine.dispose()
