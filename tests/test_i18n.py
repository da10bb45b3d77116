"""Every message on a screen or in an error has an Arabic translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from reception import PACKAGE_DIR
from reception.i18n import gettext

ROOT = PACKAGE_DIR.parent


def _source_messages() -> set[str]:
    method_map = [
        ("reception/**.py", "python"),
        ("reception/templates/**.html", "jinja2"),
        ("reception/templates/sms/**.txt", "jinja2"),
    ]
    options = {
        "reception/templates/**.html": {"extensions": "jinja2.ext.i18n"},
        "reception/templates/sms/**.txt": {"extensions": "jinja2.ext.i18n"},
    }
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        options_map=options,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(language: str) -> dict[str, str]:
    """Message id → translation; a plural message counts as translated when every
    one of its forms is (Arabic has six), and its forms are joined for the checks."""
    path = Path(PACKAGE_DIR / "locale" / language / "LC_MESSAGES" / "messages.po")
    with path.open("rb") as fh:
        catalog = read_po(fh)
    result = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple | list):
            forms = list(m.string)
            result[m.id[0]] = " | ".join(forms) if all(forms) else ""
        else:
            result[m.id] = m.string
    return result


def test_every_message_is_translated_to_arabic() -> None:
    messages = _source_messages()
    assert len(messages) > 50
    arabic = _catalog("ar")
    untranslated = sorted(m for m in messages if not arabic.get(m))
    assert untranslated == [], "run scripts/i18n and translate: " + "; ".join(untranslated)


def test_english_catalog_knows_every_message() -> None:
    missing = sorted(_source_messages() - set(_catalog("en")))
    assert missing == [], "run scripts/i18n: " + "; ".join(missing)


def test_placeholders_survive_translation() -> None:
    arabic = _catalog("ar")
    for message, translation in arabic.items():
        for token in ("%(", "{"):
            if token in message:
                names = {p.split(")")[0].split("}")[0] for p in message.split(token)[1:]}
                got = {p.split(")")[0].split("}")[0] for p in translation.split(token)[1:]}
                # a plural form may spell the number out ("دقيقتان") and drop it
                assert got <= names and (got or " | " in translation), (message, translation)


def test_arabic_minutes_agree_with_the_number() -> None:
    from reception.i18n import translations

    forms = translations("ar")
    said = {n: forms.ngettext("%(num)s min", "%(num)s min", n) % {"num": n} for n in (1, 2, 5, 11)}
    assert said == {1: "دقيقة واحدة", 2: "دقيقتان", 5: "5 دقائق", 11: "11 دقيقة"}


def test_arabic_is_the_default() -> None:
    assert gettext("ar", "Call next") == "نداء التالي"
    assert gettext("en", "Call next") == "Call next"


def test_arabic_counts_take_the_form_of_their_number() -> None:
    """The catalog's forms follow its Plural-Forms header: 0 zero, 1 one, 2 two,
    3 for 3–10, 4 for 100–102 (and 0–2 of each hundred), 5 for 11–99."""
    from reception.i18n import translations

    forms = translations("ar")

    def said(message: str, n: int) -> str:
        return forms.ngettext(message, message, n) % {"num": n}

    waiting = {n: said("%(num)s waiting", n) for n in (1, 2, 3, 8, 11, 100)}
    assert waiting == {
        1: "شخص واحد في الانتظار",
        2: "شخصان في الانتظار",
        3: "3 أشخاص في الانتظار",
        8: "8 أشخاص في الانتظار",
        11: "11 شخصًا في الانتظار",
        100: "100 شخص في الانتظار",
    }
    minutes = {n: said("about %(num)s min", n) for n in (1, 2, 3, 8, 11, 100)}
    assert minutes == {
        1: "حوالي دقيقة واحدة",
        2: "حوالي دقيقتين",
        3: "حوالي 3 دقائق",
        8: "حوالي 8 دقائق",
        11: "حوالي 11 دقيقة",
        100: "حوالي 100 دقيقة",
    }
