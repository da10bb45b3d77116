"""The baseline: a bare Starlette endpoint that inserts one row with SQLAlchemy Core on
one SQLite writer connection. Run as `uvicorn benchmarks.bare_app:app`."""

from __future__ import annotations

import os

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert
from sqlalchemy.pool import QueuePool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
    conn.execute("PRAGMA synchronous=NORMAL")


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
