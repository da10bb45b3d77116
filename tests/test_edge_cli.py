"""`reception edge unit add|revoke` and `reception edge units` at the centre."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from reception.auth.models import ApiToken
from reception.db import make_engine
from tests.test_cli import cli_env, run

__all__ = ["cli_env"]  # the fixture, used here


def test_units_are_added_listed_and_revoked(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for slug, kind in (("north", "mobile"), ("hq", "centre")):
        code, _, err = run(
            capsys, "branch", "add", "--slug", slug, "--name-ar", "فرع", "--name-en", "B",
            "--kind", kind,
        )  # fmt: skip
        assert code == 0, err
    code, out, err = run(capsys, "edge", "unit", "add", "--branch", "north", "--name", "L1")
    assert code == 0, err
    token = re.search(r"token .*: (rcp_\S+)$", out, flags=re.M)
    assert token and "unit 1 (L1)" in out
    code, out, _ = run(capsys, "edge", "units")
    assert code == 0 and "north" in out and "active" in out and "last push never" in out
    assert token.group(1) not in out

    code, _, err = run(capsys, "edge", "unit", "add", "--branch", "hq", "--name", "L2")
    assert code == 2 and "not a mobile unit" in err

    code, out, _ = run(capsys, "edge", "unit", "revoke", "1")
    assert code == 0 and "revoked" in out
    code, out, _ = run(capsys, "edge", "units")
    assert "revoked" in out
    engine = make_engine(cli_env)
    with Session(engine) as s:
        (row,) = s.exec(select(ApiToken).where(ApiToken.role == "edge")).all()
        assert row.revoked_at is not None
    engine.dispose()
    code, _, err = run(capsys, "edge", "unit", "revoke", "9")
    assert code == 2 and "no mobile unit" in err
