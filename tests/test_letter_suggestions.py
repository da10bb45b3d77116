"""One letter-suggestion model for every worker: its states, the generation one worker
trains and the others load, retraining in the background as decisions come in, and a
restart that answers at once from the stored model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.letters.models import Category, SuggestionModel, SuggestionTraining
from reception.letters.samples import SAMPLES
from reception.letters.suggest import Suggestions, retrain_step
from reception.settings import Settings
from tests.conftest import make_settings
from tests.factories import World
from tests.helpers import bearer, wait_until
from tests.test_letters_api import register

pytestmark = pytest.mark.suggestions

SLOW = 120.0  # seconds a loaded machine may take to train


def ready(model: Suggestions, decisions: int | None = None) -> Any:
    status = model.status()
    if status.state != "ready":
        return None
    return status if decisions is None or status.trained_on == decisions else None


def generations(engine: Engine) -> list[tuple[int, int]]:
    with Session(engine) as s:
        rows = s.exec(select(SuggestionModel.id, SuggestionModel.decisions)).all()
    return sorted((int(i or 0), int(d)) for i, d in rows)


@pytest.fixture
def two_workers(settings: Settings, world: World) -> Iterator[tuple[TestClient, TestClient]]:
    """Two workers of one centre: two applications on the same database."""
    with (
        TestClient(create_app(settings), raise_server_exceptions=False) as first,
        TestClient(create_app(settings), raise_server_exceptions=False) as second,
    ):
        yield first, second


def model_of(client: TestClient) -> Suggestions:
    return client.app.state.suggestions  # type: ignore[attr-defined,no-any-return]


def test_the_categories_own_words_suggest_before_any_decision(
    two_workers: tuple[TestClient, TestClient], world: World, engine: Engine
) -> None:
    first, second = two_workers
    for client in two_workers:
        wait_until(lambda c=client: ready(model_of(c), 0), "a model of the seeds", timeout=SLOW)
    # One generation, trained by one of the two workers and loaded by the other.
    assert [d for _, d in generations(engine)] == [0]
    assert sorted(model_of(c).trained_here for c in two_workers) == [0, 1]
    assert model_of(first).version == model_of(second).version
    letter = register(
        first, world, subject="طلب مقابلة معالي الوزير", body="أرجو تحديد موعد للقاء معاليه"
    )
    url = f"/api/v1/letters/{letter['reference']}/suggestion"
    answers = [c.get(url, headers=bearer(world, "operator-men")).json() for c in two_workers]
    assert answers[0] == answers[1]
    assert answers[0]["state"] == "ready" and answers[0]["trained_on"] == 0
    assert answers[0]["suggestions"][0]["category"] == "meeting"
    confidences = [s["confidence"] for s in answers[0]["suggestions"]]
    assert confidences == sorted(confidences, reverse=True) and 0 < sum(confidences) <= 1.0001


def test_decisions_are_learned_in_the_background_and_shared(
    two_workers: tuple[TestClient, TestClient], world: World, engine: Engine
) -> None:
    first, second = two_workers
    wait_until(lambda: ready(model_of(second), 0), "a model of the seeds", timeout=SLOW)
    operator = bearer(world, "operator-men")
    chosen = SAMPLES[:12]
    for index, (category, subject, body) in enumerate(chosen):
        reference = register(first, world, subject=subject, body=body, sender_id_number=_id(index))[
            "reference"
        ]
        r = first.post(
            f"/api/v1/letters/{reference}/classify", json={"category": category}, headers=operator
        )
        assert r.status_code == 200, r.text
    assert retrain_step(len(chosen)) == 1  # early decisions each make a new generation
    for client in two_workers:
        wait_until(lambda c=client: ready(model_of(c), len(chosen)), "the new generation", SLOW)
    versions = generations(engine)
    assert versions[-1][1] == len(chosen)
    assert len(versions) <= 3  # older generations are dropped
    assert model_of(first).version == model_of(second).version == versions[-1][0]


def test_a_restarted_worker_answers_at_once_from_the_stored_model(
    settings: Settings, world: World, engine: Engine
) -> None:
    with TestClient(create_app(settings)) as before:
        wait_until(lambda: ready(model_of(before), 0), "a model of the seeds", timeout=SLOW)
        version = model_of(before).version
    with TestClient(create_app(settings)) as after:
        model = model_of(after)
        assert model.suggest("تجديد جواز السفر", "انتهى جوازي")  # the first ask has an answer
        assert model.status().state == "ready" and model.version == version
        assert model.trained_here == 0  # loaded, not trained again


def test_the_states_too_few_examples_learning_and_ready(
    settings: Settings, world: World, engine: Engine
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    with Session(engine) as s:
        keep = s.exec(select(Category).where(Category.slug == "meeting")).one()
        for row in s.exec(select(Category).where(Category.id != keep.id)).all():
            row.active = False
            s.add(row)
        s.commit()
    model = Suggestions(engine, clock=clock)
    assert model.status().state == "learning" and model.status().progress == 0.0  # not looked
    model.check()
    assert model.status().state == "too_few_examples"  # one category: nothing to choose
    assert model.suggest("أي شيء", "") == []
    with Session(engine) as s:
        for row in s.exec(select(Category).where(Category.slug.in_(["appeal", "request_civil"]))):  # type: ignore[attr-defined]
            row.active = True
            s.add(row)
        # Another worker is training right now and has told how far it is.
        training = s.get(SuggestionTraining, 1) or SuggestionTraining(id=1)
        training.running, training.progress, training.owner = True, 0.4, "another:1"
        training.started_at = clock.now()
        s.add(training)
        s.commit()
    model.check()  # the claim is taken: this worker waits for the other's generation
    status = model.status()
    assert (status.state, status.progress) == ("learning", 0.4)
    assert generations(engine) == []
    clock.advance(minutes=11)  # the other worker died: its claim goes stale
    model.check()
    status = model.status()
    assert status.state == "ready" and status.progress is None and model.trained_here == 1
    assert model.suggest("تظلم من قرار فصلي", "")[0][0] in {"appeal", "request_civil", "meeting"}


def test_a_stored_model_of_another_version_is_trained_again(world: World, engine: Engine) -> None:
    with Session(engine) as s:
        s.add(SuggestionModel(decisions=0, seeds=0, fingerprint="x:0:0", data=b"not a model"))
        s.commit()
    model = Suggestions(engine, clock=FrozenClock(datetime.now(UTC)))
    model.check()
    assert model.status().state == "ready" and model.trained_here == 1
    assert generations(engine)[-1][0] == model.version


def test_suggestions_can_be_turned_off_for_a_worker(
    database_url: str, tmp_path: Path, world: World, engine: Engine
) -> None:
    settings = make_settings(database_url, tmp_path / "var", suggestions_enabled=False)
    with TestClient(create_app(settings)) as client:
        letter = register(client, world, subject="تجديد جواز", body="")
        url = f"/api/v1/letters/{letter['reference']}/suggestion"
        answer = client.get(url, headers=bearer(world, "operator-men")).json()
    assert answer["state"] == "off" and answer["suggestions"] == []
    assert generations(engine) == []  # nothing trained by a worker that has them off


def _id(index: int) -> str:
    from reception.demo import luhn_id

    return luhn_id(f"2{index:08d}")
