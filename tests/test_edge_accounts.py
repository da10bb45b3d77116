"""A mobile unit takes its staff accounts from the centre, under the centre's ids
(`reception edge init`, again before each trip). An account made at the unit itself
must not be silently replaced by the next account the centre makes: either the unit
refuses to make accounts, or a refresh leaves the unit's own account alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from reception.auth.models import StaffUser
from tests.edge_nodes import BRANCH, edge_pair

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]


def account(*names: str) -> list[str]:
    username, role, hall, password = names
    return [
        "user", "create", "--username", username, "--role", role, "--branch", BRANCH,
        "--hall", hall, "--password", password,
    ]  # fmt: skip


@pytest.mark.xfail(
    strict=True,
    reason="an account made at a unit takes the next id the centre will give; the next "
    "`edge init` overwrites it with the centre's new account of that id",
)
def test_an_account_made_at_the_unit_is_never_replaced_by_a_refresh(
    postgres_url: str, tmp_path: Path
) -> None:
    with edge_pair(postgres_url, tmp_path) as pair:
        made = pair.unit.cli(
            *account("unit-made", "operator", "men", "correct-horse-battery-2"), check=False
        )
        if made.returncode != 0:  # refused at a unit, with a reason: that is fine too
            assert "centre" in made.stderr + made.stdout
            return
        pair.centre.cli(*account("centre-made", "operator", "women", "correct-horse-battery-3"))
        pair.unit.cli("edge", "init", "--central", pair.centre.base)
        with Session(pair.unit_engine()) as s:
            names = set(s.exec(select(StaffUser.username)))
        assert {"unit-made", "centre-made"} <= names, names
