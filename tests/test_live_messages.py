"""The live sockets' message names are the same on both ends: the server's
(`reception/events/messages.py`) and the pages' (`static/js/messages.js`), and the
page scripts read them from there instead of writing them out again."""

from __future__ import annotations

import json
import re

from reception import PACKAGE_DIR
from reception.events import messages

JS = PACKAGE_DIR / "static" / "js"


def page_names() -> dict[str, str]:
    text = (JS / "messages.js").read_text(encoding="utf-8")
    return dict(re.findall(r'^\s*([A-Z_]+):\s*"([^"]+)"', text, flags=re.M))


def type_of(frame: str) -> str:
    return str(json.loads(frame)["type"])


def test_the_pages_name_each_message_as_the_server_does() -> None:
    server = {
        "HEARTBEAT": type_of(messages.HEARTBEAT),
        "RESYNC": type_of(messages.RESYNC),
        "SNAPSHOT": messages.SNAPSHOT,
        "CHANGED": type_of(messages.CHANGED),
        "ASK_RESYNC": messages.ASK_RESYNC,
        "SKIP": str(messages.LetterEvent.SKIP),
    }
    assert page_names() == server


def test_no_page_script_writes_a_message_name_itself() -> None:
    names = set(page_names().values())
    alternatives = "|".join(sorted(names))
    quoted = re.compile(r"""(["'])(""" + alternatives + r""")\1""")
    found = []
    for path in sorted(JS.glob("*.js")):
        if path.name == "messages.js":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if quoted.search(line) and "getElementById" not in line:
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_every_page_that_loads_a_socket_script_loads_the_names_first() -> None:
    readers = ("js/live.js", "js/track.js", "js/dashboard.js", "js/letters_live.js")
    for template in sorted((PACKAGE_DIR / "templates").rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for reader in readers:
            at = text.find(reader)
            if at != -1:
                names = text.find("js/messages.js")
                assert names != -1 and names < at, f"{template.name} loads {reader} first"
