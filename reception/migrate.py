"""Run Alembic from inside the package, whatever the working directory."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from reception import PACKAGE_DIR


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def make_revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
