"""Migrations bring an empty database to head, and head matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from reception.models import metadata


def test_head_matches_the_models(database_url: str) -> None:
    """The database was built only by `alembic upgrade head` (see conftest)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert set(metadata.tables) <= tables
            assert "alembic_version" in tables
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url: str) -> None:
    from reception.db import make_engine

    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_every_migration_goes_down_and_up_again(database_url: str) -> None:
    from alembic import command

    from reception.migrate import alembic_config, upgrade

    command.downgrade(alembic_config(database_url), "base")
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(database_url)
    test_head_matches_the_models(database_url)
