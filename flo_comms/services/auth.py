"""Sign-in, sessions, throttling and the members an admin manages.

Identity is always decided here, from the database: a session token (kept
only as a SHA-256 hash) names a member, who must still be active. Callers
pass the token they received from the browser's HttpOnly cookie and get a
`MemberView` back, or nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flo_comms.errors import Invalid, NotAllowed, NotFound
from flo_comms.models import LoginAttempt, LoginSession, Member, MemberRole, utcnow
from flo_comms.schemas import MemberView
from flo_comms.services.passwords import hash_password, verify_and_update

SESSION_COOKIE = "flo_session"
HANDOFF_TTL = timedelta(seconds=60)
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LOCK = timedelta(minutes=15)
MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 256
MIN_PASSWORD_LENGTH = 10
WRONG_CREDENTIALS = "Wrong email or password."

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verified when the email is unknown, so both failures cost one argon2 check.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class Throttled(NotAllowed):
    """Too many failed sign-ins for an email; `retry_after` says for how long."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, int(-(-retry_after.total_seconds() // 60)))
        super().__init__(
            f"Too many failed sign-ins for this email. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}."
        )
        self.retry_after = retry_after


def token_hash(token: str) -> str:
    """The stored form of a session token or hand-off code."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: object) -> str:
    """Trims and lower-cases an email, refusing anything that is not one."""
    if not isinstance(email, str):
        raise Invalid("Enter an email address.", {"email": "Enter an email address."})
    value = email.strip().lower()
    if not value:
        raise Invalid("Enter an email address.", {"email": "Enter an email address."})
    if len(value) > MAX_EMAIL_LENGTH or not _EMAIL_RE.match(value):
        raise Invalid("Enter a valid email address.", {"email": "Enter a valid email address."})
    return value


def _view(member: Member) -> MemberView:
    return MemberView(
        id=member.id,
        name=member.name,
        email=member.email,
        role=member.role,
        is_active=member.is_active,
    )


def _locked_until(session: Session, email: str, now: datetime) -> datetime | None:
    failures = session.exec(
        select(LoginAttempt.attempted_at)
        .where(
            LoginAttempt.email == email,
            col(LoginAttempt.succeeded).is_(False),
            LoginAttempt.attempted_at > now - THROTTLE_WINDOW - THROTTLE_LOCK,
        )
        .order_by(col(LoginAttempt.attempted_at))
    ).all()
    locked: datetime | None = None
    for i in range(THROTTLE_FAILURES - 1, len(failures)):
        if failures[i] - failures[i - THROTTLE_FAILURES + 1] <= THROTTLE_WINDOW:
            until = failures[i] + THROTTLE_LOCK
            locked = until if locked is None or until > locked else locked
    return locked if locked is not None and locked > now else None


def authenticate(
    *, session: Session, email: object, password: object, now: datetime | None = None
) -> MemberView:
    """Checks an email and password. Slow on purpose (argon2): call it off the event loop.

    A wrong email and a wrong password fail with the same message after the
    same work. After five failures for one email within 15 minutes, further
    attempts for it are refused for 15 minutes. A stored hash in an older
    scheme is upgraded on success. Commits the attempt.

    Raises:
        Invalid: Bad input, or wrong email or password.
        Throttled: Too many recent failures for this email.
    """
    now = now or utcnow()
    address = normalize_email(email)
    if not isinstance(password, str) or not password:
        raise Invalid("Enter your password.", {"password": "Enter your password."})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(WRONG_CREDENTIALS)
    locked = _locked_until(session, address, now)
    if locked is not None:
        raise Throttled(locked - now)

    member = session.exec(select(Member).where(Member.email == address)).first()
    ok, new_hash = verify_and_update(password, member.password_hash if member else _DUMMY_HASH)
    ok = ok and member is not None and member.is_active
    session.add(LoginAttempt(email=address, attempted_at=now, succeeded=ok))
    if ok and new_hash:
        member.password_hash = new_hash
        session.add(member)
    session.commit()
    if not ok:
        raise Invalid(WRONG_CREDENTIALS)
    return _view(member)


def start_session(
    *, session: Session, member_id: int, days: int, now: datetime | None = None
) -> str:
    """Opens a session for a member who just proved who they are.

    Returns:
        A single-use hand-off code, valid for a minute, that the browser
        exchanges (see `activate_session`) for the session cookie.
    """
    now = now or utcnow()
    code = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            member_id=member_id,
            token_hash=token_hash(code),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    session.commit()
    return code


def activate_session(*, session: Session, code: object, now: datetime | None = None) -> str:
    """Exchanges a hand-off code for the session token (once, within a minute).

    Returns:
        The session token (256 bits) to put in the HttpOnly cookie.

    Raises:
        NotFound: The code is unknown, used or expired.
    """
    now = now or utcnow()
    if not isinstance(code, str) or not 20 <= len(code) <= 100:
        raise NotFound("This sign-in link is not valid.")
    token = secrets.token_urlsafe(32)
    result = session.exec(
        sa.update(LoginSession)
        .where(
            col(LoginSession.token_hash) == token_hash(code),
            col(LoginSession.activated_at).is_(None),
            col(LoginSession.revoked).is_(False),
            col(LoginSession.created_at) > now - HANDOFF_TTL,
        )
        .values(token_hash=token_hash(token), activated_at=now)
    )
    if result.rowcount != 1:
        session.rollback()
        raise NotFound("This sign-in link has expired; sign in again.")
    session.commit()
    return token


def resolve_session(
    *, session: Session, token: str | None, now: datetime | None = None
) -> MemberView | None:
    """The active member behind a session token, or None if it is not a live session."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    now = now or utcnow()
    member = session.exec(
        select(Member)
        .join(LoginSession, col(LoginSession.member_id) == col(Member.id))
        .where(
            LoginSession.token_hash == token_hash(token),
            col(LoginSession.activated_at).is_not(None),
            col(LoginSession.revoked).is_(False),
            LoginSession.expires_at > now,
            col(Member.is_active).is_(True),
        )
    ).first()
    return _view(member) if member else None


def revoke_session(*, session: Session, token: str | None, now: datetime | None = None) -> None:
    """Ends a session (sign-out). Unknown tokens are ignored."""
    if not token or not isinstance(token, str):
        return
    session.exec(
        sa.update(LoginSession)
        .where(col(LoginSession.token_hash) == token_hash(token))
        .values(revoked=True, revoked_at=now or utcnow())
    )
    session.commit()


def demo_sign_in(
    *, session: Session, email: object, demo_mode: bool, demo_emails: set[str]
) -> MemberView:
    """The one-click sign-in of demo mode: only for the seeded demo accounts.

    Raises:
        NotAllowed: Demo mode is off, or the email is not a demo account.
    """
    if not demo_mode:
        raise NotAllowed("Demo sign-in is turned off.")
    address = normalize_email(email)
    if address not in demo_emails:
        raise NotAllowed("That is not a demo account.")
    member = session.exec(select(Member).where(Member.email == address)).first()
    if member is None or not member.is_active:
        raise NotAllowed("That demo account is not available.")
    return _view(member)


# --- members ----------------------------------------------------------------


def require_admin(*, session: Session, actor_id: int | None) -> Member:
    """The acting member, if they are an active admin (checked in the database).

    Raises:
        NotAllowed: Anyone else.
    """
    member = session.get(Member, actor_id) if isinstance(actor_id, int) else None
    if member is None or not member.is_active or member.role != MemberRole.ADMIN.value:
        raise NotAllowed("Only admins can do this.")
    return member


def require_member(*, session: Session, actor_id: int | None) -> Member:
    """The acting member, if they are active (admin or member).

    Raises:
        NotAllowed: Anyone else.
    """
    member = session.get(Member, actor_id) if isinstance(actor_id, int) else None
    if member is None or not member.is_active:
        raise NotAllowed("Sign in to see this.")
    return member


def list_members(*, session: Session, actor_id: int | None) -> list[MemberView]:
    """Every member, active first, by name (admins only)."""
    require_admin(session=session, actor_id=actor_id)
    members = session.exec(
        select(Member).order_by(col(Member.is_active).desc(), col(Member.name), col(Member.id))
    ).all()
    return [_view(m) for m in members]


def _validate_role(role: object) -> str:
    if role not in {r.value for r in MemberRole}:
        raise Invalid("Choose a role: admin or member.", {"role": "Choose admin or member."})
    return str(role)


def add_member(
    *,
    session: Session,
    actor_id: int | None,
    name: object,
    email: object,
    role: object,
    password: object,
) -> MemberView:
    """Adds a member with an initial password (admins only).

    Raises:
        NotAllowed: The actor is not an admin.
        Invalid: A field is wrong (see `field_errors`), or the email is taken.
    """
    require_admin(session=session, actor_id=actor_id)
    errors: dict[str, str] = {}
    clean_name = name.strip() if isinstance(name, str) else ""
    if not clean_name:
        errors["name"] = "Enter a name."
    elif len(clean_name) > 120:
        errors["name"] = "Use at most 120 characters."
    try:
        address = normalize_email(email)
    except Invalid as exc:
        errors["email"] = str(exc)
        address = ""
    try:
        clean_role = _validate_role(role)
    except Invalid as exc:
        errors["role"] = exc.field_errors["role"]
        clean_role = ""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors["password"] = f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if address and session.exec(select(Member.id).where(Member.email == address)).first():
        errors["email"] = "A member with this email already exists."
    if errors:
        raise Invalid("Check the highlighted fields.", errors)
    member = Member(
        name=clean_name, email=address, role=clean_role, password_hash=hash_password(password)
    )
    session.add(member)
    session.commit()
    return _view(member)


def _target(session: Session, member_id: object) -> Member:
    member = session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None:
        raise NotFound("That member no longer exists.")
    return member


def set_member_role(
    *, session: Session, actor_id: int | None, member_id: object, role: object
) -> MemberView:
    """Changes a member's role (admins only; not their own, so a firm keeps an admin)."""
    actor = require_admin(session=session, actor_id=actor_id)
    clean_role = _validate_role(role)
    member = _target(session, member_id)
    if member.id == actor.id and clean_role != MemberRole.ADMIN.value:
        raise NotAllowed("You cannot remove your own admin role.")
    member.role = clean_role
    session.add(member)
    session.commit()
    return _view(member)


def set_member_active(
    *, session: Session, actor_id: int | None, member_id: object, active: object
) -> MemberView:
    """Deactivates or reactivates a member (admins only, never themselves).

    Deactivation revokes every session of the member at once.
    """
    actor = require_admin(session=session, actor_id=actor_id)
    if not isinstance(active, bool):
        raise Invalid("Say whether the member is active.")
    member = _target(session, member_id)
    if member.id == actor.id and not active:
        raise NotAllowed("You cannot deactivate yourself.")
    member.is_active = active
    session.add(member)
    if not active:
        session.exec(
            sa.update(LoginSession)
            .where(col(LoginSession.member_id) == member.id, col(LoginSession.revoked).is_(False))
            .values(revoked=True, revoked_at=utcnow())
        )
    session.commit()
    return _view(member)


def active_member_emails(*, session: Session, emails: set[str]) -> set[str]:
    """Which of these emails belong to active members (to offer only real demo accounts)."""
    if not emails:
        return set()
    return set(
        session.exec(
            select(Member.email).where(col(Member.email).in_(emails), col(Member.is_active))
        ).all()
    )
