"""The BCC dropbox: mail a member copies to the dropbox address is logged on the timelines.

A member writes to a candidate from their own mail client and puts the
dropbox address (`settings.dropbox_address`) in BCC. The dropbox's SMTP
server (`mail_server.start_dropbox`) hands each message to
`ingest_dropbox_email`, which decides, in one transaction:

- **refused**: the sender (the From header's address, else the envelope's
  MAIL FROM) is not an active admin. Only the message's headers are kept,
  with the reason; the SMTP server answers 550, so the sender's own server
  tells them.
- **quarantined**: the message cannot be read, has no text, or names no
  known candidate among its recipients. The whole message is kept for an
  admin (`list_quarantine`, `release_quarantined`); nothing is dropped.
- **duplicate**: a message with the same Message-ID is already logged (or
  already in quarantine): a redelivery changes nothing.
- **logged**: one email communication, logged by the sender, on the
  timeline of every candidate among To, CC (and a Bcc header, when the
  client kept one). Candidates, members and agency contacts are linked;
  other recipients are kept as addresses.

The dropbox trusts the From header as far as the network lets it: anyone who
can reach its port can claim to be a member. Run it where only the firm's
mail server can connect, or put a server that checks SPF/DKIM in front.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import default as default_policy
from html.parser import HTMLParser
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from flo_comms.errors import Invalid, NotAllowed, NotFound
from flo_comms.models import (
    AgencyContact,
    Candidate,
    Communication,
    CommunicationOrigin,
    CommunicationType,
    InboundEmail,
    InboundStatus,
    Member,
    MemberRole,
    ParticipantRole,
    utcnow,
)
from flo_comms.services.auth import require_admin
from flo_comms.services.communications import ParticipantSpec, write_communication
from flo_comms.settings import settings

InboundOutcome = Literal["logged", "quarantined", "refused", "duplicate"]

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 20_000
MAX_MESSAGE_ID_LENGTH = 300
MAX_ERROR_LENGTH = 1000
MAX_REFUSED_HEADER_BYTES = 16 * 1024
"""How much of a refused message is kept: its headers, at most this much."""
MAX_QUARANTINE_PAGE = 100
DATE_PAST_WINDOW = timedelta(days=366)
DATE_FUTURE_WINDOW = timedelta(hours=1)
NO_SUBJECT = "(no subject)"
UNREADABLE = "(unreadable)"
TRUNCATED = "\n\n[Truncated: the full message is kept with the dropbox copy.]"
_MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class InboundResult:
    """What became of one dropbox message."""

    status: InboundOutcome
    communication_id: int | None
    reason: str
    inbound_id: int | None = None
    """The `InboundEmail` row kept for it (None for a duplicate)."""


@dataclass(frozen=True)
class QuarantinedEmailView:
    """A quarantined dropbox message, for the admins' list."""

    id: int
    received_at_iso: str
    mail_from: str
    subject: str
    error: str


# --- reading a message -------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "blockquote", "pre", "table", "ul", "ol", "section"}
        | {f"h{level}" for level in range(1, 7)}
    )
    _SKIPPED = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Crude plain text from HTML: tags dropped, blocks on their own lines, entities decoded."""
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # HTMLParser is lenient; this is a last resort
        text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def message_text(message: EmailMessage) -> str:
    """The message's text: its text/plain part, else its text/html part as text; "" if none."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        return ""
    if part is None:
        return ""
    try:
        content = part.get_content()
    except Exception:  # unknown charset, bad transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").strip()


def _header_text(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _addresses(message: EmailMessage, name: str) -> list[Address]:
    found: list[Address] = []
    try:
        headers = message.get_all(name) or []
        for header in headers:
            found.extend(a for a in getattr(header, "addresses", ()) if a.username and a.domain)
    except Exception:
        pass  # an unreadable header names nobody
    return found


def _message_date(message: EmailMessage, reference: datetime) -> datetime:
    """The Date header when it is believable (a year back to an hour ahead), else `reference`."""
    try:
        header = message.get("Date")
        moment = getattr(header, "datetime", None)
    except Exception:
        moment = None
    if not isinstance(moment, datetime):
        return reference
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)  # "-0000": the sender did not know its zone
    moment = moment.astimezone(UTC)
    if not reference - DATE_PAST_WINDOW <= moment <= reference + DATE_FUTURE_WINDOW:
        return reference
    return moment


def _message_id(message: EmailMessage | None, raw: bytes) -> str:
    """The Message-ID, or one made from the bytes (so an identical redelivery still matches)."""
    value = _header_text(message, "Message-ID") if message is not None else ""
    if value and len(value) <= MAX_MESSAGE_ID_LENGTH:
        return value
    return f"<{hashlib.sha256(raw).hexdigest()}@dropbox.flo-comms>"


def _parse(raw: bytes) -> tuple[EmailMessage | None, str]:
    """The parsed message and "", or None and why it could not be read."""
    if not isinstance(raw, bytes | bytearray) or not raw.strip():
        return None, "The message is empty."
    try:
        message = BytesParser(policy=default_policy).parsebytes(bytes(raw))
    except Exception as exc:
        return None, f"The message could not be parsed: {type(exc).__name__}: {exc}"
    if not isinstance(message, EmailMessage) or not message.keys():
        return None, "The message could not be parsed: it has no headers."
    return message, ""


def _header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end >= 0:
            return raw[: min(end + len(separator), MAX_REFUSED_HEADER_BYTES)]
    return raw[:MAX_REFUSED_HEADER_BYTES]


# --- ingesting ---------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValueError("`now` must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _active_member(session: Session, address: str) -> Member | None:
    # Only admins log communications (members only view), through the
    # dropbox as in the app.
    if not address:
        return None
    return session.exec(
        select(Member)
        .where(
            sa.func.lower(Member.email) == address.lower(),
            col(Member.is_active).is_(True),
            Member.role == MemberRole.ADMIN.value,
        )
        .order_by(col(Member.id))
        .limit(1)
    ).first()


def _sender_address(message: EmailMessage | None, mail_from: str) -> str:
    if message is not None:
        senders = _addresses(message, "From")
        if senders:
            return senders[0].addr_spec
    return (mail_from or "").strip().strip("<>")


@dataclass(frozen=True)
class _Recipient:
    role: ParticipantRole
    name: str
    address: str


def _recipients(message: EmailMessage, rcpt_tos: list[str]) -> list[_Recipient]:
    """To, then CC, then Bcc-header recipients, without repeats or the dropbox itself."""
    skip = {a.strip().strip("<>").lower() for a in rcpt_tos if isinstance(a, str)}
    skip.add(settings.dropbox_address.lower())
    recipients: list[_Recipient] = []
    for header, role in (
        ("To", ParticipantRole.TO),
        ("Cc", ParticipantRole.CC),
        ("Bcc", ParticipantRole.BCC),
    ):
        for address in _addresses(message, header):
            addr = address.addr_spec
            if addr.lower() in skip or len(addr) > 254:
                continue
            skip.add(addr.lower())
            recipients.append(_Recipient(role=role, name=address.display_name, address=addr))
    return recipients


def _people(
    session: Session, addresses: list[str]
) -> tuple[dict[str, tuple[int, str]], dict[str, tuple[int, str]], dict[str, tuple[int, str]]]:
    """Candidates, members and agency contacts with these addresses: lower(email) -> (id, name)."""
    lowered = sorted({a.lower() for a in addresses})
    if not lowered:
        return {}, {}, {}
    candidates: dict[str, tuple[int, str]] = {}
    for cid, first, last, email in session.exec(
        sa.select(Candidate.id, Candidate.first_name, Candidate.last_name, Candidate.email)
        .where(sa.func.lower(Candidate.email).in_(lowered))
        .order_by(Candidate.id)
    ):
        candidates.setdefault(email.lower(), (cid, f"{first} {last}"))
    members: dict[str, tuple[int, str]] = {}
    for mid, name, email in session.exec(
        sa.select(Member.id, Member.name, Member.email)
        .where(sa.func.lower(Member.email).in_(lowered))
        .order_by(Member.id)
    ):
        members.setdefault(email.lower(), (mid, name))
    contacts: dict[str, tuple[int, str]] = {}
    for aid, name, email in session.exec(
        sa.select(AgencyContact.id, AgencyContact.name, AgencyContact.email)
        .where(sa.func.lower(AgencyContact.email).in_(lowered))
        .order_by(AgencyContact.id)
    ):
        contacts.setdefault(email.lower(), (aid, name))
    return candidates, members, contacts


def _participants(
    session: Session, sender: Member, recipients: list[_Recipient]
) -> tuple[list[ParticipantSpec], int]:
    """The communication's participants, and how many of them are candidates."""
    candidates, members, contacts = _people(session, [r.address for r in recipients])
    specs = [
        ParticipantSpec(
            role=ParticipantRole.FROM,
            display_name=sender.name,
            email=sender.email,
            member_id=sender.id,
        )
    ]
    candidate_count = 0
    for recipient in recipients:
        key = recipient.address.lower()
        if key in candidates:
            candidate_id, name = candidates[key]
            candidate_count += 1
            spec = ParticipantSpec(
                role=recipient.role,
                display_name=name,
                email=recipient.address,
                candidate_id=candidate_id,
            )
        elif key in members:
            member_id, name = members[key]
            spec = ParticipantSpec(
                role=recipient.role, display_name=name, email=recipient.address, member_id=member_id
            )
        elif key in contacts:
            contact_id, name = contacts[key]
            spec = ParticipantSpec(
                role=recipient.role,
                display_name=name,
                email=recipient.address,
                agency_contact_id=contact_id,
            )
        else:
            spec = ParticipantSpec(
                role=recipient.role,
                display_name=(recipient.name or recipient.address)[:200],
                email=recipient.address,
            )
        specs.append(spec)
    return specs, candidate_count


def _logged_as(session: Session, message_id: str) -> int | None:
    """The communication already logged from this Message-ID, if any."""
    return session.exec(
        select(Communication.id).where(Communication.inbound_message_id == message_id)
    ).first()


def _already_seen(session: Session, message_id: str, releasing: bool) -> tuple[bool, int | None]:
    """Whether this Message-ID is logged (as which communication), or already in quarantine."""
    communication_id = _logged_as(session, message_id)
    if communication_id is not None:
        return True, communication_id
    if releasing:
        return False, None
    quarantined = select(InboundEmail.id).where(
        InboundEmail.message_id == message_id,
        InboundEmail.status == InboundStatus.QUARANTINED.value,
    )
    return session.exec(quarantined.limit(1)).first() is not None, None


@dataclass(frozen=True)
class _Verdict:
    status: InboundOutcome
    reason: str
    message_id: str | None
    communication_id: int | None = None


def _decide(
    session: Session,
    *,
    mail_from: str,
    rcpt_tos: list[str],
    raw: bytes,
    reference: datetime,
    releasing: bool,
) -> _Verdict:
    """Works out what becomes of a message, writing its communication when it is logged."""
    message, problem = _parse(raw)
    sender_address = _sender_address(message, mail_from)
    sender = _active_member(session, sender_address)
    message_id = _message_id(message, raw)
    if sender is None:
        who = sender_address or "an empty sender"
        reason = f"{who} is not an active admin of the team (only admins log communications)."
        return _Verdict("refused", reason, message_id)
    if message is None:
        return _Verdict("quarantined", problem, message_id)
    seen, communication_id = _already_seen(session, message_id, releasing)
    if seen:
        where = "logged" if communication_id is not None else "in quarantine"
        return _Verdict("duplicate", f"This message is already {where}.", None, communication_id)
    body = message_text(message)
    if not body:
        return _Verdict("quarantined", "The message has no text to log.", message_id)
    recipients = _recipients(message, rcpt_tos)
    participants, candidate_count = _participants(session, sender, recipients)
    if candidate_count == 0:
        return _Verdict(
            "quarantined", "No known candidate is among the recipients (To, CC).", message_id
        )
    if len(body) > MAX_BODY_LENGTH:
        body = body[:MAX_BODY_LENGTH] + TRUNCATED
    subject = _header_text(message, "Subject")[:MAX_SUBJECT_LENGTH].strip() or NO_SUBJECT
    communication = write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.LOGGED,
        occurred_at=_message_date(message, reference),
        subject=subject,
        body=body,
        participants=participants,
        logged_by_id=sender.id,
        inbound_message_id=message_id,
    )
    timelines = "timeline" if candidate_count == 1 else "timelines"
    return _Verdict(
        "logged",
        f"Logged for {sender.name} on {candidate_count} candidate {timelines}.",
        message_id,
        communication.id,
    )


def _record(
    session: Session,
    verdict: _Verdict,
    *,
    mail_from: str,
    rcpt_tos: list[str],
    raw: bytes,
    received_at: datetime,
    row: InboundEmail | None,
) -> InboundEmail:
    status = {
        "logged": InboundStatus.LOGGED,
        "duplicate": InboundStatus.LOGGED,
        "quarantined": InboundStatus.QUARANTINED,
        "refused": InboundStatus.REFUSED,
    }[verdict.status].value
    error = None if verdict.status in ("logged", "duplicate") else verdict.reason[:MAX_ERROR_LENGTH]
    if row is None:
        row = InboundEmail(
            received_at=received_at,
            mail_from=(mail_from or "")[:300],
            rcpt_tos=[str(a)[:300] for a in rcpt_tos],
            raw=_header_block(bytes(raw)) if verdict.status == "refused" else bytes(raw),
        )
    row.status = status
    row.error = error
    row.message_id = verdict.message_id or row.message_id
    row.communication_id = verdict.communication_id
    session.add(row)
    return row


def ingest_dropbox_email(
    *,
    session: Session,
    mail_from: str,
    rcpt_tos: list[str],
    raw: bytes,
    now: datetime | None = None,
) -> InboundResult:
    """Logs, quarantines or refuses one message received by the dropbox, and commits.

    Args:
        session: An open session with nothing pending; committed here.
        mail_from: The envelope sender (SMTP MAIL FROM).
        rcpt_tos: The envelope recipients (the dropbox addresses it was sent to).
        raw: The message as received.
        now: When it was received (aware); the current time by default.

    Returns:
        What became of it, with the communication logged (or already logged).
    """
    received_at = _now(now)
    rcpt_list = [a for a in rcpt_tos if isinstance(a, str)] if rcpt_tos else []
    mail_from = mail_from if isinstance(mail_from, str) else ""
    try:
        verdict = _decide(
            session,
            mail_from=mail_from,
            rcpt_tos=rcpt_list,
            raw=raw,
            reference=received_at,
            releasing=False,
        )
        if verdict.status == "duplicate":
            session.rollback()
            return InboundResult("duplicate", verdict.communication_id, verdict.reason)
        row = _record(
            session,
            verdict,
            mail_from=mail_from,
            rcpt_tos=rcpt_list,
            raw=raw if isinstance(raw, bytes | bytearray) else b"",
            received_at=received_at,
            row=None,
        )
        session.flush()
        inbound_id = row.id
        session.commit()
    except IntegrityError:
        session.rollback()
        # A concurrent delivery of the same message logged it between our check and our insert.
        communication_id = _logged_as(session, _message_id(_parse(raw)[0], raw))
        if communication_id is None:
            raise
        return InboundResult("duplicate", communication_id, "This message is already logged.")
    except BaseException:
        session.rollback()
        raise
    return InboundResult(verdict.status, verdict.communication_id, verdict.reason, inbound_id)


# --- the admins' quarantine ----------------------------------------------------------------


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_ID


def _require_admin(session: Session, actor_id: object) -> Member:
    if not _is_id(actor_id):
        raise NotAllowed("Only admins can do this.")
    return require_admin(session=session, actor_id=actor_id)


def _subject_of(raw: bytes) -> str:
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(_header_block(raw))
        if not headers.keys():
            return UNREADABLE
        subject = headers.get("Subject")
    except Exception:
        return UNREADABLE
    text = " ".join(str(subject).split()) if subject is not None else ""
    return text[:MAX_SUBJECT_LENGTH] or NO_SUBJECT


def list_quarantine(
    *, session: Session, actor_id: int, limit: int = 50, offset: int = 0
) -> list[QuarantinedEmailView]:
    """Quarantined dropbox messages, newest first (admins only).

    Raises:
        NotAllowed: The actor is not an active admin.
        Invalid: A limit outside 1 to 100, or a negative offset.
    """
    _require_admin(session, actor_id)
    if not _is_id(limit) or limit > MAX_QUARANTINE_PAGE:
        raise Invalid(f"Ask for 1 to {MAX_QUARANTINE_PAGE} messages.")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= _MAX_ID:
        raise Invalid("The offset must be a whole number, 0 or more.")
    rows = session.exec(
        select(InboundEmail)
        .where(InboundEmail.status == InboundStatus.QUARANTINED.value)
        .order_by(col(InboundEmail.received_at).desc(), col(InboundEmail.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        QuarantinedEmailView(
            id=row.id,
            received_at_iso=row.received_at.astimezone(UTC).isoformat(),
            mail_from=row.mail_from,
            subject=_subject_of(row.raw),
            error=row.error or "",
        )
        for row in rows
    ]


def count_quarantine(*, session: Session, actor_id: int) -> int:
    """How many dropbox messages wait in quarantine (admins only)."""
    _require_admin(session, actor_id)
    return session.exec(
        sa.select(sa.func.count())
        .select_from(InboundEmail)
        .where(InboundEmail.status == InboundStatus.QUARANTINED.value)
    ).one()[0]


def release_quarantined(*, session: Session, inbound_id: int, actor_id: int) -> InboundResult:
    """Tries a quarantined message again (after adding the candidate it names, say); commits.

    The message is judged as if it had just arrived, except that its Date is
    checked against when it was received. It is logged, stays in quarantine
    (with the new reason), or is refused if its sender is no longer an
    active member.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No quarantined message with this id.
    """
    _require_admin(session, actor_id)
    row = session.get(InboundEmail, inbound_id) if _is_id(inbound_id) else None
    if row is None or row.status != InboundStatus.QUARANTINED.value:
        raise NotFound("This message is not in quarantine.")
    try:
        verdict = _decide(
            session,
            mail_from=row.mail_from,
            rcpt_tos=list(row.rcpt_tos or []),
            raw=row.raw,
            reference=row.received_at,
            releasing=True,
        )
        _record(
            session,
            verdict,
            mail_from=row.mail_from,
            rcpt_tos=list(row.rcpt_tos or []),
            raw=row.raw,
            received_at=row.received_at,
            row=row,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return InboundResult(verdict.status, verdict.communication_id, verdict.reason, inbound_id)
