"""Running the product: serve, migrate, demo data, the SMS worker, closing past days."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from reception.cli.common import CliError, load, run_action


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = load()
    if args.workers < 1:
        raise CliError("--workers must be 1 or more")
    if args.workers > 1 and settings.broadcast_url.startswith("memory://"):
        raise CliError(
            "--workers > 1 needs a shared broadcast: set BROADCAST_URL=redis://… "
            "or BROADCAST_URL=postgres://… (with memory:// each worker would only "
            "update its own displays)"
        )
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        print(
            "note: several workers on SQLite serialise their writes; use PostgreSQL "
            "(DATABASE_URL=postgresql+psycopg://…) for real scale-out",
            file=sys.stderr,
        )
    uvicorn.run(
        "reception.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        ws_per_message_deflate=False,  # display sockets: compression costs more than it saves
        log_level=settings.log_level.lower(),
        access_log=False,
    )


def cmd_migrate(args: argparse.Namespace) -> None:
    from reception.migrate import upgrade

    settings = load()
    upgrade(settings.database_url, args.revision)
    print(f"database at revision {args.revision}")


def cmd_demo(args: argparse.Namespace) -> None:
    from reception.db import make_engine
    from reception.demo import demo_appointments, load_demo

    settings = load()
    engine = make_engine(settings.database_url)
    try:
        logins = load_demo(engine, settings.var_dir, settings.public_base_url)
        codes = demo_appointments(engine)
    finally:
        engine.dispose()
    print("demo data ready: branch riyadh, halls men and women")
    for user, password in logins.items():
        print(f"  {user:16} {password}")
    print('  Appointment codes to check in at the kiosk ("I have an appointment"):')
    for line in codes:
        print(f"    {line}")


def cmd_worker(args: argparse.Namespace) -> None:
    from reception.clock import Clock
    from reception.db import make_engine
    from reception.edge.node import load_node, sends_sms_here
    from reception.notify.backends import create_backend
    from reception.notify.worker import run_worker

    settings = load()
    engine = make_engine(settings.database_url)
    if not sends_sms_here(load_node(engine)):
        engine.dispose()
        raise CliError(
            "this mobile unit's messages are sent by the centre (edge init --sms-via unit "
            "to send them from here)"
        )
    backend = create_backend(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(
            engine,
            Clock(),
            backend,
            settings.sms_worker_interval_seconds,
            settings.sms_max_attempts,
            stop,
            settings.send_policy(),
        )

    print("sms worker running; Ctrl+C to stop", flush=True)
    asyncio.run(main())
    engine.dispose()


def cmd_close_day(args: argparse.Namespace) -> None:
    from reception.clock import Clock
    from reception.queue.housekeeping import close_past_days

    closed = run_action(lambda s: close_past_days(s, Clock(), actor="cli"))
    print(f"{closed} tickets of past days closed")
