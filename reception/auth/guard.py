"""What the screens share to throttle guessing (see `reception.auth.throttle`): the
keys of a request, the wait before it may guess again, and counting a wrong guess."""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable

from sqlmodel import Session
from starlette.requests import HTTPConnection

from reception import audit
from reception.auth.principal import Principal
from reception.auth.throttle import (
    Check,
    GuessLimits,
    forget_failures,
    hashed,
    record_failure,
    seconds_to_wait,
)
from reception.errors import N_, TooManyRequests
from reception.web import ctx, read, with_write_session

OnLock = Callable[[Session, list[Check]], None]


def client_address(conn: HTTPConnection) -> str:
    """The client's address as the proxy headers we trust tell it, for counting: an
    IPv6 address stands for its /64 network, which one subscriber usually holds whole
    (otherwise a guesser would take a fresh address for every try)."""
    return address_group(conn.client.host if conn.client else "-")


def address_group(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def limits(conn: HTTPConnection) -> GuessLimits:
    state = conn.app.state
    known: GuessLimits | None = getattr(state, "guess_limits", None)
    if known is None:
        known = GuessLimits.from_settings(ctx(conn).settings)
        state.guess_limits = known
    return known


def key(conn: HTTPConnection, *parts: str) -> str:
    return hashed(ctx(conn).settings.secret_key, *parts)


def address_tag(conn: HTTPConnection) -> str:
    """The client's address for the audit trail: a short keyed hash that tells one
    address from another without naming it."""
    return key(conn, "address", client_address(conn))[:12]


def minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


async def wait_seconds(conn: HTTPConnection, checks: list[Check]) -> int:
    clock = ctx(conn).clock
    return await read(conn, lambda s: seconds_to_wait(s, clock.now(), checks))


async def refuse_while_waiting(
    conn: HTTPConnection, checks: list[Check], code: str, message: str
) -> None:
    """Raise `TooManyRequests` (with `{minutes}` for the message) while any key waits."""
    wait = await wait_seconds(conn, checks)
    if wait:
        raise TooManyRequests(code, message, retry_after=wait, minutes=minutes(wait))


async def count_failure(
    conn: HTTPConnection, checks: list[Check], on_lock: OnLock | None = None
) -> list[Check]:
    """Count one wrong guess; `on_lock` writes the audit entry of a lockout it starts,
    in the same transaction."""
    clock = ctx(conn).clock

    def write(session: Session) -> list[Check]:
        locked = record_failure(session, clock.now(), checks)
        if locked and on_lock is not None:
            on_lock(session, locked)
        return locked

    return await with_write_session(conn, write)


async def clear_failures(conn: HTTPConnection, checks: list[Check]) -> None:
    await with_write_session(conn, lambda s: forget_failures(s, checks))


# --- citizens' links ------------------------------------------------------------------


async def refuse_link_guesses(conn: HTTPConnection) -> list[Check]:
    """Links that do not exist, asked for again and again from one address, are
    someone guessing: after `LINK_GUESSES_PER_ADDRESS` in the window that address
    waits (429). The checks come back to count a miss with `count_failure`."""
    checks = [Check(limits(conn).link_address, key(conn, client_address(conn)))]
    await refuse_while_waiting(
        conn,
        checks,
        "too_many_guesses",
        N_("Too many wrong links. Please try again in {minutes} minutes."),
    )
    return checks


async def malformed_link(conn: HTTPConnection) -> None:
    """A malformed link (a control character in it) is a wrong guess too."""
    await count_failure(conn, await refuse_link_guesses(conn))


# --- signing in --------------------------------------------------------------------


def login_checks(conn: HTTPConnection, username: str) -> list[Check]:
    """A wrong password counts against the account *from this address* and against
    the address: a stranger elsewhere cannot lock the owner out, and one address
    trying many accounts soon waits."""
    address = client_address(conn)
    chosen = limits(conn)
    return [
        Check(chosen.login_account_address, key(conn, username.lower(), address)),
        Check(chosen.login_address, key(conn, address)),
    ]


async def login_wait(conn: HTTPConnection, checks: list[Check]) -> int:
    return await wait_seconds(conn, checks)


async def login_failed(conn: HTTPConnection, checks: list[Check], username: str) -> None:
    """Count a wrong password; a lockout it starts goes into the audit trail with the
    username and the address's tag (never the password or the address)."""
    tag = address_tag(conn)

    def audit_lock(session: Session, locked: list[Check]) -> None:
        for check in locked:
            by_account = check.limit == limits(conn).login_account_address
            audit.record(
                session,
                "system",
                "login.locked",
                "login" if by_account else "address",
                username[:40] if by_account else tag,
                username=username if by_account else None,
                address=tag,
                failures=check.limit.max_failures,
                seconds=check.limit.window_seconds,
            )

    await count_failure(conn, checks, audit_lock)


async def login_succeeded(conn: HTTPConnection, checks: list[Check]) -> None:
    """The right password clears the account's count from this address only."""
    await clear_failures(conn, checks[:1])


def address_checks(conn: HTTPConnection) -> list[Check]:
    """Device tokens typed at `/device`: wrong ones count against the address."""
    return [Check(limits(conn).login_address, key(conn, client_address(conn)))]


# --- appointment codes at a kiosk -----------------------------------------------------

TOO_MANY_CODES = N_("Too many wrong appointment codes. Please ask at the counter for help.")


def code_checks(conn: HTTPConnection, principal: Principal, code: str) -> list[Check]:
    """A code that does not exist counts against the kiosk that sent it and against
    the code itself (the same digits tried at any kiosk)."""
    digits = "".join(
        str(unicodedata.decimal(ch)) for ch in code if unicodedata.decimal(ch, None) is not None
    )
    chosen = limits(conn)
    return [
        Check(chosen.code_kiosk, key(conn, principal.actor)),
        Check(chosen.code, key(conn, digits[:20])),
    ]


async def refuse_codes_while_waiting(conn: HTTPConnection, checks: list[Check]) -> None:
    await refuse_while_waiting(conn, checks, "too_many_codes", TOO_MANY_CODES)


async def code_failed(conn: HTTPConnection, principal: Principal, checks: list[Check]) -> None:
    """Count a code that does not exist; a wait it starts goes into the audit trail
    (which kiosk, never the code)."""

    def audit_lock(session: Session, locked: list[Check]) -> None:
        for check in locked:
            audit.record(
                session,
                principal.actor,
                "checkin.locked",
                "kiosk" if check.limit == limits(conn).code_kiosk else "code",
                principal.actor if check.limit == limits(conn).code_kiosk else check.key[:12],
                failures=check.limit.max_failures,
                seconds=check.limit.window_seconds,
            )

    await count_failure(conn, checks, audit_lock)
