"""The one place that reads the environment (and an optional `.env` file)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reception.notify.policy import SendPolicy, parse_quiet_hours

Language = Literal["ar", "en"]
LANGUAGES: tuple[Language, ...] = ("ar", "en")
RIGHT_TO_LEFT: frozenset[str] = frozenset({"ar"})
"""The languages written right to left (the page's direction, isolates in an SMS)."""
DEFAULT_TIMEZONE = "Asia/Riyadh"
"""The zone of a time shown where no branch is known (a new branch starts with it)."""


class Settings(BaseSettings):
    """Every setting of the product. Each field is read from the environment variable
    of the same name in upper case, or from `.env` in the working directory."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    var_dir: Path = Field(default=Path("var"), description="Folder for the SQLite file, keys.")
    database_url: str = Field(default="", description="sqlite:///… or postgresql+psycopg://…")
    broadcast_url: str = Field(
        default="memory://", description="memory://, redis://… or postgres://…"
    )
    sqlite_synchronous: Literal["full", "normal"] = Field(
        default="full",
        description=(
            "full: a ticket once acknowledged survives a power cut; normal: it survives a "
            "crash of the program, but a power cut may lose the last second (faster)."
        ),
    )
    sms_backend: Literal["console", "memory", "twilio"] = "console"
    secret_key: str = Field(default="", description="Signs sessions; generated if unset.")
    default_language: Language = "ar"
    public_base_url: str = "http://127.0.0.1:8000"
    session_max_age_seconds: int = 12 * 3600
    access_recheck_seconds: float = Field(
        default=15.0,
        description="How often each worker checks its open sockets against the database "
        "(access notices close them at once; this catches notices that were lost).",
    )
    token_cache_seconds: float = Field(
        default=5.0,
        description="How long a worker keeps what a bearer token may do without asking the "
        "database again, with a shared broadcast only (a revocation's notice ends it at "
        "once); 0: ask every time.",
    )
    secure_cookies: bool = False
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        description="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated, or *).",
    )
    sms_worker_interval_seconds: float = 1.0
    sms_max_attempts: int = 8
    sms_quiet_hours: str = Field(
        default="22:00-07:00",
        description="Local hours when only the messages an administrator lets through "
        "(by default the ticket messages) are sent; empty turns it off.",
    )
    sms_timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        description="Zone of the quiet hours for a message of no branch (else the branch's zone).",
    )
    sms_max_per_hour: int = Field(
        default=6, description="At most this many messages to one number in an hour; 0: no limit."
    )
    housekeeping_interval_seconds: float = 60.0
    suggestions_enabled: bool = Field(
        default=True,
        description="Letter-category suggestions: off, no model is trained or loaded here.",
    )
    suggestion_check_seconds: float = Field(
        default=2.0,
        description="How often a worker looks for a newer stored model and for new decisions.",
    )
    suggestion_confident_at: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Below this confidence the first suggestion is not preselected: the "
        "letter is marked as needing a careful look.",
    )
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = Field(
        default=11 * 1024 * 1024, description="Bodies of attachment uploads (files ≤ 10 MB)."
    )
    attachments_dir: Path | None = Field(
        default=None, description="Where scanned letters are kept; default var_dir/attachments."
    )
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_base_url: str = Field(
        default="", description="Overrides api.twilio.com (tests point it at a local fake)."
    )
    metrics_token: str = Field(
        default="",
        description="Bearer token that may read /metrics from any address; empty: loopback only.",
    )
    login_failures_per_account_and_address: int = Field(
        default=5,
        description="Wrong passwords for one account from one address before that pair waits.",
    )
    login_failures_per_address: int = Field(
        default=50,
        description="Wrong passwords from one address, any accounts, before the address waits.",
    )
    login_lock_seconds: int = Field(
        default=15 * 60, description="How long wrong passwords count, and a lockout lasts."
    )
    link_guesses_per_address: int = Field(
        default=30, description="Tracking links that do not exist, from one address, per window."
    )
    code_guesses_per_kiosk: int = Field(
        default=10, description="Appointment codes that do not exist, typed at one kiosk."
    )
    code_guesses_per_code: int = Field(
        default=5, description="Failed check-ins with one same code, at any kiosk."
    )
    guess_window_seconds: int = Field(
        default=15 * 60, description="How long wrong links and codes count, and a wait lasts."
    )
    reception_edge_token: str = Field(
        default="",
        description="At a mobile unit: its token for the link to the centre (never stored "
        "in the database; the centre shows it once when the unit is added).",
    )
    edge_push_interval_seconds: float = Field(
        default=15.0,
        description="At a mobile unit: how often it looks for records to send to the centre "
        "(0: it sends only on `reception edge sync`).",
    )
    log_level: str = "INFO"

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"SECRET_KEY needs at least {MIN_SECRET_LENGTH} characters")
        return value

    @field_validator("sms_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        try:
            parse_quiet_hours(value)
        except ValueError:
            raise ValueError("SMS_QUIET_HOURS is like 22:00-07:00, or empty") from None
        return value

    def send_policy(self) -> SendPolicy:
        start, end = parse_quiet_hours(self.sms_quiet_hours)
        return SendPolicy(start, end, self.sms_timezone, self.sms_max_per_hour)

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def resolved(self) -> Settings:
        """Fill in the defaults that depend on the file system: the SQLite path under
        `var_dir` and a secret key generated once and kept in `var_dir/secret_key`."""
        var_dir = self.var_dir.expanduser().resolve()
        updates: dict[str, object] = {"var_dir": var_dir}
        updates["attachments_dir"] = (
            self.attachments_dir.expanduser().resolve()
            if self.attachments_dir
            else var_dir / "attachments"
        )
        if not self.database_url:
            var_dir.mkdir(parents=True, exist_ok=True)
            updates["database_url"] = f"sqlite:///{var_dir / 'reception.sqlite3'}"
        if not self.secret_key:
            updates["secret_key"] = stored_secret(var_dir / "secret_key")
        return self.model_copy(update=updates)


MIN_SECRET_LENGTH = 32


def stored_secret(path: Path) -> str:
    """The key kept in `path`, created once. Written to a temporary file and renamed,
    so a crash never leaves an empty key behind; an empty or short key is refused."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temporary, path)  # fails if another process created it first
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"{path} holds no usable secret key (fewer than {MIN_SECRET_LENGTH} characters): "
            "delete the file to have a new one generated, or set SECRET_KEY"
        )
    return key


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides).resolved()  # type: ignore[arg-type]
