"""The outbox: every email the system sends, queued in the database, delivered over SMTP.

A service that sends an email calls `queue_email` in the same transaction as
the communication it logs, so the two are kept or lost together. Nothing here
talks to SMTP inside that transaction: `dispatch_due` (run in a loop by
`OutboxDispatcher`) delivers the rows later, one at a time:

1. It claims a due row with a conditional UPDATE (status "sending", a lease
   in `locked_until`, `attempts + 1`) and commits, before opening a
   connection. The UPDATE re-checks the row's state, so when several
   dispatchers (threads, workers, machines) race for a row, exactly one
   UPDATE changes it and the others see a row count of 0 and move on.
2. It sends the message (`build_message`) through a `Mailer`.
3. It marks the row "sent", or "failed" with the error and the time of the
   next attempt (exponential backoff). That UPDATE is fenced by the attempt
   number it claimed, so a dispatcher whose lease ran out cannot overwrite
   the outcome of the one that took the row over.

What "never sent twice" means, honestly:

- A row that is "sent" is never claimed again; restarting the app or running
  more dispatchers cannot send it again.
- Two dispatchers never send the same row at the same time (step 1).
- The gap that no outbox closes: a process that dies after the SMTP server
  accepted a message but before step 3 committed leaves the row in
  "sending". Its lease runs out, and it is sent again (at least once, not
  exactly once). The retry carries the same Message-ID and Date, so
  receivers that de-duplicate by Message-ID (the product's own local SMTP
  server, `mail_server.LocalMailbox`, does) show one message; others may
  show two. A row left "sending" by a crash during its last allowed attempt
  is marked failed, with "delivery unknown", instead of being sent again.
- `idempotency_key` is unique: queueing the same logical email twice (for
  example "status-change:<id>") fails at the insert, with the caller's
  whole transaction.

A row is in one of these states: "queued" (due at `next_attempt_at`),
"sending" (claimed until `locked_until`), "sent" (`sent_at`), "failed" with
`attempts < MAX_ATTEMPTS` (retrying at `next_attempt_at`), or "failed" with
`attempts >= MAX_ATTEMPTS` (final; `is_final_failure`). `last_error` holds
the latest error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from flo_comms.errors import Invalid, NotFound
from flo_comms.models import EmailOutbox, OutboxStatus, utcnow
from flo_comms.schemas import FailedEmailView
from flo_comms.services.auth import require_admin
from flo_comms.settings import Settings, settings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
"""Attempts before a row is failed for good."""
BASE_BACKOFF = timedelta(seconds=30)
"""Wait after the first failure; it doubles with each further one."""
MAX_BACKOFF = timedelta(hours=1)
DEFAULT_LEASE = timedelta(minutes=2)
"""How long a claimed row is left alone before another dispatcher may retry it."""
MAX_RECIPIENTS = 100
MAX_SUBJECT_LENGTH = 300
MAX_ERROR_LENGTH = 1000
FALLBACK_MESSAGE_ID_DOMAIN = "flo-comms.local"

_T = EmailOutbox.__table__
_CLAIMABLE = (OutboxStatus.QUEUED.value, OutboxStatus.FAILED.value, OutboxStatus.SENDING.value)


# --- queueing ---------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValueError("`now` must be a timezone-aware datetime")
    return now.astimezone(UTC)


_HEADERS = HeaderRegistry()


def parse_one_address(entry: object) -> Address:
    """One address written as "Name <addr>" or "addr".

    Raises:
        Invalid: Not exactly one well-formed address.
    """
    if not isinstance(entry, str) or not entry.strip() or "\r" in entry or "\n" in entry:
        raise Invalid(f"{entry!r} is not an email address.")
    return _parse_text(entry.strip())


@lru_cache(maxsize=4096)
def _parse_text(entry: str) -> Address:
    # Cached: the From, Reply-To, CC and BCC of a bulk send are the same on every
    # email. Address objects cannot be changed, so sharing them is safe; a
    # refusal raises and is not cached.
    try:
        header = _HEADERS("To", entry)
        addresses = header.addresses
    except (HeaderParseError, IndexError, ValueError, TypeError) as exc:
        raise Invalid(f"'{entry}' is not an email address.") from exc
    if len(addresses) != 1 or header.defects:
        raise Invalid(f"'{entry}' is not one email address.")
    return _checked(addresses[0], entry)


def _checked(address: Address, shown: str) -> Address:
    if not address.username or not address.domain or len(address.addr_spec) > 254:
        raise Invalid(f"'{shown}' is not an email address.")
    return address


def named_address(name: str, email: str) -> Address:
    """A person's address with their name, quoted as the name needs ("King Jr." <...>).

    Raises:
        Invalid: The address is malformed, or the name holds a line break.
    """
    try:
        return _checked(Address(display_name=name, addr_spec=email), email)
    except (HeaderParseError, IndexError, ValueError, TypeError) as exc:
        raise Invalid(f"'{email}' is not an email address.") from exc


def _clean_list(entries: Sequence[str | Address], label: str) -> list[str]:
    """Checked addresses as text; an `Address` (from `named_address`) is checked already."""
    if isinstance(entries, str) or not isinstance(entries, Sequence):
        raise Invalid(f"{label} must be a list of addresses.")
    return [
        str(entry) if isinstance(entry, Address) else str(parse_one_address(entry))
        for entry in entries
    ]


def bare_address(entry: str) -> str:
    """The address part of "Name <addr>" (or the entry itself when it cannot be read)."""
    try:
        return parse_one_address(entry).addr_spec
    except Invalid:
        return entry


def envelope_recipients(row: EmailOutbox) -> list[str]:
    """Everyone the SMTP server is told to deliver to: To, CC and BCC, bare, without repeats."""
    seen: dict[str, str] = {}
    for entry in [*row.to_addresses, *row.cc_addresses, *row.bcc_addresses]:
        addr = bare_address(entry)
        seen.setdefault(addr.lower(), addr)
    return list(seen.values())


def queue_email(
    session: Session,
    *,
    communication_id: int | None,
    idempotency_key: str,
    to: Sequence[str | Address],
    cc: Sequence[str],
    bcc: Sequence[str],
    subject: str,
    body: str,
    reply_to: str | None = None,
    from_address: str | None = None,
    now: datetime | None = None,
) -> EmailOutbox:
    """Adds an email to the outbox, in the caller's transaction (nothing is committed).

    The row gets its Message-ID now, so every attempt to deliver it carries
    the same one.

    Args:
        session: The open session of the transaction that logs the communication.
        communication_id: The communication this email is, if it is logged.
        idempotency_key: What makes this email unique ("status-change:<id>");
            a second row with the same key fails when flushed.
        to: Recipients, "Name <addr>" or "addr", or from `named_address`.
        cc: Copied recipients.
        bcc: Blind-copied recipients (in the SMTP envelope, never in the headers).
        subject: The subject line (line breaks become spaces).
        body: The plain-text body.
        reply_to: Where replies go (the member who sent it, say).
        from_address: The sender; `settings.mail_from` by default.
        now: When it is queued (aware); the current time by default.

    Returns:
        The new row, added to the session (not flushed).

    Raises:
        Invalid: A malformed address, no recipient, too many recipients, or an
            empty or overlong idempotency key.
    """
    row = EmailOutbox(
        **outbox_values(
            communication_id=communication_id,
            idempotency_key=idempotency_key,
            to=to,
            cc=cc,
            bcc=bcc,
            subject=subject,
            body=body,
            reply_to=reply_to,
            from_address=from_address,
            now=now,
        )
    )
    session.add(row)
    return row


def outbox_values(
    *,
    communication_id: int | None,
    idempotency_key: str,
    to: Sequence[str | Address],
    cc: Sequence[str],
    bcc: Sequence[str],
    subject: str,
    body: str,
    reply_to: str | None = None,
    from_address: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of an outbox row, checked (see `queue_email`).

    Bulk senders insert many of these at once; `queue_email` adds one.

    Raises:
        Invalid: As `queue_email`.
    """
    moment = _now(now)
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 200:
        raise Invalid("An outbox row needs an idempotency key of 1 to 200 characters.")
    to_list, cc_list, bcc_list = (
        _clean_list(to, "To"),
        _clean_list(cc, "CC"),
        _clean_list(bcc, "BCC"),
    )
    count = len(to_list) + len(cc_list) + len(bcc_list)
    if count == 0:
        raise Invalid("An email needs at least one recipient.")
    if count > MAX_RECIPIENTS:
        raise Invalid(f"An email may have at most {MAX_RECIPIENTS} recipients.")
    sender = parse_one_address(from_address or settings.mail_from)
    reply = str(parse_one_address(reply_to)) if reply_to else None
    if not isinstance(subject, str) or not isinstance(body, str):
        raise Invalid("Subject and body must be text.")
    clean_subject = " ".join(subject.split())[:MAX_SUBJECT_LENGTH]
    domain = sender.domain or FALLBACK_MESSAGE_ID_DOMAIN
    return dict(
        communication_id=communication_id,
        idempotency_key=idempotency_key,
        status=OutboxStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=moment,
        message_id=make_msgid(domain=domain),
        from_address=str(sender),
        reply_to=reply,
        to_addresses=to_list,
        cc_addresses=cc_list,
        bcc_addresses=bcc_list,
        subject=clean_subject,
        body=body,
        created_at=moment,
    )


# --- building and sending -------------------------------------------------------------


def _addresses(entries: Sequence[str]) -> list[Address]:
    return [parse_one_address(entry) for entry in entries]


def build_message(row: EmailOutbox) -> EmailMessage:
    """The message for an outbox row: From, To, Cc, Reply-To, Subject, Date, Message-ID.

    BCC recipients are not in the headers; pass `envelope_recipients(row)` to
    the mailer. The Date is when the row was queued, so a retry is the same
    message.
    """
    message = EmailMessage(policy=default_policy)
    message["From"] = _addresses([row.from_address])
    if row.to_addresses:
        message["To"] = _addresses(row.to_addresses)
    if row.cc_addresses:
        message["Cc"] = _addresses(row.cc_addresses)
    if row.reply_to:
        message["Reply-To"] = _addresses([row.reply_to])
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at.astimezone(UTC))
    message["Message-ID"] = row.message_id
    message.set_content(row.body)
    return message


class Mailer(Protocol):
    """Something that delivers a message to the given envelope recipients."""

    def send(
        self, message: EmailMessage, recipients: list[str]
    ) -> Mapping[str, Any] | None:  # pragma: no cover - protocol
        """Delivers the message, or raises.

        Returns:
            None, or the recipients the server refused while accepting the
            others (address -> (code, message)).
        """
        ...


class SmtpMailer:
    """Sends over SMTP with the standard library's `smtplib`, one connection per message."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self.local_hostname = local_hostname

    def send(self, message: EmailMessage, recipients: list[str]) -> Mapping[str, Any] | None:
        """Sends one message to the envelope recipients.

        Returns:
            The recipients refused while others were accepted, or None.

        Raises:
            smtplib.SMTPException, OSError: The message was not accepted.
        """
        smtp = smtplib.SMTP(
            self.host, self.port, timeout=self.timeout, local_hostname=self.local_hostname
        )
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            refused = smtp.send_message(message, to_addrs=recipients)
        except BaseException:
            smtp.close()
            raise
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            # The server took the message; a failed goodbye must not make it a retry.
            smtp.close()
        return refused or None


def mailer_from_settings(config: Settings | None = None) -> SmtpMailer:
    """The mailer the settings describe (`settings` by default)."""
    config = config or settings
    return SmtpMailer(
        config.smtp_host,
        config.smtp_port,
        username=config.smtp_username,
        password=config.smtp_password,
        starttls=config.smtp_starttls,
    )


# --- dispatching ------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchReport:
    """What one `dispatch_due` run did."""

    sent: int
    failed: int
    """Rows failed for good in this run."""
    retrying: int
    """Rows that failed and will be retried."""

    @property
    def total(self) -> int:
        """Rows this run attempted."""
        return self.sent + self.failed + self.retrying


def is_final_failure(*, status: str, attempts: int) -> bool:
    """Whether a row has failed for good (no attempt is left)."""
    return status == OutboxStatus.FAILED.value and attempts >= MAX_ATTEMPTS


def backoff_delay(
    attempts: int, *, base: timedelta = BASE_BACKOFF, cap: timedelta = MAX_BACKOFF
) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2 x base, 4 x base, ... up to cap."""
    return min(base * 2 ** max(attempts - 1, 0), cap)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "All recipients refused: " + "; ".join(
            f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in exc.recipients.items()
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_LENGTH]


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _due_clause(now: datetime, max_attempts: int) -> list[sa.ColumnElement[bool]]:
    return [
        _T.c.status.in_(_CLAIMABLE),
        _T.c.attempts < max_attempts,
        _T.c.next_attempt_at <= now,
        sa.or_(_T.c.locked_until.is_(None), _T.c.locked_until < now),
    ]


def _due_ids(engine: Engine, now: datetime, batch_size: int, max_attempts: int) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(_T.c.id)
            .where(*_due_clause(now, max_attempts))
            .order_by(_T.c.next_attempt_at, _T.c.id)
            .limit(batch_size)
        )
        return [row[0] for row in rows]


def _give_up_on_interrupted(engine: Engine, now: datetime, max_attempts: int) -> int:
    """Fails for good the rows a crash left "sending" during their last attempt."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(_T)
            .where(
                _T.c.status == OutboxStatus.SENDING.value,
                _T.c.attempts >= max_attempts,
                _T.c.locked_until < now,
            )
            .values(
                status=OutboxStatus.FAILED.value,
                locked_until=None,
                last_error="Interrupted during the last attempt; delivery unknown.",
            )
        )
        return result.rowcount


def _claim(
    engine: Engine, row_id: int, now: datetime, lease: timedelta, max_attempts: int
) -> EmailOutbox | None:
    """Takes one row for this dispatcher, committed before any SMTP traffic; None if taken."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(_T)
            .where(_T.c.id == row_id, *_due_clause(now, max_attempts))
            .values(
                status=OutboxStatus.SENDING.value,
                locked_until=now + lease,
                attempts=_T.c.attempts + 1,
            )
        )
        if result.rowcount != 1:
            return None
        row = conn.execute(sa.select(_T).where(_T.c.id == row_id)).one()
    return EmailOutbox(**row._mapping)


def _finish(engine: Engine, row: EmailOutbox, values: dict[str, Any]) -> bool:
    """Records the outcome, if this dispatcher's claim (its attempt number) still holds."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(_T)
            .where(
                _T.c.id == row.id,
                _T.c.status == OutboxStatus.SENDING.value,
                _T.c.attempts == row.attempts,
            )
            .values(**values)
        )
        return result.rowcount == 1


def dispatch_due(
    *,
    engine: Engine,
    mailer: Mailer,
    now: datetime | None = None,
    batch_size: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    base_backoff: timedelta = BASE_BACKOFF,
    max_backoff: timedelta = MAX_BACKOFF,
    max_attempts: int = MAX_ATTEMPTS,
) -> DispatchReport:
    """Delivers the rows that are due, one at a time, each claimed before it is sent.

    Safe to run in several threads or processes at once: see the module's
    docstring for what is and is not guaranteed.

    Args:
        engine: The database.
        mailer: Delivers a message (an `SmtpMailer`, or a fake in tests).
        now: The time to act at (aware); the clock, read per row, by default.
        batch_size: At most this many rows per run.
        lease: How long a claimed row stays this dispatcher's.
        base_backoff: Wait after the first failure (doubles each time).
        max_backoff: Longest wait between attempts.
        max_attempts: Attempts before a row fails for good.

    Returns:
        How many rows were sent, failed for good, or scheduled for a retry.
    """
    clock: Callable[[], datetime] = (lambda: _now(now)) if now is not None else utcnow
    start = clock()
    _give_up_on_interrupted(engine, start, max_attempts)
    sent = failed = retrying = 0
    for row_id in _due_ids(engine, start, batch_size, max_attempts):
        moment = clock()
        row = _claim(engine, row_id, moment, lease, max_attempts)
        if row is None:
            continue  # another dispatcher took it, or it is no longer due
        try:
            refused = mailer.send(build_message(row), envelope_recipients(row))
        except Exception as exc:
            error = _describe(exc)
            final = row.attempts >= max_attempts
            moment = clock()
            values: dict[str, Any] = {
                "status": OutboxStatus.FAILED.value,
                "locked_until": None,
                "last_error": error,
            }
            if not final:
                delay = backoff_delay(row.attempts, base=base_backoff, cap=max_backoff)
                values["next_attempt_at"] = moment + delay
            if _finish(engine, row, values):
                if final:
                    failed += 1
                    logger.error("Email %s failed for good: %s", row.message_id, error)
                else:
                    retrying += 1
                    logger.warning("Email %s not sent (will retry): %s", row.message_id, error)
            continue
        note = None
        if refused:
            note = ("Not delivered to: " + "; ".join(_describe_refused(refused)))[:MAX_ERROR_LENGTH]
        if _finish(
            engine,
            row,
            {
                "status": OutboxStatus.SENT.value,
                "locked_until": None,
                "sent_at": clock(),
                "last_error": note,
            },
        ):
            sent += 1
        else:
            logger.warning("Email %s was sent after its lease ran out", row.message_id)
    return DispatchReport(sent=sent, failed=failed, retrying=retrying)


def _describe_refused(refused: Mapping[str, Any]) -> list[str]:
    parts = []
    for addr, detail in refused.items():
        if isinstance(detail, tuple) and len(detail) == 2:
            parts.append(f"{addr} ({detail[0]} {_text(detail[1])})")
        else:
            parts.append(str(addr))
    return parts


# --- the background loop ----------------------------------------------------------------

_running: weakref.WeakSet[OutboxDispatcher] = weakref.WeakSet()


def notify_dispatchers() -> None:
    """Wakes every dispatcher running in this process (call it after committing a queued email)."""
    for dispatcher in list(_running):
        dispatcher.notify()


class OutboxDispatcher:
    """Runs `dispatch_due` in a loop, in a worker thread, until told to stop."""

    def __init__(
        self,
        *,
        engine: Engine,
        mailer: Mailer,
        poll_interval: float = 1.0,
        batch_size: int = 50,
        lease: timedelta = DEFAULT_LEASE,
        base_backoff: timedelta = BASE_BACKOFF,
        max_backoff: timedelta = MAX_BACKOFF,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.engine = engine
        self.mailer = mailer
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.lease = lease
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def run_once(self) -> DispatchReport:
        """One `dispatch_due` run with this dispatcher's settings (blocking)."""
        return dispatch_due(
            engine=self.engine,
            mailer=self.mailer,
            batch_size=self.batch_size,
            lease=self.lease,
            base_backoff=self.base_backoff,
            max_backoff=self.max_backoff,
            max_attempts=self.max_attempts,
        )

    def notify(self) -> None:
        """Asks the loop to look for due rows now instead of at the next poll (any thread)."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        try:
            if asyncio.get_running_loop() is loop:
                wake.set()
                return
        except RuntimeError:
            pass
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
            loop.call_soon_threadsafe(wake.set)

    async def run(self, stop_event: asyncio.Event) -> None:
        """Delivers due rows until `stop_event` is set; errors are logged, never fatal."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        _running.add(self)
        try:
            while not stop_event.is_set():
                self._wake.clear()
                busy = False
                try:
                    report = await asyncio.to_thread(self.run_once)
                    busy = report.total >= self.batch_size
                except Exception:
                    logger.exception("Outbox dispatch failed; trying again shortly")
                if not busy:
                    await self._pause(stop_event)
        finally:
            _running.discard(self)
            self._loop = self._wake = None

    async def _pause(self, stop_event: asyncio.Event) -> None:
        assert self._wake is not None
        waiters = [
            asyncio.ensure_future(stop_event.wait()),
            asyncio.ensure_future(self._wake.wait()),
        ]
        try:
            await asyncio.wait(
                waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()


# --- admin ----------------------------------------------------------------------------------


def outbox_status_counts(session: Session) -> dict[str, int]:
    """Rows per delivery state: queued, sending, sent, retrying, failed (for good)."""
    exhausted = _T.c.attempts >= sa.literal_column(str(int(MAX_ATTEMPTS)))
    rows = session.connection().execute(
        sa.select(_T.c.status, exhausted, sa.func.count()).group_by(_T.c.status, exhausted)
    )
    counts = {"queued": 0, "sending": 0, "sent": 0, "retrying": 0, "failed": 0}
    for status, exhausted, count in rows:
        key = status
        if status == OutboxStatus.FAILED.value and not exhausted:
            key = "retrying"
        counts[key] = counts.get(key, 0) + count
    return counts


def list_failed(*, session: Session, actor_id: int, limit: int = 50) -> list[FailedEmailView]:
    """Emails that failed, newest first: those still being retried and those given up on.

    Raises:
        NotAllowed: The actor is not an active admin.
        Invalid: A limit outside 1 to 200.
    """
    require_admin(session=session, actor_id=actor_id)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= 200:
        raise Invalid("Ask for 1 to 200 emails.")
    rows = session.connection().execute(
        sa.select(
            _T.c.id,
            _T.c.subject,
            _T.c.to_addresses,
            _T.c.attempts,
            _T.c.last_error,
            _T.c.created_at,
            _T.c.next_attempt_at,
        )
        .where(_T.c.status == OutboxStatus.FAILED.value)
        .order_by(_T.c.created_at.desc(), _T.c.id.desc())
        .limit(limit)
    )
    return [
        FailedEmailView(
            id=row.id,
            subject=row.subject,
            recipients=", ".join(row.to_addresses or []),
            attempts=row.attempts,
            last_error=row.last_error or "",
            created_at_iso=row.created_at.astimezone(UTC).isoformat(),
            next_attempt_at_iso=row.next_attempt_at.astimezone(UTC).isoformat(),
            gave_up=row.attempts >= MAX_ATTEMPTS,
        )
        for row in rows
    ]


def retry_failed(
    *, session: Session, outbox_id: int, actor_id: int, now: datetime | None = None
) -> None:
    """Queues a failed email again, with a fresh set of attempts (admins only; commits).

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No failed email with this id.
    """
    try:
        require_admin(session=session, actor_id=actor_id)
        if (
            not isinstance(outbox_id, int)
            or isinstance(outbox_id, bool)
            or not 0 < outbox_id < 2**31
        ):
            raise NotFound("This email does not exist.")
        result = session.connection().execute(
            sa.update(_T)
            .where(_T.c.id == outbox_id, _T.c.status == OutboxStatus.FAILED.value)
            .values(
                status=OutboxStatus.QUEUED.value,
                attempts=0,
                next_attempt_at=_now(now),
                locked_until=None,
            )
        )
        if result.rowcount != 1:
            raise NotFound("This email does not exist or has not failed.")
        session.commit()
    except BaseException:
        session.rollback()
        raise
