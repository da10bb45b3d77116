"""Babel catalogs (`reception/locale/<lang>/LC_MESSAGES/messages.po`), compiled in
memory at start so a stale `.mo` can never be served. Arabic is the default."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from reception import PACKAGE_DIR
from reception.settings import LANGUAGES, RIGHT_TO_LEFT

LOCALE_DIR = PACKAGE_DIR / "locale"


@cache
def translations(language: str) -> Translations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language not in LANGUAGES or not po_path.exists():
        return Translations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(language: str, message: str, **params: Any) -> str:
    text = translations(language).gettext(message)
    return text.format(**params) if params else text


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def pick_language(value: str | None, default: str) -> str:
    if value:
        for part in value.replace(" ", "").split(","):
            code = part.split(";")[0].split("-")[0].lower()
            if code in LANGUAGES:
                return code
    return default
