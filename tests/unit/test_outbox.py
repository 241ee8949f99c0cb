"""The outbox: queueing, the message built, and delivery against a real SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from flo_comms.db import make_engine
from flo_comms.errors import Invalid, NotAllowed, NotFound
from flo_comms.models import (
    Communication,
    CommunicationOrigin,
    CommunicationType,
    EmailOutbox,
    Member,
    OutboxStatus,
    ParticipantRole,
)
from flo_comms.services.communications import ParticipantSpec, write_communication
from flo_comms.services.mail_server import (
    LocalMailbox,
    mail_services,
    start_local_smtp,
)
from flo_comms.services.outbox import (
    MAX_ATTEMPTS,
    DispatchReport,
    OutboxDispatcher,
    SmtpMailer,
    build_message,
    dispatch_due,
    envelope_recipients,
    is_final_failure,
    list_failed,
    notify_dispatchers,
    outbox_status_counts,
    queue_email,
    retry_failed,
)
from flo_comms.settings import settings

T = TypeVar("T")


def run_in_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a thread of its own.

    Playwright's sync API leaves an event loop set on the main thread when the
    end-to-end tests run first in the same session, and asyncio.run() refuses to
    start inside it; a thread has no loop of its own.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # re-raised on the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
BASE = timedelta(seconds=30)
LEASE = timedelta(minutes=2)
FROM = "Hale & Whitmore Recruiting <recruiting@halewhitmore.example>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps every message it is given (duplicates included)."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.refuse = refuse or set()
        self.lock = threading.Lock()
        self.deliveries: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.deliveries.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raws = [raw for _, _, raw in self.deliveries]
        return [BytesParser(policy=default_policy).parsebytes(raw) for raw in raws]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages()]


class SmtpServer:
    """A real aiosmtpd server on a free localhost port, which can be stopped and started."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, server_hostname="test.local"
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def mailer(self) -> SmtpMailer:
        return SmtpMailer("127.0.0.1", self.port, timeout=5)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[SmtpServer]:
    smtp = SmtpServer(recorder)
    smtp.start()
    try:
        yield smtp
    finally:
        smtp.stop()


def queue(session: Session, key: str = "status-change:1", **changes: Any) -> EmailOutbox:
    """Queues a status email to Bill Walter about Diana Allen and commits."""
    arguments: dict[str, Any] = {
        "communication_id": None,
        "idempotency_key": key,
        "to": ["Bill Walter <bwalter@momentum.example>"],
        "cc": ["interviews@halewhitmore.example"],
        "bcc": ["Cynthia Park <cynthia@halewhitmore.example>"],
        "subject": "Diana Allen: Interview Scheduled",
        "body": "Dear Bill,\n\nDiana Allen's interview is scheduled.\n",
        "reply_to": "Cynthia Park <cynthia@halewhitmore.example>",
        "from_address": FROM,
        "now": NOW,
    }
    arguments.update(changes)
    row = queue_email(session, **arguments)
    session.commit()
    return row


def reload(engine: Engine, row_id: int) -> EmailOutbox:
    with Session(engine) as fresh:
        row = fresh.get(EmailOutbox, row_id)
        assert row is not None
        return row


def dispatch(engine: Engine, mailer: Any, at: datetime, **kwargs: Any) -> DispatchReport:
    return dispatch_due(engine=engine, mailer=mailer, now=at, base_backoff=BASE, **kwargs)


class FailingMailer:
    """A mailer whose server is always unreachable."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        self.calls += 1
        raise ConnectionRefusedError(111, "Connection refused")


# --- queueing and building ---------------------------------------------------------------


def test_queue_email_gives_the_row_a_message_id_from_the_sender_domain(session: Session) -> None:
    row = queue(session)

    assert row.status == OutboxStatus.QUEUED.value
    assert row.attempts == 0
    assert row.next_attempt_at == NOW
    assert row.message_id.startswith("<") and row.message_id.endswith("@halewhitmore.example>")
    assert row.to_addresses == ["Bill Walter <bwalter@momentum.example>"]
    assert row.from_address == "Hale & Whitmore Recruiting <recruiting@halewhitmore.example>"
    other = queue(session, key="status-change:2")
    assert other.message_id != row.message_id


def test_the_communication_and_its_outbox_row_are_kept_or_lost_together(
    session: Session,
) -> None:
    def write(key: str) -> None:
        communication = write_communication(
            session,
            type=CommunicationType.EMAIL,
            origin=CommunicationOrigin.SYSTEM,
            occurred_at=NOW,
            subject="Interview Scheduled",
            body="Dear Bill",
            participants=[
                ParticipantSpec(
                    role=ParticipantRole.TO,
                    display_name="Bill Walter",
                    email="bwalter@momentum.example",
                )
            ],
        )
        queue_email(
            session,
            communication_id=communication.id,
            idempotency_key=key,
            to=["bwalter@momentum.example"],
            cc=[],
            bcc=[],
            subject="Interview Scheduled",
            body="Dear Bill",
            now=NOW,
        )

    write("status-change:1")
    session.rollback()
    assert session.exec(select(Communication)).all() == []
    assert session.exec(select(EmailOutbox)).all() == []

    write("status-change:1")
    session.commit()
    row = session.exec(select(EmailOutbox)).one()
    assert row.communication_id == session.exec(select(Communication)).one().id


def test_the_same_idempotency_key_cannot_be_queued_twice(session: Session) -> None:
    queue(session, key="status-change:7")
    queue_email(
        session,
        communication_id=None,
        idempotency_key="status-change:7",
        to=["bwalter@momentum.example"],
        cc=[],
        bcc=[],
        subject="Again",
        body="Again",
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert len(session.exec(select(EmailOutbox)).all()) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"to": ["not an address"]},
        {"to": ["Allen, Diana <dallen@law.example>"]},  # two addresses, the first broken
        {"cc": ["a@law.example, b@law.example"]},
        {"bcc": ["cynthia@halewhitmore.example\r\nBcc: everyone@example.com"]},
        {"to": [], "cc": [], "bcc": []},
        {"to": "bwalter@momentum.example"},
        {"idempotency_key": ""},
        {"reply_to": "nobody"},
    ],
)
def test_queue_email_refuses_what_cannot_be_sent(session: Session, changes: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        queue(session, **changes)


def test_the_message_has_the_headers_and_no_bcc(session: Session) -> None:
    row = queue(
        session,
        to=['"Allen, Diana" <dallen@law.example>', "Bill Walter <bwalter@momentum.example>"],
        subject="Interview\r\nScheduled",  # a line break cannot reach the header
        body="Dear Diana,\n\nSee you on Tuesday. Café at 9.\n",
    )

    message = build_message(row)

    assert str(message["From"]) == ("Hale & Whitmore Recruiting <recruiting@halewhitmore.example>")
    assert [a.addr_spec for a in message["To"].addresses] == [
        "dallen@law.example",
        "bwalter@momentum.example",
    ]
    assert message["To"].addresses[0].display_name == "Allen, Diana"
    assert str(message["Cc"]) == "interviews@halewhitmore.example"
    assert str(message["Reply-To"]) == "Cynthia Park <cynthia@halewhitmore.example>"
    assert str(message["Subject"]) == "Interview Scheduled"
    assert message["Date"].datetime == NOW
    assert str(message["Message-ID"]) == row.message_id
    assert message["Bcc"] is None
    assert "cynthia@halewhitmore.example" not in str(message["To"]) + str(message["Cc"])
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Dear Diana,\n\nSee you on Tuesday. Café at 9.\n"
    assert envelope_recipients(row) == [
        "dallen@law.example",
        "bwalter@momentum.example",
        "interviews@halewhitmore.example",
        "cynthia@halewhitmore.example",
    ]


# --- delivery ------------------------------------------------------------------------------


def test_a_queued_email_is_delivered_once_with_bcc_only_in_the_envelope(
    engine: Engine, session: Session, server: SmtpServer, recorder: Recorder
) -> None:
    row = queue(session)

    report = dispatch(engine, server.mailer(), NOW)

    assert report == DispatchReport(sent=1, failed=0, retrying=0)
    sent = reload(engine, row.id)
    assert sent.status == OutboxStatus.SENT.value
    assert sent.sent_at == NOW
    assert sent.attempts == 1
    assert sent.locked_until is None
    assert sent.last_error is None
    [(mail_from, rcpt_tos, raw)] = recorder.deliveries
    assert mail_from == "recruiting@halewhitmore.example"
    assert "cynthia@halewhitmore.example" in rcpt_tos
    assert sorted(rcpt_tos) == sorted(envelope_recipients(row))
    [message] = recorder.messages()
    assert message["Bcc"] is None
    assert "cynthia@" not in str(message["To"]) + str(message["Cc"])
    assert b"\r\nBcc:" not in raw
    assert recorder.message_ids() == [row.message_id]

    # The same dispatcher again, and a "restart": a new engine and mailer, rows already sent.
    assert dispatch(engine, server.mailer(), NOW + timedelta(hours=2)).total == 0
    restarted = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        assert dispatch(restarted, server.mailer(), NOW + timedelta(days=3)).total == 0
    finally:
        restarted.dispose()
    assert recorder.message_ids() == [row.message_id]


def test_while_the_server_is_down_the_email_is_retried_with_backoff_then_sent_once(
    engine: Engine, session: Session, server: SmtpServer, recorder: Recorder
) -> None:
    row = queue(session)
    server.stop()

    assert dispatch(engine, server.mailer(), NOW) == DispatchReport(0, 0, 1)
    first = reload(engine, row.id)
    assert first.status == OutboxStatus.FAILED.value
    assert first.attempts == 1
    assert "Connection" in (first.last_error or "")
    assert first.next_attempt_at == NOW + BASE
    assert first.locked_until is None

    assert dispatch(engine, server.mailer(), NOW + BASE / 2).total == 0  # not due yet

    at = first.next_attempt_at
    assert dispatch(engine, server.mailer(), at) == DispatchReport(0, 0, 1)
    second = reload(engine, row.id)
    assert second.attempts == 2
    assert second.next_attempt_at == at + 2 * BASE

    at = second.next_attempt_at
    assert dispatch(engine, server.mailer(), at) == DispatchReport(0, 0, 1)
    third = reload(engine, row.id)
    assert third.attempts == 3
    assert third.next_attempt_at == at + 4 * BASE
    assert recorder.deliveries == []

    server.start()
    at = third.next_attempt_at
    assert dispatch(engine, server.mailer(), at) == DispatchReport(1, 0, 0)
    delivered = reload(engine, row.id)
    assert delivered.status == OutboxStatus.SENT.value
    assert delivered.attempts == 4
    assert delivered.sent_at == at
    assert delivered.last_error is None
    assert dispatch(engine, server.mailer(), at + timedelta(days=1)).total == 0
    assert recorder.message_ids() == [row.message_id]


def test_a_wrong_port_is_an_error_recorded_on_the_row(engine: Engine, session: Session) -> None:
    row = queue(session)

    dispatch(engine, SmtpMailer("127.0.0.1", free_port(), timeout=2), NOW)

    failed = reload(engine, row.id)
    assert failed.status == OutboxStatus.FAILED.value
    assert failed.last_error and "refused" in failed.last_error.lower()
    assert not is_final_failure(status=failed.status, attempts=failed.attempts)


def test_the_backoff_is_capped(engine: Engine, session: Session) -> None:
    row = queue(session)
    mailer = FailingMailer()
    at = NOW
    gaps = []
    for _ in range(6):
        dispatch(engine, mailer, at, max_backoff=timedelta(minutes=5))
        following = reload(engine, row.id).next_attempt_at
        gaps.append(following - at)
        at = following
    assert gaps == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=5),
        timedelta(minutes=5),
    ]


def test_after_max_attempts_the_email_fails_for_good(engine: Engine, session: Session) -> None:
    row = queue(session)
    mailer = FailingMailer()
    at = NOW
    reports = []
    for _ in range(MAX_ATTEMPTS):
        reports.append(dispatch(engine, mailer, at))
        at = reload(engine, row.id).next_attempt_at

    assert reports[:-1] == [DispatchReport(0, 0, 1)] * (MAX_ATTEMPTS - 1)
    assert reports[-1] == DispatchReport(0, 1, 0)
    final = reload(engine, row.id)
    assert final.status == OutboxStatus.FAILED.value
    assert final.attempts == MAX_ATTEMPTS
    assert final.last_error and "Connection refused" in final.last_error
    assert is_final_failure(status=final.status, attempts=final.attempts)
    assert dispatch(engine, mailer, NOW + timedelta(days=365)).total == 0
    assert mailer.calls == MAX_ATTEMPTS
    with Session(engine) as fresh:
        assert outbox_status_counts(fresh) == {
            "queued": 0,
            "sending": 0,
            "sent": 0,
            "retrying": 0,
            "failed": 1,
        }


def test_an_admin_can_queue_a_failed_email_again(engine: Engine, session: Session) -> None:
    admin = Member(name="Cynthia Park", email="c@firm.example", password_hash="x", role="admin")
    member = Member(name="Marcus Reed", email="m@firm.example", password_hash="x", role="member")
    session.add_all([admin, member])
    session.commit()
    admin_id, member_id, row_id = admin.id, member.id, queue(session).id
    with pytest.raises(NotFound):  # not failed
        retry_failed(session=session, outbox_id=row_id, actor_id=admin_id)
    dispatch(engine, FailingMailer(), NOW, max_attempts=1)
    assert reload(engine, row_id).status == "failed"

    with pytest.raises(NotAllowed):
        retry_failed(session=session, outbox_id=row_id, actor_id=member_id)
    retry_failed(session=session, outbox_id=row_id, actor_id=admin_id, now=NOW + BASE)

    again = reload(engine, row_id)
    assert (again.status, again.attempts, again.next_attempt_at) == ("queued", 0, NOW + BASE)
    assert again.last_error  # the last error stays for the record


def test_the_failed_list_shows_retrying_and_given_up_emails_to_admins_only(
    engine: Engine, session: Session
) -> None:
    admin = Member(name="Cynthia Park", email="c@firm.example", password_hash="x", role="admin")
    member = Member(name="Marcus Reed", email="m@firm.example", password_hash="x", role="member")
    session.add_all([admin, member])
    session.commit()
    admin_id, member_id = admin.id, member.id
    retrying, given_up, sent = (queue(session, key=f"status-change:{i}").id for i in (1, 2, 3))
    dispatch(engine, FailingMailer(), NOW, max_attempts=MAX_ATTEMPTS)  # all three fail once
    with engine.begin() as conn:
        table = EmailOutbox.__table__
        conn.execute(sa.update(table).where(table.c.id == given_up).values(attempts=MAX_ATTEMPTS))
        conn.execute(sa.update(table).where(table.c.id == sent).values(status="sent"))

    failed = list_failed(session=session, actor_id=admin_id)
    assert sorted((f.id, f.gave_up) for f in failed) == [(retrying, False), (given_up, True)]
    assert all("Connection refused" in f.last_error for f in failed)
    assert failed[0].recipients == "Bill Walter <bwalter@momentum.example>"
    with pytest.raises(NotAllowed):
        list_failed(session=session, actor_id=member_id)
    with pytest.raises(Invalid):
        list_failed(session=session, actor_id=admin_id, limit=0)


def test_a_row_left_sending_by_a_crash_waits_for_its_lease_and_keeps_its_message_id(
    engine: Engine, session: Session, server: SmtpServer, recorder: Recorder
) -> None:
    row = queue(session)
    with engine.begin() as conn:  # a dispatcher claimed it, then its process died
        conn.execute(
            sa.update(EmailOutbox.__table__)
            .where(EmailOutbox.__table__.c.id == row.id)
            .values(status="sending", attempts=1, locked_until=NOW + LEASE)
        )

    assert dispatch(engine, server.mailer(), NOW + LEASE - timedelta(seconds=1)).total == 0
    assert recorder.deliveries == []

    assert dispatch(engine, server.mailer(), NOW + LEASE + timedelta(seconds=1)).sent == 1
    assert recorder.message_ids() == [row.message_id]
    assert reload(engine, row.id).attempts == 2


def test_a_crash_after_the_server_accepted_is_one_message_in_the_local_mailbox(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    """The one duplicate an outbox cannot rule out: the receiver de-duplicates by Message-ID."""
    mailbox = LocalMailbox(tmp_path / "mailbox")
    port = free_port()
    controller = start_local_smtp("127.0.0.1", port, mailbox)
    try:
        row = queue(session)
        real = SmtpMailer("127.0.0.1", port, timeout=5)

        class CrashAfterSending:
            def send(self, message: EmailMessage, recipients: list[str]) -> None:
                real.send(message, recipients)
                raise KeyboardInterrupt  # the process dies before recording "sent"

        with pytest.raises(KeyboardInterrupt):
            dispatch(engine, CrashAfterSending(), NOW)
        assert reload(engine, row.id).status == OutboxStatus.SENDING.value

        assert dispatch(engine, real, NOW + LEASE + timedelta(seconds=1)).sent == 1
        assert [m.message_id for m in mailbox.list_messages()] == [row.message_id]
    finally:
        controller.stop()


def test_a_crash_during_the_last_attempt_fails_the_row_instead_of_sending_again(
    engine: Engine, session: Session
) -> None:
    row = queue(session)
    with engine.begin() as conn:
        conn.execute(
            sa.update(EmailOutbox.__table__)
            .where(EmailOutbox.__table__.c.id == row.id)
            .values(status="sending", attempts=MAX_ATTEMPTS, locked_until=NOW)
        )
    mailer = FailingMailer()

    assert dispatch(engine, mailer, NOW + timedelta(minutes=1)).total == 0

    final = reload(engine, row.id)
    assert final.status == OutboxStatus.FAILED.value
    assert "delivery unknown" in (final.last_error or "")
    assert mailer.calls == 0


def test_a_sent_row_is_never_sent_again(
    engine: Engine, session: Session, server: SmtpServer, recorder: Recorder
) -> None:
    row = queue(session)
    with engine.begin() as conn:
        conn.execute(
            sa.update(EmailOutbox.__table__)
            .where(EmailOutbox.__table__.c.id == row.id)
            .values(status="sent", attempts=1, sent_at=NOW, locked_until=None)
        )
    assert dispatch(engine, server.mailer(), NOW + timedelta(days=30)).total == 0
    assert recorder.deliveries == []


def test_two_dispatchers_racing_never_send_an_email_twice(
    engine: Engine, session: Session, server: SmtpServer, recorder: Recorder
) -> None:
    rows = [queue(session, key=f"status-change:{n}") for n in range(24)]
    real = server.mailer()

    class Slow:
        def send(self, message: EmailMessage, recipients: list[str]) -> None:
            time.sleep(0.005)  # long enough for the other dispatcher to try the same rows
            real.send(message, recipients)

    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url), make_engine(url)]  # two processes' worth of connections
    start = threading.Barrier(2)
    reports: list[DispatchReport] = []
    errors: list[BaseException] = []

    def run(own: Engine) -> None:
        try:
            start.wait()
            reports.append(dispatch_due(engine=own, mailer=Slow(), now=NOW, batch_size=50))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for own in engines:
            own.dispose()

    assert errors == []
    assert sum(r.sent for r in reports) == len(rows)
    assert all(r.sent for r in reports)  # both dispatchers worked the same rows
    delivered = recorder.message_ids()
    assert sorted(delivered) == sorted(r.message_id for r in rows)
    assert len(set(delivered)) == len(delivered)
    with Session(engine) as fresh:
        assert outbox_status_counts(fresh)["sent"] == len(rows)


def test_recipients_the_server_refuses_are_noted_on_the_sent_row(
    engine: Engine, session: Session
) -> None:
    recorder = Recorder(refuse={"interviews@halewhitmore.example"})
    smtp = SmtpServer(recorder)
    smtp.start()
    try:
        row = queue(session)
        assert dispatch(engine, smtp.mailer(), NOW).sent == 1
    finally:
        smtp.stop()
    sent = reload(engine, row.id)
    assert sent.status == OutboxStatus.SENT.value
    assert "interviews@halewhitmore.example (550" in (sent.last_error or "")
    [(_, rcpt_tos, _)] = recorder.deliveries
    assert "interviews@halewhitmore.example" not in rcpt_tos


def test_the_status_counts_tell_retrying_from_failed(engine: Engine, session: Session) -> None:
    queue(session, key="a")
    queue(session, key="b", now=NOW + timedelta(hours=1))
    dispatch(engine, FailingMailer(), NOW)
    assert outbox_status_counts(session) == {
        "queued": 1,
        "sending": 0,
        "sent": 0,
        "retrying": 1,
        "failed": 0,
    }


# --- the background loop and the app's mail services --------------------------------------


def test_the_dispatcher_loop_sends_when_notified_and_survives_errors(
    engine: Engine, session: Session, server: SmtpServer, recorder: Recorder
) -> None:
    class Flaky(OutboxDispatcher):
        failures = 0

        def run_once(self) -> DispatchReport:
            if self.failures == 0:
                self.failures += 1
                raise sa.exc.OperationalError("SELECT 1", {}, Exception("database restarting"))
            return super().run_once()

    async def scenario() -> None:
        dispatcher = Flaky(engine=engine, mailer=server.mailer(), poll_interval=30)
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        await asyncio.sleep(0.2)  # the first run failed; the loop now sleeps for 30 s
        row = queue(session, now=datetime.now(UTC))
        notify_dispatchers()  # what a service calls after committing a queued email
        for _ in range(100):
            if recorder.deliveries:
                break
            await asyncio.sleep(0.05)
        assert recorder.message_ids() == [row.message_id]
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    run_in_fresh_loop(scenario())


def test_mail_services_deliver_to_the_local_mailbox(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    config = dataclasses.replace(
        settings,
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_username=None,
        smtp_password=None,
        smtp_starttls=False,
        smtp_start_local=True,
        dropbox_host="127.0.0.1",
        dropbox_port=free_port(),
    )

    async def scenario() -> LocalMailbox:
        async with mail_services(config=config, engine=engine, poll_interval=30) as dispatcher:
            queue(session, now=datetime.now(UTC))
            dispatcher.notify()
            mailbox = LocalMailbox(tmp_path / "mailbox")
            for _ in range(100):
                if mailbox.count():
                    break
                await asyncio.sleep(0.05)
            with smtplib.SMTP("127.0.0.1", config.dropbox_port, timeout=5) as smtp:
                assert smtp.noop()[0] == 250  # the dropbox is listening too
            return mailbox

    mailbox = run_in_fresh_loop(scenario())
    [message] = mailbox.list_messages()
    assert message.subject == "Diana Allen: Interview Scheduled"
    assert message.bcc == ["cynthia@halewhitmore.example"]
    with pytest.raises(OSError):  # both servers stopped with the context
        socket.create_connection(("127.0.0.1", config.smtp_port), timeout=1).close()


# --- the local mailbox ---------------------------------------------------------------------


def raw_email(message_id: str, subject: str = "Hello", body: str = "Hi Diana") -> bytes:
    message = EmailMessage()
    message["From"] = "Cynthia Park <cynthia@halewhitmore.example>"
    message["To"] = "Diana Allen <dallen@law.example>"
    message["Cc"] = "interviews@halewhitmore.example"
    message["Subject"] = subject
    message["Date"] = "Mon, 04 May 2026 15:00:00 +0000"
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


def test_the_local_mailbox_keeps_one_copy_per_message_id(tmp_path: Path) -> None:
    mailbox = LocalMailbox(tmp_path / "mailbox")
    envelope = ["dallen@law.example", "interviews@halewhitmore.example", "isabel@firm.example"]

    assert mailbox.deliver(
        raw_email("<one@x>", "First"),
        mail_from="cynthia@halewhitmore.example",
        rcpt_tos=envelope,
        received_at=NOW,
    )
    assert not mailbox.deliver(raw_email("<one@x>", "First again"), received_at=NOW)
    assert mailbox.deliver(raw_email("<two@x>", "Second"), received_at=NOW + timedelta(minutes=1))

    # Another process's view of the same directory sees the same and de-duplicates too.
    other = LocalMailbox(tmp_path / "mailbox")
    assert not other.deliver(raw_email("<two@x>"))
    assert other.count() == 2
    newest, oldest = other.list_messages()
    assert [newest.subject, oldest.subject] == ["Second", "First"]
    assert other.list_messages(limit=1, offset=1) == [oldest]

    message = mailbox.get_message(oldest.key)
    assert message.message_id == "<one@x>"
    assert message.from_ == "Cynthia Park <cynthia@halewhitmore.example>"
    assert message.to == ["Diana Allen <dallen@law.example>"]
    assert message.cc == ["interviews@halewhitmore.example"]
    assert message.bcc == ["isabel@firm.example"]
    assert message.date_iso == "2026-05-04T15:00:00+00:00"
    assert message.received_iso == NOW.isoformat()
    assert message.body == "Hi Diana"
