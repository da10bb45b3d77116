"""The built wheel is the product: installed elsewhere and run from an empty folder it
finds its templates, static files, catalogs and migrations without the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx2
import pytest
from packaging.version import Version

from tests.conftest import missing
from tests.servers import reception_server

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parent.parent
PIP_SECONDS = 120
CLI_SECONDS = 60
REQUIRED = [
    "reception/templates/base.html",
    "reception/static/css/app.css",
    "reception/locale/ar/LC_MESSAGES/messages.po",
    "reception/migrations/env.py",
]
# Settings the product reads from the environment: none may leak in from outside.
PRODUCT_ENV = {
    "DATABASE_URL",
    "BROADCAST_URL",
    "SECRET_KEY",
    "VAR_DIR",
    "SMS_BACKEND",
    "PUBLIC_BASE_URL",
    "DEFAULT_LANGUAGE",
    "PYTHONPATH",
    "PYTHONHOME",
}


def run(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def source_copy(target: Path) -> Path:
    """The project as checked out, without build leftovers that could end up in the
    wheel (a stale build/lib) or be written into the working tree by the build."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    target.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")
    for name in ("README.md", "LICENSE", "MANIFEST.in", "setup.cfg", "babel.cfg"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "reception", target / "reception", ignore=ignore)
    return target


def build_wheel(source: Path, out: Path) -> Path:
    """`pip wheel`, reusing this environment's setuptools when it is recent enough for
    pyproject.toml, else letting pip fetch the build requirements from its index."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out)]
    try:
        recent = Version(version("setuptools")) >= Version("77")
    except PackageNotFoundError:
        recent = False
    if recent:
        command.append("--no-build-isolation")
    result = run([*command, str(source)], cwd=source, timeout=PIP_SECONDS)
    if result.returncode != 0 and "No matching distribution found for setuptools" in (
        result.stdout + result.stderr
    ):
        missing("build backend: setuptools>=77 is not available from pip's index")
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("reception-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_installed_wheel_runs_from_any_directory(tmp_path: Path) -> None:
    wheel = build_wheel(source_copy(tmp_path / "src"), tmp_path / "dist")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for required in REQUIRED:
        assert required in names, f"{required} missing from {wheel.name}"
    revisions = [
        n for n in names if n.startswith("reception/migrations/versions/") and n.endswith(".py")
    ]
    assert revisions, "no migration revision in the wheel"

    site = tmp_path / "site"
    installed = run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site), str(wheel)],
        cwd=tmp_path,
        timeout=PIP_SECONDS,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    work = tmp_path / "anywhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k.upper() not in PRODUCT_ENV}
    env |= {"PYTHONPATH": str(site), "LOG_LEVEL": "WARNING", "SMS_BACKEND": "console"}

    where = run(
        [sys.executable, "-c", "import reception; print(reception.__file__)"],
        cwd=work,
        env=env,
        timeout=CLI_SECONDS,
    )
    assert where.returncode == 0, where.stderr
    package_file = Path(where.stdout.strip()).resolve()
    assert package_file.is_relative_to(site.resolve()), package_file
    assert not package_file.is_relative_to(ROOT), package_file

    cli = [sys.executable, "-m", "reception.cli"]
    migrated = run([*cli, "migrate"], cwd=work, env=env, timeout=CLI_SECONDS)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "database at revision head" in migrated.stdout
    assert (work / "var" / "reception.sqlite3").is_file()

    demo = run([*cli, "demo"], cwd=work, env=env, timeout=CLI_SECONDS)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "demo data ready" in demo.stdout

    with (
        reception_server(env, tmp_path / "server.log", cwd=work, inherit_env=False) as server,
        httpx2.Client(base_url=server.base, timeout=10) as http,
    ):
        css = http.get("/static/css/app.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert css.content == (site / "reception/static/css/app.css").read_bytes()

        login = http.get("/staff/login")
        assert login.status_code == 200
        assert 'lang="ar"' in login.text and 'dir="rtl"' in login.text
        assert "دخول الموظفين" in login.text, login.text[:500]  # "Staff sign in"
        assert 'name="csrf_token"' in login.text
    # Nothing was written next to the installed package: state lives in ./var.
    assert not (site / "reception" / "var").exists()
