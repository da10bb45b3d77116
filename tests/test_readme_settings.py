"""The README's configuration table lists every setting the product reads: a new
setting nobody can find is a setting nobody sets."""

from __future__ import annotations

import re
from pathlib import Path

from reception.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Configuration")
    table = text[start : text.index("\n## ", start + 1)]
    listed = set(re.findall(r"^\|[^|\n]*", table, flags=re.MULTILINE))
    names = {name for row in listed for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}
    missing = sorted(n.upper() for n in Settings.model_fields if n.upper() not in names)
    assert missing == [], f"settings missing from the README's Configuration table: {missing}"
