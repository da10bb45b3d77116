"""Pure letter rules: the workflow table, identity numbers, Arabic folding, routing,
service-level targets, attachment types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reception.errors import Conflict, Invalid
from reception.letters.models import LetterStatus as S
from reception.letters.rules import (
    TRANSITIONS,
    Rule,
    check_id_number,
    check_letter_transition,
    choose_department,
    mask_id,
    mask_name,
    normalise_arabic,
    sla_state,
    sniff_attachment,
)

ALLOWED = {
    (S.received, S.classified),
    (S.returned, S.classified),
    (S.classified, S.classified),
    (S.classified, S.routed),
    (S.routed, S.in_progress),
    (S.routed, S.returned),
    (S.in_progress, S.returned),
    (S.in_progress, S.answered),
    (S.answered, S.closed),
    (S.answered, S.in_progress),
    (S.received, S.rejected),
    (S.classified, S.rejected),
    (S.returned, S.rejected),
    (S.received, S.merged),
    (S.classified, S.merged),
    (S.returned, S.merged),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_transition_is_allowed_or_refused_as_the_table_says(current: S, target: S) -> None:
    if (current, target) in ALLOWED:
        assert check_letter_transition(current, target) == TRANSITIONS[(current, target)]
    else:
        with pytest.raises(Conflict) as refused:
            check_letter_transition(current, target)
        assert refused.value.status_code == 409
    assert set(TRANSITIONS) == ALLOWED


def test_closed_rejected_and_merged_letters_are_final() -> None:
    for final in (S.closed, S.rejected, S.merged):
        assert not [t for (f, t) in TRANSITIONS if f == final]


def luhn_complete(first_nine: str) -> str:
    for last in "0123456789":
        try:
            return check_id_number(first_nine + last)[0]
        except Invalid:
            continue
    raise AssertionError("no check digit")


def test_identity_numbers() -> None:
    citizen = luhn_complete("104567891")
    resident = luhn_complete("234567890")
    assert check_id_number(citizen) == (citizen, "citizen")
    assert check_id_number(resident) == (resident, "resident")
    arabic_digits = citizen.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert check_id_number(f" {arabic_digits} ")[0] == citizen
    wrong_digit = citizen[:-1] + str((int(citizen[-1]) + 1) % 10)
    for bad, code in (
        (wrong_digit, "bad_id_number_checksum"),
        ("3" + citizen[1:], "bad_id_number"),
        (citizen[:-1], "bad_id_number"),
        ("12345abcde", "bad_id_number"),
        ("", "bad_id_number"),
    ):
        with pytest.raises(Invalid) as refused:
            check_id_number(bad)
        assert refused.value.code == code, bad
    assert mask_id(citizen) == citizen[0] + "*******" + citizen[-2:]
    assert citizen not in mask_id(citizen)
    assert mask_name("محمد عبدالله الأحمد") == "محمد ع. ا."


def test_arabic_folding_for_search_and_suggestions() -> None:
    assert normalise_arabic("إِسْكَانٌ") == normalise_arabic("اسكان")
    assert normalise_arabic("مستشفى") == normalise_arabic("مستشفي")
    assert normalise_arabic("شكوة") == normalise_arabic("شكوه")
    assert normalise_arabic("طـــلب") == "طلب"
    assert normalise_arabic("رقم ١٢٣  Housing") == "رقم 123 housing"


def test_the_most_specific_routing_rule_wins() -> None:
    rules = [
        Rule(1, None, None),
        Rule(2, None, "resident"),
        Rule(3, 7, None),
        Rule(4, 7, "resident"),
    ]
    assert choose_department(rules, branch_id=7, residency="resident") == 4
    assert choose_department(rules, branch_id=7, residency="citizen") == 3
    assert choose_department(rules, branch_id=8, residency="resident") == 2
    assert choose_department(rules, branch_id=8, residency="citizen") == 1
    assert choose_department([Rule(3, 7, None)], branch_id=8, residency="citizen") is None


def test_service_level_targets() -> None:
    since = datetime(2026, 11, 23, 8, tzinfo=UTC)
    sla = {"routed": 10, "in_progress": 100}
    assert sla_state(sla, "routed", since, since + timedelta(hours=7)) == "ok"
    assert sla_state(sla, "routed", since, since + timedelta(hours=9)) == "near"
    assert sla_state(sla, "routed", since, since + timedelta(hours=11)) == "late"
    assert sla_state(sla, "received", since, since + timedelta(days=30)) == "ok"  # no target
    assert sla_state({}, "routed", since, since + timedelta(days=30)) == "ok"


def test_attachments_are_recognised_by_content_not_name() -> None:
    assert sniff_attachment(b"%PDF-1.7\n...", 2000) == "application/pdf"
    assert sniff_attachment(b"\x89PNG\r\n\x1a\n....", 2000) == "image/png"
    assert sniff_attachment(b"\xff\xd8\xff\xe0....", 2000) == "image/jpeg"
    for head, size, code in (
        (b"MZ\x90\x00", 2000, "bad_file_type"),
        (b"<html>", 2000, "bad_file_type"),
        (b"%PDF-1.7", 0, "empty_file"),
        (b"%PDF-1.7", 10 * 1024 * 1024 + 1, "file_too_large"),
    ):
        with pytest.raises(Invalid) as refused:
            sniff_attachment(head, size)
        assert refused.value.code == code
