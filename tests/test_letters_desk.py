"""The letters desk through its forms, as the operator and the department officer use
it: the next step said at every state, the history telling who did what by name, the
suggested category chosen in advance, the visitor's ticket filling the new-letter form
(and another hall's ticket refused), times in the branch's zone on every list."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth.models import StaffUser
from reception.clock import FrozenClock
from reception.demo_categories import LETTERS as DEMO_LETTERS
from reception.letters.models import Category, Letter, LetterStatus
from reception.letters.samples import SAMPLES
from reception.queue.models import Ticket
from reception.settings import Settings
from reception.staff.letter_story import next_step as next_step_of
from tests.factories import World
from tests.helpers import csrf, issue, register_at_desk, sign_in, wait_until
from tests.test_letters_api import RESIDENT

REGISTERED = datetime(2026, 11, 24, 10, 1, tzinfo=UTC)  # 13:01 in Riyadh
NAMES = {"operator-men": "سارة علي الفرز", "officer": "خالد عمر الإدارة"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(REGISTERED)


@pytest.fixture
def desk(
    settings: Settings, world: World, engine: Engine, clock: FrozenClock
) -> Iterator[TestClient]:
    """The app on a frozen clock, the accounts with their full names."""
    with Session(engine) as s:
        for user in s.exec(select(StaffUser).where(StaffUser.username.in_(NAMES))):  # type: ignore[attr-defined]
            user.full_name = NAMES[user.username]
            s.add(user)
        s.commit()
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


def text_of(fragment: str) -> str:
    """What a person reads of an HTML fragment: tags dropped, spaces squeezed."""
    fragment = re.sub(r"<br\s*/?>", " ", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def next_step(page: str) -> str:
    match = re.search(r'<p class="next-step" id="next-step">(.*?)</p>', page, re.S)
    assert match, "no next step on the page"
    return text_of(match.group(1))


def history(page: str) -> list[str]:
    match = re.search(r'<ol class="timeline letter-history">(.*?)</ol>', page, re.S)
    assert match, "no history on the page"
    return [text_of(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def act(client: TestClient, path: str, action: str, **fields: str) -> str:
    token = csrf(client.get(path).text)
    r = client.post(f"{path}/{action}", data={"csrf_token": token, **fields})
    assert r.status_code == 200, r.text
    return r.text


def test_the_letter_page_says_what_happens_next_and_who_did_what(
    desk: TestClient, world: World
) -> None:
    sign_in(desk, "operator-men")
    path = register_at_desk(desk)
    page = desk.get(path).text
    assert "اختر التصنيف أدناه وأحِل الخطاب" in next_step(page)
    assert history(page) == ["2026-11-24 13:01 سُجِّل الخطاب · سارة علي الفرز (يراه المواطن)"]

    page = act(desk, path, "classify", category="request_civil")
    assert next_step(page) == (
        "بانتظار قبول وكالة الأحوال المدنية له. لا يلزم إجراء هنا إلا إذا أُعيد."
    )
    lines = history(page)
    assert lines[1] == "2026-11-24 13:01 حُدِّد التصنيف: طلب أحوال مدنية · سارة علي الفرز"
    assert lines[2].startswith("2026-11-24 13:01 أُحيل إلى وكالة الأحوال المدنية · سارة")
    assert "operator-men" not in page and "→" not in " ".join(lines)

    officer = TestClient(desk.app)
    sign_in(officer, "officer")
    assert next_step(officer.get(path).text) == (
        "اقبله لبدء العمل عليه، أو أعده إلى الفرز مع ذكر السبب."
    )
    page = act(officer, path, "move", move="return", note="ليس من اختصاصنا")
    assert history(page)[-1] == (
        "2026-11-24 13:01 أعادته وكالة الأحوال المدنية إلى الفرز · خالد عمر الإدارة ليس من اختصاصنا"
    )
    page = desk.get(path).text
    assert next_step(page).startswith("أعادته الإدارة إلى الفرز: اقرأ السبب في السجل")
    page = act(desk, path, "classify", category="request_passport", department="civil_affairs")
    assert "تغيّر التصنيف من طلب أحوال مدنية إلى طلب جوازات · سارة علي الفرز" in history(page)[4]

    page = act(officer, path, "move", move="accept")
    assert next_step(page).startswith("اعمل عليه: أضف ملاحظات")
    assert history(page)[-1].endswith(
        "قبلته وكالة الأحوال المدنية · خالد عمر الإدارة (يراه المواطن)"
    )
    assert next_step(desk.get(path).text) == (
        "تعمل وكالة الأحوال المدنية عليه. حين تجيب، تُغلق أنت الخطاب."
    )
    page = act(officer, path, "move", move="answer", note="صدرت الهوية")
    assert next_step(page) == "أُجيب عنه: يُغلق الفرزُ الخطاب. أعد فتحه إن لزم تغيير الإجابة."
    assert next_step(desk.get(path).text) == "أجابت وكالة الأحوال المدنية: أغلق الخطاب."
    page = act(desk, path, "move", move="close")
    assert next_step(page) == "مغلق: لا يلزم أي إجراء آخر."
    assert history(page)[-1] == "2026-11-24 13:01 أُغلق الخطاب · سارة علي الفرز (يراه المواطن)"

    desk.get("/lang?to=en&next=/")
    page = desk.get(path).text
    assert next_step(page) == "Closed: nothing more to do."
    assert "Category changed from Civil affairs request to Passport request" in history(page)[4]
    assert "classified → classified" not in page


@pytest.mark.parametrize("role", ["operator", "supervisor", "admin", "department_officer"])
def test_every_state_says_what_happens_next_to_everyone(role: str) -> None:
    for status in LetterStatus:
        for language in ("ar", "en"):
            said = str(next_step_of(language, status, role, None, "L-2026-000001"))
            assert said.strip() and "{" not in said, (status, role, language)


def test_rejected_and_merged_letters_say_there_is_nothing_more_here(
    desk: TestClient, world: World
) -> None:
    sign_in(desk, "operator-men")
    kept = register_at_desk(desk)
    page = act(desk, kept, "classify", category="request_civil")
    reference = re.search(r"L-\d{4}-\d{6}", page).group(0)  # type: ignore[union-attr]
    duplicate = register_at_desk(desk, sender_id_number=RESIDENT)
    page = act(desk, duplicate, "move", move="merge", merge_into=reference)
    assert next_step(page) == f"دُمج في الخطاب {reference}: يستمر العمل هناك. افتح ذلك الخطاب"
    assert f'<bdi dir="ltr">{reference}</bdi>' in page
    assert f"دُمج في الخطاب {reference} · سارة علي الفرز" in history(page)[-1]
    rejected = register_at_desk(desk)
    page = act(desk, rejected, "move", move="reject", note="لا يخص الوزارة")
    assert next_step(page) == "لم يُقبل: لا يلزم أي إجراء آخر."


def test_an_account_without_a_full_name_is_shown_by_its_role(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as s:
        supervisor = s.exec(select(StaffUser).where(StaffUser.username == "supervisor")).one()
        supervisor.full_name = ""
        s.add(supervisor)
        s.commit()
    sign_in(client, "supervisor")
    path = register_at_desk(client)
    lines = history(client.get(path).text)
    assert lines[0].endswith("سُجِّل الخطاب · مشرف (يراه المواطن)"), lines
    assert all("supervisor" not in line for line in lines)


@pytest.mark.suggestions
def test_the_suggested_category_is_chosen_and_the_operator_may_change_it(
    desk: TestClient, world: World, engine: Engine
) -> None:
    from reception.demo import demo_letters

    demo_letters(engine, "http://testserver")  # the staff's earlier decisions, learned
    letters = [*SAMPLES, *DEMO_LETTERS]
    decided = len(letters) - len({c for c, _, _ in letters})  # the last of each waits
    model = desk.app.state.suggestions  # type: ignore[attr-defined]
    wait_until(lambda: model.status().trained_on == decided, "a model of them", timeout=120)
    sign_in(desk, "operator-men")
    path = register_at_desk(
        desk, subject="أطلب مقابلة معالي الوزير شخصيا", body="أرجو تحديد موعد للقاء معاليه"
    )
    page = desk.get(path).text
    assert re.search(r'<option value="meeting" selected>', page)
    assert (
        len(
            re.findall(
                r"<option [^>]*selected", page.split('id="category"')[1].split("</select>")[0]
            )
        )
        == 1
    )
    assert "اختير الاقتراح الأول" in page
    act(desk, path, "classify", category="request_civil")  # the operator decides otherwise
    with Session(engine) as s:
        subject = "أطلب مقابلة معالي الوزير شخصيا"
        letter = s.exec(select(Letter).where(Letter.subject == subject)).one()
        category = s.get(Category, letter.category_id)
    assert category is not None and category.slug == "request_civil"


def test_the_visitors_ticket_fills_the_new_letter_form(
    desk: TestClient, world: World, engine: Engine
) -> None:
    ticket = issue(desk, world, phone="0551234567")
    sign_in(desk, "operator-men")
    with Session(engine) as s:
        ticket_id = s.exec(select(Ticket.id).where(Ticket.number == ticket["number"])).one()
    form = desk.get(f"/staff/letters/new?ticket_id={ticket_id}")
    assert form.status_code == 200
    assert 'value="0551234567"' in form.text and "0551234567" not in str(form.url)
    assert re.search(r'value="male" required checked', form.text)
    assert re.search(r'<option value="men" selected>', form.text)
    assert f'value="{ticket["number"]}"' in form.text

    # the number typed on the form: what was typed stays, the ticket adds what it knows
    page = desk.get("/staff/letters/new")
    filled = desk.post(
        "/staff/letters/new",
        data={
            "csrf_token": csrf(page.text),
            "ticket_number": ticket["number"].lower(),
            "sender_name": "فهد سعد",
            "subject": "طلب",
        },
    )
    assert filled.status_code == 200
    assert 'value="فهد سعد"' in filled.text and 'value="0551234567"' in filled.text
    assert f'مُلئ من التذكرة <bdi dir="ltr">{ticket["number"]}</bdi>' in filled.text

    # the counter's link: the ticket number and the hall
    assert (
        'value="0551234567"'
        in desk.get(f"/staff/letters/new?hall=men&ticket={ticket['number']}").text
    )


def test_another_halls_ticket_is_refused(desk: TestClient, world: World) -> None:
    women = issue(desk, world, hall="women", phone="0561234567")
    sign_in(desk, "operator-men")
    page = desk.get(f"/staff/letters/new?hall=men&ticket={women['number']}")
    assert page.status_code == 403
    assert "0561234567" not in page.text and women["number"] not in page.text.split("<form")[1]
    assert not re.search(r'name="sex" value="\w+"[^>]*checked', page.text)
    assert "حسابك غير مسموح له بالعمل في هذه القاعة" in page.text
    unknown = desk.get("/staff/letters/new?ticket=M-999")
    assert unknown.status_code == 404 and "M-999" in unknown.text


def test_times_on_the_desk_agree_with_the_citizens_page(
    desk: TestClient, world: World, engine: Engine
) -> None:
    sign_in(desk, "operator-men")
    path = register_at_desk(desk)
    triage = desk.get("/staff/letters").text
    found = desk.get("/staff/letters", params={"q": "الهوية"}).text
    act(desk, path, "classify", category="request_civil")
    officer = TestClient(desk.app)
    sign_in(officer, "officer")
    inbox = officer.get("/staff/inbox").text
    with Session(engine) as s:
        token = s.exec(select(Letter.tracking_token)).first()
    public = TestClient(desk.app).get(f"/l/{token}").text
    for page in (triage, found, inbox, desk.get(path).text, public):
        assert "13:01" in page and "10:01" not in page
