"""The BCC dropbox: matching, logging, refusing, quarantining, and the SMTP server in front."""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flo_comms.errors import NotAllowed, NotFound
from flo_comms.models import (
    Agency,
    AgencyContact,
    Candidate,
    Communication,
    CommunicationParticipant,
    InboundEmail,
    Member,
    TimelineEntry,
)
from flo_comms.schemas import TimelineFilters
from flo_comms.services.communications import list_timeline
from flo_comms.services.dropbox import (
    MAX_SUBJECT_LENGTH,
    NO_SUBJECT,
    UNREADABLE,
    InboundResult,
    count_quarantine,
    html_to_text,
    ingest_dropbox_email,
    list_quarantine,
    release_quarantined,
)
from flo_comms.services.mail_server import start_dropbox
from flo_comms.settings import settings

NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
SENT_AT = datetime(2026, 5, 4, 14, 30, tzinfo=UTC)
DROPBOX = settings.dropbox_address


@dataclass(frozen=True)
class Cast:
    cynthia: int  # admin
    isabel: int  # admin
    marcus: int  # member
    former: int  # inactive
    diana: int
    benjamin: int
    bill: int  # agency contact


@pytest.fixture
def cast(session: Session) -> Cast:
    members = [
        Member(name="Cynthia Park", email="cynthia@firm.example", password_hash="x", role="admin"),
        Member(name="Isabel Moreno", email="isabel@firm.example", password_hash="x", role="admin"),
        Member(name="Marcus Reed", email="marcus@firm.example", password_hash="x", role="member"),
        Member(
            name="Former Admin",
            email="former@firm.example",
            password_hash="x",
            role="admin",
            is_active=False,
        ),
    ]
    candidates = [
        Candidate(first_name="Diana", last_name="Allen", email="dallen@law.example"),
        Candidate(first_name="Benjamin", last_name="Cho", email="bcho@law.example"),
    ]
    agency = Agency(name="Momentum Search Partners")
    session.add_all([*members, *candidates, agency])
    session.flush()
    bill = AgencyContact(agency_id=agency.id, name="Bill Walter", email="bwalter@momentum.example")
    session.add(bill)
    session.commit()
    return Cast(*(m.id for m in members), *(c.id for c in candidates), bill.id)


def email_bytes(
    *,
    from_: str | None = "Cynthia Park <cynthia@firm.example>",
    to: str | None = "Diana Allen <dallen@law.example>",
    cc: str | None = None,
    bcc: str | None = None,
    subject: str | None = "Following up on your interview",
    body: str | None = "Hi Diana,\n\nThank you for coming in today.\n\nBest,\nCynthia",
    html: str | None = None,
    date: str | None = "Mon, 04 May 2026 10:30:00 -0400",
    message_id: str | None = "<followup-1@firm.example>",
) -> bytes:
    message = EmailMessage()
    for name, value in (
        ("From", from_),
        ("To", to),
        ("Cc", cc),
        ("Bcc", bcc),
        ("Subject", subject),
        ("Date", date),
        ("Message-ID", message_id),
    ):
        if value is not None:
            message[name] = value
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    if body is None and html is None:
        message.add_attachment(
            b"%PDF-1.4", maintype="application", subtype="pdf", filename="cv.pdf"
        )
    return message.as_bytes()


def ingest(
    session: Session, raw: bytes, mail_from: str = "cynthia@firm.example", now: datetime = NOW
) -> InboundResult:
    return ingest_dropbox_email(
        session=session, mail_from=mail_from, rcpt_tos=[DROPBOX], raw=raw, now=now
    )


def timeline(session: Session, candidate_id: int) -> list[int]:
    return list(
        session.exec(
            select(TimelineEntry.communication_id).where(TimelineEntry.candidate_id == candidate_id)
        )
    )


def counts(session: Session) -> tuple[int, int, int]:
    def count(model: Any) -> int:
        return session.exec(sa.select(sa.func.count()).select_from(model)).one()[0]

    return count(Communication), count(TimelineEntry), count(InboundEmail)


# --- logging ---------------------------------------------------------------------------------


def test_an_email_bcc_to_the_dropbox_is_logged_on_every_candidate_timeline(
    session: Session, cast: Cast
) -> None:
    raw = email_bytes(
        to="Diana Allen <dallen@law.example>",
        cc=(
            "bcho@law.example, Marcus Reed <marcus@firm.example>,"
            " Bill Walter <bwalter@momentum.example>, Pat Doe <pat@elsewhere.example>"
        ),
    )

    result = ingest(session, raw)

    assert result.status == "logged"
    communication = session.get(Communication, result.communication_id)
    assert communication.type == "email"
    assert communication.origin == "logged"
    assert communication.logged_by_id == cast.cynthia
    assert communication.occurred_at == SENT_AT
    assert communication.subject == "Following up on your interview"
    assert communication.body == "Hi Diana,\n\nThank you for coming in today.\n\nBest,\nCynthia"
    assert communication.inbound_message_id == "<followup-1@firm.example>"
    assert timeline(session, cast.diana) == [communication.id]
    assert timeline(session, cast.benjamin) == [communication.id]
    people = session.exec(
        select(CommunicationParticipant)
        .where(CommunicationParticipant.communication_id == communication.id)
        .order_by(CommunicationParticipant.id)
    ).all()
    assert [
        (p.role, p.display_name, p.email, p.member_id, p.candidate_id, p.agency_contact_id)
        for p in people
    ] == [
        ("from", "Cynthia Park", "cynthia@firm.example", cast.cynthia, None, None),
        ("to", "Diana Allen", "dallen@law.example", None, cast.diana, None),
        ("cc", "Benjamin Cho", "bcho@law.example", None, cast.benjamin, None),
        ("cc", "Marcus Reed", "marcus@firm.example", cast.marcus, None, None),
        ("cc", "Bill Walter", "bwalter@momentum.example", None, None, cast.bill),
        ("cc", "Pat Doe", "pat@elsewhere.example", None, None, None),
    ]
    inbound = session.get(InboundEmail, result.inbound_id)
    assert (inbound.status, inbound.communication_id, inbound.error) == (
        "logged",
        communication.id,
        None,
    )
    assert inbound.raw == raw
    assert inbound.rcpt_tos == [DROPBOX]
    assert inbound.message_id == "<followup-1@firm.example>"

    page = list_timeline(
        session=session, candidate_id=cast.diana, filters=TimelineFilters(), viewer_id=cast.isabel
    )
    [item] = page.items
    assert item.subject == "Following up on your interview"
    assert not item.is_system


def test_addresses_match_whatever_their_case_and_a_bcc_header_is_kept_as_bcc(
    session: Session, cast: Cast
) -> None:
    raw = email_bytes(
        from_="Cynthia <Cynthia@FIRM.example>",
        to="DAllen@Law.Example",
        bcc=f"bcho@law.example, {DROPBOX}",
    )

    result = ingest(session, raw)

    assert result.status == "logged"
    roles = session.exec(
        select(CommunicationParticipant.role, CommunicationParticipant.candidate_id).where(
            CommunicationParticipant.communication_id == result.communication_id
        )
    ).all()
    assert sorted(roles, key=str) == sorted(
        [("from", None), ("to", cast.diana), ("bcc", cast.benjamin)], key=str
    )
    assert timeline(session, cast.benjamin) == [result.communication_id]


def test_without_a_from_header_the_envelope_sender_is_the_member(
    session: Session, cast: Cast
) -> None:
    result = ingest(session, email_bytes(from_=None), mail_from="isabel@firm.example")
    assert result.status == "logged"
    assert session.get(Communication, result.communication_id).logged_by_id == cast.isabel


def test_an_html_only_email_is_logged_as_text(session: Session, cast: Cast) -> None:
    raw = email_bytes(
        body=None,
        html=(
            "<html><head><style>p {color: red}</style></head><body>"
            "<p>Hi Diana,</p><p>Thanks &amp; see you <b>Tuesday</b>.</p></body></html>"
        ),
    )
    result = ingest(session, raw)
    assert result.status == "logged"
    body = session.get(Communication, result.communication_id).body
    assert body == "Hi Diana,\n\nThanks & see you Tuesday."
    assert html_to_text("<div>a<br>b</div>") == "a\nb"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 04 May 2026 10:30:00 -0400", SENT_AT),
        ("Mon, 04 May 2026 14:30:00 -0000", SENT_AT),  # zone unknown: taken as UTC
        ("Tue, 01 May 2001 10:00:00 +0000", NOW),  # years old: not believable
        ("Fri, 04 Dec 2026 10:00:00 +0000", NOW),  # in the future
        ("not a date", NOW),
        (None, NOW),
    ],
)
def test_the_date_is_the_date_header_when_it_is_sane(
    session: Session, cast: Cast, date: str | None, expected: datetime
) -> None:
    result = ingest(session, email_bytes(date=date))
    assert session.get(Communication, result.communication_id).occurred_at == expected


def test_the_subject_is_trimmed_and_never_empty(session: Session, cast: Cast) -> None:
    long = ingest(session, email_bytes(subject="  Re:   " + "x" * 400, message_id="<a@x>"))
    empty = ingest(session, email_bytes(subject=None, message_id="<b@x>"))
    assert len(session.get(Communication, long.communication_id).subject) == MAX_SUBJECT_LENGTH
    assert session.get(Communication, long.communication_id).subject.startswith("Re: xxx")
    assert session.get(Communication, empty.communication_id).subject == NO_SUBJECT


# --- duplicates, refusals and quarantine -----------------------------------------------------


def test_a_redelivered_message_logs_nothing_new(session: Session, cast: Cast) -> None:
    first = ingest(session, email_bytes())
    before = counts(session)

    again = ingest(session, email_bytes(subject="Changed in transit"))

    assert again.status == "duplicate"
    assert again.communication_id == first.communication_id
    assert counts(session) == before


def test_a_message_without_a_message_id_is_recognised_by_its_bytes(
    session: Session, cast: Cast
) -> None:
    raw = email_bytes(message_id=None)
    assert ingest(session, raw).status == "logged"
    assert ingest(session, raw).status == "duplicate"
    assert counts(session)[0] == 1


@pytest.mark.parametrize(
    ("from_", "mail_from"),
    [
        ("Stranger <stranger@elsewhere.example>", "stranger@elsewhere.example"),
        ("Former Admin <former@firm.example>", "former@firm.example"),  # no longer active
        ("Stranger <stranger@elsewhere.example>", "cynthia@firm.example"),  # From decides
        ("Marcus Reed <marcus@firm.example>", "marcus@firm.example"),  # members only view
    ],
)
def test_mail_from_anyone_but_an_active_admin_is_refused(
    session: Session, cast: Cast, from_: str, mail_from: str
) -> None:
    raw = email_bytes(from_=from_, body="Confidential offer details")

    result = ingest(session, raw, mail_from=mail_from)

    assert result.status == "refused"
    assert result.communication_id is None
    assert "not an active admin" in result.reason
    assert session.exec(select(Communication)).all() == []
    inbound = session.get(InboundEmail, result.inbound_id)
    assert inbound.status == "refused"
    assert "not an active admin" in inbound.error
    assert b"Subject: Following up" in inbound.raw
    assert b"Confidential offer" not in inbound.raw  # only the headers of refused mail


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff\xfe garbage \x89PNG not an email at all\r\n\r\n\x01\x02",
        b"   \r\n",
        b"",
    ],
)
def test_a_message_that_cannot_be_read_is_quarantined_whole(
    session: Session, cast: Cast, raw: bytes
) -> None:
    result = ingest(session, raw)

    assert result.status == "quarantined"
    assert session.exec(select(Communication)).all() == []
    inbound = session.get(InboundEmail, result.inbound_id)
    assert inbound.status == "quarantined"
    assert inbound.raw == raw
    assert inbound.error


def test_a_message_that_names_no_candidate_is_quarantined(session: Session, cast: Cast) -> None:
    raw = email_bytes(to="Pat Doe <pat@elsewhere.example>", cc="marcus@firm.example")

    result = ingest(session, raw)

    assert result.status == "quarantined"
    assert "candidate" in result.reason
    inbound = session.get(InboundEmail, result.inbound_id)
    assert (inbound.status, inbound.raw) == ("quarantined", raw)
    assert counts(session)[:2] == (0, 0)
    assert ingest(session, raw).status == "duplicate"  # a redelivery is not quarantined twice
    assert counts(session)[2] == 1


def test_a_message_with_no_text_is_quarantined(session: Session, cast: Cast) -> None:
    result = ingest(session, email_bytes(body=None, html=None))
    assert result.status == "quarantined"
    assert "no text" in result.reason


def test_admins_see_the_quarantine_and_release_a_message_once_its_candidate_exists(
    session: Session, cast: Cast
) -> None:
    garbage = ingest(session, b"\x00\x01 binary junk", now=NOW - timedelta(hours=1))
    stranger = ingest(session, email_bytes(to="Ana Lopez <alopez@law.example>"))

    views = list_quarantine(session=session, actor_id=cast.isabel)
    assert [(v.id, v.subject, v.mail_from) for v in views] == [
        (stranger.inbound_id, "Following up on your interview", "cynthia@firm.example"),
        (garbage.inbound_id, UNREADABLE, "cynthia@firm.example"),
    ]
    assert views[0].received_at_iso == NOW.isoformat()
    assert "candidate" in views[0].error
    assert list_quarantine(session=session, actor_id=cast.isabel, limit=1, offset=1) == views[1:]
    assert count_quarantine(session=session, actor_id=cast.isabel) == 2
    for forbidden in (cast.marcus, cast.former, None, "1"):
        with pytest.raises(NotAllowed):
            list_quarantine(session=session, actor_id=forbidden)
        with pytest.raises(NotAllowed):
            release_quarantined(session=session, inbound_id=stranger.inbound_id, actor_id=forbidden)

    still = release_quarantined(
        session=session, inbound_id=stranger.inbound_id, actor_id=cast.isabel
    )
    assert still.status == "quarantined"

    ana = Candidate(first_name="Ana", last_name="Lopez", email="alopez@law.example")
    session.add(ana)
    session.commit()
    released = release_quarantined(
        session=session, inbound_id=stranger.inbound_id, actor_id=cast.isabel
    )

    assert released.status == "logged"
    communication = session.get(Communication, released.communication_id)
    assert communication.logged_by_id == cast.cynthia
    assert communication.occurred_at == SENT_AT
    assert timeline(session, ana.id) == [communication.id]
    inbound = session.get(InboundEmail, stranger.inbound_id)
    assert (inbound.status, inbound.communication_id, inbound.error) == (
        "logged",
        communication.id,
        None,
    )
    assert [v.id for v in list_quarantine(session=session, actor_id=cast.isabel)] == [
        garbage.inbound_id
    ]
    with pytest.raises(NotFound):
        release_quarantined(session=session, inbound_id=stranger.inbound_id, actor_id=cast.isabel)
    with pytest.raises(NotFound):
        release_quarantined(session=session, inbound_id=10**12, actor_id=cast.isabel)


# --- over SMTP -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dropbox_port(engine: Engine) -> Any:
    port = free_port()
    controller = start_dropbox("127.0.0.1", port, engine, addresses=[DROPBOX])
    try:
        yield port
    finally:
        controller.stop()


def compose(**changes: Any) -> EmailMessage:
    """What a member's mail client sends: the dropbox in Bcc."""
    message = EmailMessage()
    message["From"] = changes.get("from_", "Cynthia Park <cynthia@firm.example>")
    message["To"] = changes.get("to", "Diana Allen <dallen@law.example>")
    if cc := changes.get("cc", "Benjamin Cho <bcho@law.example>"):
        message["Cc"] = cc
    message["Bcc"] = DROPBOX
    message["Subject"] = "Your interview on Tuesday"
    message["Date"] = "Mon, 04 May 2026 10:30:00 -0400"
    message["Message-ID"] = changes.get("message_id", "<tuesday@firm.example>")
    message.set_content("Hi Diana and Benjamin,\n\nSee you Tuesday at 9.")
    return message


def test_a_real_smtp_delivery_to_the_dropbox_is_logged(
    engine: Engine, session: Session, cast: Cast, dropbox_port: int
) -> None:
    with smtplib.SMTP("127.0.0.1", dropbox_port, timeout=5) as smtp:
        # The member's mail server routes only the dropbox's copy here.
        refused = smtp.send_message(compose(), to_addrs=[DROPBOX])
        assert refused == {}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.send_message(compose(message_id="<relay@x>"), to_addrs=["dallen@law.example"])
        with pytest.raises(smtplib.SMTPDataError) as stranger:
            smtp.send_message(
                compose(from_="stranger@elsewhere.example", message_id="<s@x>"),
                to_addrs=[DROPBOX],
            )
        assert stranger.value.smtp_code == 550
        reply = smtp.send_message(
            compose(to="pat@elsewhere.example", cc=None, message_id="<q@x>"), to_addrs=[DROPBOX]
        )
        assert reply == {}  # quarantined, and accepted ("Queued for review")

    session.expire_all()
    [communication] = session.exec(select(Communication)).all()
    assert communication.subject == "Your interview on Tuesday"
    assert communication.logged_by_id == cast.cynthia
    assert communication.body == "Hi Diana and Benjamin,\n\nSee you Tuesday at 9."
    assert timeline(session, cast.diana) == [communication.id]
    assert timeline(session, cast.benjamin) == [communication.id]
    rows = session.exec(select(InboundEmail).order_by(InboundEmail.id)).all()
    assert [(r.status, r.mail_from, r.rcpt_tos) for r in rows] == [
        ("logged", "cynthia@firm.example", [DROPBOX]),
        ("refused", "stranger@elsewhere.example", [DROPBOX]),
        ("quarantined", "cynthia@firm.example", [DROPBOX]),
    ]
    assert b"Bcc:" not in rows[0].raw  # smtplib keeps the Bcc header out of what it sends
