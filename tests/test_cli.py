"""The `reception` command: migrate, demo, user, token, branch/hall/service/counter."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth.models import StaffUser
from reception.cli import main
from reception.clock import FrozenClock
from reception.db import make_engine
from reception.queue.models import Counter, Ticket
from tests.browser import free_port
from tests.conftest import make_settings
from tests.factories import World
from tests.helpers import sign_in


def point_the_cli_at(path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(path.parent / "var"))
    monkeypatch.chdir(path.parent)
    return url


@pytest.fixture
def empty_cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database file that does not exist yet: `reception migrate` creates it."""
    return point_the_cli_at(tmp_path / "cli.sqlite3", monkeypatch)


@pytest.fixture
def cli_env(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the session's migrated database (migrating takes longer than copying)."""
    path = tmp_path / "cli.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return point_the_cli_at(path, monkeypatch)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_migrate_demo_is_repeatable(empty_cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "migrate")[0] == 0
    assert run(capsys, "migrate")[0] == 0  # nothing left to do
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "operator-men" in out
    first_logins = out
    code, out, _ = run(capsys, "demo")
    assert code == 0 and out == first_logins  # same accounts, same passwords, nothing doubled
    codes = re.findall(r"^    (\d{8}) \((men|women) hall", out, flags=re.M)
    assert [hall for _, hall in codes] == ["men", "women"]
    engine = make_engine(empty_cli_env)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(StaffUser)).one() == 8
        assert s.exec(select(func.count()).select_from(Counter)).one() == 8
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 10
        joined = select(func.count()).select_from(Ticket).where(Ticket.remote == True)  # noqa: E712
        assert s.exec(joined).one() == 2  # two visitors joined from their phones
    engine.dispose()
    logins = Path("var/demo-logins.txt")
    assert oct(logins.stat().st_mode & 0o777) == "0o600"


def test_bad_arguments_are_clear(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "demo")
    code, _, err = run(capsys, "user", "create", "--username", "x", "--role", "king")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(
        capsys,
        "user",
        "create",
        "--username",
        "op",
        "--role",
        "operator",
        "--branch",
        "riyadh",
        "--password",
        "long-enough-pw",
    )
    assert code == 2 and "needs at least one hall" in err
    code, _, err = run(
        capsys,
        "user",
        "create",
        "--username",
        "op",
        "--role",
        "operator",
        "--branch",
        "nowhere",
        "--hall",
        "men",
        "--password",
        "long-enough-pw",
    )
    assert code == 2 and "no branch nowhere" in err
    code, _, err = run(
        capsys,
        "user",
        "create",
        "--username",
        "op",
        "--role",
        "operator",
        "--branch",
        "riyadh",
        "--hall",
        "men",
        "--password",
        "short",
    )
    assert code == 2 and "12 characters" in err
    code, _, err = run(
        capsys, "token", "create", "--role", "display", "--name", "tv", "--branch", "riyadh"
    )
    assert code == 2 and "needs a hall" in err
    code, _, err = run(capsys, "serve", "--workers", "0")
    assert code == 2 and "--workers" in err


def test_new_branch_works_without_restart(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings(cli_env, tmp_path / "var"))
    with TestClient(app) as client:
        steps = [
            (
                "branch",
                "add",
                "--slug",
                "tabuk-mobile",
                "--name-ar",
                "الوحدة المتنقلة – تبوك",
                "--name-en",
                "Mobile unit – Tabuk",
                "--kind",
                "mobile",
            ),
            (
                "hall",
                "add",
                "--branch",
                "tabuk-mobile",
                "--slug",
                "women",
                "--section",
                "women",
                "--name-ar",
                "قسم النساء",
                "--name-en",
                "Women",
                "--prefix",
                "T",
            ),
            (
                "service",
                "add",
                "--branch",
                "tabuk-mobile",
                "--slug",
                "letter",
                "--name-ar",
                "خطاب",
                "--name-en",
                "Letter",
                "--minutes",
                "5",
            ),
            (
                "counter",
                "add",
                "--branch",
                "tabuk-mobile",
                "--hall",
                "women",
                "--number",
                "1",
                "--service",
                "letter",
            ),
        ]
        for step in steps:
            code, _, err = run(capsys, *step)
            assert code == 0, err
        code, out, err = run(
            capsys,
            "token",
            "create",
            "--role",
            "kiosk",
            "--name",
            "kiosk-t",
            "--branch",
            "tabuk-mobile",
        )
        assert code == 0, err
        token = out.strip().splitlines()[-1]
        r = client.post(
            "/api/v1/tickets",
            json={"branch": "tabuk-mobile", "hall": "women", "service": "letter"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["number"] == "T-001"
        code, _, err = run(capsys, *steps[0])
        assert code == 2 and "already exists" in err
        stop = (
            "stop",
            "add",
            "--branch",
            "tabuk-mobile",
            "--place-ar",
            "بلدية الوجه",
            "--place-en",
            "Al Wajh municipality",
        )
        today = date.today()
        code, _, err = run(
            capsys,
            *stop,
            "--from",
            str(today - timedelta(days=1)),
            "--to",
            str(today + timedelta(days=1)),
        )
        assert code == 0, err
        code, _, err = run(capsys, *stop, "--from", str(today), "--to", str(today))
        assert code == 2 and "already elsewhere" in err
        code, _, err = run(capsys, *stop, "--from", "tomorrow", "--to", str(today))
        assert code == 2 and "dates like" in err
        code, _, err = run(
            capsys,
            "stop",
            "add",
            "--branch",
            "riyadh",
            "--place-ar",
            "س",
            "--place-en",
            "x",
            "--from",
            str(today),
            "--to",
            str(today),
        )
        assert code == 2
        listing = client.get("/api/v1/branches", headers={"Authorization": f"Bearer {token}"})
        stops = listing.json()["branches"][0]["stops"]
        assert [s["place_en"] for s in stops] == ["Al Wajh municipality"]
        code, _, err = run(
            capsys,
            "hall",
            "add",
            "--branch",
            "tabuk-mobile",
            "--slug",
            "Bad Slug",
            "--section",
            "men",
            "--name-ar",
            "x",
            "--name-en",
            "x",
            "--prefix",
            "B",
        )
        assert code == 2 and "not a valid slug" in err


def test_a_display_account_shows_exactly_one_hall(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo")
    base = [
        "user",
        "create",
        "--role",
        "display",
        "--branch",
        "riyadh",
        "--password",
        "long-enough-pw",
    ]
    code, _, err = run(capsys, *base, "--username", "tv-1")
    assert code == 2 and "exactly one hall" in err
    code, _, err = run(capsys, *base, "--username", "tv-2", "--hall", "men", "--hall", "women")
    assert code == 2 and "exactly one hall" in err
    code, _, err = run(capsys, *base, "--username", "tv-3", "--hall", "men", "--hall", "men")
    assert code == 0, err


def test_queue_policy_is_data(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "demo")
    code, out, err = run(capsys, "branch", "set", "--slug", "riyadh", "--max-wait", "30")
    assert code == 0 and "30 minutes" in out, err
    code, out, _ = run(capsys, "branch", "set", "--slug", "riyadh", "--max-wait", "off")
    assert code == 0 and "off" in out
    code, _, err = run(capsys, "branch", "set", "--slug", "riyadh", "--max-wait", "2")
    assert code == 2 and "5 to 600" in err
    code, _, err = run(capsys, "branch", "set", "--slug", "riyadh", "--max-wait", "soon")
    assert code == 2 and "whole number" in err
    code, out, err = run(
        capsys,
        "priority",
        "set",
        "--slug",
        "pregnant",
        "--name-ar",
        "حامل",
        "--name-en",
        "Expecting a baby",
        "--weight",
        "3",
    )
    assert code == 0 and "weight 3" in out, err
    code, out, _ = run(capsys, "priority", "set", "--slug", "elderly", "--at-kiosk", "no")
    assert code == 0 and "at kiosk: False" in out
    code, _, err = run(capsys, "priority", "set", "--slug", "vip")
    assert code == 2 and "needs Arabic and English names" in err


def test_revoked_tokens_and_disabled_accounts_stop_working(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = run(capsys, "demo")[1].splitlines()[1:]
    logins = dict(line.split() for line in lines if len(line.split()) == 2)
    code, out, _ = run(
        capsys, "token", "create", "--role", "kiosk", "--name", "lobby", "--branch", "riyadh"
    )
    token = out.strip().splitlines()[-1]
    token_id = int(run(capsys, "token", "list")[1].split()[0])
    app = create_app(make_settings(cli_env, tmp_path / "var"))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/branches", headers=headers).status_code == 200
        code, out, _ = run(capsys, "token", "revoke", "--id", str(token_id))
        assert code == 0 and "revoked" in out
        assert client.get("/api/v1/branches", headers=headers).status_code == 401
        assert "revoked" in run(capsys, "token", "list")[1]

        sign_in(client, "operator-men", logins["operator-men"])
        assert client.get("/staff", follow_redirects=False).status_code == 200
        assert run(capsys, "user", "disable", "--username", "operator-men")[0] == 0
        assert client.get("/staff", follow_redirects=False).status_code == 303
        code, _, err = run(capsys, "user", "disable", "--username", "nobody")
        assert code == 2 and "no user nobody" in err


def test_opening_hours_and_holidays_close_the_kiosk(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo")
    code, out, _ = run(
        capsys, "token", "create", "--role", "kiosk", "--name", "k", "--branch", "riyadh"
    )
    token = out.strip().splitlines()[-1]
    app = create_app(make_settings(cli_env, tmp_path / "var"))
    body = {"branch": "riyadh", "hall": "men", "service": "letter"}
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201
        from zoneinfo import ZoneInfo

        today = datetime.now(ZoneInfo("Asia/Riyadh")).date()
        code, out, err = run(
            capsys, "branch", "holiday", "--slug", "riyadh", "--date", today.isoformat()
        )
        assert code == 0, err
        r = client.post("/api/v1/tickets", json=body, headers=headers)
        assert r.status_code == 409 and r.json()["error"]["code"] == "closed"
        run(capsys, "branch", "holiday", "--slug", "riyadh", "--date", today.isoformat(), "--open")
        assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201
        code, _, err = run(
            capsys,
            "branch",
            "hours",
            "--slug",
            "riyadh",
            "--days",
            "sun",
            "--from",
            "9",
            "--to",
            "10",
        )
        assert code == 2 and "08:00" in err


def test_appointment_add_prints_a_code_the_kiosk_accepts(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo")
    code, out, _ = run(
        capsys,
        "slots",
        "add",
        "--branch",
        "riyadh",
        "--hall",
        "women",
        "--service",
        "letter",
        "--days",
        "sun-sat",
        "--start",
        "00:00",
        "--end",
        "24:00",
        "--minutes",
        "5",
    )
    assert code == 0 and "5 min, 1 per slot" in out
    code, out, _ = run(capsys, "slots", "list", "--branch", "riyadh")
    assert code == 0 and "00:00-24:00 every 5 min" in out
    now = datetime.now(ZoneInfo("Asia/Riyadh")) + timedelta(minutes=10)
    slot = now - timedelta(minutes=now.minute % 5, seconds=now.second, microseconds=now.microsecond)
    soon = slot.strftime("%Y-%m-%d %H:%M")
    args = ("appointment", "add", "--branch", "riyadh", "--hall", "women", "--service")
    code, out, _ = run(capsys, *args, "letter", "--at", soon)
    assert code == 0
    booked = out.strip().splitlines()[-1]
    assert re.fullmatch(r"\d{8}", booked)
    code, _, err = run(capsys, *args, "letter", "--at", soon)  # one seat, now taken
    assert code == 2 and err.strip()
    odd = (slot + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
    code, _, err = run(capsys, *args, "letter", "--at", odd)
    assert code == 2 and odd[-5:] in err
    code, _, err = run(capsys, *args, "appointment", "--at", "tomorrow")
    assert code == 2 and "2026-11-24 10:30" in err
    code, _, err = run(capsys, *args, "nothing", "--at", soon)
    assert code == 2 and "nothing" in err


@pytest.mark.redis
def test_close_day_tells_the_displays_of_every_server(
    database_url: str,
    world: World,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`reception close-day`, typed on another machine, reaches a hall display held by a
    server through the shared broadcast: the display drops yesterday's line at once."""
    yesterday = FrozenClock(datetime(2021, 11, 22, 7, 0, tzinfo=UTC))  # a past working day
    settings = make_settings(database_url, tmp_path / "var", broadcast_url=redis_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BROADCAST_URL", redis_url)
    kiosk = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    with TestClient(create_app(settings, yesterday)) as client:
        body = {"branch": "riyadh", "hall": "men", "service": "letter"}
        assert client.post("/api/v1/tickets", json=body, headers=kiosk).status_code == 201
        sign_in(client, "display-men")
        with client.websocket_connect("/display/ws?hall=men") as ws:
            snapshot = ws.receive_json()
            assert snapshot["type"] == "snapshot"
            code, out, _ = run(capsys, "close-day")
            assert (code, out) == (0, "1 tickets of past days closed\n")
            event = ws.receive_json()
    assert (event["type"], event["seq"]) == ("queue.day_closed", snapshot["seq"] + 1)
    assert event["waiting"]["letter"]["waiting"] == 0
    assert snapshot["waiting"]["letter"]["waiting"] == 1


def test_close_day_closes_even_when_the_broadcast_server_is_away(
    database_url: str,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The change is the command's job; telling the servers is a courtesy on top: with
    Redis away the tickets are closed all the same, and the command says who was not told."""
    yesterday = FrozenClock(datetime(2021, 11, 22, 7, 0, tzinfo=UTC))
    kiosk = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    with TestClient(create_app(make_settings(database_url, tmp_path / "var"), yesterday)) as c:
        body = {"branch": "riyadh", "hall": "men", "service": "letter"}
        assert c.post("/api/v1/tickets", json=body, headers=kiosk).status_code == 201
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BROADCAST_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody there
    code, out, _ = run(capsys, "close-day")
    assert code == 0
    assert out.splitlines() == [
        "warning: could not tell the servers at once (ConnectionError)",
        "1 tickets of past days closed",
    ]
    engine = make_engine(database_url)
    with Session(engine) as s:
        assert [t.status for t in s.exec(select(Ticket))] == ["expired"]
    engine.dispose()


def test_a_category_is_described_from_the_command_line(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from reception.letters.models import Category

    run(capsys, "demo")
    code, out, _ = run(
        capsys, "category", "add", "--slug", "request_visa", "--name-ar", "طلب تأشيرة",
        "--name-en", "Visa request", "--parent", "request", "--description-en", "Visas.",
        "--example-ar", "تأشيرة زيارة", "--example-en", "visit visa", "--example-en", "",
    )  # fmt: skip
    assert code == 0, out
    code, out, _ = run(
        capsys, "category", "describe", "--slug", "appeal", "--description-ar", "تظلم.",
        "--example-ar", "تظلم من غرامة", "--example-ar", "رد الاعتبار",
    )  # fmt: skip
    assert code == 0 and "appeal: 2 + 0 phrases" in out
    code, _, err = run(capsys, "category", "describe", "--slug", "appeal", "--example-en", "x")
    assert code != 0 and "2 to 200 characters" in err
    engine = make_engine(cli_env)
    with Session(engine) as s:
        rows = {c.slug: c for c in s.exec(select(Category))}
    engine.dispose()
    visa, appeal = rows["request_visa"], rows["appeal"]
    assert (visa.description_en, visa.examples_ar, visa.examples_en) == (
        "Visas.", ["تأشيرة زيارة"], ["visit visa"],
    )  # fmt: skip
    assert appeal.description_ar == "تظلم." and appeal.examples_en == []
    assert appeal.examples_ar == ["تظلم من غرامة", "رد الاعتبار"]
