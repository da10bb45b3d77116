"""Screenshots of every screen (`tests.screens.SCREENS`) on a fresh demo: by default in
Arabic at each screen's main size, as small PNGs (480 px wide, scaled by Chromium
itself) into docs/screens/, which the README shows.

    python -m tests.shoot [--out DIR] [--all-sizes] [--languages ar,en] [--width 480]
                          [--only NAME,NAME]

`--all-sizes` and `--languages ar,en` are for looking at a change at every device size
in both languages (written somewhere else than docs/screens/, at full size with
`--width 0`)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT
from tests.devices import Size
from tests.screens import SCREENS, Screen
from tests.stage import Stage, demo_stage

DOCS = ROOT / "docs" / "screens"


def file_name(screen: Screen, size: Size, language: str, every: bool) -> str:
    return f"{screen.name}-{size.name}-{language}.png" if every else f"{screen.name}.png"


def sign_in(context: Any, stage: Stage, user: str | None) -> Any:
    page = context.new_page()
    if user is not None:
        page.goto(f"{stage.base}/staff/login")
        page.fill("#username", user)
        page.fill("#password", stage.passwords[user])
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
    return page


def shoot(
    stage: Stage,
    out: Path,
    *,
    width: int,
    every_size: bool,
    languages: list[str],
    only: set[str],
) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for screen in SCREENS:
            if only and screen.name not in only:
                continue
            sizes = screen.sizes if every_size else screen.sizes[:1]
            for size in sizes:
                scale = width / size.width if width else 1
                context = chromium.new_context(
                    viewport=size.viewport,  # type: ignore[arg-type]
                    device_scale_factor=scale,
                )
                page = sign_in(context, stage, screen.user)
                for language in languages:
                    target = screen.url(stage.refs)
                    page.goto(f"{stage.base}/lang?to={language}&next={quote(target)}")
                    page.wait_for_load_state("load")
                    if screen.ready:
                        page.locator(screen.ready).first.wait_for()
                    page.evaluate("() => document.fonts.ready")
                    page.wait_for_timeout(300)  # live pages fill themselves in
                    path = out / file_name(screen, size, language, every_size or len(languages) > 1)
                    page.screenshot(path=str(path), animations="disabled", caret="hide")
                    written.append(path)
                context.close()
        chromium.close()
    return written


def readme_table(columns: int = 3) -> str:
    """The README's table of the screenshots in docs/screens/ (`--table` prints it)."""
    cells = [
        f'<img src="docs/screens/{s.name}.png" width="260" alt="{s.title}"><br>'
        f"{s.title} · {s.sizes[0].width}×{s.sizes[0].height}"
        for s in SCREENS
    ]
    rows = ["| " + " | ".join([" "] * columns) + " |", "|" + "---|" * columns]
    for start in range(0, len(cells), columns):
        row = cells[start : start + columns]
        rows.append("| " + " | ".join(row + [" "] * (columns - len(row))) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DOCS)
    parser.add_argument("--all-sizes", action="store_true")
    parser.add_argument("--languages", default="ar")
    parser.add_argument("--width", type=int, default=480, help="0 keeps the device's size")
    parser.add_argument("--only", default="", help="screen names, comma-separated")
    parser.add_argument("--table", action="store_true", help="print the README's table only")
    args = parser.parse_args(argv)
    if args.table:
        print(readme_table())
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="reception-shots-") as temp,
        demo_stage(Path(temp) / "var") as stage,
    ):
        written = shoot(
            stage,
            args.out,
            width=args.width,
            every_size=args.all_sizes,
            languages=args.languages.split(","),
            only={n for n in args.only.split(",") if n},
        )
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} screenshots, {total // 1024} KiB, in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
