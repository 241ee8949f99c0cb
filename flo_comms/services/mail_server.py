"""The SMTP servers the app runs itself: the local mail catcher and the BCC dropbox.

- **Local SMTP server** (`start_local_smtp`): by default the outbox delivers
  here instead of to the world. Every message lands in a `LocalMailbox` (a
  Maildir under `settings.data_dir / "mailbox"`), which the Mailbox page
  (demo mode) reads as an email client would. It keeps one copy per
  Message-ID, so an outbox retry after a crash never shows twice.
- **Dropbox** (`start_dropbox`): receives the mail members BCC to the
  dropbox address and hands it to `dropbox.ingest_dropbox_email`.

`mail_services` starts both with an `OutboxDispatcher`, for the app's
lifespan: `app.register_lifespan_task(mail_services)`. `run_mail_services`
does the same until a stop event is set, for a script.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import mailbox
import re
import socket
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import default as default_policy
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlmodel import Session

from flo_comms.db import get_engine
from flo_comms.errors import NotFound
from flo_comms.models import utcnow
from flo_comms.services.dropbox import ingest_dropbox_email, message_text
from flo_comms.services.outbox import OutboxDispatcher, mailer_from_settings
from flo_comms.settings import Settings, settings

logger = logging.getLogger(__name__)

SERVER_HOSTNAME = "flo-comms.local"
"""The name the servers greet with (saves a DNS lookup of this host's name)."""
MAX_DROPBOX_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_PAGE_SIZE = 100

_RECEIVED = "X-Flo-Received"
_ENVELOPE_FROM = "X-Flo-Envelope-From"
_ENVELOPE_TO = "X-Flo-Envelope-To"


# --- the local mailbox ---------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxMessage:
    """A delivered message, as the Mailbox page shows it."""

    key: str
    message_id: str
    from_: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    """Envelope recipients in neither To nor Cc: the blind copies."""
    subject: str
    date_iso: str
    body: str
    received_iso: str


def _one_line(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _address_list(message: EmailMessage, name: str) -> list[str]:
    try:
        return [str(a) for header in message.get_all(name) or [] for a in header.addresses]
    except Exception:
        return [_one_line(v) for v in message.get_all(name) or []]


def _bare(entry: str) -> str:
    match = re.search(r"<([^<>]*)>\s*$", entry)
    return (match.group(1) if match else entry).strip().lower()


def _summary(key: str, data: bytes) -> MailboxMessage:
    message = BytesParser(policy=default_policy).parsebytes(data)
    to = _address_list(message, "To")
    cc = _address_list(message, "Cc")
    shown = {_bare(a) for a in [*to, *cc]}
    envelope = [a.strip() for a in _one_line(message.get(_ENVELOPE_TO)).split(",") if a.strip()]
    try:
        date = message.get("Date")
        moment = getattr(date, "datetime", None)
        date_iso = moment.isoformat() if isinstance(moment, datetime) else ""
    except Exception:
        date_iso = ""
    return MailboxMessage(
        key=key,
        message_id=_one_line(message.get("Message-ID")),
        from_=", ".join(_address_list(message, "From")),
        to=to,
        cc=cc,
        bcc=[a for a in envelope if a.lower() not in shown],
        subject=_one_line(message.get("Subject")),
        date_iso=date_iso,
        body=message_text(message),
        received_iso=_received_iso(message),
    )


def _safe_summary(key: str, data: bytes) -> MailboxMessage:
    """The summary, or a placeholder for a file that cannot be read as a message."""
    try:
        return _summary(key, data)
    except Exception:
        logger.exception("Unreadable message %s in the local mailbox", key)
        return MailboxMessage(
            key=key,
            message_id=_message_id_of(data),
            from_="",
            to=[],
            cc=[],
            bcc=[],
            subject="(unreadable)",
            date_iso="",
            body=data[:20_000].decode("utf-8", errors="replace"),
            received_iso="",
        )


def _received_iso(message: EmailMessage) -> str:
    try:
        return parsedate_to_datetime(str(message.get(_RECEIVED))).astimezone(UTC).isoformat()
    except (TypeError, ValueError):
        return ""


def _message_id_of(raw: bytes) -> str:
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        return _one_line(headers.get("Message-ID"))
    except Exception:
        return ""


def _trace_headers(mail_from: str | None, rcpt_tos: Sequence[str], received_at: datetime) -> bytes:
    """Headers recording the envelope, put above the message as a mail server would."""

    def clean(value: str) -> str:
        return re.sub(r"[\r\n]+", " ", value)

    lines = [f"{_RECEIVED}: {format_datetime(received_at.astimezone(UTC))}"]
    if mail_from is not None:
        lines.append(f"{_ENVELOPE_FROM}: {clean(mail_from)}")
    if rcpt_tos:
        lines.append(f"{_ENVELOPE_TO}: {clean(', '.join(rcpt_tos))}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", errors="replace")


class LocalMailbox:
    """The local SMTP server's mail: a Maildir, one copy per Message-ID.

    Summaries of the messages are kept in memory and brought up to date from
    the directory listing on each call, so a page of messages parses only the
    files it has not seen (this process or another may have added them).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        for subdir in ("tmp", "new", "cur"):  # Maildir creates them only with the directory
            (self.path / subdir).mkdir(parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(self.path, create=True)
        self._lock = threading.Lock()
        self._summaries: dict[str, MailboxMessage] = {}
        self._by_message_id: dict[str, str] = {}

    def _refresh(self) -> None:
        keys = set(self._maildir.keys())
        for gone in set(self._summaries) - keys:
            summary = self._summaries.pop(gone)
            if self._by_message_id.get(summary.message_id) == gone:
                del self._by_message_id[summary.message_id]
        for key in keys - set(self._summaries):
            try:
                data = self._maildir.get_bytes(key)
            except (KeyError, FileNotFoundError):
                continue  # removed while we looked
            self._remember(_safe_summary(key, data))

    def _remember(self, summary: MailboxMessage) -> None:
        self._summaries[summary.key] = summary
        if summary.message_id:
            self._by_message_id.setdefault(summary.message_id, summary.key)

    def deliver(
        self,
        raw: bytes,
        *,
        mail_from: str | None = None,
        rcpt_tos: Sequence[str] = (),
        received_at: datetime | None = None,
    ) -> bool:
        """Stores a message unless one with the same Message-ID is already here.

        Args:
            raw: The message as received.
            mail_from: The envelope sender, kept in a trace header.
            rcpt_tos: The envelope recipients (BCC recipients are only here).
            received_at: When it arrived; now by default.

        Returns:
            True if stored; False if it is a duplicate (nothing stored).
        """
        message_id = _message_id_of(raw)
        data = _trace_headers(mail_from, rcpt_tos, received_at or utcnow()) + bytes(raw)
        with self._lock:
            self._refresh()
            if message_id and message_id in self._by_message_id:
                return False
            key = self._maildir.add(data)
            self._remember(_safe_summary(key, data))
        return True

    def _sorted(self) -> list[MailboxMessage]:
        with self._lock:
            self._refresh()
            summaries = list(self._summaries.values())
        return sorted(summaries, key=lambda m: (m.received_iso, m.key), reverse=True)

    def count(self) -> int:
        """How many messages are stored."""
        with self._lock:
            self._refresh()
            return len(self._summaries)

    def list_messages(self, limit: int = 50, offset: int = 0) -> list[MailboxMessage]:
        """A page of messages, newest first."""
        if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        if not isinstance(offset, int) or offset < 0:
            raise ValueError("offset must be 0 or more")
        return self._sorted()[offset : offset + limit]

    def get_message(self, key: str) -> MailboxMessage:
        """One message by its key.

        Raises:
            NotFound: No message with this key.
        """
        if not isinstance(key, str) or not 0 < len(key) <= 255:
            raise NotFound("This message does not exist.")
        with self._lock:
            self._refresh()
            summary = self._summaries.get(key)
        if summary is None:
            raise NotFound("This message does not exist.")
        return summary


@lru_cache(maxsize=4)
def _mailbox_at(path: str) -> LocalMailbox:
    return LocalMailbox(path)


def default_mailbox(config: Settings | None = None) -> LocalMailbox:
    """The mailbox under the data directory (one object per process, so its index is shared)."""
    return _mailbox_at(str((config or settings).data_dir / "mailbox"))


# --- the SMTP servers ------------------------------------------------------------------------


class _MailboxHandler:
    """Stores every message in a LocalMailbox; a duplicate is accepted and not stored."""

    def __init__(self, mailbox: LocalMailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            await asyncio.to_thread(
                self.mailbox.deliver,
                raw,
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
            )
        except Exception:
            logger.exception("Could not store a message in the local mailbox")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 OK"


class _DropboxHandler:
    """Hands each message to `ingest_dropbox_email`, in a worker thread."""

    def __init__(self, engine: Engine, addresses: Sequence[str]) -> None:
        self.engine = engine
        self.addresses = {a.lower() for a in addresses}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.addresses and address.lower() not in self.addresses:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _ingest(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> str:
        with Session(self.engine, expire_on_commit=False) as session:
            result = ingest_dropbox_email(
                session=session, mail_from=mail_from, rcpt_tos=rcpt_tos, raw=raw
            )
        if result.status == "refused":
            logger.info("Dropbox refused mail from %r: %s", mail_from, result.reason)
            return f"550 5.7.1 {_smtp_text(result.reason)}"
        if result.status == "quarantined":
            logger.warning("Dropbox quarantined mail from %r: %s", mail_from, result.reason)
            return "250 Queued for review"
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            return await asyncio.to_thread(
                self._ingest, envelope.mail_from or "", list(envelope.rcpt_tos), bytes(raw)
            )
        except Exception:
            # The sender's server keeps the message and tries again: nothing is lost.
            logger.exception("Dropbox could not take a message")
            return "451 4.3.0 Temporary failure; try again later"


def _smtp_text(text: str) -> str:
    return " ".join(text.encode("ascii", errors="replace").decode().split())[:400]


def _start(controller: Controller) -> Controller:
    try:
        controller.start()
    except BaseException:
        with contextlib.suppress(Exception):
            controller.loop.close()
        raise
    return controller


def start_local_smtp(host: str, port: int, mailbox: LocalMailbox) -> Controller:
    """Starts the local SMTP server (its own thread) storing into `mailbox`; `.stop()` ends it."""
    return _start(
        Controller(
            _MailboxHandler(mailbox),
            hostname=host,
            port=port,
            server_hostname=SERVER_HOSTNAME,
        )
    )


def start_dropbox(
    host: str, port: int, engine: Engine, *, addresses: Sequence[str] = ()
) -> Controller:
    """Starts the dropbox's SMTP server (its own thread); `.stop()` ends it.

    Args:
        host: Interface to listen on.
        port: Port to listen on.
        engine: The database messages are logged into.
        addresses: The dropbox addresses; other recipients are refused at RCPT.
            Empty: every recipient is accepted.

    Returns:
        The running controller.
    """
    return _start(
        Controller(
            _DropboxHandler(engine, addresses),
            hostname=host,
            port=port,
            server_hostname=SERVER_HOSTNAME,
            data_size_limit=MAX_DROPBOX_MESSAGE_BYTES,
        )
    )


# --- for the app's lifespan --------------------------------------------------------------------


def _port_in_use(host: str, port: int) -> bool:
    """Whether something already listens there (another worker of this app, say)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def _start_if_free(name: str, host: str, port: int, start: Any, *args: Any, **kwargs: Any):
    if _port_in_use(host, port):
        logger.info("%s: %s:%s is taken (another worker runs it); not starting", name, host, port)
        return None
    try:
        controller = start(host, port, *args, **kwargs)
    except Exception:
        logger.exception("%s could not start on %s:%s", name, host, port)
        return None
    logger.info("%s listening on %s:%s", name, host, port)
    return controller


@contextlib.asynccontextmanager
async def mail_services(
    *,
    config: Settings | None = None,
    engine: Engine | None = None,
    poll_interval: float = 1.0,
) -> AsyncIterator[OutboxDispatcher]:
    """Runs the local SMTP server (if configured), the dropbox and the outbox dispatcher.

    Register it with `app.register_lifespan_task(mail_services)`. Several
    workers may each run it: the first to bind a port runs that server, and
    every worker runs a dispatcher (they never send a row twice).

    Args:
        config: The settings; `settings` by default.
        engine: The database; the configured one by default.
        poll_interval: Seconds between the dispatcher's looks at the outbox.

    Yields:
        The running dispatcher (`notify()` wakes it).
    """
    config = config or settings
    engine = engine or get_engine(config.database_url)
    controllers: list[Controller] = []
    if config.smtp_start_local:
        local = await asyncio.to_thread(
            _start_if_free,
            "Local SMTP server",
            config.smtp_host,
            config.smtp_port,
            start_local_smtp,
            default_mailbox(config),
        )
        if local is not None:
            controllers.append(local)
    dropbox = await asyncio.to_thread(
        _start_if_free,
        "BCC dropbox",
        config.dropbox_host,
        config.dropbox_port,
        start_dropbox,
        engine,
        addresses=[config.dropbox_address],
    )
    if dropbox is not None:
        controllers.append(dropbox)
    dispatcher = OutboxDispatcher(
        engine=engine, mailer=mailer_from_settings(config), poll_interval=poll_interval
    )
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop), name="outbox-dispatcher")
    try:
        yield dispatcher
    finally:
        stop.set()
        dispatcher.notify()
        try:
            # The dispatcher finishes the row it is sending, then stops.
            await asyncio.wait_for(asyncio.shield(task), timeout=30)
        except TimeoutError:
            task.cancel()
        finally:
            for controller in controllers:
                with contextlib.suppress(Exception):
                    controller.stop()


async def run_mail_services(
    stop_event: asyncio.Event | None = None,
    *,
    config: Settings | None = None,
    engine: Engine | None = None,
    poll_interval: float = 1.0,
) -> None:
    """Runs `mail_services` until `stop_event` is set (or the task is cancelled)."""
    async with mail_services(config=config, engine=engine, poll_interval=poll_interval):
        await (stop_event or asyncio.Event()).wait()
