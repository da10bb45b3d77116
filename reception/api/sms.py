"""Provider callbacks for SMS: delivery status reports, signed by Twilio."""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from reception.api.operations import Answer, ApiRoute, Operation, header
from reception.errors import N_, Forbidden, Invalid, NotFound
from reception.metrics import INBOUND_REPLAYS
from reception.notify.actions import record_delivery
from reception.notify.inbound import answer_inbound
from reception.web import ctx, with_write_session

log = logging.getLogger("reception.sms")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _signed_params(request: Request) -> dict[str, str]:
    """The form Twilio posted, once its X-Twilio-Signature checks out."""
    from twilio.request_validator import RequestValidator

    settings = ctx(request).settings
    if settings.sms_backend != "twilio" or not settings.twilio_auth_token:
        raise NotFound("not_found", N_("This page does not exist."))
    form = await request.form()
    params = {k: str(v) for k, v in form.items()}
    url = settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    if not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
        log.warning("sms webhook refused: bad signature (%s)", request.url.path)
        raise Forbidden("bad_signature", N_("The request signature is not valid."))
    return params


async def status_callback(request: Request) -> Response:
    params = await _signed_params(request)
    sid = params.get("MessageSid", "")
    status = params.get("MessageStatus", "")
    if not sid or not status:
        return Response(status_code=204)
    await with_write_session(
        request, lambda s: record_delivery(s, sid, status, params.get("ErrorCode"))
    )
    return Response(status_code=204)


async def inbound(request: Request) -> Response:
    """A message a citizen sent to our number; the answer goes back as TwiML."""
    params = await _signed_params(request)
    if "From" not in params or "Body" not in params:
        raise Invalid("incomplete_message", N_("A message needs its sender and its text."))
    app = ctx(request)
    try:
        reply = await with_write_session(
            request,
            lambda s: answer_inbound(
                s, app.clock, params.get("From", ""), params.get("Body", "")[:300],
                app.settings.public_base_url, params.get("MessageSid", ""),
            ),
        )  # fmt: skip
    except IntegrityError:  # the same message twice at the same moment: the other ran
        reply = None
    if reply is None:  # a replay of a message already answered: nothing happens
        log.warning("sms webhook: a message delivered again was ignored")
        INBOUND_REPLAYS.inc()
        return Response(EMPTY_TWIML, media_type="application/xml")
    twiml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{escape(reply)}</Message></Response>"
    )
    return Response(twiml, media_type="application/xml")


SIGNED = (header("X-Twilio-Signature", "Twilio's signature of the request", required=True),)
FORM = "application/x-www-form-urlencoded"
DELIVERY_REPORT = {
    "type": "object",
    "properties": {
        "MessageSid": {"type": "string"},
        "MessageStatus": {
            "type": "string",
            "description": "accepted, queued, sending, sent, delivered, undelivered or "
            "failed. A report with another status, or without a sid, is ignored (still "
            "204, so Twilio does not send it again).",
            "examples": ["delivered"],
        },
        "ErrorCode": {"type": "string"},
    },
}
MESSAGE = {
    "type": "object",
    "properties": {
        "From": {"type": "string"},
        "Body": {"type": "string"},
        "MessageSid": {"type": "string"},
    },
    "required": ["From", "Body"],
}

routes = [
    ApiRoute(
        "/api/v1/sms/status",
        status_callback,
        post=Operation(
            "Delivery report from Twilio (signed with X-Twilio-Signature)",
            operation_id="smsStatusCallback",
            public=True,
            parameters=SIGNED,
            form=(FORM, DELIVERY_REPORT),
            answers={204: Answer("Recorded (or not ours)", media_type=None)},
            errors=(400, 403, 404, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/sms/inbound",
        inbound,
        post=Operation(
            "A message a citizen sent (signed by Twilio): STATUS/حالة <reference>, "
            "STOP/إيقاف, START/تشغيل; answered with TwiML in the keyword's language; a "
            "MessageSid already handled (a replayed request) changes nothing and gets an "
            "empty answer",
            operation_id="smsInbound",
            public=True,
            parameters=SIGNED,
            form=(FORM, MESSAGE),
            answers={200: Answer("TwiML", media_type="application/xml", schema={})},
            errors=(400, 403, 404, 503),
        ),
    ),
]
