"""SMS backends behind one small interface, chosen by `SMS_BACKEND`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from reception.inputs import to_int
from reception.settings import Settings

log = logging.getLogger("reception.sms")


class TransientSmsError(Exception):
    """Worth retrying later (provider down, rate limited, time-out)."""


class PermanentSmsError(Exception):
    """Retrying will not help (invalid number, rejected content)."""


class SmsBackend(Protocol):
    def send(self, to: str, body: str, reference: str) -> str:
        """Send one message and return the provider's message id."""
        ...


def mask_phone(phone: str) -> str:
    return phone[:4] + "•" * max(0, len(phone) - 6) + phone[-2:] if len(phone) > 6 else "••••"


class ConsoleBackend:
    def send(self, to: str, body: str, reference: str) -> str:
        print(f"[sms to {mask_phone(to)}] {body}", flush=True)
        return f"console-{reference}"


@dataclass
class MemoryBackend:
    sent: list[dict[str, str]] = field(default_factory=list)

    def send(self, to: str, body: str, reference: str) -> str:
        self.sent.append({"to": to, "body": body, "reference": reference})
        return f"memory-{reference}"


class TwilioBackend:
    def __init__(self, settings: Settings, timeout: float = 15.0) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        base = settings.twilio_api_base_url.rstrip("/")

        class _Client(TwilioHttpClient):
            def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                if base:
                    # Every host the client would reach (api.twilio.com, or a regional
                    # or edge host chosen from TWILIO_REGION / TWILIO_EDGE) goes to `base`.
                    parts = urlsplit(url)
                    url = base + urlunsplit(("", "", parts.path, parts.query, parts.fragment))
                return super().request(method, url, *args, **kwargs)

        self._http = _Client(timeout=timeout)
        self.client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=self._http,
        )
        self.from_number = settings.twilio_from_number
        self.messaging_service_sid = settings.twilio_messaging_service_sid
        self.status_callback = f"{settings.public_base_url}/api/v1/sms/status"

    def send(self, to: str, body: str, reference: str) -> str:
        from twilio.base.exceptions import TwilioException

        kwargs: dict[str, Any] = {"to": to, "body": body, "status_callback": self.status_callback}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioException as exc:
            # TwilioRestException (classic error body) and TwilioServiceException
            # (RFC 9457 problem details) both carry the status; neither subclasses the other.
            status = _status_of(exc)
            if status is None or status in (408, 429) or status >= 500:
                raise TransientSmsError(f"twilio {status or type(exc).__name__}") from exc
            raise PermanentSmsError(f"twilio {status} code {getattr(exc, 'code', None)}") from exc
        except OSError as exc:  # requests' connection errors and time-outs
            raise TransientSmsError(type(exc).__name__) from exc
        return str(message.sid)

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        if self._http.session is not None:
            self._http.session.close()


def _status_of(exc: Exception) -> int | None:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status
    return to_int(status, high=999) if isinstance(status, str) else None


def create_backend(settings: Settings) -> SmsBackend:
    if settings.sms_backend == "console":
        return ConsoleBackend()
    if settings.sms_backend == "memory":
        return MemoryBackend()
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        raise ValueError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    if not settings.twilio_from_number and not settings.twilio_messaging_service_sid:
        raise ValueError(
            "SMS_BACKEND=twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"
        )
    return TwilioBackend(settings)
