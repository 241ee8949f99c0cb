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
from datetime import timedelta
from typing import Any

import pytest
import reflex as rx
import socketio
import sqlalchemy as sa
from sqlmodel import Session, func, select

import flo_comms.flo_comms  # noqa: F401  (registers every state of the app)
from flo_comms.db import make_engine
from flo_comms.models import (
    Application,
    ApplicationStatus,
    Candidate,
    Communication,
    CommunicationRevision,
    LoginSession,
    Member,
    TimelineEntry,
    utcnow,
)
from flo_comms.schemas import CommunicationInput, PersonRef
from flo_comms.services.auth import SESSION_COOKIE, activate_session, start_session
from flo_comms.services.communications import log_communication
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
    # Logging reads the modal's fields from state; the steps before fill them.
    "CommunicationsState.save": lambda ids: {},
    "CommunicationsState.confirm_delete": lambda ids: {},
    "JobState.apply_status": lambda ids: {},
    "JobState.send_updates": lambda ids: {},
    "TemplatesState.save": lambda ids: {},
}

# Steps that fill the state a privileged handler acts on, sent before it.
SETUP: dict[str, list[tuple[str, dict]]] = {
    "CommunicationsState.save": [
        ("CommunicationsState.set_form_subject", {"value": "Forged entry"}),
        ("CommunicationsState.set_form_description", {"value": "Should never be saved."}),
        ("CommunicationsState.set_form_date", {"value": "2026-01-05T10:00"}),
    ],
    "JobState.apply_status": [
        ("JobState.toggle_selected", {"application_id": "@application"}),
        ("JobState.set_target_status", {"status_id": "@status"}),
    ],
    "JobState.send_updates": [
        ("JobState.toggle_selected", {"application_id": "@application"}),
    ],
    "TemplatesState.save": [
        ("TemplatesState.edit", {"key": "status:interview-scheduled"}),
        ("TemplatesState.set_form_subject", {"value": "Forged subject"}),
    ],
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
    "UpdateApplicationState.load": "public: shows the form its link's token opens",
    "UpdateApplicationState.submit": "public: the link's single-use token is the credential",
    "MailboxState.load": "read-only, requires an admin",
    "MailboxState.refresh": "read-only, requires an admin",
    "MailboxState.open_message": "shows a loaded message",
    **{
        f"JobState.{name}": "read-only or selection state; requires a session"
        for name in (
            "load",
            "toggle_selected",
            "toggle_all",
            "open_status_dialog",
            "set_status_dialog_open",
            "set_target_status",
            "open_update_dialog",
            "set_update_dialog_open",
        )
    },
    **{
        f"TemplatesState.{name}": "read-only or form state; requires an admin to load"
        for name in (
            "load",
            "edit",
            "set_dialog_open",
            "set_form_subject",
            "set_form_body",
            "set_form_cc",
            "set_form_bcc",
        )
    },
    **{
        f"CommunicationsState.{name}": "read-only or form state; requires a session"
        for name in (
            "load_timeline",
            "set_time_zone",
            "load_more",
            "toggle_type",
            "set_filter_origin",
            "set_filter_from",
            "set_filter_to",
            "set_filter_person",
            "set_search",
            "clear_filters",
            "export_csv",
            "open_new",
            "open_edit",
            "set_modal_open",
            "set_form_type",
            "set_form_date",
            "set_form_subject",
            "set_form_description",
            "search_sent_by",
            "search_sent_to",
            "add_sent_by",
            "add_sent_to",
            "remove_sent_by",
            "remove_sent_to",
            "ask_delete",
            "set_delete_open",
            "open_history",
            "set_history_open",
        )
    },
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
            "communications": [
                (c.id, c.version, c.subject, c.body, c.deleted_at)
                for c in session.exec(select(Communication).order_by(Communication.id))
            ],
            "timeline": sorted(
                (t.candidate_id, t.communication_id) for t in session.exec(select(TimelineEntry))
            ),
            "revisions": session.exec(
                select(func.count()).select_from(CommunicationRevision)
            ).one(),
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


def _ids(engine: sa.Engine) -> dict[str, Any]:
    with Session(engine) as session:
        ids: dict[str, Any] = {
            m.email.split("@")[0]: m.id
            for m in session.exec(select(Member).where(Member.email.like("%@halewhitmore.example")))
        }
        diana = session.exec(select(Candidate).where(Candidate.email.like("dallen@%"))).one()
        ids["@application"] = session.exec(
            select(Application.id).where(Application.candidate_id == diana.id)
        ).first()
        ids["@status"] = str(
            session.exec(
                select(ApplicationStatus.id).where(ApplicationStatus.name == "Rejected")
            ).one()
        )
        return ids


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
            for step, step_payload in SETUP.get(handler, []):
                client.send(step, {k: ids.get(v, v) for k, v in step_payload.items()})
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


def _cynthias_entry(engine: sa.Engine) -> tuple[int, int]:
    """Logs an entry as Cynthia on Diana Allen's timeline: (communication id, Diana's id)."""
    with Session(engine) as session:
        cynthia = session.exec(select(Member).where(Member.email.like("cynthia@%"))).one()
        diana = session.exec(select(Candidate).where(Candidate.email.like("dallen@%"))).one()
        item = log_communication(
            session=session,
            actor_id=cynthia.id,
            data=CommunicationInput(
                type="phone_call",
                occurred_at=utcnow() - timedelta(hours=1),
                sent_by_member_ids=[cynthia.id],
                sent_to=[PersonRef(kind="candidate", id=diana.id)],
                subject="Cynthia's call with Diana",
                description="Only Cynthia may change this.",
            ),
        )
        return item.id, diana.id


@pytest.mark.parametrize("who", ["isabel", "marcus"])
def test_others_cannot_edit_or_delete_cynthias_entry(
    app_server: AppServer, engine: sa.Engine, who: str
) -> None:
    communication_id, diana_id = _cynthias_entry(engine)
    cookie = _session_cookie(engine, f"{who}@halewhitmore.example")
    before = _snapshot(engine)
    path = f"/candidates/{diana_id}"
    with _client(app_server, cookie) as client:
        client.send("ProfileState.load", {}, path=path)
        client.send("CommunicationsState.load_timeline", {}, path=path)
        # Edit: open it (refused), fill the form anyway, save.
        client.send("CommunicationsState.open_edit", {"communication_id": communication_id}, path)
        client.send("CommunicationsState.set_form_subject", {"value": "Hijacked"}, path)
        client.send("CommunicationsState.set_form_description", {"value": "Hijacked"}, path)
        client.send("CommunicationsState.save", {}, path)
        # Delete: ask (refused), confirm anyway.
        client.send("CommunicationsState.ask_delete", {"communication_id": communication_id}, path)
        client.send("CommunicationsState.confirm_delete", {}, path)
    after = _snapshot(engine)
    assert [c for c in after["communications"] if c[0] == communication_id] == [
        c for c in before["communications"] if c[0] == communication_id
    ]
    assert after["timeline"] == before["timeline"] or who == "isabel"
    assert after["revisions"] == before["revisions"]
    with Session(engine) as session:
        entry = session.get(Communication, communication_id)
        assert (entry.subject, entry.version, entry.deleted_at) == (
            "Cynthia's call with Diana",
            1,
            None,
        )
    if who == "marcus":  # a member cannot even log: nothing at all changed
        assert after == before
