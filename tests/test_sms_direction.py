"""Dates in right-to-left SMS read as written: after Arabic words a phone would
otherwise show 2026-11-24 as 24-11-2026."""

from __future__ import annotations

from reception.notify.outbox import render_sms

LRI, PDI = "\u2066", "\u2069"


def test_an_arabic_message_isolates_its_date_and_nothing_else() -> None:
    body = render_sms(
        "appointment_booked",
        "ar",
        day="2026-11-24",
        time="10:30",
        hall="قاعة الرجال",
        code="12345678",
        link="http://127.0.0.1:8000/a/ab-12-3",
    )
    assert f"{LRI}2026-11-24{PDI}" in body
    assert body.count(LRI) == body.count(PDI) == 1
    assert body.endswith("http://127.0.0.1:8000/a/ab-12-3")  # a link stays tappable


def test_a_reference_is_left_whole_so_it_can_be_copied() -> None:
    body = render_sms("letter_received", "ar", reference="L-2026-000001", link="http://x/l/t")
    assert "L-2026-000001" in body
    assert LRI not in body


def test_an_english_message_has_no_invisible_marks() -> None:
    body = render_sms(
        "appointment_booked",
        "en",
        day="2026-11-24",
        time="10:30",
        hall="Men's hall",
        code="12345678",
        link="http://x/a/t",
    )
    assert LRI not in body and PDI not in body
