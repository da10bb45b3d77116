"""The letter-category model's pure parts: how it reads numbers, what it knows from the
administrator's words alone, when it refuses to train, how it is stored."""

from __future__ import annotations

import pickle

import pytest
import sklearn

from reception.letters import learning
from reception.letters.learning import Example, fold_text, letter_text, seed_examples


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("رقم الهوية 1023456789", "رقم الهويه numid"),
        ("رقم الاقامة ٢٤٥٦٧٨٩٠١٢", "رقم الاقامه numid"),
        ("جوالي ٠٥٥١٢٣٤٥٦٧", "جوالي numphone"),
        ("call me on +966 512345678", "call me on numphone"),
        ("or 00966501234567 please", "or numphone please"),
        ("بتاريخ ١٤٤٦/٣/١٢ هـ", "بتاريخ numdate ه"),
        ("on 2025-11-03 and 3/11", "on numdate and numdate"),
        ("مبلغ ١٥٠٠٠ ريال", "مبلغ numamount ريال"),
        ("owe 2,500 SAR", "owe numamount sar"),
        ("سنة 1446هـ", "سنه numyear ه"),
        ("لوحة ا ب ج ۱۲۳", "لوحه ا ب ج num"),
        ("رقم2123456789", "رقم numid"),
        ("رقم الطلب 123456", "رقم الطلب num"),
    ],
)
def test_numbers_are_read_as_their_kind_whatever_their_digits(raw: str, folded: str) -> None:
    assert fold_text(raw) == folded


def test_an_eleven_digit_number_is_not_an_id_and_a_short_one_not_a_phone() -> None:
    assert "numid" not in fold_text("12345678901")
    assert "numphone" not in fold_text("0512345")


def test_folding_keeps_the_arabic_spelling_folds() -> None:
    assert fold_text("إصدار  جواز   السفر للمرأة") == "اصدار جواز السفر للمراه"


CATEGORIES = [
    seed_examples(
        "request_passport",
        name_ar="طلب جوازات",
        name_en="Passports request",
        description_en="Passports, exit and re-entry visas, travel bans, iqama renewal.",
        examples_ar=["تجديد جواز السفر", "تأشيرة خروج وعودة", "رفع منع السفر"],
        examples_en=["renew my passport", "exit re-entry visa", "travel ban"],
    ),
    seed_examples(
        "complaint_traffic",
        name_ar="شكوى مرورية",
        name_en="Traffic complaint",
        description_en="Traffic fines, speed cameras, accidents, driving licence.",
        examples_ar=["اعتراض على مخالفة ساهر", "حادث مروري", "سحب رخصة القيادة"],
        examples_en=["traffic fine that is not mine", "car accident", "driving licence"],
    ),
    seed_examples(
        "meeting",
        name_ar="طلب مقابلة الوزير",
        name_en="Request to meet the minister",
        examples_ar=["طلب مقابلة معالي الوزير", "موعد للسلام على معاليه"],
        examples_en=["I want to meet the minister", "appointment with the minister"],
    ),
]
SEEDS = [example for category in CATEGORIES for example in category]


def test_seed_examples_are_each_of_the_administrators_words() -> None:
    seeds = CATEGORIES[2]
    assert [e.text for e in seeds][:2] == ["طلب مقابلة الوزير", "Request to meet the minister"]
    assert all(e.seed and e.label == "meeting" for e in seeds)
    assert len(seed_examples("x", name_ar=" ", name_en="X", examples_en=["", "  a "])) == 2


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("جوازي", "انتهى جواز سفري وابغى اجدده قبل السفر", "request_passport"),
        ("مخالفه", "جتني مخالفة ساهر وانا ما كنت في الرياض", "complaint_traffic"),
        ("", "ارجو التكرم بتحديد موعد لمقابلة معالي الوزير", "meeting"),
        ("Passport", "My passport expired and I need to renew it", "request_passport"),
        (
            "Fine",
            "I got a traffic fine from a speed camera but it is not my car",
            "complaint_traffic",
        ),
        ("", "Please I want an appointment to meet the minister", "meeting"),
    ],
)
def test_the_administrators_words_alone_rank_an_obvious_letter_first(
    subject: str, body: str, expected: str
) -> None:
    model = learning.train(SEEDS)
    assert model is not None and model.decisions == 0 and model.seeds == len(SEEDS)
    ranked = model.rank([letter_text(subject, body)], k=3)[0]
    assert ranked[0][0] == expected
    assert len(ranked) == 3 and ranked[0][1] >= ranked[1][1] >= ranked[2][1]
    assert all(0.0 <= confidence <= 1.0 for _, confidence in ranked)


def test_decisions_teach_what_the_seeds_do_not_say() -> None:
    decision = "بلاغ عن بسطات عشوائية امام المسجد تسد الطريق"
    decisions = [Example(decision + f" رقم {n}", "complaint_traffic") for n in range(6)]
    before = learning.train(SEEDS)
    after = learning.train([*SEEDS, *decisions])
    assert before is not None and after is not None and after.decisions == 6
    text = letter_text("بسطات عشوائية", "بسطات امام المسجد")
    assert after.rank([text], k=1)[0][0][0] == "complaint_traffic"
    assert dict(after.rank([text], k=3)[0])["complaint_traffic"] > dict(
        before.rank([text], k=3)[0]
    ).get("complaint_traffic", 0.0)


def test_no_model_with_a_single_category_or_none() -> None:
    assert learning.train([]) is None
    assert learning.train(CATEGORIES[0]) is None
    only_one = [Example(f"letter {n}", "meeting") for n in range(10)]
    assert learning.train(only_one) is None
    assert learning.train([*only_one, Example("other", "appeal")]) is not None


def test_a_stored_model_reads_back_and_ranks_the_same() -> None:
    model = learning.train(SEEDS)
    assert model is not None
    again = learning.from_bytes(learning.to_bytes(model))
    texts = [letter_text("", "ابغى اجدد الجواز"), "speed camera fine"]
    assert again.rank(texts) == model.rank(texts)
    assert again.labels == model.labels and again.seeds == model.seeds


def test_a_model_stored_in_another_format_is_refused() -> None:
    model = learning.train(SEEDS)
    assert model is not None
    older = pickle.dumps((learning.FORMAT - 1, sklearn.__version__, model))
    with pytest.raises(ValueError, match="another format"):
        learning.from_bytes(older)
    other_library = pickle.dumps((learning.FORMAT, "0.0", model))
    with pytest.raises(ValueError, match="another format"):
        learning.from_bytes(other_library)
    with pytest.raises(ValueError, match="unreadable"):
        learning.from_bytes(b"not a model")
