"""The database tables: SQLModel models, nothing else.

Conventions: explicit integer ids, every datetime timezone-aware (stored as
UTC), enumerations stored as short strings (their values are the `StrEnum`s
below), soft deletes as a nullable `deleted_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime, stored as UTC.

    PostgreSQL keeps it in a `timestamptz`; SQLite, which has no time zones,
    keeps the UTC wall time. Naive datetimes are refused on the way in, and
    every value comes back aware, in UTC, from either database.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: use a timezone-aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Any:
        """On SQLite, reads the stored text straight into an aware datetime.

        The general path (the impl's parser, then `replace(tzinfo=UTC)`)
        costs about 2.5 microseconds a value, most of it in `replace`; a
        timeline page reads one per entry. `fromisoformat` of the UTC wall
        time with its offset added is 0.4. Anything else takes the general path.
        """
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            return general

        def process(value: object) -> datetime | None:
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    pass
            return general(value) if general is not None else value  # type: ignore[return-value]

        return process


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def _at(*, nullable: bool = False, index: bool = False, default_now: bool = False) -> Any:
    if default_now:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=nullable, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


# --- enumerations -----------------------------------------------------------


class MemberRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class CandidateSource(StrEnum):
    DIRECT = "Direct"
    REFERRAL = "Referral"
    EVENT = "Event"
    AGENCY = "Agency"


class ClassYear(StrEnum):
    ONE_L = "1L"
    TWO_L = "2L"
    THREE_L = "3L"
    LLM = "LLM"
    GRADUATE = "Graduate"


class CommunicationType(StrEnum):
    EMAIL = "email"
    PHONE_CALL = "phone_call"
    TEXT_MESSAGE = "text_message"
    VIDEO_CALL = "video_call"
    IN_PERSON_MEETING = "in_person_meeting"
    LINKEDIN_MESSAGE = "linkedin_message"
    OTHER = "other"


class CommunicationOrigin(StrEnum):
    LOGGED = "logged"
    SYSTEM = "system"


class EmailKind(StrEnum):
    """What a system email is, for the timeline and the delivery rules."""

    JOB_STATUS = "job_status"
    UPDATE_APPLICATION_REQUEST = "update_application_request"
    EVENT_REGISTRATION_CONFIRMATION = "event_registration_confirmation"
    EVENT_PROFILE_REQUEST = "event_profile_request"
    EVENT_APPROVAL = "event_approval"
    EVENT_DENIAL = "event_denial"
    EVENT_UPDATE = "event_update"
    EVENT_FINAL_SCHEDULE = "event_final_schedule"
    EVENT_REMINDER = "event_reminder"
    EVENT_FOLLOW_UP = "event_follow_up"
    EVENT_CANCELLATION = "event_cancellation"


class ParticipantRole(StrEnum):
    FROM = "from"
    TO = "to"
    CC = "cc"
    BCC = "bcc"


class RevisionAction(StrEnum):
    EDIT = "edit"
    DELETE = "delete"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class EventType(StrEnum):
    IN_PERSON = "in_person"
    WEBINAR = "webinar"
    VIRTUAL_CHAT = "virtual_chat"


class JoinedVia(StrEnum):
    LINK = "link"
    MANUAL = "manual"


class ReviewState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class InboundStatus(StrEnum):
    LOGGED = "logged"
    QUARANTINED = "quarantined"
    REFUSED = "refused"


# --- members and sign-in ----------------------------------------------------


class Member(SQLModel, table=True):
    """A person who signs in: an admin of the recruiting team, or a member."""

    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=MemberRole.MEMBER.value, max_length=16)
    is_active: bool = Field(default=True)
    created_at: datetime = _at(default_now=True)


class LoginSession(SQLModel, table=True):
    """A signed-in browser. Only a hash of its token is stored.

    Sign-in happens over the websocket, which cannot set an HttpOnly cookie,
    so a session starts with the hash of a short-lived, single-use hand-off
    code; an HTTP route exchanges the code for the real token, sets the
    cookie and stamps `activated_at`.
    """

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _at(default_now=True)
    activated_at: datetime | None = _at(nullable=True)
    expires_at: datetime = _at()
    revoked: bool = Field(default=False)
    revoked_at: datetime | None = _at(nullable=True)


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt, kept for throttling."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_email_at", "email", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    attempted_at: datetime = _at(default_now=True)
    succeeded: bool = Field(default=False)


# --- candidates and agencies ------------------------------------------------


class Agency(SQLModel, table=True):
    """A search firm that submits candidates."""

    __tablename__ = "agency"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class AgencyContact(SQLModel, table=True):
    """A recruiter at an agency; receives the job emails about their candidates."""

    __tablename__ = "agency_contact"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=40)


class Candidate(SQLModel, table=True):
    """A person the firm is recruiting. Not a user."""

    __tablename__ = "candidate"
    __table_args__ = (sa.Index("ix_candidate_name", "last_name", "first_name", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    email: str = Field(max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=40)
    law_school: str | None = Field(default=None, max_length=160)
    class_year: str | None = Field(default=None, max_length=16)
    graduation_year: int | None = Field(default=None)
    source: str = Field(default=CandidateSource.DIRECT.value, max_length=16)
    agency_contact_id: int | None = Field(default=None, foreign_key="agency_contact.id", index=True)
    created_at: datetime = _at(default_now=True)


# --- jobs and applications --------------------------------------------------


class Job(SQLModel, table=True):
    """A position or programme candidates apply to."""

    __tablename__ = "job"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    office: str = Field(max_length=120)
    department: str = Field(max_length=120)
    position_type: str = Field(max_length=80)
    process_year: int
    created_at: datetime = _at(default_now=True)


class JobHiringLead(SQLModel, table=True):
    """A member who leads hiring for a job."""

    __tablename__ = "job_hiring_lead"

    job_id: int = Field(foreign_key="job.id", primary_key=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, index=True)


class EmailTemplate(SQLModel, table=True):
    """An editable email: subject, body, CC and BCC, with Jinja2 merge fields.

    `key` names what the template is for (a status's email, the update request,
    one of the event emails), so the code can find it.
    """

    __tablename__ = "email_template"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=120)
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    cc: str = Field(default="", max_length=1000)
    bcc: str = Field(default="", max_length=1000)
    updated_at: datetime = _at(default_now=True)
    updated_by_id: int | None = Field(default=None, foreign_key="member.id")


class ApplicationStatus(SQLModel, table=True):
    """A step of the hiring process; sends its template's email when reached."""

    __tablename__ = "application_status"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    position: int = Field(index=True)
    is_archived: bool = Field(default=False)
    email_template_id: int | None = Field(default=None, foreign_key="email_template.id")


class Application(SQLModel, table=True):
    """A candidate's application to a job."""

    __tablename__ = "application"
    __table_args__ = (
        sa.UniqueConstraint("candidate_id", "job_id", name="uq_application_candidate_job"),
        sa.Index("ix_application_job_status", "job_id", "status_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    job_id: int = Field(foreign_key="job.id")
    status_id: int = Field(foreign_key="application_status.id")
    source: str = Field(default=CandidateSource.DIRECT.value, max_length=16)
    agency_contact_id: int | None = Field(default=None, foreign_key="agency_contact.id")
    created_at: datetime = _at(default_now=True)
    updated_at: datetime = _at(default_now=True)


class ApplicationStatusChange(SQLModel, table=True):
    """One entry of an application's status history."""

    __tablename__ = "application_status_change"
    __table_args__ = (sa.Index("ix_application_status_change_app", "application_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id")
    from_status_id: int | None = Field(default=None, foreign_key="application_status.id")
    to_status_id: int = Field(foreign_key="application_status.id")
    changed_by_id: int | None = Field(default=None, foreign_key="member.id")
    changed_at: datetime = _at(default_now=True)
    communication_id: int | None = Field(default=None, foreign_key="communication.id")


class ApplicationUpdateToken(SQLModel, table=True):
    """A single-use, expiring link that lets a candidate update an application."""

    __tablename__ = "application_update_token"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _at(default_now=True)
    expires_at: datetime = _at()
    used_at: datetime | None = _at(nullable=True)
    communication_id: int | None = Field(default=None, foreign_key="communication.id")


class ApplicationUpdate(SQLModel, table=True):
    """What a candidate submitted through an update-application link."""

    __tablename__ = "application_update"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    token_id: int = Field(foreign_key="application_update_token.id", unique=True)
    submitted_at: datetime = _at(default_now=True)
    phone: str | None = Field(default=None, max_length=40)
    law_school: str | None = Field(default=None, max_length=160)
    class_year: str | None = Field(default=None, max_length=16)
    graduation_year: int | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=sa.Text)


# --- outreach events --------------------------------------------------------


class OutreachEvent(SQLModel, table=True):
    """An in-person event, webinar or virtual chat, open or invite-only."""

    __tablename__ = "outreach_event"
    __table_args__ = (sa.Index("ix_outreach_event_starts", "deleted_at", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=16)
    invite_only: bool = Field(default=False)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    starts_at: datetime = _at()
    ends_at: datetime = _at()
    location: str | None = Field(default=None, max_length=300)
    meeting_link: str | None = Field(default=None, max_length=500)
    registration_slug: str = Field(max_length=64, unique=True)
    final_schedule_sent_at: datetime | None = _at(nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = _at(default_now=True)
    updated_at: datetime = _at(default_now=True)
    deleted_at: datetime | None = _at(nullable=True)


class EventRegistration(SQLModel, table=True):
    """A candidate on an event's list, and how they got there."""

    __tablename__ = "event_registration"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "candidate_id", name="uq_event_registration"),
        sa.Index("ix_event_registration_state", "event_id", "review_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="outreach_event.id")
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    joined_via: str = Field(max_length=16)
    review_state: str = Field(max_length=16)
    registered_at: datetime = _at(default_now=True)
    reviewed_at: datetime | None = _at(nullable=True)
    reviewed_by_id: int | None = Field(default=None, foreign_key="member.id")
    removed_at: datetime | None = _at(nullable=True)
    removed_by_id: int | None = Field(default=None, foreign_key="member.id")


class EventTimeSlot(SQLModel, table=True):
    """A virtual-chat time slot."""

    __tablename__ = "event_time_slot"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="outreach_event.id", index=True)
    starts_at: datetime = _at()
    ends_at: datetime = _at()
    capacity: int = Field(default=1)
    deleted_at: datetime | None = _at(nullable=True)


class EventSlotAssignment(SQLModel, table=True):
    """A registrant in a time slot; `removed_at` is set when taken out."""

    __tablename__ = "event_slot_assignment"
    __table_args__ = (sa.Index("ix_event_slot_assignment_slot", "slot_id", "removed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="event_time_slot.id")
    registration_id: int = Field(foreign_key="event_registration.id", index=True)
    assigned_at: datetime = _at(default_now=True)
    removed_at: datetime | None = _at(nullable=True)


class EventEmailBatch(SQLModel, table=True):
    """One bulk send of an event email (update, final schedule, reminder, follow-up).

    Registrations are worked through in id order, a chunk per transaction;
    `cursor` is the last registration id done, moved in the same transaction
    as the chunk's emails, so an interrupted batch resumes where it stopped.
    """

    __tablename__ = "event_email_batch"
    __table_args__ = (sa.Index("ix_event_email_batch_event", "event_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="outreach_event.id")
    email_kind: str = Field(max_length=40)
    trigger: str = Field(max_length=200)
    requested_by_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = _at(default_now=True)
    eligible: int = Field(default=0)
    cursor: int = Field(default=0)
    queued: int = Field(default=0)
    held_back: int = Field(default=0)
    finished_at: datetime | None = _at(nullable=True)


class HeldBackEmail(SQLModel, table=True):
    """An event email a rule kept from a registrant, and why."""

    __tablename__ = "held_back_email"
    __table_args__ = (sa.Index("ix_held_back_email_event", "event_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="outreach_event.id")
    registration_id: int = Field(foreign_key="event_registration.id")
    batch_id: int | None = Field(default=None, foreign_key="event_email_batch.id")
    email_kind: str = Field(max_length=40)
    reason: str = Field(max_length=300)
    created_at: datetime = _at(default_now=True)


# --- communications ---------------------------------------------------------


class Communication(SQLModel, table=True):
    """One conversation with or about candidates: logged by a member, or a system email."""

    __tablename__ = "communication"

    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=24)
    origin: str = Field(max_length=16)
    email_kind: str | None = Field(default=None, max_length=40)
    occurred_at: datetime = _at()
    subject: str = Field(max_length=200)
    body: str = Field(default="", sa_type=sa.Text)
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="outreach_event.id", index=True)
    logged_by_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    triggered_by_id: int | None = Field(default=None, foreign_key="member.id")
    trigger: str | None = Field(default=None, max_length=200)
    inbound_message_id: str | None = Field(default=None, max_length=300, unique=True)
    created_at: datetime = _at(default_now=True)
    updated_at: datetime = _at(default_now=True)
    deleted_at: datetime | None = _at(nullable=True)
    version: int = Field(default=1)


class CommunicationParticipant(SQLModel, table=True):
    """Who sent or received a communication, in which role.

    The person is a member, a candidate, an agency contact, or a bare address;
    `email` and `display_name` keep what was true when it was sent.
    """

    __tablename__ = "communication_participant"
    __table_args__ = (
        sa.Index("ix_participant_communication", "communication_id", "role", "position"),
        sa.CheckConstraint(
            "(CASE WHEN member_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN candidate_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN agency_contact_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name="ck_participant_one_person",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    communication_id: int = Field(foreign_key="communication.id", ondelete="CASCADE")
    role: str = Field(max_length=8)
    position: int = Field(default=0)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    candidate_id: int | None = Field(default=None, foreign_key="candidate.id", index=True)
    agency_contact_id: int | None = Field(default=None, foreign_key="agency_contact.id")
    email: str | None = Field(default=None, max_length=254)
    display_name: str = Field(max_length=200)


class TimelineEntry(SQLModel, table=True):
    """A communication on one candidate's timeline.

    Carries copies of the fields the timeline sorts and filters on, so that
    "this candidate's communications, newest first, a page at a time" is one
    walk of `ix_timeline_page`, and of the communication's outreach event, so
    that the size of a candidate's thread about an event is a count over
    `ix_timeline_event` (a few rows) rather than over the whole timeline.
    Whatever writes a communication writes its entries with these copies.
    Rows are removed when the communication is deleted; the revision keeps
    who was on it.
    """

    __tablename__ = "timeline_entry"
    __table_args__ = (
        sa.Index("ix_timeline_page", "candidate_id", "occurred_at", "communication_id"),
        sa.Index("ix_timeline_communication", "communication_id"),
        sa.Index(
            "ix_timeline_event",
            "candidate_id",
            "event_id",
            sqlite_where=sa.text("event_id IS NOT NULL"),
            postgresql_where=sa.text("event_id IS NOT NULL"),
        ),
    )

    candidate_id: int = Field(foreign_key="candidate.id", primary_key=True)
    communication_id: int = Field(
        foreign_key="communication.id", primary_key=True, ondelete="CASCADE"
    )
    occurred_at: datetime = _at()
    type: str = Field(max_length=24)
    origin: str = Field(max_length=16)
    event_id: int | None = Field(default=None)
    """The communication's `event_id` (its integrity is checked there)."""


class CommunicationRevision(SQLModel, table=True):
    """An edit or delete of a logged communication: who, when, before and after."""

    __tablename__ = "communication_revision"
    __table_args__ = (sa.Index("ix_revision_communication", "communication_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    communication_id: int = Field(foreign_key="communication.id")
    action: str = Field(max_length=16)
    actor_id: int = Field(foreign_key="member.id")
    created_at: datetime = _at(default_now=True)
    before: dict = Field(sa_type=sa.JSON)
    after: dict | None = Field(default=None, sa_type=sa.JSON)


class EmailOutbox(SQLModel, table=True):
    """One email to deliver. Written in the same transaction as its communication."""

    __tablename__ = "email_outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    communication_id: int | None = Field(default=None, foreign_key="communication.id", index=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    status: str = Field(default=OutboxStatus.QUEUED.value, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _at(default_now=True)
    locked_until: datetime | None = _at(nullable=True)
    last_error: str | None = Field(default=None, max_length=1000)
    message_id: str = Field(max_length=300, unique=True)
    from_address: str = Field(max_length=300)
    reply_to: str | None = Field(default=None, max_length=300)
    to_addresses: list = Field(sa_type=sa.JSON)
    cc_addresses: list = Field(sa_type=sa.JSON)
    bcc_addresses: list = Field(sa_type=sa.JSON)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = _at(default_now=True)
    sent_at: datetime | None = _at(nullable=True)


class InboundEmail(SQLModel, table=True):
    """A message received by the BCC dropbox: logged, quarantined or refused."""

    __tablename__ = "inbound_email"
    __table_args__ = (sa.Index("ix_inbound_email_status", "status", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = _at(default_now=True)
    mail_from: str = Field(max_length=300)
    rcpt_tos: list = Field(sa_type=sa.JSON)
    raw: bytes = Field(sa_type=sa.LargeBinary)
    status: str = Field(max_length=16)
    error: str | None = Field(default=None, max_length=1000)
    message_id: str | None = Field(default=None, max_length=300)
    communication_id: int | None = Field(default=None, foreign_key="communication.id")
