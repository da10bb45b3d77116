"""The baseline: a bare Starlette endpoint that inserts one row with SQLAlchemy Core on
one SQLite writer connection, with the same durability setting as the product
(`SQLITE_SYNCHRONOUS`). Run as `uvicorn benchmarks.bare_app:app`."""

from __future__ import annotations

import os

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert
from sqlalchemy.pool import QueuePool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL"}[os.environ.get("SQLITE_SYNCHRONOUS", "full")]

engine = create_engine(
    os.environ["BARE_DATABASE_URL"],
    connect_args={"check_same_thread": False},
    poolclass=QueuePool,
    pool_size=1,
    max_overflow=0,
)


@event.listens_for(engine, "connect")
def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
    conn.execute("PRAGMA journal_mode=WAL")
    # The same durability as the product under test (SQLITE_SYNCHRONOUS): full or normal.
    conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")


metadata = MetaData()
rows = Table("row", metadata, Column("id", Integer, primary_key=True), Column("body", String))
metadata.create_all(engine)


def _insert(body: str) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(rows).values(body=body)).inserted_primary_key[0])


async def bare(request: Request) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    new_id = await run_in_threadpool(_insert, body.decode())
    return JSONResponse({"id": new_id}, status_code=201)


app = Starlette(routes=[Route("/bare", bare, methods=["POST"])])
