"""The `reception` command: serve, migrate, demo, user, token, worker, and the
centre's set-up. The arguments are in `parser`, each area's commands in its module."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from reception.cli.common import CliError
from reception.cli.parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    from reception.errors import DomainError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except DomainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OverflowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a clear line, not a traceback, for whoever types the command
        from alembic.util import CommandError
        from sqlalchemy.exc import IntegrityError, OperationalError

        if isinstance(exc, IntegrityError):
            print("error: this conflicts with something that already exists", file=sys.stderr)
        elif isinstance(exc, OperationalError):
            print(
                f"error: the database is not reachable or not migrated ({exc.orig})",
                file=sys.stderr,
            )
        elif isinstance(exc, CommandError):
            print(f"error: {exc}", file=sys.stderr)
        else:
            raise
        return 2
    return 0
