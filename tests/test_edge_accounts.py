"""A mobile unit takes its staff accounts from the centre, under the centre's ids
(`reception edge init`, again before each trip). An account made at the unit itself
would take an id the centre gives to someone else, so the unit refuses to make one."""

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


def test_a_unit_refuses_to_make_an_account_and_a_refresh_brings_the_centres(
    postgres_url: str, tmp_path: Path
) -> None:
    with edge_pair(postgres_url, tmp_path) as pair:
        made = pair.unit.cli(
            *account("unit-made", "operator", "men", "correct-horse-battery-2"), check=False
        )
        assert made.returncode != 0
        assert "made at the centre" in made.stderr + made.stdout
        pair.centre.cli(*account("centre-made", "operator", "women", "correct-horse-battery-3"))
        pair.unit.cli("edge", "init", "--central", pair.centre.base)
        with Session(pair.unit_engine()) as s:
            names = set(s.exec(select(StaffUser.username)))
        assert "centre-made" in names and "unit-made" not in names, names
