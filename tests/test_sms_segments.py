"""SMS segment counting, and every message template short enough in both languages."""

from __future__ import annotations

import re

from reception.notify.segments import count_segments


def test_gsm_and_ucs2_segments() -> None:
    assert count_segments("a" * 160) == count_segments("a" * 160)
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3
    assert count_segments("€" * 80).segments == 1 and count_segments("€" * 81).segments == 2
    arabic = count_segments("ب" * 70)
    assert arabic.encoding == "UCS-2" and arabic.segments == 1
    assert count_segments("ب" * 71).segments == 2
    assert count_segments("ب" * 134).segments == 2 and count_segments("ب" * 135).segments == 3
    assert count_segments("a" * 69 + "😀").characters == 71


def test_every_message_fits_two_segments_in_both_languages() -> None:
    from reception.notify.preview import previews, purposes

    rows = previews("https://reception.example.gov.sa")
    assert len(rows) == 2 * len(purposes()) and len(purposes()) >= 9
    too_long = [(r.purpose, r.language, r.size) for r in rows if r.size.segments > 2]
    assert too_long == []
    # every message links to its page, but the join's code: no page exists before it
    linked = [r for r in rows if r.purpose != "remote_code"]
    assert len(linked) == len(rows) - 2
    assert all(any(f"/{kind}/" in r.body for kind in "tlar") for r in linked)


def test_the_admin_previews_the_messages(client, world) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import sign_in

    sign_in(client, "admin")
    page = client.get("/staff/admin/sms")
    from reception.i18n import gettext

    assert page.status_code == 200
    # each message by its name in the page's language, never its code
    seen = re.sub(r"<[^>]+>", " ", page.text)  # what a person reads, not the forms' fields
    assert gettext("ar", "Called to a counter") in seen and "ticket_called" not in seen
    sign_in(client, "supervisor")
    assert client.get("/staff/admin/sms").status_code == 403
