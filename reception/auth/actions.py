"""Writers for users and tokens."""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, col, delete, select

from reception import audit
from reception.auth import access
from reception.auth.models import ApiToken, Role, StaffUser, UserHall
from reception.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from reception.auth.sessions import delete_sessions
from reception.bidi import refuse_direction_overrides
from reception.clock import clock_of
from reception.edge.node import unit_node
from reception.errors import N_, Conflict, Forbidden, Invalid, NotFound
from reception.outcome import Outcome
from reception.queue.models import Branch, Hall


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role(role: str, *, unit: bool = False) -> Role:
    """The role named; `edge` only for the token made with a mobile unit."""
    try:
        value = Role(role)
    except ValueError:
        value = None
    if value is None or (value == Role.edge and not unit):
        raise Invalid(
            "unknown_role",
            N_("Unknown role {role}; choose one of: {choices}."),
            role=role,
            choices=", ".join(r.value for r in Role if r != Role.edge),
        )
    return value


def _branch_and_hall(
    session: Session, branch_slug: str | None, hall_slug: str | None
) -> tuple[Branch | None, Hall | None]:
    branch = None
    if branch_slug:
        branch = session.exec(select(Branch).where(Branch.slug == branch_slug)).first()
        if branch is None:
            raise NotFound("unknown_branch", N_("There is no branch {slug}."), slug=branch_slug)
    hall = None
    if hall_slug:
        if branch is None:
            raise Invalid("hall_needs_branch", N_("Name the branch of the hall as well."))
        hall = session.exec(
            select(Hall).where(Hall.branch_id == branch.id, Hall.slug == hall_slug)
        ).first()
        if hall is None:
            raise NotFound("unknown_hall", N_("There is no hall {slug}."), slug=hall_slug)
    return branch, hall


def _department(session: Session, slug: str | None, role: Role) -> int | None:
    """A department officer works for one department; nobody else has one."""
    if not slug:
        return None
    from reception.letters.models import Department

    if role != Role.department_officer:
        raise Invalid("department_for_officers", N_("Only a department officer has a department."))
    row = session.exec(select(Department).where(Department.slug == slug)).first()
    if row is None:
        raise NotFound("unknown_department", N_("There is no department {slug}."), slug=slug)
    return row.id


def require_password_rules(password: str) -> None:
    """One rule for every new password (a new account, a change, a reset)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "weak_password",
            N_("A password needs at least {minimum} characters."),
            minimum=MIN_PASSWORD_LENGTH,
        )


def _require_halls(role: Role, halls: int) -> None:
    if role == Role.operator and not halls:
        raise Invalid("hall_required", N_("An operator needs at least one hall."))
    if role == Role.display and halls != 1:
        raise Invalid("one_hall", N_("A display shows exactly one hall: give one --hall."))
    if role == Role.kiosk and halls > 1:
        raise Invalid("one_hall", N_("A kiosk serves its whole branch or one hall."))


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    branch_slug: str | None = None,
    hall_slugs: tuple[str, ...] = (),
    full_name: str = "",
    department_slug: str | None = None,
    actor: str = "system",
) -> StaffUser:
    role_value = _role(role)
    if unit_node(session) is not None:
        # The unit's accounts carry the centre's ids: one made here would take an id
        # the centre gives to someone else, and the next refresh would replace it.
        raise Forbidden(
            "accounts_at_centre",
            N_(
                "Staff accounts of a mobile unit are made at the centre; run "
                "reception edge init again to bring them to the unit."
            ),
        )
    if (
        not username
        or len(username) > 60
        or not username.replace("-", "").replace("_", "").isalnum()
    ):
        raise Invalid("bad_username", N_("A username is 1–60 letters, digits, - or _."))
    require_password_rules(password)
    refuse_direction_overrides(full_name)
    if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
        raise Conflict("username_taken", N_("The username {username} is taken."), username=username)
    branch, _ = _branch_and_hall(session, branch_slug, None)
    if role_value not in (Role.admin,) and branch is None:
        raise Invalid(
            "branch_required", N_("Every account except an administrator's needs a branch.")
        )
    user = StaffUser(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role_value,
        branch_id=branch.id if branch else None,
        department_id=_department(session, department_slug, role_value),
        created_at=clock_of(session).now(),
    )
    session.add(user)
    session.flush()
    for hall_slug in dict.fromkeys(hall_slugs):
        _, hall = _branch_and_hall(session, branch_slug, hall_slug)
        assert hall is not None and hall.id is not None and user.id is not None
        session.add(UserHall(user_id=user.id, hall_id=hall.id))
    _require_halls(role_value, len(set(hall_slugs)))
    audit.record(session, actor, "user.create", "staffuser", user.id, role=role_value)
    return user


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    branch_slug: str | None = None,
    hall_slug: str | None = None,
    department_slug: str | None = None,
    actor: str = "system",
    unit: bool = False,
) -> tuple[ApiToken, str]:
    """Create a bearer token; the clear token is returned once and never stored.
    `unit`: the token of a mobile unit being added (role `edge`, see reception.edge)."""
    role_value = _role(role, unit=unit)
    if not name.strip():
        raise Invalid("name_required", N_("Give the token a name."))
    refuse_direction_overrides(name)
    branch, hall = _branch_and_hall(session, branch_slug, hall_slug)
    if role_value != Role.admin and branch is None:
        raise Invalid(
            "branch_required", N_("Every token except an administrator's needs a branch.")
        )
    if role_value in (Role.display, Role.operator) and hall is None:
        raise Invalid("hall_required", N_("A display or operator token needs a hall."))
    clear = "rcp_" + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        role=role_value,
        token_hash=token_digest(clear),
        branch_id=branch.id if branch else None,
        hall_id=hall.id if hall else None,
        department_id=_department(session, department_slug, role_value),
        created_at=clock_of(session).now(),
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", "apitoken", token.id, role=role_value)
    return token, clear


def revoke_token(session: Session, *, token_id: int, actor: str = "system") -> Outcome[ApiToken]:
    """A revoked token stops working at once, on every worker: requests are refused
    and the sockets it holds open close (after the commit, through the broadcast)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("unknown_token", N_("There is no token {id}."), id=token_id)
    if token.revoked_at is None:
        token.revoked_at = clock_of(session).now()
        session.add(token)
        audit.record(session, actor, "token.revoke", "apitoken", token.id)
    return Outcome(token, [access.ended(principals=[f"token:{token.id}"], reason="revoked")])


def find_user(session: Session, username: str) -> StaffUser:
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or user.id is None:
        raise NotFound("unknown_user", N_("There is no user {username}."), username=username)
    return user


def set_user_active(
    session: Session, *, username: str, active: bool, actor: str = "system"
) -> Outcome[StaffUser]:
    """Disable (or enable again) an account. Disabling ends its sessions and closes
    its open sockets on every worker; it cannot sign in until enabled again."""
    user = find_user(session, username)
    assert user.id is not None
    user.active = active
    session.add(user)
    audit.record(session, actor, "user.enable" if active else "user.disable", "staffuser", user.id)
    if active:
        return Outcome(user)
    delete_sessions(session, user.id)
    return Outcome(user, [access.ended(principals=[f"user:{user.id}"], reason="disabled")])


def change_user_access(
    session: Session,
    *,
    username: str,
    role: str | None = None,
    branch_slug: str | None = None,
    hall_slugs: tuple[str, ...] | None = None,
    actor: str = "system",
) -> Outcome[StaffUser]:
    """Give an account another role, branch or set of halls. Its sessions go on, but
    every page it has open over a socket is closed and loads again with the new access
    (a display moved to another hall shows that hall)."""
    user = find_user(session, username)
    assert user.id is not None
    role_value = _role(role) if role else Role(user.role)
    if branch_slug is None and user.branch_id is not None:
        current = session.get(Branch, user.branch_id)
        branch_slug = current.slug if current else None
    branch, _ = _branch_and_hall(session, branch_slug, None)
    if role_value != Role.admin and branch is None:
        raise Invalid(
            "branch_required", N_("Every account except an administrator's needs a branch.")
        )
    if hall_slugs is None:
        same_branch = branch is not None and branch.id == user.branch_id
        kept = session.exec(select(UserHall.hall_id).where(UserHall.user_id == user.id)).all()
        hall_ids = list(kept) if same_branch else []
    else:
        hall_ids = []
        for hall_slug in dict.fromkeys(hall_slugs):
            _, hall = _branch_and_hall(session, branch_slug, hall_slug)
            assert hall is not None and hall.id is not None
            hall_ids.append(hall.id)
    _require_halls(role_value, len(hall_ids))
    if role_value != Role.department_officer:
        user.department_id = None
    user.role = role_value
    user.branch_id = branch.id if branch else None
    session.add(user)
    session.exec(delete(UserHall).where(col(UserHall.user_id) == user.id))
    for hall_id in hall_ids:
        session.add(UserHall(user_id=user.id, hall_id=hall_id))
    audit.record(
        session,
        actor,
        "user.access",
        "staffuser",
        user.id,
        role=role_value,
        branch=branch_slug,
        halls=len(hall_ids),
    )
    return Outcome(user, [access.changed(principals=[f"user:{user.id}"], reason="access")])


def change_password(
    session: Session,
    *,
    user_id: int,
    password: str,
    actor: str,
    keep_session: int | None = None,
) -> Outcome[int]:
    """Set a new password and end the account's other sessions (all of them when an
    administrator sets it; all but the person's own when they change it themselves).
    Returns how many sessions ended."""
    require_password_rules(password)
    user = session.get(StaffUser, user_id)
    if user is None or user.id is None:
        raise NotFound("unknown_user", N_("There is no user {username}."), username=str(user_id))
    user.password_hash = hash_password(password)
    session.add(user)
    ended = delete_sessions(session, user.id, keep=keep_session)
    audit.record(session, actor, "user.password", "staffuser", user.id, sessions=len(ended))
    events = [access.ended(sessions=ended, reason="password")] if ended else []
    return Outcome(len(ended), events)


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))))


def change_user(
    session: Session,
    *,
    username: str,
    actor: str,
    role: str | None = None,
    branch_slug: str | None = None,
    hall_slugs: tuple[str, ...] | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> Outcome[StaffUser]:
    """Several changes of one account in one transaction: its access, whether it may
    sign in, its password; the events of each (the account's sockets close) together."""
    events = []
    if role is not None or branch_slug is not None or hall_slugs is not None:
        events += change_user_access(
            session,
            username=username,
            role=role,
            branch_slug=branch_slug,
            hall_slugs=hall_slugs,
            actor=actor,
        ).events
    if active is not None:
        events += set_user_active(session, username=username, active=active, actor=actor).events
    user = find_user(session, username)
    assert user.id is not None
    if password is not None:
        events += change_password(session, user_id=user.id, password=password, actor=actor).events
    return Outcome(user, events)
