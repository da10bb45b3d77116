"""The markers that let a newcomer run the suite in parts (`-m "not postgres"` …)
are true: a test reaching PostgreSQL, Redis or Chromium carries the backend's marker,
or it fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import BACKEND_FIXTURES, unmarked_backend_users, uses_backend


@dataclass
class Collected:
    """What the check reads of a collected test: its fixtures, its parameters, its marks."""

    nodeid: str
    fixturenames: list[str]
    marks: set[str] = field(default_factory=set)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def callspec(self) -> Any:
        return type("CallSpec", (), {"params": self.params})()

    def get_closest_marker(self, name: str) -> Any:
        return getattr(pytest.mark, name).mark if name in self.marks else None

    def iter_markers(self, name: str) -> list[Any]:
        return []


@pytest.mark.parametrize("marker", sorted(BACKEND_FIXTURES))
def test_a_test_using_a_backend_fixture_must_carry_its_marker(marker: str) -> None:
    for fixture in BACKEND_FIXTURES[marker]:
        unmarked = Collected("t.py::unmarked", ["tmp_path", fixture])
        marked = Collected("t.py::marked", ["tmp_path", fixture], marks={marker})
        problems = unmarked_backend_users([unmarked, marked])  # type: ignore[list-item]
        assert problems == [f"t.py::unmarked: needs @pytest.mark.{marker}"]


def test_the_postgres_parameter_of_a_database_fixture_must_carry_the_marker() -> None:
    sqlite = Collected("t.py::x[sqlite]", ["seeded"], params={"seeded": "sqlite"})
    postgres = Collected("t.py::x[postgres]", ["seeded"], params={"seeded": "postgres"})
    marked = Collected("t.py::y[postgres]", ["seeded"], {"postgres"}, {"seeded": "postgres"})
    problems = unmarked_backend_users([sqlite, postgres, marked])  # type: ignore[list-item]
    assert problems == ["t.py::x[postgres]: needs @pytest.mark.postgres"]


@pytest.mark.parametrize("word", ["postgres"])
def test_a_test_s_own_argument_named_postgres_is_not_a_database(
    word: str, request: pytest.FixtureRequest
) -> None:
    assert unmarked_backend_users([request.node]) == []


@pytest.mark.parametrize("marker", ["postgres", "redis", "browser"])
def test_reaching_a_backend_from_an_unmarked_test_fails_it(
    marker: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"not marked @pytest.mark.{marker}"):
        uses_backend(marker)
    with pytest.raises(pytest.fail.Exception, match=f"not marked @pytest.mark.{marker}"):
        uses_backend(marker, request.node)


def test_the_postgres_address_is_refused_to_an_unmarked_test() -> None:
    from tests.conftest import require_postgres

    with pytest.raises(pytest.fail.Exception, match="not marked @pytest.mark.postgres"):
        require_postgres()


def test_every_collected_test_carries_the_markers_of_the_backends_it_uses(
    request: pytest.FixtureRequest,
) -> None:
    """The same check conftest makes at collection, over this run's tests."""
    assert unmarked_backend_users(request.session.items) == []
