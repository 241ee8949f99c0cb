"""Sign-in, sessions, throttling and member management."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from passlib.hash import pbkdf2_sha256
from sqlmodel import Session, select
from starlette.requests import Request

from flo_comms import routes
from flo_comms.db import session_scope
from flo_comms.errors import Invalid, NotAllowed, NotFound
from flo_comms.models import LoginSession, Member, utcnow
from flo_comms.services import auth
from flo_comms.services.passwords import hash_password

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(session: Session) -> Member:
    member = Member(
        name="Cynthia Park",
        email="cynthia@firm.example",
        role="admin",
        password_hash=hash_password(PASSWORD),
    )
    session.add(member)
    session.commit()
    return member


@pytest.fixture
def viewer(session: Session) -> Member:
    member = Member(
        name="Marcus Reed",
        email="marcus@firm.example",
        role="member",
        password_hash=hash_password(PASSWORD),
    )
    session.add(member)
    session.commit()
    return member


def _signed_in_token(session: Session, member: Member) -> str:
    code = auth.start_session(session=session, member_id=member.id, days=14)
    return auth.activate_session(session=session, code=code)


def test_sign_in_with_right_password_any_case_email(session: Session, admin: Member) -> None:
    view = auth.authenticate(session=session, email=" Cynthia@FIRM.example ", password=PASSWORD)
    assert (view.id, view.name, view.is_admin) == (admin.id, "Cynthia Park", True)


def test_hash_is_argon2id_and_an_old_hash_is_upgraded(session: Session, admin: Member) -> None:
    assert admin.password_hash.startswith("$argon2id$")
    admin.password_hash = pbkdf2_sha256.hash(PASSWORD)
    session.add(admin)
    session.commit()
    auth.authenticate(session=session, email=admin.email, password=PASSWORD)
    session.refresh(admin)
    assert admin.password_hash.startswith("$argon2id$")


def test_wrong_email_and_wrong_password_look_the_same(session: Session, admin: Member) -> None:
    def failure(email: str, password: str) -> tuple[str, float]:
        start = time.perf_counter()
        with pytest.raises(Invalid) as exc:
            auth.authenticate(session=session, email=email, password=password)
        return str(exc.value), time.perf_counter() - start

    # Warm up, then compare the median of a few tries of each.
    failure("nobody@firm.example", "x")
    unknown = [failure("nobody@firm.example", "wrong password") for _ in range(3)]
    wrong = [failure(admin.email, "wrong password") for _ in range(3)]
    assert {m for m, _ in unknown} == {m for m, _ in wrong} == {auth.WRONG_CREDENTIALS}
    unknown_time = sorted(t for _, t in unknown)[1]
    wrong_time = sorted(t for _, t in wrong)[1]
    assert 0.5 < unknown_time / wrong_time < 2.0


def test_deactivated_member_cannot_sign_in(session: Session, admin: Member) -> None:
    admin.is_active = False
    session.add(admin)
    session.commit()
    with pytest.raises(Invalid, match="Wrong email or password"):
        auth.authenticate(session=session, email=admin.email, password=PASSWORD)


def test_bad_input_is_refused_with_field_messages(session: Session) -> None:
    with pytest.raises(Invalid) as exc:
        auth.authenticate(session=session, email="not an email", password="x")
    assert "email" in exc.value.field_errors
    with pytest.raises(Invalid) as exc:
        auth.authenticate(session=session, email="a@b.example", password="")
    assert "password" in exc.value.field_errors
    with pytest.raises(Invalid):
        auth.authenticate(session=session, email=["a@b.example"], password="x")


def test_five_failures_lock_the_email_for_fifteen_minutes(session: Session, admin: Member) -> None:
    start = utcnow()
    for i in range(5):
        with pytest.raises(Invalid):
            auth.authenticate(
                session=session,
                email=admin.email,
                password="wrong",
                now=start + timedelta(minutes=i),
            )
    last_failure = start + timedelta(minutes=4)
    # Locked, even with the right password, and the message says for how long.
    with pytest.raises(auth.Throttled, match="Try again in 15 minutes"):
        auth.authenticate(session=session, email=admin.email, password=PASSWORD, now=last_failure)
    with pytest.raises(auth.Throttled):
        auth.authenticate(
            session=session,
            email=admin.email,
            password=PASSWORD,
            now=last_failure + timedelta(minutes=14),
        )
    # Another email is not affected.
    with pytest.raises(Invalid, match="Wrong email"):
        auth.authenticate(session=session, email="other@firm.example", password="x", now=start)
    # After 15 minutes the lock is lifted.
    view = auth.authenticate(
        session=session,
        email=admin.email,
        password=PASSWORD,
        now=last_failure + timedelta(minutes=15, seconds=1),
    )
    assert view.id == admin.id


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(
    session: Session, admin: Member
) -> None:
    start = utcnow()
    for i in range(6):
        with pytest.raises(Invalid, match="Wrong email"):
            auth.authenticate(
                session=session,
                email=admin.email,
                password="wrong",
                now=start + timedelta(minutes=4 * i),
            )


def test_session_token_is_stored_only_as_a_hash(session: Session, admin: Member) -> None:
    token = _signed_in_token(session, admin)
    assert len(token) >= 43  # 32 random bytes, base64
    stored = session.exec(select(LoginSession)).one()
    assert stored.token_hash == auth.token_hash(token) and token not in stored.token_hash
    assert auth.resolve_session(session=session, token=token).id == admin.id


def test_handoff_code_works_once_and_expires(session: Session, admin: Member) -> None:
    code = auth.start_session(session=session, member_id=admin.id, days=14)
    assert auth.resolve_session(session=session, token=code) is None  # not a session yet
    auth.activate_session(session=session, code=code)
    with pytest.raises(NotFound):
        auth.activate_session(session=session, code=code)
    late = auth.start_session(session=session, member_id=admin.id, days=14)
    with pytest.raises(NotFound):
        auth.activate_session(session=session, code=late, now=utcnow() + timedelta(minutes=2))


def test_session_expires(session: Session, admin: Member) -> None:
    token = _signed_in_token(session, admin)
    assert auth.resolve_session(session=session, token=token) is not None
    later = utcnow() + timedelta(days=14, seconds=1)
    assert auth.resolve_session(session=session, token=token, now=later) is None


def test_sign_out_revokes_the_session(session: Session, admin: Member) -> None:
    token = _signed_in_token(session, admin)
    other = _signed_in_token(session, admin)
    auth.revoke_session(session=session, token=token)
    assert auth.resolve_session(session=session, token=token) is None
    assert auth.resolve_session(session=session, token=other) is not None


def test_deactivation_ends_sessions_at_once_and_reactivation_needs_a_new_sign_in(
    session: Session, admin: Member, viewer: Member
) -> None:
    token = _signed_in_token(session, viewer)
    auth.set_member_active(session=session, actor_id=admin.id, member_id=viewer.id, active=False)
    assert auth.resolve_session(session=session, token=token) is None
    auth.set_member_active(session=session, actor_id=admin.id, member_id=viewer.id, active=True)
    assert auth.resolve_session(session=session, token=token) is None


def test_members_are_managed_by_admins_only(
    session: Session, admin: Member, viewer: Member
) -> None:
    with pytest.raises(NotAllowed):
        auth.list_members(session=session, actor_id=viewer.id)
    with pytest.raises(NotAllowed):
        auth.add_member(
            session=session,
            actor_id=viewer.id,
            name="X",
            email="x@firm.example",
            role="admin",
            password="long enough password",
        )
    with pytest.raises(NotAllowed):
        auth.set_member_role(session=session, actor_id=viewer.id, member_id=viewer.id, role="admin")
    with pytest.raises(NotAllowed):
        auth.set_member_active(
            session=session, actor_id=viewer.id, member_id=admin.id, active=False
        )
    with pytest.raises(NotAllowed):
        auth.list_members(session=session, actor_id=None)
    session.refresh(viewer)
    session.refresh(admin)
    assert viewer.role == "member" and admin.is_active


def test_admin_adds_changes_and_deactivates_members(
    session: Session, admin: Member, viewer: Member
) -> None:
    isabel = auth.add_member(
        session=session,
        actor_id=admin.id,
        name="Isabel Moreno",
        email="Isabel@Firm.example",
        role="admin",
        password="a long initial password",
    )
    assert isabel.email == "isabel@firm.example"
    assert auth.authenticate(
        session=session, email=isabel.email, password="a long initial password"
    )
    changed = auth.set_member_role(
        session=session, actor_id=admin.id, member_id=viewer.id, role="admin"
    )
    assert changed.role == "admin"
    names = [m.name for m in auth.list_members(session=session, actor_id=admin.id)]
    assert names == ["Cynthia Park", "Isabel Moreno", "Marcus Reed"]


def test_add_member_reports_every_bad_field(session: Session, admin: Member) -> None:
    with pytest.raises(Invalid) as exc:
        auth.add_member(
            session=session,
            actor_id=admin.id,
            name=" ",
            email=admin.email.upper(),
            role="owner",
            password="short",
        )
    assert set(exc.value.field_errors) == {"name", "email", "role", "password"}
    assert "already exists" in exc.value.field_errors["email"]


def test_admin_cannot_deactivate_or_demote_themselves(session: Session, admin: Member) -> None:
    with pytest.raises(NotAllowed, match="deactivate yourself"):
        auth.set_member_active(session=session, actor_id=admin.id, member_id=admin.id, active=False)
    with pytest.raises(NotAllowed):
        auth.set_member_role(session=session, actor_id=admin.id, member_id=admin.id, role="member")


def test_demo_sign_in_only_in_demo_mode_and_only_for_demo_accounts(
    session: Session, admin: Member
) -> None:
    demo = {admin.email}
    with pytest.raises(NotAllowed):
        auth.demo_sign_in(session=session, email=admin.email, demo_mode=False, demo_emails=demo)
    with pytest.raises(NotAllowed):
        auth.demo_sign_in(
            session=session, email="someone@firm.example", demo_mode=True, demo_emails=demo
        )
    view = auth.demo_sign_in(session=session, email=admin.email, demo_mode=True, demo_emails=demo)
    assert view.id == admin.id


def _sign_out_request(token: str, headers: dict[str, str]) -> Request:
    raw = [(b"cookie", f"{auth.SESSION_COOKIE}={token}".encode())]
    raw += [(name.encode(), value.encode()) for name, value in headers.items()]
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "server": ("flo.example", 80),
        "path": "/auth/sign-out",
        "query_string": b"",
        "headers": raw,
    }
    return Request(scope)


def test_sign_out_takes_a_post_from_the_app_only(
    session: Session, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link or another site's form cannot sign anyone out; the app's own page can."""
    engine = session.get_bind()
    monkeypatch.setattr(routes, "session_scope", lambda: session_scope(engine))
    (route,) = [r for r in routes.auth_routes.routes if getattr(r, "path", "") == "/auth/sign-out"]
    assert route.methods == {"POST"}  # a link (GET) is answered 405

    token = _signed_in_token(session, admin)
    session.commit()
    for headers in (
        {"sec-fetch-site": "cross-site", "origin": "https://elsewhere.example"},
        {"sec-fetch-site": "same-site", "origin": "https://other.flo.example"},
        {"origin": "https://elsewhere.example"},  # an older browser: Origin only
    ):
        refused = routes.sign_out(_sign_out_request(token, headers))
        assert refused.status_code == 403, headers
        assert "set-cookie" not in refused.headers
        assert auth.resolve_session(session=session, token=token) is not None
        session.commit()

    done = routes.sign_out(
        _sign_out_request(token, {"sec-fetch-site": "same-origin", "origin": "http://flo.example"})
    )
    assert done.status_code == 303 and done.headers["location"] == "/sign-in"
    assert f"{auth.SESSION_COOKIE}=" in done.headers["set-cookie"]
    session.expire_all()
    assert auth.resolve_session(session=session, token=token) is None

    # A client that is not a browser (no Fetch metadata, no Origin) may sign out too.
    other = _signed_in_token(session, admin)
    session.commit()
    assert routes.sign_out(_sign_out_request(other, {})).status_code == 303
    session.expire_all()
    assert auth.resolve_session(session=session, token=other) is None
