"""Communications: writing them, and the Communications tab's API.

`write_communication` is the one place that turns a communication into rows,
so that logged entries, system emails, dropbox mail and demo data all land
on the timelines the same way. It does not commit: the caller's transaction
decides, so a system email and its outbox row are kept or lost together.

The rest is what the Communications tab calls: `log_communication`,
`edit_communication` and `delete_communication` (admins; edits and deletes
only by the member who logged the entry, checked in the UPDATE itself, with
a version number against lost updates and a revision for each change),
`get_communication`, `list_revisions`, `list_timeline` (a keyset-paginated
walk of `ix_timeline_page` with filters, per-type counts and the size of each
entry's event thread), `list_event_thread`, `export_timeline_csv` and
`member_and_candidate_options`. Every argument is checked here, types
included: they arrive from event handlers, which any websocket client can
call with anything.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from flo_comms.errors import Conflict, Invalid, NotAllowed, NotFound
from flo_comms.models import (
    Candidate,
    Communication,
    CommunicationOrigin,
    CommunicationParticipant,
    CommunicationRevision,
    CommunicationType,
    EmailKind,
    EmailOutbox,
    Job,
    Member,
    MemberRole,
    OutreachEvent,
    ParticipantRole,
    RevisionAction,
    TimelineEntry,
    UTCDateTime,
    utcnow,
)
from flo_comms.schemas import (
    CommunicationInput,
    EventThreadEntry,
    ParticipantView,
    PersonOption,
    PersonRef,
    RevisionView,
    TimelineCounts,
    TimelineFilters,
    TimelineItem,
    TimelinePage,
    TypeCount,
)
from flo_comms.services.auth import require_admin
from flo_comms.services.prepared import Prepared, prepare


@dataclass(frozen=True)
class ParticipantSpec:
    """One sender or recipient: at most one of the ids, and the name and address shown."""

    role: ParticipantRole
    display_name: str
    email: str | None = None
    member_id: int | None = None
    candidate_id: int | None = None
    agency_contact_id: int | None = None


def write_communication(
    session: Session,
    *,
    type: CommunicationType,
    origin: CommunicationOrigin,
    occurred_at: datetime,
    subject: str,
    body: str,
    participants: Sequence[ParticipantSpec],
    about_candidate_ids: Iterable[int] = (),
    logged_by_id: int | None = None,
    triggered_by_id: int | None = None,
    email_kind: str | None = None,
    trigger: str | None = None,
    job_id: int | None = None,
    application_id: int | None = None,
    event_id: int | None = None,
    inbound_message_id: str | None = None,
) -> Communication:
    """Adds a communication and puts it on the timeline of every candidate it concerns.

    The candidates it concerns are every candidate among the recipients (To,
    CC, BCC) plus `about_candidate_ids` (the candidate an agency email was
    about, for example).

    Args:
        session: The open session; nothing is committed here.
        type: Email, phone call, ...
        origin: Logged by a member, or sent by the system.
        occurred_at: When it happened (aware).
        subject: The subject line.
        body: The full text.
        participants: Senders and recipients, in display order per role.
        about_candidate_ids: Further candidates whose timeline shows it.
        logged_by_id: The member who logged it (logged entries).
        triggered_by_id: The member whose action sent it (system emails).
        email_kind: What kind of system email it is.
        trigger: What sent it, in words ("status changed to Interview Scheduled").
        job_id: Job context.
        application_id: Application context.
        event_id: Outreach event context.
        inbound_message_id: Message-ID of a dropbox email, to refuse duplicates.

    Returns:
        The new communication, flushed (its id is set).
    """
    now = utcnow()
    communication = Communication(
        type=CommunicationType(type).value,
        origin=CommunicationOrigin(origin).value,
        email_kind=email_kind,
        occurred_at=occurred_at,
        subject=subject,
        body=body,
        job_id=job_id,
        application_id=application_id,
        event_id=event_id,
        logged_by_id=logged_by_id,
        triggered_by_id=triggered_by_id,
        trigger=trigger,
        inbound_message_id=inbound_message_id,
        created_at=now,
        updated_at=now,
    )
    session.add(communication)
    session.flush()
    add_participants(session, communication, participants)
    candidate_ids = timeline_candidates(participants, about_candidate_ids)
    session.add_all(
        TimelineEntry(
            candidate_id=candidate_id,
            communication_id=communication.id,
            occurred_at=communication.occurred_at,
            type=communication.type,
            origin=communication.origin,
            event_id=communication.event_id,
        )
        for candidate_id in candidate_ids
    )
    session.flush()
    return communication


def add_participants(
    session: Session, communication: Communication, participants: Sequence[ParticipantSpec]
) -> None:
    """Adds the participant rows of a communication, numbering them per role."""
    positions: dict[str, int] = {}
    for spec in participants:
        role = ParticipantRole(spec.role).value
        position = positions.get(role, 0)
        positions[role] = position + 1
        session.add(
            CommunicationParticipant(
                communication_id=communication.id,
                role=role,
                position=position,
                member_id=spec.member_id,
                candidate_id=spec.candidate_id,
                agency_contact_id=spec.agency_contact_id,
                email=spec.email,
                display_name=spec.display_name,
            )
        )


def timeline_candidates(
    participants: Sequence[ParticipantSpec], about_candidate_ids: Iterable[int] = ()
) -> list[int]:
    """The candidates whose timeline shows a communication, without repeats, in order."""
    seen: dict[int, None] = {}
    for spec in participants:
        if spec.candidate_id is not None and spec.role != ParticipantRole.FROM:
            seen.setdefault(spec.candidate_id, None)
    for candidate_id in about_candidate_ids:
        seen.setdefault(candidate_id, None)
    return list(seen)


# --- the Communications tab -------------------------------------------------

MAX_SUBJECT_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 20_000
MAX_PEOPLE = 100
"""Senders, or recipients, one communication may name."""
MAX_SEARCH_LENGTH = 100
MAX_PAGE_SIZE = 50
MAX_THREAD_LENGTH = 100
"""Entries `list_event_thread` returns at most (the oldest)."""
EXPORT_PAGE_SIZE = 500
CLOCK_SKEW = timedelta(minutes=1)
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
_MAX_ID = 2**31 - 1  # PostgreSQL `integer`: a larger bound parameter is an error, not a miss

STALE_VERSION = (
    "This communication was changed by someone else since you opened it. "
    "Reload to see the latest version."
)
BAD_CURSOR = "This page link is no longer valid; start from the first page."

TYPE_LABELS: dict[str, str] = {
    CommunicationType.EMAIL.value: "Email",
    CommunicationType.PHONE_CALL.value: "Phone Call",
    CommunicationType.TEXT_MESSAGE.value: "Text Message",
    CommunicationType.VIDEO_CALL.value: "Video Call",
    CommunicationType.IN_PERSON_MEETING.value: "In-Person Meeting",
    CommunicationType.LINKEDIN_MESSAGE.value: "LinkedIn Message",
    CommunicationType.OTHER.value: "Other",
}
"""Communication types in the order the modal and the filter chips list them."""

TYPE_ICONS: dict[str, str] = {
    CommunicationType.EMAIL.value: "mail",
    CommunicationType.PHONE_CALL.value: "phone",
    CommunicationType.TEXT_MESSAGE.value: "message-square",
    CommunicationType.VIDEO_CALL.value: "video",
    CommunicationType.IN_PERSON_MEETING.value: "users",
    CommunicationType.LINKEDIN_MESSAGE.value: "linkedin",
    CommunicationType.OTHER.value: "circle-help",
}
"""Lucide icon names."""

EMAIL_KIND_LABELS: dict[str, str] = {
    EmailKind.JOB_STATUS.value: "Job status",
    EmailKind.UPDATE_APPLICATION_REQUEST.value: "Update application request",
    EmailKind.EVENT_REGISTRATION_CONFIRMATION.value: "Registration Confirmation",
    EmailKind.EVENT_PROFILE_REQUEST.value: "Profile Request",
    EmailKind.EVENT_APPROVAL.value: "Approval",
    EmailKind.EVENT_DENIAL.value: "Denial",
    EmailKind.EVENT_UPDATE.value: "Event Update",
    EmailKind.EVENT_FINAL_SCHEDULE.value: "Final Schedule",
    EmailKind.EVENT_REMINDER.value: "Reminder",
    EmailKind.EVENT_FOLLOW_UP.value: "Follow-Up",
    EmailKind.EVENT_CANCELLATION.value: "Cancellation",
}

ORIGIN_LABELS: dict[str, str] = {
    CommunicationOrigin.LOGGED.value: "Logged",
    CommunicationOrigin.SYSTEM.value: "System generated",
}

PERSON_KINDS = ("candidate", "member")

_ROLE_LABELS = {"to": "", "cc": " (CC)", "bcc": " (BCC)"}
_CSV_COLUMNS = (
    "Date (UTC)",
    "Type",
    "Origin",
    "Subject",
    "From",
    "To",
    "CC",
    "BCC",
    "Context",
    "Logged by",
    "Body",
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# -- small checks ------------------------------------------------------------------


def _is_id(value: object) -> bool:
    """Whether a value is a usable row id (an int, not a bool, within `integer`)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_ID


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValueError("`now` must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is UTC:  # as every read gives it
        return moment.isoformat()
    return moment.astimezone(UTC).isoformat()


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@contextmanager
def _all_or_nothing(session: Session) -> Iterator[None]:
    """Rolls the session back when the block fails, so a refused change leaves no trace."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise


def _require_admin(session: Session, actor_id: object) -> Member:
    if not _is_id(actor_id):
        raise NotAllowed("Only admins can do this.")
    return require_admin(session=session, actor_id=actor_id)


# Reads are Core statements on the tables, built once per shape (with bind
# parameters) and run on the session's connection: the timeline is the hot
# path, and building an ORM statement on every call costs more than the query.
_TE = TimelineEntry.__table__
_OTHER_TE = _TE.alias("other_entry")
_THREAD_TE = _TE.alias("thread_entry")
_C = Communication.__table__
_P = CommunicationParticipant.__table__
_M = Member.__table__
_LOGGED_BY = _M.alias("logged_by")
_TRIGGERED_BY = _M.alias("triggered_by")
_JOB = Job.__table__
_EVENT = OutreachEvent.__table__
_OUTBOX = EmailOutbox.__table__
_CANDIDATE = Candidate.__table__


def _read(session: Session, statement: sa.Executable, params: dict[str, Any]) -> sa.Result:
    """Runs a Core read in the session's transaction, after flushing what is pending."""
    session.flush()
    return session.connection().execute(statement, params)


@dataclass(frozen=True)
class _Viewer:
    id: int
    is_admin: bool


@lru_cache(maxsize=2)
def _viewer_statement(with_candidate: bool) -> sa.Select:
    columns: list[Any] = [_M.c.role]
    if with_candidate:
        columns.append(
            sa.select(_CANDIDATE.c.id)
            .where(_CANDIDATE.c.id == sa.bindparam("candidate_id"))
            .scalar_subquery()
        )
    return sa.select(*columns).where(_M.c.id == sa.bindparam("viewer_id"), _M.c.is_active.is_(True))


def _viewer(session: Session, viewer_id: object, candidate_id: int | None = None) -> _Viewer:
    """The signed-in member reading (active), checked in one query with the candidate.

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: `candidate_id` was given and there is no such candidate.
    """
    if not _is_id(viewer_id):
        raise NotAllowed("Sign in to see communications.")
    params = {"viewer_id": viewer_id, "candidate_id": candidate_id}
    row = _read(session, _viewer_statement(candidate_id is not None), params).first()
    if row is None:
        raise NotAllowed("Sign in to see communications.")
    if candidate_id is not None and row[1] is None:
        raise NotFound("This candidate does not exist.")
    return _Viewer(id=viewer_id, is_admin=row[0] == MemberRole.ADMIN.value)


def _checked_viewer(session: Session, viewer_id: object, candidate_id: object) -> _Viewer:
    """The viewer (checked first), then the candidate whose timeline is read."""
    if not _is_id(candidate_id):
        _viewer(session, viewer_id)
        raise NotFound("This candidate does not exist.")
    return _viewer(session, viewer_id, candidate_id)


# -- validating the modal ------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    kind: str  # "member" or "candidate"
    id: int
    name: str
    email: str


@dataclass(frozen=True)
class _CleanInput:
    type: str
    occurred_at: datetime
    senders: list[_Person]
    recipients: list[_Person]
    subject: str
    body: str

    def participants(self) -> list[ParticipantSpec]:
        """Senders as FROM, recipients as TO, with the names and addresses of today."""
        specs = [
            ParticipantSpec(
                role=ParticipantRole.FROM, display_name=p.name, email=p.email, member_id=p.id
            )
            for p in self.senders
        ]
        for person in self.recipients:
            specs.append(
                ParticipantSpec(
                    role=ParticipantRole.TO,
                    display_name=person.name,
                    email=person.email,
                    member_id=person.id if person.kind == "member" else None,
                    candidate_id=person.id if person.kind == "candidate" else None,
                )
            )
        return specs


def _active_members(
    session: Session, ids: Sequence[int], also: Iterable[int] = ()
) -> dict[int, _Person]:
    """Members among `ids` who are active, or who are in `also` (already on the entry)."""
    if not ids:
        return {}
    usable = col(Member.is_active).is_(True)
    also = [i for i in also if i in ids]
    if also:
        usable = sa.or_(usable, col(Member.id).in_(also))
    rows = session.exec(
        sa.select(col(Member.id), col(Member.name), col(Member.email)).where(
            col(Member.id).in_(ids), usable
        )
    ).all()
    return {i: _Person("member", i, name, email) for i, name, email in rows}


def _candidates(session: Session, ids: Sequence[int]) -> dict[int, _Person]:
    if not ids:
        return {}
    rows = session.exec(
        sa.select(
            col(Candidate.id),
            col(Candidate.first_name),
            col(Candidate.last_name),
            col(Candidate.email),
        ).where(col(Candidate.id).in_(ids))
    ).all()
    return {i: _Person("candidate", i, f"{first} {last}", email) for i, first, last, email in rows}


def _check_text(value: object, *, what: str, limit: int, single_line: bool) -> tuple[str, str]:
    """A cleaned text field, and an error message ("" when it is fine)."""
    if not isinstance(value, str):
        return "", f"Enter a {what}."
    if len(value) > 4 * limit:  # not worth tidying first
        return "", f"Use at most {limit:,} characters (this one has {len(value):,})."
    if single_line:
        text = " ".join(value.split())
    else:
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return "", f"Enter a {what}."
    if "\x00" in text:
        return "", f"The {what} contains a character that cannot be saved (NUL)."
    if len(text) > limit:
        return "", f"Use at most {limit:,} characters (this one has {len(text):,})."
    return text, ""


def _unique_ids(value: object) -> list[int] | None:
    """The ids of a list, without repeats and in order; None if it is not a list of ids."""
    if not isinstance(value, list | tuple) or not all(_is_id(v) for v in value[: MAX_PEOPLE + 1]):
        return None
    return list(dict.fromkeys(value[: MAX_PEOPLE + 1]))


def _validate(
    session: Session, data: object, now: datetime, on_entry: Iterable[int] = ()
) -> _CleanInput:
    """Checks everything the modal sent, and reports every problem at once.

    Members must be active, except those in `on_entry` (already on the entry
    being edited): a colleague who has left can stay on a call they joined.

    Raises:
        Invalid: With `field_errors` keyed "type", "occurred_at", "sent_by",
            "sent_to", "subject" and "description".
    """
    if not isinstance(data, CommunicationInput):
        raise Invalid("The form could not be read. Reload the page and try again.")
    errors: dict[str, str] = {}

    kind = data.type
    if not isinstance(kind, str) or kind not in TYPE_LABELS:
        errors["type"] = "Choose a communication type."

    occurred_at = data.occurred_at
    if not _is_aware(occurred_at):
        errors["occurred_at"] = "Enter the date and time it happened."
    elif occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = "The date cannot be in the future."
    elif occurred_at < EARLIEST_DATE:
        errors["occurred_at"] = "The date cannot be before 1990."

    senders: list[_Person] = []
    sender_ids = _unique_ids(data.sent_by_member_ids)
    if sender_ids is None:
        errors["sent_by"] = "Choose the members who sent it."
    elif not sender_ids:
        errors["sent_by"] = "Choose at least one member who sent it."
    elif len(sender_ids) > MAX_PEOPLE:
        errors["sent_by"] = f"Choose at most {MAX_PEOPLE} senders."
    else:
        found = _active_members(session, sender_ids, on_entry)
        if len(found) != len(sender_ids):
            errors["sent_by"] = "Choose senders from the active members."
        senders = [found[i] for i in sender_ids if i in found]

    recipients: list[_Person] = []
    refs = data.sent_to
    if not isinstance(refs, list | tuple) or not all(
        isinstance(r, PersonRef) and r.kind in PERSON_KINDS and _is_id(r.id)
        for r in refs[: MAX_PEOPLE + 1]
    ):
        errors["sent_to"] = "Choose the candidates and members it was sent to."
    else:
        refs = list(dict.fromkeys((r.kind, r.id) for r in refs[: MAX_PEOPLE + 1]))
        if not refs:
            errors["sent_to"] = "Choose at least one recipient."
        elif len(refs) > MAX_PEOPLE:
            errors["sent_to"] = f"Choose at most {MAX_PEOPLE} recipients."
        else:
            people = {
                "candidate": _candidates(session, [i for k, i in refs if k == "candidate"]),
                "member": _active_members(session, [i for k, i in refs if k == "member"], on_entry),
            }
            recipients = [people[k][i] for k, i in refs if i in people[k]]
            if len(recipients) != len(refs):
                errors["sent_to"] = "Choose recipients from the candidates and active members."
            elif not any(p.kind == "candidate" for p in recipients):
                errors["sent_to"] = "Include at least one candidate, so it shows on a profile."

    subject, problem = _check_text(
        data.subject, what="subject", limit=MAX_SUBJECT_LENGTH, single_line=True
    )
    if problem:
        errors["subject"] = problem
    body, problem = _check_text(
        data.description, what="description", limit=MAX_DESCRIPTION_LENGTH, single_line=False
    )
    if problem:
        errors["description"] = problem

    if errors:
        raise Invalid("Check the highlighted fields.", errors)
    return _CleanInput(
        type=kind,
        occurred_at=occurred_at.astimezone(UTC),
        senders=senders,
        recipients=recipients,
        subject=subject,
        body=body,
    )


# -- log, edit, delete ---------------------------------------------------------------


def log_communication(
    *, session: Session, actor_id: int, data: CommunicationInput, now: datetime | None = None
) -> TimelineItem:
    """Logs a communication that happened outside the system (admins only).

    It goes on the timeline of every candidate in Sent To, with the senders as
    FROM and the recipients as TO (their names and addresses as of now), and
    the actor as the member who logged it. Commits.

    Args:
        session: An open session.
        actor_id: The signed-in member (from the server's session, not the browser).
        data: What the modal submitted; checked whole, types included.
        now: The current time (for the future-date check); the clock by default.

    Returns:
        The new entry, as the timeline shows it.

    Raises:
        NotAllowed: The actor is not an active admin.
        Invalid: A field is wrong; `field_errors` names every wrong field.
    """
    now = _now(now)
    with _all_or_nothing(session):
        actor = _require_admin(session, actor_id)
        clean = _validate(session, data, now)
        communication = write_communication(
            session,
            type=CommunicationType(clean.type),
            origin=CommunicationOrigin.LOGGED,
            occurred_at=clean.occurred_at,
            subject=clean.subject,
            body=clean.body,
            participants=clean.participants(),
            logged_by_id=actor.id,
        )
        communication.created_at = communication.updated_at = now
        communication_id = communication.id
        session.commit()
    return _load_item(session, communication_id, _Viewer(actor_id, is_admin=True))


@dataclass(frozen=True)
class _Current:
    """A communication as it was before a change: for the checks and the revision."""

    type: str
    origin: str
    logged_by_id: int | None
    deleted: bool
    version: int


def _current(session: Session, communication_id: object) -> _Current:
    if not _is_id(communication_id):
        raise NotFound("This communication no longer exists.")
    row = session.exec(
        sa.select(
            col(Communication.type),
            col(Communication.origin),
            col(Communication.logged_by_id),
            col(Communication.deleted_at).is_not(None),
            col(Communication.version),
        ).where(Communication.id == communication_id)
    ).first()
    if row is None:
        raise NotFound("This communication no longer exists.")
    return _Current(*row)


def _refuse(current: _Current, actor_id: int, expected_version: int, verb: str) -> None:
    """Raises the reason a change is refused, if there is one; the UPDATE checks it again."""
    if current.deleted:
        raise NotFound("This communication was deleted.")
    if current.origin != CommunicationOrigin.LOGGED.value:
        raise NotAllowed("System-generated communications cannot be edited or deleted.")
    if current.logged_by_id != actor_id:
        raise NotAllowed(f"Only the member who logged this communication can {verb} it.")
    if current.version != expected_version:
        raise Conflict(STALE_VERSION)


def _guarded_update(
    session: Session,
    *,
    communication_id: int,
    actor_id: int,
    expected_version: int,
    verb: str,
    values: dict[str, Any],
) -> None:
    """Changes a communication only if the actor logged it and nobody changed it since.

    The conditions are in the UPDATE itself, so two requests racing each
    other cannot both pass; when it matches nothing, the reason is looked up.
    """
    result = session.exec(
        sa.update(Communication)
        .where(
            col(Communication.id) == communication_id,
            col(Communication.logged_by_id) == actor_id,
            col(Communication.origin) == CommunicationOrigin.LOGGED.value,
            col(Communication.deleted_at).is_(None),
            col(Communication.version) == expected_version,
        )
        .values(version=col(Communication.version) + 1, **values)
    )
    if result.rowcount != 1:
        _refuse(_current(session, communication_id), actor_id, expected_version, verb)
        raise Conflict(STALE_VERSION)


def _check_version(expected_version: object) -> int:
    if not _is_id(expected_version):
        raise Invalid("Reload the page and try again: the version of this entry is missing.")
    return expected_version


def _snapshot(session: Session, communication_id: int) -> dict[str, Any]:
    """The user-visible fields of a communication, as JSON, for a revision."""
    kind, occurred_at, subject, body = session.exec(
        sa.select(
            col(Communication.type),
            col(Communication.occurred_at),
            col(Communication.subject),
            col(Communication.body),
        ).where(Communication.id == communication_id)
    ).one()
    sent_by: list[dict[str, Any]] = []
    sent_to: list[dict[str, Any]] = []
    for p in _participants(session, [communication_id]).get(communication_id, []):
        if p.role == ParticipantRole.FROM.value:
            sent_by.append({"id": p.id or None, "name": p.name})
        else:
            sent_to.append({"kind": p.kind, "id": p.id or None, "name": p.name, "role": p.role})
    return {
        "type": kind,
        "occurred_at": _iso(occurred_at),
        "subject": subject,
        "body": body,
        "sent_by": sent_by,
        "sent_to": sent_to,
    }


def edit_communication(
    *,
    session: Session,
    actor_id: int,
    communication_id: int,
    expected_version: int,
    data: CommunicationInput,
    now: datetime | None = None,
) -> TimelineItem:
    """Changes a logged communication: only its author may, and only from the latest version.

    Replaces its fields, senders and recipients (so it may move between
    timelines), bumps its version and keeps a revision with the fields before
    and after, in one transaction. Recipients the form cannot name (an agency
    contact, a bare address) and the candidate an entry is about are kept.

    Args:
        session: An open session.
        actor_id: The signed-in member.
        communication_id: The entry to change.
        expected_version: The version the editor opened; a newer one is a conflict.
        data: The new contents, checked as for `log_communication`.
        now: The current time; the clock by default.

    Returns:
        The entry as it is now.

    Raises:
        NotAllowed: The actor is not an admin, did not log it, or it is system generated.
        NotFound: No such entry, or it was deleted.
        Conflict: It changed since `expected_version`.
        Invalid: A field is wrong (`field_errors`).
    """
    now = _now(now)
    with _all_or_nothing(session):
        actor = _require_admin(session, actor_id)
        current = _current(session, communication_id)
        version = _check_version(expected_version)
        _refuse(current, actor.id, version, "edit")
        old = _participants(session, [communication_id]).get(communication_id, [])
        clean = _validate(session, data, now, on_entry={p.id for p in old if p.kind == "member"})
        before = _snapshot(session, communication_id)
        old_timeline = session.exec(
            select(TimelineEntry.candidate_id).where(
                TimelineEntry.communication_id == communication_id
            )
        ).all()
        _guarded_update(
            session,
            communication_id=communication_id,
            actor_id=actor.id,
            expected_version=version,
            verb="edit",
            values={
                "type": clean.type,
                "occurred_at": clean.occurred_at,
                "subject": clean.subject,
                "body": clean.body,
                "updated_at": now,
            },
        )
        kept = [
            ParticipantSpec(
                role=ParticipantRole(p.role),
                display_name=p.name,
                email=p.email or None,
                agency_contact_id=p.id if p.kind == "agency_contact" else None,
            )
            for p in old
            if p.role != ParticipantRole.FROM.value and p.kind in ("agency_contact", "address")
        ]
        old_recipients = {p.id for p in old if p.kind == "candidate" and p.role != "from"}
        about = [c for c in old_timeline if c not in old_recipients]
        participants = [*clean.participants(), *kept]
        session.exec(
            sa.delete(CommunicationParticipant).where(
                col(CommunicationParticipant.communication_id) == communication_id
            )
        )
        session.exec(
            sa.delete(TimelineEntry).where(col(TimelineEntry.communication_id) == communication_id)
        )
        communication = session.get(Communication, communication_id)
        add_participants(session, communication, participants)
        session.add_all(
            TimelineEntry(
                candidate_id=candidate_id,
                communication_id=communication_id,
                occurred_at=clean.occurred_at,
                type=clean.type,
                origin=CommunicationOrigin.LOGGED.value,
                event_id=communication.event_id,
            )
            for candidate_id in timeline_candidates(participants, about)
        )
        session.flush()
        session.add(
            CommunicationRevision(
                communication_id=communication_id,
                action=RevisionAction.EDIT.value,
                actor_id=actor.id,
                created_at=now,
                before=before,
                after=_snapshot(session, communication_id),
            )
        )
        session.commit()
    return _load_item(session, communication_id, _Viewer(actor_id, is_admin=True))


def delete_communication(
    *,
    session: Session,
    actor_id: int,
    communication_id: int,
    expected_version: int,
    now: datetime | None = None,
) -> None:
    """Deletes a logged communication from every timeline; only its author may.

    The record stays (marked deleted, with its participants) and a revision
    keeps what it said. Same rules as `edit_communication`. Commits.

    Raises:
        NotAllowed: The actor is not an admin, did not log it, or it is system generated.
        NotFound: No such entry, or it was already deleted.
        Conflict: It changed since `expected_version`.
    """
    now = _now(now)
    with _all_or_nothing(session):
        actor = _require_admin(session, actor_id)
        current = _current(session, communication_id)
        version = _check_version(expected_version)
        _refuse(current, actor.id, version, "delete")
        before = _snapshot(session, communication_id)
        _guarded_update(
            session,
            communication_id=communication_id,
            actor_id=actor.id,
            expected_version=version,
            verb="delete",
            values={"deleted_at": now, "updated_at": now},
        )
        session.exec(
            sa.delete(TimelineEntry).where(col(TimelineEntry.communication_id) == communication_id)
        )
        session.add(
            CommunicationRevision(
                communication_id=communication_id,
                action=RevisionAction.DELETE.value,
                actor_id=actor.id,
                created_at=now,
                before=before,
                after=None,
            )
        )
        session.commit()


# -- reading: items ----------------------------------------------------------------


def _with_names(source: sa.FromClause) -> sa.Join:
    """Joins what an item shows by name: who logged or triggered it, its job or event."""
    return (
        source.outerjoin(_LOGGED_BY, _LOGGED_BY.c.id == _C.c.logged_by_id)
        .outerjoin(_TRIGGERED_BY, _TRIGGERED_BY.c.id == _C.c.triggered_by_id)
        .outerjoin(_JOB, _JOB.c.id == _C.c.job_id)
        .outerjoin(_EVENT, _EVENT.c.id == _C.c.event_id)
    )


def _delivery_status() -> Any:
    """The status of a communication's latest outbox row (None for a logged entry)."""
    return (
        sa.select(_OUTBOX.c.status)
        .where(_OUTBOX.c.communication_id == _C.c.id)
        .order_by(_OUTBOX.c.id.desc())
        .limit(1)
        .correlate(_C)
        .scalar_subquery()
    )


def _item_columns(occurred_at: Any = _C.c.occurred_at) -> list[Any]:
    """What an item shows: the communication, the names it mentions, its delivery status."""
    return [
        _C.c.id,
        _C.c.version,
        _C.c.type,
        _C.c.origin,
        _C.c.email_kind,
        occurred_at,
        _C.c.subject,
        _C.c.body,
        _C.c.logged_by_id,
        _LOGGED_BY.c.name,
        _TRIGGERED_BY.c.name,
        _C.c.trigger,
        _JOB.c.name,
        _EVENT.c.name,
        _delivery_status(),
        _C.c.event_id,
    ]


_ITEM_WIDTH = 16
"""How many columns `_item_columns` has; a page row has more after them."""
_OCCURRED_AT = 5


_ONE_ITEM = (
    sa.select(*_item_columns())
    .select_from(_with_names(_C))
    .where(_C.c.id == sa.bindparam("communication_id"), _C.c.deleted_at.is_(None))
)

_PARTICIPANT_COLUMNS = (
    _P.c.role,
    _P.c.position,
    _P.c.display_name,
    sa.func.coalesce(_P.c.email, sa.literal_column("''")),
    sa.case(
        (_P.c.member_id.is_not(None), sa.literal_column("'member'")),
        (_P.c.candidate_id.is_not(None), sa.literal_column("'candidate'")),
        (_P.c.agency_contact_id.is_not(None), sa.literal_column("'agency_contact'")),
        else_=sa.literal_column("'address'"),
    ),
    sa.func.coalesce(
        _P.c.member_id, _P.c.candidate_id, _P.c.agency_contact_id, sa.literal_column("0")
    ),
)
"""A participant, in a row or in a JSON array: its role and position, then the
name, email, kind and id of its `ParticipantView` (the person it is, or a bare
address with id 0)."""

_PARTICIPANTS = (
    sa.select(_P.c.communication_id, *_PARTICIPANT_COLUMNS)
    .where(_P.c.communication_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_P.c.communication_id, _P.c.role, _P.c.position)
)


def _people_json(dialect: str) -> Any:
    """A communication's participants as JSON text: an array of `_PARTICIPANT_COLUMNS` arrays.

    Fetched with the page, so that a page is one statement; in no promised
    order (`_by_role` sorts them). Text on both backends, parsed by `_by_role`.
    """
    if dialect == "postgresql":
        aggregate = sa.cast(
            sa.func.json_agg(sa.func.json_build_array(*_PARTICIPANT_COLUMNS)), sa.Text
        )
    else:
        aggregate = sa.func.json_group_array(sa.func.json_array(*_PARTICIPANT_COLUMNS))
    return (
        sa.select(sa.type_coerce(aggregate, sa.Text))
        .where(_P.c.communication_id == _C.c.id)
        .correlate(_C)
        .scalar_subquery()
    )


_ROLE_AND_POSITION = itemgetter(0, 1)
_JSON = json.JSONDecoder()


def _by_role(
    people: Sequence[Sequence[Any]] | str | None,
) -> tuple[
    list[ParticipantView], list[ParticipantView], list[ParticipantView], list[ParticipantView]
]:
    """Participants (`_PARTICIPANT_COLUMNS` each, or `_people_json`): from, to, cc, bcc.

    Each list in the participants' order within their role.
    """
    sent_by: list[ParticipantView] = []
    to: list[ParticipantView] = []
    cc: list[ParticipantView] = []
    bcc: list[ParticipantView] = []
    if not people:
        return sent_by, to, cc, bcc
    if isinstance(people, str):
        people = _JSON.raw_decode(people)[0]  # half of `json.loads`: no checks around it
    if len(people) > 1:
        people = sorted(people, key=_ROLE_AND_POSITION)
    lists = {"from": sent_by, "to": to, "cc": cc, "bcc": bcc}
    for role, _position, name, email, kind, person_id in people:
        lists[role].append(ParticipantView(name, email, role, kind, person_id))
    return sent_by, to, cc, bcc


def _participants(session: Session, ids: Sequence[int]) -> dict[int, list[ParticipantView]]:
    """The participants of some communications, in one query, by communication and role."""
    if not ids:
        return {}
    found: dict[int, list[ParticipantView]] = {}
    rows = _read(session, _PARTICIPANTS, {"ids": list(ids)}).all()
    for communication_id, role, _position, name, email, kind, person_id in rows:
        found.setdefault(communication_id, []).append(
            ParticipantView(name, email, role, kind, person_id)
        )
    return found


_SYSTEM = CommunicationOrigin.SYSTEM.value
_ADMIN = MemberRole.ADMIN.value


def _item(
    row: Sequence[Any],
    people: Sequence[Sequence[Any]] | str | None,
    viewer: _Viewer,
    thread_count: int = 0,
) -> TimelineItem:
    """An item from a row of `_item_columns` and its participants (see `_by_role`).

    Built by the hundred for every page: the item's fields are passed in
    their order (about half the time of naming each), each marked with its name.
    """
    (
        communication_id,
        version,
        kind,
        origin,
        email_kind,
        occurred_at,
        subject,
        body,
        logged_by_id,
        logged_by_name,
        triggered_by_name,
        trigger,
        job_name,
        event_name,
        delivery,
        event_id,
    ) = row[:_ITEM_WIDTH]
    sent_by, to, cc, bcc = _by_role(people)
    is_system = origin == _SYSTEM
    if job_name is not None:
        context_label, context_kind = job_name, "job"
    elif event_name is not None:
        context_label, context_kind = event_name, "event"
    else:
        context_label, context_kind = "", ""
    return TimelineItem(
        communication_id,  # id
        version,  # version
        kind,  # type
        TYPE_LABELS.get(kind) or kind.replace("_", " ").title(),  # type_label
        TYPE_ICONS.get(kind, "circle-help"),  # type_icon
        origin,  # origin
        is_system,  # is_system
        email_kind or "",  # email_kind
        EMAIL_KIND_LABELS.get(email_kind or "", ""),  # email_kind_label
        _iso(occurred_at),  # occurred_at_iso
        subject,  # subject
        body,  # body
        sent_by,  # sent_by
        to,  # to
        cc,  # cc
        bcc,  # bcc
        context_label,  # context_label
        context_kind,  # context_kind
        logged_by_id or 0,  # logged_by_id
        logged_by_name or "",  # logged_by_name
        triggered_by_name or "",  # triggered_by_name
        trigger or "",  # trigger
        (delivery or "") if is_system else "",  # delivery_status
        not is_system and version > 1,  # is_edited
        (  # can_edit
            not is_system
            and viewer.is_admin
            and logged_by_id is not None
            and logged_by_id == viewer.id
        ),
        event_id or 0,  # event_id
        thread_count if event_id is not None else 0,  # thread_count
    )


def _load_item(session: Session, communication_id: int, viewer: _Viewer) -> TimelineItem:
    row = _read(session, _ONE_ITEM, {"communication_id": communication_id}).first()
    if row is None:
        raise NotFound("This communication no longer exists.")
    people = _read(session, _PARTICIPANTS, {"ids": [communication_id]}).all()
    return _item(row, [person[1:] for person in people], viewer)


def get_communication(*, session: Session, communication_id: int, viewer_id: int) -> TimelineItem:
    """One communication, as the timeline shows it, for an active member.

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: No such communication, or it was deleted.
    """
    viewer = _viewer(session, viewer_id)
    if not _is_id(communication_id):
        raise NotFound("This communication no longer exists.")
    return _load_item(session, communication_id, viewer)


# -- reading: revisions ----------------------------------------------------------------


def _quote(value: str, limit: int = 80) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"'{text}'"


def _when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _names(people: object) -> str:
    if not isinstance(people, list):
        return ""
    return ", ".join(
        f"{p.get('name', '')}{_ROLE_LABELS.get(p.get('role', 'to'), '')}"
        for p in people
        if isinstance(p, dict)
    )


def describe_changes(before: dict[str, Any], after: dict[str, Any] | None) -> list[str]:
    """What an edit changed, for people: ["Subject: 'a' → 'b'", ...]; empty for a delete."""
    if after is None:
        return []
    changes: list[str] = []

    def pair(label: str, old: str, new: str) -> None:
        if old != new:
            changes.append(f"{label}: {_quote(old)} → {_quote(new)}")

    pair(
        "Type",
        TYPE_LABELS.get(before.get("type", ""), str(before.get("type", ""))),
        TYPE_LABELS.get(after.get("type", ""), str(after.get("type", ""))),
    )
    pair("Date", _when(before.get("occurred_at", "")), _when(after.get("occurred_at", "")))
    pair("Sent by", _names(before.get("sent_by")), _names(after.get("sent_by")))
    pair("Sent to", _names(before.get("sent_to")), _names(after.get("sent_to")))
    pair("Subject", str(before.get("subject", "")), str(after.get("subject", "")))
    pair("Description", str(before.get("body", "")), str(after.get("body", "")))
    return changes


def list_revisions(
    *, session: Session, communication_id: int, viewer_id: int
) -> list[RevisionView]:
    """The edits and the delete of a communication, newest first (kept after a delete).

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: No such communication.
    """
    _viewer(session, viewer_id)
    if (
        not _is_id(communication_id)
        or session.exec(
            select(Communication.id).where(Communication.id == communication_id)
        ).first()
        is None
    ):
        raise NotFound("This communication no longer exists.")
    rows = session.exec(
        sa.select(CommunicationRevision, col(Member.name))
        .join(Member, col(Member.id) == col(CommunicationRevision.actor_id))
        .where(col(CommunicationRevision.communication_id) == communication_id)
        .order_by(
            col(CommunicationRevision.created_at).desc(), col(CommunicationRevision.id).desc()
        )
    ).all()
    return [
        RevisionView(
            id=revision.id,
            action=revision.action,
            action_label="Deleted" if revision.action == RevisionAction.DELETE.value else "Edited",
            actor_id=revision.actor_id,
            actor_name=actor_name,
            created_at_iso=_iso(revision.created_at),
            changes=describe_changes(revision.before or {}, revision.after),
        )
        for revision, actor_name in rows
    ]


# -- reading: the timeline ---------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """Which filters a timeline statement has; one cached statement per shape."""

    types: int  # how many types are chosen: one bound value each
    origin: bool
    date_from: bool
    date_to: bool
    person: str  # "", "member" or "candidate"
    words: int
    after: bool

    @property
    def filtered(self) -> bool:
        """Whether anything but the candidate narrows the entries."""
        return bool(
            self.types or self.origin or self.date_from or self.date_to or self.person or self.words
        )


@dataclass(frozen=True)
class _CleanFilters:
    types: tuple[str, ...]
    origin: str
    date_from: datetime | None
    date_to: datetime | None
    person: tuple[str, int] | None
    words: tuple[str, ...]

    def shape(self, *, after: bool = False) -> _Shape:
        return _Shape(
            types=len(self.types),
            origin=bool(self.origin),
            date_from=self.date_from is not None,
            date_to=self.date_to is not None,
            person=self.person[0] if self.person else "",
            words=len(self.words),
            after=after,
        )

    def params(self, candidate_id: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "candidate_id": candidate_id,
            **{f"type_{i}": kind for i, kind in enumerate(self.types)},
            "origin": self.origin,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "person_id": self.person[1] if self.person else None,
        }
        for i, word in enumerate(self.words):
            params[f"word_{i}"] = _like_pattern(word)
        return params


def _clean_filters(filters: object) -> _CleanFilters:
    if not isinstance(filters, TimelineFilters):
        raise Invalid("The filters could not be read. Reload the page and try again.")
    errors: dict[str, str] = {}
    types = filters.types
    if not isinstance(types, list | tuple) or not all(
        isinstance(t, str) and t in TYPE_LABELS for t in types
    ):
        errors["types"] = "Choose types from the list."
        types = ()
    if filters.origin not in ("", *ORIGIN_LABELS):
        errors["origin"] = "Choose logged, system generated, or both."
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value is not None and not _is_aware(value):
            errors[name] = "Enter a date."
    if (
        "date_from" not in errors
        and "date_to" not in errors
        and filters.date_from is not None
        and filters.date_to is not None
        and filters.date_from > filters.date_to
    ):
        errors["date_to"] = "The end date is before the start date."
    person = filters.person
    if person is not None and not (
        isinstance(person, PersonRef) and person.kind in PERSON_KINDS and _is_id(person.id)
    ):
        errors["person"] = "Choose a person from the list."
    search = filters.search
    if not isinstance(search, str):
        errors["search"] = "Enter words to search for."
    elif len(search) > MAX_SEARCH_LENGTH:
        errors["search"] = f"Search for at most {MAX_SEARCH_LENGTH} characters."
    elif "\x00" in search:
        errors["search"] = "The search contains a character that cannot be searched for."
    if errors:
        raise Invalid("Check the filters.", errors)
    return _CleanFilters(
        types=tuple(dict.fromkeys(types)),
        origin=filters.origin,
        date_from=filters.date_from,
        date_to=filters.date_to,
        person=(person.kind, person.id) if person is not None else None,
        words=tuple(search.split()),
    )


def _conditions(shape: _Shape, *, with_types: bool) -> tuple[list[Any], bool]:
    """The WHERE of a timeline statement, and whether it needs `communication` joined."""
    te = _TE.c
    clauses: list[Any] = [te.candidate_id == sa.bindparam("candidate_id")]
    needs_communication = False
    if with_types and shape.types:
        clauses.append(te.type.in_([sa.bindparam(f"type_{i}") for i in range(shape.types)]))
    if shape.origin:
        clauses.append(te.origin == sa.bindparam("origin"))
    if shape.date_from:
        clauses.append(te.occurred_at >= sa.bindparam("date_from"))
    if shape.date_to:
        clauses.append(te.occurred_at <= sa.bindparam("date_to"))
    if shape.person:
        person_id = sa.bindparam("person_id", type_=sa.Integer())
        in_role = _P.c.member_id if shape.person == "member" else _P.c.candidate_id
        took_part = sa.exists().where(
            _P.c.communication_id == te.communication_id, in_role == person_id
        )
        if shape.person == "member":
            clauses.append(sa.or_(_C.c.logged_by_id == person_id, took_part))
            needs_communication = True
        else:
            # A candidate an email was about (Diana, for the email to Bill) counts too.
            on_their_timeline = sa.exists().where(
                _OTHER_TE.c.candidate_id == person_id,
                _OTHER_TE.c.communication_id == te.communication_id,
            )
            clauses.append(sa.or_(took_part, on_their_timeline))
    for i in range(shape.words):
        pattern = sa.bindparam(f"word_{i}", type_=sa.String())
        clauses.append(
            sa.or_(
                _C.c.subject.ilike(pattern, escape="\\"),
                _C.c.body.ilike(pattern, escape="\\"),
            )
        )
        needs_communication = True
    return clauses, needs_communication


def _thread_size() -> Any:
    """How many entries of this timeline share the entry's event (0 without one).

    A count over `ix_timeline_event`: a thread's few rows, whatever the
    timeline's size. Unfiltered: a thread is all of them.
    """
    return (
        sa.select(sa.func.count())
        .where(
            _THREAD_TE.c.candidate_id == _TE.c.candidate_id,
            # The communication's copy: the entry's own is the same, but
            # reading it would take the page walk off the index.
            _THREAD_TE.c.event_id == _C.c.event_id,
        )
        .correlate(_TE, _C)
        .scalar_subquery()
    )


_PEOPLE = _ITEM_WIDTH
_THREAD_SIZE = _ITEM_WIDTH + 1
_VIEWER_ROLE = _ITEM_WIDTH + 2


@lru_cache(maxsize=256)
def _page_statement(shape: _Shape, dialect: str) -> sa.Select:
    """Newest first: one backward walk of ix_timeline_page from the cursor.

    Each row is an item (`_item_columns`, the time from the timeline entry,
    which the cursor is made of), its participants (`_people_json`), the
    size of its event thread (`_thread_size`) and the viewer's role: the
    whole page in one round trip.
    """
    clauses, _ = _conditions(shape, with_types=True)
    if shape.after:
        clauses.append(
            sa.tuple_(_TE.c.occurred_at, _TE.c.communication_id)
            < sa.tuple_(
                sa.bindparam("after_at", type_=UTCDateTime()),
                sa.bindparam("after_id", type_=sa.Integer()),
            )
        )
    source = _with_names(_TE.join(_C, _C.c.id == _TE.c.communication_id))
    # The viewer's role rides along, so that a page is one round trip; no role
    # (not an active member) and the rows are thrown away unread.
    viewer_role = (
        sa.select(_M.c.role)
        .where(_M.c.id == sa.bindparam("viewer_id"), _M.c.is_active.is_(True))
        .scalar_subquery()
    )
    return (
        sa.select(
            *_item_columns(_TE.c.occurred_at), _people_json(dialect), _thread_size(), viewer_role
        )
        .select_from(source)
        .where(*clauses)
        .order_by(_TE.c.occurred_at.desc(), _TE.c.communication_id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


@lru_cache(maxsize=256)
def _prepared_page(shape: _Shape, dialect: sa.Dialect) -> Prepared:
    """`_page_statement`, compiled once per shape and engine (see `prepared`)."""
    return prepare(_page_statement(shape, dialect.name), dialect)


@lru_cache(maxsize=256)
def _count_statement(shape: _Shape) -> sa.Select:
    """Entries per type under every filter but the type filter: one grouped query."""
    clauses, needs_communication = _conditions(shape, with_types=False)
    source: sa.FromClause = _TE
    if needs_communication:
        source = _TE.join(_C, _C.c.id == _TE.c.communication_id)
    return (
        sa.select(_TE.c.type, sa.func.count())
        .select_from(source)
        .where(*clauses)
        .group_by(_TE.c.type)
    )


def _encode_cursor(occurred_at: datetime, communication_id: int) -> str:
    raw = json.dumps([_iso(occurred_at), communication_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: object) -> tuple[datetime, int]:
    if not isinstance(cursor, str) or not cursor or len(cursor) > 200:
        raise Invalid(BAD_CURSOR)
    try:
        iso, communication_id = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        moment = datetime.fromisoformat(iso)
        if moment.utcoffset() is None or not _is_id(communication_id):
            raise ValueError(cursor)
        return moment.astimezone(UTC), communication_id
    except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
        raise Invalid(BAD_CURSOR) from exc


def _type_counts(session: Session, candidate_id: int, filters: _CleanFilters) -> TimelineCounts:
    rows = _read(session, _count_statement(filters.shape()), filters.params(candidate_id))
    counts = dict(rows.all())
    chosen = filters.types or tuple(counts)
    return TimelineCounts(
        type_counts=[
            TypeCount(type=t, label=label, count=counts.get(t, 0))
            for t, label in TYPE_LABELS.items()
        ],
        total=sum(counts.get(t, 0) for t in chosen),
    )


def _plan_for_these_values(session: Session) -> None:
    """PostgreSQL, for a filtered page: plan for the actual values, joins in written order.

    One candidate's timeline can be a thousand times another's. The generic
    plan the driver's prepared statement settles on is sized for the average
    timeline, and with a filter on it reads and sorts the whole of a big one
    (40 ms instead of 2 at 10,000 entries); a plan made for the values walks
    the index. Keeping the joins in written order (timeline first) keeps the
    planning of each query cheap. Both settings end with the transaction.
    """
    session.connection().exec_driver_sql(
        "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
        " set_config('join_collapse_limit', '1', true)"
    )


def _pages(
    session: Session,
    candidate_id: int,
    filters: _CleanFilters,
    after: tuple[datetime, int] | None,
    limit: int,
    viewer_id: int,
) -> tuple[list[TimelineItem], tuple[datetime, int] | None]:
    """One page of items, and the key of its last row when more follow.

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: The page is empty because there is no such candidate.
    """
    params = filters.params(candidate_id)
    params["limit"] = limit + 1
    params["viewer_id"] = viewer_id
    if after is not None:
        params["after_at"], params["after_id"] = after
    shape = filters.shape(after=after is not None)
    dialect = session.get_bind().dialect
    if shape.filtered and dialect.name == "postgresql":
        _plan_for_these_values(session)
    rows = _prepared_page(shape, dialect).all(session, params)
    if not rows:
        _viewer(session, viewer_id, candidate_id)  # says why, if it is not just empty
        return [], None
    role = rows[0][_VIEWER_ROLE]
    if role is None:
        raise NotAllowed("Sign in to see communications.")
    viewer = _Viewer(id=viewer_id, is_admin=role == _ADMIN)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_item(row, row[_PEOPLE], viewer, row[_THREAD_SIZE]) for row in rows]
    last = (rows[-1][_OCCURRED_AT], rows[-1][0]) if more else None
    return items, last


def _checked_page_args(
    limit: object, filters: object, after: object
) -> tuple[_CleanFilters, tuple[datetime, int] | None]:
    if not _is_id(limit) or limit > MAX_PAGE_SIZE:
        raise Invalid(f"Page size must be between 1 and {MAX_PAGE_SIZE}.")
    clean = _clean_filters(filters)
    return clean, _decode_cursor(after) if after is not None else None


def list_timeline(
    *,
    session: Session,
    candidate_id: int,
    filters: TimelineFilters,
    after: str | None = None,
    limit: int = 25,
    viewer_id: int,
    with_counts: bool = True,
) -> TimelinePage:
    """A page of a candidate's communications, newest first, filtered.

    One query walks `ix_timeline_page` backwards from the cursor, with, for
    each entry, the names it mentions, its participants and the size of its
    event thread on this timeline (`thread_count`, unfiltered: a thread is
    all of them), and the viewer's role: its cost is the page's, whatever
    the timeline's size. The counts are one grouped query over the
    candidate's entries, so their cost grows with the timeline (tens of
    milliseconds at 10,000 entries, against about one for the page): ask
    for every page with `with_counts=False`, and for the first page's
    counts with `count_timeline` once the page is shown.

    Args:
        session: An open session.
        candidate_id: Whose timeline.
        filters: Types, origin, date range, person and search words.
        after: `next_cursor` of the previous page; None for the first page.
        limit: Entries per page, 1 to 50.
        viewer_id: The signed-in member (decides `can_edit`).
        with_counts: Whether to count entries per type and in total.

    Returns:
        The page, with the cursor of the next one (None at the end).

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: No such candidate.
        Invalid: A bad filter (`field_errors`), limit or cursor.
    """
    if not _is_id(viewer_id):
        raise NotAllowed("Sign in to see communications.")
    if not _is_id(candidate_id):
        _viewer(session, viewer_id)
        raise NotFound("This candidate does not exist.")
    clean, key = _checked_page_args(limit, filters, after)
    items, last = _pages(session, candidate_id, clean, key, limit, viewer_id)
    counts = _type_counts(session, candidate_id, clean) if with_counts else None
    return TimelinePage(
        items=items,
        next_cursor=_encode_cursor(*last) if last else None,
        type_counts=counts.type_counts if counts else [],
        total=counts.total if counts else None,
    )


def count_timeline(
    *, session: Session, candidate_id: int, filters: TimelineFilters, viewer_id: int
) -> TimelineCounts:
    """The filter chips' numbers: entries per type (ignoring the type filter), and the total.

    The same numbers `list_timeline` gives with `with_counts=True`, on their
    own, so that a page can show its entries first and its counts after.

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: No such candidate.
        Invalid: A bad filter.
    """
    _checked_viewer(session, viewer_id, candidate_id)
    return _type_counts(session, candidate_id, _clean_filters(filters))


# -- event threads ----------------------------------------------------------------------

_THREAD = (
    sa.select(
        _C.c.id,
        _C.c.type,
        _C.c.origin,
        _C.c.email_kind,
        _C.c.subject,
        _delivery_status(),
        _TE.c.occurred_at,
    )
    .select_from(_TE.join(_C, _C.c.id == _TE.c.communication_id))
    .where(
        _TE.c.candidate_id == sa.bindparam("candidate_id"),
        _TE.c.event_id == sa.bindparam("event_id"),
    )
    .order_by(_TE.c.occurred_at, _TE.c.communication_id)
    .limit(MAX_THREAD_LENGTH)
)
_EVENT_EXISTS = sa.select(_EVENT.c.id).where(_EVENT.c.id == sa.bindparam("event_id"))


def list_event_thread(
    *, session: Session, candidate_id: int, event_id: int, viewer_id: int
) -> list[EventThreadEntry]:
    """A candidate's communications about one outreach event, oldest first.

    The thread a recruiter reads: registration confirmation, approval,
    updates, reminder, follow-up. Only entries still on the candidate's
    timeline (a deleted one is not); at most `MAX_THREAD_LENGTH`, the oldest.

    Args:
        session: An open session.
        candidate_id: Whose timeline.
        event_id: The outreach event.
        viewer_id: The signed-in member (any active member may read).

    Returns:
        The entries, oldest first; empty if the candidate has none for it.

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: No such candidate, or no such event.
    """
    _checked_viewer(session, viewer_id, candidate_id)
    if not _is_id(event_id):
        raise NotFound("This event does not exist.")
    params = {"candidate_id": candidate_id, "event_id": event_id}
    rows = _read(session, _THREAD, params).all()
    if not rows and _read(session, _EVENT_EXISTS, params).first() is None:
        raise NotFound("This event does not exist.")
    return [
        EventThreadEntry(
            id=communication_id,
            label=EMAIL_KIND_LABELS.get(email_kind or "")
            or TYPE_LABELS.get(kind, kind.replace("_", " ").title()),
            subject=subject,
            occurred_at_iso=_iso(occurred_at),
            delivery_status=(delivery or "") if origin == CommunicationOrigin.SYSTEM.value else "",
            origin=origin,
        )
        for communication_id, kind, origin, email_kind, subject, delivery, occurred_at in rows
    ]


# -- export ---------------------------------------------------------------------------------


def _csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _people_cell(people: Sequence[ParticipantView]) -> str:
    return "; ".join(
        f"{p.name} <{p.email}>" if p.email and p.email != p.name else p.name or p.email
        for p in people
    )


def export_timeline_csv(
    *, session: Session, candidate_id: int, filters: TimelineFilters, viewer_id: int
) -> str:
    """Every entry of a candidate's timeline that matches the filters, as CSV, newest first.

    Reads the timeline a page at a time (the keyset query of `list_timeline`).
    A cell that starts with =, +, -, @, a tab or a carriage return gets a
    leading single quote, so a spreadsheet shows it instead of running it.

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: No such candidate.
        Invalid: A bad filter.
    """
    _checked_viewer(session, viewer_id, candidate_id)
    clean = _clean_filters(filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    key: tuple[datetime, int] | None = None
    while True:
        items, key = _pages(session, candidate_id, clean, key, EXPORT_PAGE_SIZE, viewer_id)
        for item in items:
            logged_by = item.logged_by_name
            if item.is_system and item.triggered_by_name:
                logged_by = f"System (triggered by {item.triggered_by_name})"
            writer.writerow(
                _csv_cell(cell)
                for cell in (
                    item.occurred_at_iso,
                    item.type_label,
                    ORIGIN_LABELS.get(item.origin, item.origin),
                    item.subject,
                    _people_cell(item.sent_by),
                    _people_cell(item.to),
                    _people_cell(item.cc),
                    _people_cell(item.bcc),
                    item.context_label,
                    logged_by,
                    item.body,
                )
            )
        if key is None:
            return out.getvalue()


# -- the modal's pickers ----------------------------------------------------------------------


def member_and_candidate_options(
    *,
    session: Session,
    query: str,
    limit: int = 10,
    kinds: Sequence[str] = PERSON_KINDS,
) -> list[PersonOption]:
    """Candidates and active members whose name or email has every word of `query`.

    Args:
        session: An open session.
        query: What was typed (empty: the first people by name).
        limit: How many options of each kind, 1 to 50.
        kinds: "candidate" and/or "member" (Sent By asks for members only).

    Returns:
        Candidates first (by last name), then members (by name), at most
        `limit` of each, so the picker can show them in two groups.

    Raises:
        Invalid: A query over 100 characters, a bad limit or kind.
    """
    if not isinstance(query, str) or len(query) > MAX_SEARCH_LENGTH or "\x00" in query:
        raise Invalid(f"Search for at most {MAX_SEARCH_LENGTH} characters.")
    if not _is_id(limit) or limit > MAX_PAGE_SIZE:
        raise Invalid(f"Ask for between 1 and {MAX_PAGE_SIZE} options.")
    if not isinstance(kinds, list | tuple) or not all(
        isinstance(k, str) and k in PERSON_KINDS for k in kinds
    ):
        raise Invalid("Ask for candidates and/or members.")
    patterns = [_like_pattern(word) for word in query.split()]

    def matching(*columns: Any) -> list[Any]:
        return [sa.or_(*(c.ilike(p, escape="\\") for c in columns)) for p in patterns]

    options: list[PersonOption] = []
    if "candidate" in kinds:
        c = _CANDIDATE.c
        rows = _read(
            session,
            sa.select(c.id, c.first_name, c.last_name, c.email)
            .where(*matching(c.first_name + " " + c.last_name, c.email))
            .order_by(c.last_name, c.first_name, c.id)
            .limit(limit),
            {},
        )
        options += [
            PersonOption(kind="candidate", id=i, name=f"{first} {last}", email=email)
            for i, first, last, email in rows
        ]
    if "member" in kinds:
        m = _M.c
        rows = _read(
            session,
            sa.select(m.id, m.name, m.email)
            .where(m.is_active.is_(True), *matching(m.name, m.email))
            .order_by(m.name, m.id)
            .limit(limit),
            {},
        )
        options += [PersonOption(kind="member", id=i, name=n, email=e) for i, n, e in rows]
    return options
