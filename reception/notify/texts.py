"""SMS texts an administrator writes in place of the shipped templates.

A text names the message's values as `%(name)s` (`%%` is a percent sign). The names
a purpose offers are the values its shipped templates use; a name both languages'
templates use is one the message cannot do without (the ticket number, the tracking
link), so a text must keep it. Rules only: the rows live in `SmsTemplate`, the
writers in `notify.actions`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, meta

from reception import PACKAGE_DIR
from reception.errors import N_, Invalid, NotFound
from reception.settings import LANGUAGES, RIGHT_TO_LEFT

TEMPLATES = PACKAGE_DIR / "templates" / "sms"
MAX_TEXT = 480
"""Characters an administrator may write: with values filled in, a long text costs
many segments (the preview shows how many)."""
VALUE_LABELS: dict[str, str] = {
    "number": N_("ticket number"),
    "counter": N_("counter number"),
    "ahead": N_("people ahead"),
    "eta": N_("minutes to wait"),
    "eta_low": N_("shortest likely wait, in minutes"),
    "eta_high": N_("longest likely wait, in minutes"),
    "link": N_("tracking link"),
    "reference": N_("letter reference"),
    "code": N_("kiosk code"),
    "day": N_("date"),
    "time": N_("time"),
    "hall": N_("hall"),
    "service": N_("service"),
    "branch": N_("branch"),
}
"""What each value of a message is, for the administrator writing a text."""
OPTIONAL_VALUES = frozenset({"eta_low", "eta_high"})
"""Values a text may leave out even when both languages' templates use them: the
ends of the wait's range (a text may give the wait as `eta` alone)."""
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_ISOLATES = re.compile("[\u2066-\u2069]")
"""LEFT-TO-RIGHT ISOLATE … POP DIRECTIONAL ISOLATE around a `%(name)s` keep it readable
inside Arabic text (in the editor, in a message); they are not kept in a saved text."""
_ANY_PERCENT = re.compile("%")


def purposes() -> list[str]:
    """Every kind of message there is a shipped template for."""
    return sorted(p.stem for p in (TEMPLATES / LANGUAGES[0]).glob("*.txt"))


def catalog_source(purpose: str, language: str) -> str:
    return (TEMPLATES / language / f"{purpose}.txt").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Placeholders:
    allowed: frozenset[str]
    required: frozenset[str]


@cache
def placeholders(purpose: str) -> Placeholders:
    parser = Environment(extensions=["jinja2.ext.i18n"])
    used = [
        meta.find_undeclared_variables(parser.parse(catalog_source(purpose, language)))
        - {"gettext", "ngettext", "_"}
        for language in LANGUAGES
    ]
    return Placeholders(
        allowed=frozenset(set().union(*used)),
        required=frozenset(set.intersection(*used)) - OPTIONAL_VALUES,
    )


def starting_text(purpose: str, language: str) -> str:
    """The shipped text written with placeholders, to start editing from; empty when
    the shipped template says more than values (plural forms, conditions)."""
    text = catalog_source(purpose, language).replace("%", "%%")
    text = re.sub(r"\{%-?\s*if (\w+)\s*-?%\}\{\{\s*\1\s*\}\}\{%-?\s*endif\s*-?%\}", r"%(\1)s", text)
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", text)
    if "{{" in text or "{%" in text:
        return ""
    return " ".join(text.split())


def check_purpose(purpose: str, language: str | None = None) -> None:
    if purpose not in purposes():
        raise NotFound("unknown_sms_purpose", N_("There is no such SMS message."))
    if language is not None and language not in LANGUAGES:
        raise NotFound("unknown_language", N_("There is no such language."))


def _names(names: set[str] | frozenset[str]) -> str:
    return ", ".join(f"\u2066%({name})s\u2069" for name in sorted(names)) if names else "—"


def for_editing(text: str, language: str) -> str:
    """The text as the editor shows it: in a right-to-left language each placeholder
    isolated, or `%(link)s` would read `s(link)%` between Arabic words."""
    if language not in RIGHT_TO_LEFT:
        return text
    return _PLACEHOLDER.sub(
        lambda m: f"\u2066{m.group(0)}\u2069" if m.group(1) else m.group(0), text
    )


def check_text(purpose: str, language: str, text: str) -> str:
    """The text as it will be kept (spaces tidied), or a clear refusal."""
    check_purpose(purpose, language)
    text = " ".join(_ISOLATES.sub("", text).split())
    if not text:
        raise Invalid("sms_text_empty", N_("Write the text of the message."))
    if len(text) > MAX_TEXT:
        raise Invalid(
            "sms_text_too_long",
            N_("The text is too long: at most {limit} characters."),
            limit=MAX_TEXT,
        )
    if _ANY_PERCENT.search(_PLACEHOLDER.sub("", text)):
        raise Invalid(
            "sms_text_bad_percent",
            N_("Write a value as {example} and a percent sign as {percent}."),
            example="%(name)s",
            percent="%%",
        )
    found = {m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1)}
    known = placeholders(purpose)
    unknown = found - known.allowed
    if unknown:
        raise Invalid(
            "sms_text_unknown_placeholder",
            N_("This message has no value {names}. It can use: {allowed}."),
            names=_names(unknown),
            allowed=_names(known.allowed),
        )
    missing = known.required - found
    if missing:
        raise Invalid(
            "sms_text_missing_placeholder",
            N_("The message needs {names} in its text."),
            names=_names(missing),
        )
    return text


def fill(text: str, values: dict[str, Any], finalize: Callable[[Any], Any] | None = None) -> str:
    """The text with its values; a name the values lack raises KeyError (the caller
    falls back to the shipped template)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        raw = values[name]
        if raw is None:
            return ""
        return str(finalize(raw) if finalize is not None else raw)

    return " ".join(_PLACEHOLDER.sub(value, text).split())
