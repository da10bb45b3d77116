"""SMS of a mobile unit set to send through its own provider account
(`reception edge init --sms-via unit`): the visitor gets each message once. The unit's
records still travel to the centre (for its reports), so the centre's sender must
leave the unit's messages alone, even one that reached the centre while it was still
waiting at the unit (its provider out of reach at first)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from reception.edge.models import EdgeRow
from reception.notify.models import OutgoingSms
from tests.edge_nodes import BRANCH, edge_pair, twilio_env, wait_for
from tests.fake_twilio import error, serve_fake_twilio

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

PHONE = "0551239999"
E164 = "+966551239999"


def test_a_unit_sending_its_own_sms_is_never_doubled_by_the_centre(
    postgres_url: str, tmp_path: Path
) -> None:
    with serve_fake_twilio() as centre_sms, serve_fake_twilio() as unit_sms:
        unit_sms.plan(error(503))  # the unit's provider refuses the first try
        with edge_pair(
            postgres_url,
            tmp_path,
            centre_env=twilio_env(centre_sms),
            unit_env={**twilio_env(unit_sms), "EDGE_PUSH_INTERVAL_SECONDS": "3600"},
            sms_via="unit",
        ) as pair:
            with pair.unit.http(pair.unit_tokens["kiosk"]) as http:
                body = {"branch": BRANCH, "hall": "men", "service": "letter", "phone": PHONE}
                issued = http.post("/api/v1/tickets", json=body)
            assert issued.status_code == 201, issued.text
            wait_for(lambda: unit_sms.requests, "the unit's first try at sending")
            pair.sync_now()  # the ticket and its message, still waiting, reach the centre
            assert unit_sms.wait_for(messages=1, timeout=60), "the unit never sent it"
            pair.sync_now()

            centre = pair.centre_engine()

            def centre_row() -> OutgoingSms | None:
                with Session(centre) as s:
                    mapped = s.exec(select(EdgeRow).where(EdgeRow.tbl == "outgoingsms")).first()
                    return s.get(OutgoingSms, mapped.central_id) if mapped else None

            row = wait_for(centre_row, "the unit's message at the centre")
            assert row.to == E164
            # The centre's sender runs every 0.2 s: once the row has left `pending` (or
            # never was), the centre has decided; it must not have sent it.
            settled = wait_for(
                lambda: (r := centre_row()) is not None and r.status != "pending" and r,
                "the centre's sender to settle the row",
            )
            assert [m for m in centre_sms.messages if m["to"] == E164] == [], settled
            assert [m["to"] for m in unit_sms.messages] == [E164]
