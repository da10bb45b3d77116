"""Where letters go: departments, categories and routing rules."""

from __future__ import annotations

import argparse
from typing import Any

from reception.cli.common import CliError, with_session
from reception.inputs import to_int


def cmd_department_add(args: argparse.Namespace) -> None:
    from reception.letters.setup import add_department

    row = with_session(
        lambda s: add_department(s, slug=args.slug, name_ar=args.name_ar, name_en=args.name_en)
    )
    print(f"department {row.slug} added")


def cmd_category_add(args: argparse.Namespace) -> None:
    from reception.letters.setup import add_category

    sla: dict[str, int] = {}
    for item in args.sla or []:
        stage, _, hours = item.partition("=")
        number = to_int(hours, high=99_999)
        if number is None:
            raise CliError("--sla is stage=hours, e.g. --sla routed=48")
        sla[stage] = number
    row = with_session(
        lambda s: add_category(
            s,
            slug=args.slug,
            name_ar=args.name_ar,
            name_en=args.name_en,
            parent=args.parent,
            sla_hours=sla,
            **_described(args),
        )
    )
    print(f"category {row.slug} added")


def _described(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "description_ar": args.description_ar or "",
        "description_en": args.description_en or "",
        "examples_ar": args.example_ar or [],
        "examples_en": args.example_en or [],
    }


def cmd_category_describe(args: argparse.Namespace) -> None:
    """Replace a category's descriptions and example phrases (what is not given is
    cleared)."""
    from reception.letters.setup import describe_category

    row = with_session(lambda s: describe_category(s, slug=args.slug, **_described(args)))
    print(f"category {row.slug}: {len(row.examples_ar)} + {len(row.examples_en)} phrases")


def cmd_route_set(args: argparse.Namespace) -> None:
    from reception.letters.setup import add_routing_rule

    with_session(
        lambda s: add_routing_rule(
            s,
            category=args.category,
            department=args.department,
            branch=args.branch,
            residency=args.residency,
        )
    )
    print(f"letters of {args.category} go to {args.department}")
