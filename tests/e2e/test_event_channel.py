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
    EmailOutbox,
    EventEmailBatch,
    EventRegistration,
    EventSlotAssignment,
    EventTimeSlot,
    LoginSession,
    Member,
    OutreachEvent,
    TimelineEntry,
    utcnow,
)
from flo_comms.schemas import CommunicationInput, PersonRef
from flo_comms.services.auth import SESSION_COOKIE, activate_session, start_session
from flo_comms.services.communications import log_communication
from flo_comms.services.outbox import MAX_ATTEMPTS, queue_email
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
    "EventFormState.save": lambda ids: {},
    "EventState.review": lambda ids: {"decision": "approve", "registration_id": ids["@pending"]},
    "EventState.add_chosen": lambda ids: {},
    "EventState.add_new_person": lambda ids: {},
    "EventState.add_slot": lambda ids: {},
    "EventState.assign": lambda ids: {
        "registration_id": ids["@unslotted"],
        "slot_id": ids["@slot"],
    },
    "EventState.confirm": lambda ids: {},
    "EventState.send": lambda ids: {},
    "EventState.run_send": lambda ids: {"batch_id": 1},
    "DeliveryState.retry": lambda ids: {"outbox_id": ids["@failed_outbox"]},
    "DeliveryState.release": lambda ids: {"inbound_id": 1},
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
    "EventFormState.save": [
        ("EventFormState.set_field", {"name": "name", "value": "Forged event"}),
        ("EventFormState.set_field", {"name": "starts_at", "value": "2027-03-01T12:00"}),
        ("EventFormState.set_field", {"name": "ends_at", "value": "2027-03-01T13:00"}),
        ("EventFormState.set_field", {"name": "location", "value": "Nowhere"}),
        ("EventFormState.setvar", {"var_name": "editing_id", "value": 0}),
    ],
    "EventState.review": [("EventState.load", {})],
    "EventState.add_chosen": [
        ("EventState.load", {}),
        ("EventState.setvar", {"var_name": "chosen", "value": "@chosen"}),
    ],
    "EventState.add_new_person": [
        ("EventState.load", {}),
        ("EventState.set_new_person", {"name": "first_name", "value": "Forged"}),
        ("EventState.set_new_person", {"name": "last_name", "value": "Person"}),
        ("EventState.set_new_person", {"name": "email", "value": "forged@evil.example"}),
        ("EventState.set_new_person", {"name": "law_school", "value": "Nowhere"}),
        ("EventState.set_new_person", {"name": "class_year", "value": "2L"}),
    ],
    "EventState.add_slot": [
        ("EventState.load", {}),
        ("EventState.set_slot_field", {"name": "start", "value": "@slot_start"}),
        ("EventState.set_slot_field", {"name": "end", "value": "@slot_end"}),
    ],
    "EventState.assign": [("EventState.load", {})],
    "EventState.confirm": [
        ("EventState.load", {}),
        ("EventState.ask", {"kind": "delete_event", "target": 0}),
        ("EventState.setvar", {"var_name": "confirm_kind", "value": "delete_event"}),
    ],
    "EventState.send": [
        ("EventState.load", {}),
        ("EventState.setvar", {"var_name": "send_kind", "value": "event_follow_up"}),
    ],
    "TemplatesState.save": [
        ("TemplatesState.edit", {"key": "status:interview-scheduled"}),
        ("TemplatesState.set_form_subject", {"value": "Forged subject"}),
    ],
}

# Handlers that change nothing in the database, and why they are safe to call.
NOT_PRIVILEGED = {
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
    "RegisterState.load": "public: shows the event its link names",
    "DeliveryState.load": "read-only, requires an admin",
    "RegisterState.submit": "public by nature: registering is what the page is for",
    "CommunicationsState.toggle_thread": "read-only, requires a session",
    **{
        f"EventFormState.{name}": "form state; opening the form requires an admin"
        for name in (
            "set_time_zone",
            "learn_time_zone",
            "open_new",
            "open_edit",
            "set_form_open",
            "set_field",
        )
    },
    **{
        f"EventState.{name}": "read-only, selection or form state; requires a session"
        for name in (
            "load",
            "refresh",
            "set_tab",
            "set_state_filter",
            "toggle_selected",
            "toggle_all_pending",
            "open_add",
            "set_add_open",
            "set_add_search",
            "choose",
            "unchoose",
            "set_new_person",
            "set_slot_field",
            "ask",
            "set_confirm_open",
            "ask_send",
            "set_send_open",
        )
    },
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
            "load_counts",
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
            "events": [
                (e.id, e.name, e.starts_at, e.location, e.deleted_at, e.final_schedule_sent_at)
                for e in session.exec(select(OutreachEvent).order_by(OutreachEvent.id))
            ],
            "registrations": [
                (r.id, r.review_state, r.removed_at)
                for r in session.exec(select(EventRegistration).order_by(EventRegistration.id))
            ],
            "slots": [
                (t.id, t.deleted_at)
                for t in session.exec(select(EventTimeSlot).order_by(EventTimeSlot.id))
            ],
            "assignments": [
                (a.id, a.removed_at)
                for a in session.exec(select(EventSlotAssignment).order_by(EventSlotAssignment.id))
            ],
            "batches": [
                (b.id, b.cursor, b.queued, b.finished_at)
                for b in session.exec(select(EventEmailBatch).order_by(EventEmailBatch.id))
            ],
            "candidates": session.exec(select(func.count()).select_from(Candidate)).one(),
            "failed_outbox": [
                (o.id, o.attempts)
                for o in session.exec(
                    select(EmailOutbox)
                    .where(EmailOutbox.status == "failed")
                    .order_by(EmailOutbox.id)
                )
            ],
            "outbox": session.exec(select(func.count()).select_from(EmailOutbox)).one(),
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
        chat = session.exec(
            select(OutreachEvent).where(OutreachEvent.type == "virtual_chat")
        ).first()
        review = session.exec(
            select(OutreachEvent).where(
                OutreachEvent.invite_only.is_(True), OutreachEvent.starts_at > utcnow()
            )
        ).first()
        ids["@event_path"] = f"/events/{chat.id}"
        ids["@review_path"] = f"/events/{review.id}"
        ids["@pending"] = session.exec(
            select(EventRegistration.id).where(
                EventRegistration.event_id == review.id, EventRegistration.review_state == "pending"
            )
        ).first()
        slotted = select(EventSlotAssignment.registration_id).where(
            EventSlotAssignment.removed_at.is_(None)
        )
        ids["@unslotted"] = session.exec(
            select(EventRegistration.id).where(
                EventRegistration.event_id == chat.id, EventRegistration.id.not_in(slotted)
            )
        ).first()
        ids["@slot"] = str(
            session.exec(select(EventTimeSlot.id).where(EventTimeSlot.event_id == chat.id)).first()
        )
        ids["@slot_start"] = chat.starts_at.strftime("%Y-%m-%dT%H:%M")
        ids["@slot_end"] = (chat.starts_at + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
        outsider = session.exec(
            select(Candidate).where(
                Candidate.id.not_in(
                    select(EventRegistration.candidate_id).where(
                        EventRegistration.event_id == chat.id
                    )
                )
            )
        ).first()
        ids["@failed_outbox"] = _failed_email(session)
        ids["@chosen"] = [{"id": outsider.id, "name": outsider.first_name, "email": outsider.email}]
        return ids


def _failed_email(session: Session) -> int:
    """An email the outbox gave up on (made once), for Retry to be refused on."""
    key = "e2e:channel-given-up"
    found = session.exec(select(EmailOutbox.id).where(EmailOutbox.idempotency_key == key)).first()
    if found is not None:
        return found
    row = queue_email(
        session, communication_id=None, idempotency_key=key, to=["nobody@unreachable.example"],
        cc=[], bcc=[], subject="Given up", body="-",
    )  # fmt: skip
    session.flush()
    row.status, row.attempts, row.last_error = "failed", MAX_ATTEMPTS, "550 no such user"
    session.commit()
    return row.id


PATHS = {"EventState.review": "@review_path"}
"""Where each handler is sent from (`EventState` and `EventFormState`: the virtual chat's page)."""


def _path(handler: str, ids: dict[str, Any]) -> str:
    if handler in PATHS:
        return ids[PATHS[handler]]
    if handler.startswith(("EventState.", "EventFormState.")):
        return ids["@event_path"]
    return "/members"


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
            path = _path(handler, ids)
            for step, step_payload in SETUP.get(handler, []):
                values = {k: ids.get(v, v) if isinstance(v, str) else v
                          for k, v in step_payload.items()}  # fmt: skip
                client.send(step, values, path)
            client.send(handler, payload(ids), path)
        # The header vars a browser could set change nothing either.
        client.send("MembersState.setvar", {"var_name": "dialog_open", "value": True})
        for handler, payload in PRIVILEGED.items():
            client.send(handler, payload(ids), _path(handler, ids))
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
