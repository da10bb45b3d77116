"""The letter screens through their forms: the triage desk registers and routes, the
department inbox works the letter, the citizen reads the public timeline."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.letters.models import Letter
from tests.factories import World
from tests.helpers import csrf, sign_in
from tests.test_letters_api import CITIZEN


def test_desk_to_inbox_to_public_timeline(client: TestClient, world: World, engine: Engine) -> None:
    sign_in(client, "operator-men")
    assert client.get("/staff/letters").status_code == 200
    form = client.get("/staff/letters/new?ticket=&hall=men")
    assert form.status_code == 200 and 'name="sender_id_number"' in form.text
    fields = {
        "csrf_token": csrf(form.text),
        "channel": "counter",
        "hall": "men",
        "sender_name": "محمد عبدالله الأحمد",
        "sender_id_number": "1000000009",  # wrong check digit
        "sex": "male",
        "phone": "0501234567",
        "language": "ar",
        "subject": "طلب بدل فاقد للهوية",
        "body": "فقدت الهوية",
    }
    wrong = client.post("/staff/letters", data=fields)
    assert wrong.status_code == 422 and "رقم الهوية أو الإقامة غير صحيح" in wrong.text
    assert 'value="محمد عبدالله الأحمد"' in wrong.text  # nothing typed is lost
    done = client.post(
        "/staff/letters", data={**fields, "sender_id_number": CITIZEN}, follow_redirects=False
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    reference = re.search(r"L-\d{4}-\d{6}", page.text).group(0)  # type: ignore[union-attr]
    assert "سُجّل الخطاب" in page.text and CITIZEN not in page.text
    letter_path = done.headers["location"]
    r = client.post(
        f"{letter_path}/classify", data={"csrf_token": csrf(page.text), "category": "request_civil"}
    )
    assert "صُنّف الخطاب وأُحيل إلى الإدارة" in r.text and "وكالة الأحوال المدنية" in r.text

    officer = TestClient(client.app)
    sign_in(officer, "officer")
    inbox = officer.get("/staff/inbox")
    assert inbox.url.path == "/staff/inbox" and reference in inbox.text
    letter_page = officer.get(letter_path)
    token = csrf(letter_page.text)
    officer.post(f"{letter_path}/move", data={"csrf_token": token, "move": "accept"})
    r = officer.post(
        f"{letter_path}/move",
        data={"csrf_token": token, "move": "answer", "note": "صدرت الهوية، تُستلم من الفرع"},
    )
    assert "تمت الإجابة" in r.text
    assert officer.get("/staff/letters").url.path == "/staff/inbox"

    traffic_officer_cannot = TestClient(client.app)
    sign_in(traffic_officer_cannot, "operator-women")
    assert traffic_officer_cannot.get(letter_path).status_code == 404

    with Session(engine) as s:
        letter = s.exec(select(Letter).where(Letter.reference == reference)).one()
    public = TestClient(client.app).get(f"/l/{letter.tracking_token}")
    assert public.status_code == 200 and reference in public.text
    assert "صدرت الهوية" in public.text and "محمد ع. ا." in public.text
    assert "الأحمد" not in public.text and CITIZEN not in public.text
    assert TestClient(client.app).get("/l/not-a-token").status_code == 404


def test_search_on_the_desk(client: TestClient, world: World) -> None:
    sign_in(client, "supervisor")
    r = client.get("/staff/letters", params={"q": "اقامه"})
    assert r.status_code == 200 and "لا يوجد خطاب مطابق" in r.text
    r = client.get("/staff/letters", params={"from": "tomorrow"})
    assert 'role="alert"' in r.text
    desk = client.get("/staff/letters")
    r = client.post(
        "/staff/enquiries",
        data={
            "csrf_token": csrf(desk.text),
            "direction": "in",
            "topic": "opening_hours",
            "note": "سأل عن أوقات العمل",
        },  # fmt: skip
    )
    assert r.url.path == "/staff/letters" and "سُجّلت المكالمة" in r.text
    r = client.post("/staff/enquiries", data={"csrf_token": csrf(desk.text), "direction": "in"})
    assert 'role="alert"' in r.text


def test_scans_are_attached_on_the_letter_page_and_downloaded(
    client: TestClient, world: World
) -> None:
    from tests.test_letters_api import register

    letter = register(client, world)
    sign_in(client, "operator-men")
    found = client.get("/staff/letters", params={"q": letter["reference"]})
    path = re.search(r'href="(/staff/letters/\d+)"', found.text).group(1)  # type: ignore[union-attr]
    page = client.get(path)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    r = client.post(
        f"{path}/attachments",
        data={"csrf_token": csrf(page.text)},
        files={"file": ("../../etc/passwd.png", png, "image/png")},
    )
    assert "أُرفق المسح" in r.text and "passwd.png" in r.text and "../" not in r.text
    link = re.search(rf'href="({path}/attachments/\d+)"', r.text).group(1)  # type: ignore[union-attr]
    got = client.get(link)
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment")
    bad = client.post(
        f"{path}/attachments",
        data={"csrf_token": csrf(page.text)},
        files={"file": ("x.png", b"GIF89a", "image/png")},
    )
    assert 'role="alert"' in bad.text and "PDF" in bad.text
    outsider = TestClient(client.app)
    sign_in(outsider, "operator-women")
    assert outsider.get(link).status_code == 404
