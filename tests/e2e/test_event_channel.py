"""Privileged event handlers called over the app's real event channel, as no browser would.

A plain Socket.IO client connects to the running app and sends events by
name, with whatever arguments it likes, carrying no session cookie or a
member's. Nothing may change in the database. The same client with an
admin's cookie does change it, which shows the events really arrive.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import reflex as rx
import socketio
import sqlalchemy as sa
from sqlmodel import Session, select

import flo_comms.flo_comms  # noqa: F401  (registers every state of the app)
from flo_comms.db import make_engine
from flo_comms.models import LoginSession, Member
from flo_comms.services.auth import SESSION_COOKIE, activate_session, start_session
from tests.e2e.conftest import AppServer

# The browser's socket.io client uses the endpoint's path as the namespace too.
NAMESPACE = "/_event"

# Every handler that changes data, with arguments that would change it.
PRIVILEGED: dict[str, Any] = {
    "MembersState.add": lambda ids: {
        "form_data": {
            "name": "Mallory",
            "email": "mallory@evil.example",
            "role": "admin",
            "password": "mallory-password-123",
        }
    },
    "MembersState.change_role": lambda ids: {"member_id": ids["marcus"], "role": "admin"},
    "MembersState.set_active": lambda ids: {"member_id": ids["isabel"], "active": False},
}

# Handlers that change nothing in the database, and why they are safe to call.
NOT_PRIVILEGED = {
    "SessionState.sign_out": "navigates to the sign-out route; the cookie is revoked there",
    "SignInState.load": "shows the sign-in form",
    "SignInState.sign_in": "public by nature: checks a password (throttled)",
    "SignInState.sign_in_as_demo": "demo mode only, demo accounts only (service checks)",
    "CandidatesState.load": "read-only, requires a session",
    "CandidatesState.set_search": "read-only, requires a session",
    "CandidatesState.next_page": "read-only, requires a session",
    "CandidatesState.prev_page": "read-only, requires a session",
    "JobsState.load": "read-only, requires a session",
    "EventsState.load": "read-only, requires a session",
    "MembersState.load": "read-only, requires an admin",
    "MembersState.set_dialog_open": "opens a dialog",
    "ProfileState.load": "read-only, requires a session",
    "ProfileState.set_tab": "switches a tab",
}


def _app_states() -> Iterator[type[rx.State]]:
    stack = list(rx.State.get_substates())
    while stack:
        state = stack.pop()
        stack.extend(state.get_substates())
        if state.__module__.startswith("flo_comms"):
            yield state


def _state_class(short_name: str) -> type[rx.State]:
    return next(s for s in _app_states() if s.__name__ == short_name)


def test_every_handler_is_classified() -> None:
    """A new handler must be added to one of the lists above (and so to this test)."""
    found = {
        f"{state.__name__}.{name}"
        for state in _app_states()
        for name in state.event_handlers
        if name != "setvar" and name in state.__dict__
    }
    assert found == set(PRIVILEGED) | set(NOT_PRIVILEGED)


def _snapshot(engine: sa.Engine) -> dict[str, list]:
    with Session(engine) as session:
        return {
            "members": [
                (m.id, m.name, m.email, m.role, m.is_active, m.password_hash)
                for m in session.exec(select(Member).order_by(Member.id))
            ],
            "sessions": [
                (s.id, s.revoked)
                for s in session.exec(select(LoginSession).order_by(LoginSession.id))
            ],
        }


def _session_cookie(engine: sa.Engine, email: str) -> str:
    with Session(engine) as session:
        member = session.exec(select(Member).where(Member.email == email)).one()
        code = start_session(session=session, member_id=member.id, days=1)
        return activate_session(session=session, code=code)


class EventClient:
    """A bare Socket.IO client speaking Reflex's event protocol."""

    def __init__(self, server: AppServer, cookie: str | None) -> None:
        self.updates: list[Any] = []
        self._got_update = threading.Event()
        self._marker = False
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._on_update, namespace=NAMESPACE)
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}
        self.sio.connect(
            f"{server.url}?token={uuid.uuid4()}",
            socketio_path="/_event",
            transports=["websocket"],
            headers=headers,
            namespaces=[NAMESPACE],
            wait_timeout=10,
        )

    def _on_update(self, data: Any) -> None:
        self.updates.append(data)
        if f"'dialog_open_rx_state_': {self._marker}" in repr(data):
            self._got_update.set()

    def _emit(self, handler: str, payload: dict, path: str) -> None:
        state_name, method = handler.split(".")
        self.sio.emit(
            "event",
            {
                "name": f"{_state_class(state_name).get_full_name()}.{method}",
                "payload": payload,
                "router_data": {"pathname": path, "asPath": path, "query": {}},
            },
            namespace=NAMESPACE,
        )

    def send(self, handler: str, payload: dict, path: str = "/members") -> None:
        """Sends one event and waits until the app has finished with it.

        The app handles one client's events in order, so a harmless marker
        event sent right after it (flipping a dialog open or shut) answers
        only once the first one is done.
        """
        self._got_update.clear()
        self._emit(handler, payload, path)
        self._marker = not self._marker
        self._emit("MembersState.set_dialog_open", {"is_open": self._marker}, path)
        assert self._got_update.wait(15), f"no answer to {handler}"

    def close(self) -> None:
        self.sio.disconnect()


@contextmanager
def _client(server: AppServer, cookie: str | None) -> Iterator[EventClient]:
    client = EventClient(server, cookie)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def engine(app_server: AppServer) -> Iterator[sa.Engine]:
    """The running app's own database."""
    eng = make_engine(app_server.database_url)
    yield eng
    eng.dispose()


def _ids(engine: sa.Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            m.email.split("@")[0]: m.id
            for m in session.exec(select(Member).where(Member.email.like("%@halewhitmore.example")))
        }


@pytest.mark.parametrize("who", ["nobody", "member", "forged"])
def test_privileged_handlers_refuse_without_an_admin_session(
    app_server: AppServer, engine: sa.Engine, who: str
) -> None:
    ids = _ids(engine)
    cookie = {
        "nobody": None,
        "member": _session_cookie(engine, "marcus@halewhitmore.example"),
        "forged": "x" * 43,
    }[who]
    before = _snapshot(engine)
    with _client(app_server, cookie) as client:
        for handler, payload in PRIVILEGED.items():
            client.send(handler, payload(ids))
        # The header vars a browser could set change nothing either.
        client.send("MembersState.setvar", {"var_name": "dialog_open", "value": True})
        for handler, payload in PRIVILEGED.items():
            client.send(handler, payload(ids))
    assert _snapshot(engine) == before


def test_reads_need_a_session(app_server: AppServer) -> None:
    with _client(app_server, None) as client:
        client.send("CandidatesState.set_search", {"value": "a"}, path="/candidates")
    answer = repr(client.updates)
    assert "@" not in answer.replace("mallory@evil.example", "")
    assert "/sign-in?next=" in answer


def test_an_admin_session_does_change_data(app_server: AppServer, engine: sa.Engine) -> None:
    """The same events from an admin's session take effect: the channel is real."""
    ids = _ids(engine)
    cookie = _session_cookie(engine, "cynthia@halewhitmore.example")
    with _client(app_server, cookie) as client:
        client.send("MembersState.set_active", {"member_id": ids["priya"], "active": False})
        with Session(engine) as session:
            assert session.get(Member, ids["priya"]).is_active is False
        client.send("MembersState.set_active", {"member_id": ids["priya"], "active": True})
    with Session(engine) as session:
        assert session.get(Member, ids["priya"]).is_active is True
