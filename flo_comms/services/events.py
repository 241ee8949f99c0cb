"""Outreach events: the list, the event page, and everything an admin or a candidate does there.

Admins create, edit and delete events; add registrants (existing candidates,
or new ones); approve or deny them in Quick Review (invite-only events);
create and delete virtual-chat time slots and put registrants in them; take
registrants off the event. Candidates register through the event's public
link. Every email this causes is written by `event_emails`, in the same
transaction as the change, following the rules of `event_rules`; bulk sends
(updates when the details change, final schedule, reminder, follow-up) are
batches the caller then runs (`event_emails.run_batch`).

Actions on several registrants give each one a transaction of its own, so
one failure keeps nothing of that registrant and does not stop the rest.
Every argument is checked here: they arrive from event handlers.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from flo_comms.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from flo_comms.models import (
    Candidate,
    CandidateSource,
    ClassYear,
    EmailKind,
    EventEmailBatch,
    EventRegistration,
    EventSlotAssignment,
    EventTimeSlot,
    EventType,
    HeldBackEmail,
    JoinedVia,
    Member,
    OutreachEvent,
    ReviewState,
)
from flo_comms.schemas import (
    BatchRow,
    CandidateChoice,
    EventActionReport,
    EventActionResult,
    EventDetail,
    EventRow,
    HeldBackRow,
    PublicEventView,
    RegistrantRow,
    RegistrationOutcome,
    SlotRow,
)
from flo_comms.services.auth import require_member
from flo_comms.services.event_emails import (
    MANUAL_SENDS,
    EventFacts,
    Recipient,
    create_batch,
    event_by_slug,
    kind_label,
    load_event,
    load_recipients,
    long_date,
    registration_link,
    send_event_email,
    send_or_hold,
    send_refusal,
    slot_text,
    time_span,
)
from flo_comms.services.event_rules import (
    EVENT_DELETED,
    EVENT_TYPE_LABELS,
    JOINED_VIA_LABELS,
    confirmation_kind,
    initial_review_state,
)
from flo_comms.services.job_emails import Actor, admin_actor, checked_now, is_id

logger = logging.getLogger(__name__)

MAX_REGISTRANTS_SHOWN = 500
MAX_HELD_BACK_SHOWN = 100
MAX_AT_ONCE = 500
"""Registrants one action may cover."""
MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_LOCATION = 300
MAX_LINK = 500
MAX_EVENT_LENGTH = timedelta(days=14)
MAX_SLOT_CAPACITY = 50

_UNEXPECTED = "Something went wrong, so nothing was changed for this person. Try again."
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_LINK = re.compile(r"https?://[^\s<>\"]+")
_DELETED = "This event was deleted, so it can no longer be changed."
EVENT_CHANGED = (
    "Someone else saved this event since you opened the form, so nothing was saved. "
    "Close the form and open it again to see their changes."
)

_EVENT = OutreachEvent.__table__
_REG = EventRegistration.__table__
_CANDIDATE = Candidate.__table__
_SLOT = EventTimeSlot.__table__
_ASSIGN = EventSlotAssignment.__table__
_BATCH = EventEmailBatch.__table__
_HELD = HeldBackEmail.__table__
_MEMBER = Member.__table__


_NAME_COLUMNS = (_CANDIDATE.c.id, _CANDIDATE.c.first_name, _CANDIDATE.c.last_name)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


# --- the list -----------------------------------------------------------------------------------


def _count_state(state: ReviewState) -> sa.ColumnElement[int]:
    return func.coalesce(
        func.sum(sa.case((col(EventRegistration.review_state) == state.value, 1), else_=0)), 0
    )


def list_events(*, session: Session) -> list[EventRow]:
    """Events not deleted, soonest first, with registrants counted by Quick Review state."""
    active = sa.and_(
        col(EventRegistration.event_id) == col(OutreachEvent.id),
        col(EventRegistration.removed_at).is_(None),
    )
    query = (
        select(
            OutreachEvent,
            func.count(col(EventRegistration.id)),
            _count_state(ReviewState.PENDING),
            _count_state(ReviewState.APPROVED),
            _count_state(ReviewState.DENIED),
        )
        .outerjoin(EventRegistration, active)
        .where(col(OutreachEvent.deleted_at).is_(None))
        .group_by(col(OutreachEvent.id))
        .order_by(col(OutreachEvent.starts_at), col(OutreachEvent.id))
    )
    return [
        EventRow(
            id=event.id,
            name=event.name,
            type_label=EVENT_TYPE_LABELS.get(event.type, event.type),
            access_label="Invite-only" if event.invite_only else "Open",
            starts_at_iso=event.starts_at.isoformat(),
            registrants=total,
            pending=pending,
            approved=approved,
            denied=denied,
        )
        for event, total, pending, approved, denied in session.exec(query)
    ]


# --- the event page ---------------------------------------------------------------------------


def _registrants(session: Session, event_id: int) -> tuple[list[RegistrantRow], int]:
    live = sa.and_(_ASSIGN.c.registration_id == _REG.c.id, _ASSIGN.c.removed_at.is_(None))
    query = (
        sa.select(
            _REG.c.id,
            _REG.c.candidate_id,
            _REG.c.joined_via,
            _REG.c.review_state,
            _REG.c.registered_at,
            _CANDIDATE.c.first_name,
            _CANDIDATE.c.last_name,
            _CANDIDATE.c.email,
            _CANDIDATE.c.law_school,
            _CANDIDATE.c.class_year,
            _SLOT.c.id.label("slot_id"),
            _SLOT.c.starts_at.label("slot_starts_at"),
            _SLOT.c.ends_at.label("slot_ends_at"),
        )
        .select_from(_REG)
        .join(_CANDIDATE, _CANDIDATE.c.id == _REG.c.candidate_id)
        .outerjoin(_ASSIGN, live)
        .outerjoin(_SLOT, sa.and_(_SLOT.c.id == _ASSIGN.c.slot_id, _SLOT.c.deleted_at.is_(None)))
        .where(_REG.c.event_id == event_id, _REG.c.removed_at.is_(None))
        .order_by(_CANDIDATE.c.last_name, _CANDIDATE.c.first_name, _REG.c.id)
        .limit(MAX_REGISTRANTS_SHOWN)
    )
    connection = session.connection()
    rows = [
        RegistrantRow(
            id=row.id,
            candidate_id=row.candidate_id,
            name=f"{row.first_name} {row.last_name}",
            email=row.email,
            law_school=row.law_school or "",
            class_year=row.class_year or "",
            joined_via=row.joined_via,
            joined_via_label=JOINED_VIA_LABELS.get(row.joined_via, row.joined_via),
            review_state=row.review_state,
            registered_at_iso=_iso(row.registered_at),
            slot_id=row.slot_id or 0,
            slot_label=time_span(row.slot_starts_at, row.slot_ends_at) if row.slot_id else "",
        )
        for row in connection.execute(query)
    ]
    total = connection.execute(
        sa.select(sa.func.count()).where(_REG.c.event_id == event_id, _REG.c.removed_at.is_(None))
    ).scalar_one()
    return rows, total


def _slots(session: Session, event_id: int) -> list[SlotRow]:
    connection = session.connection()
    slots = connection.execute(
        sa.select(_SLOT)
        .where(_SLOT.c.event_id == event_id, _SLOT.c.deleted_at.is_(None))
        .order_by(_SLOT.c.starts_at, _SLOT.c.id)
    ).all()
    people: dict[int, list[str]] = {}
    taken = connection.execute(
        sa.select(_ASSIGN.c.slot_id, _CANDIDATE.c.first_name, _CANDIDATE.c.last_name)
        .join(_REG, _REG.c.id == _ASSIGN.c.registration_id)
        .join(_CANDIDATE, _CANDIDATE.c.id == _REG.c.candidate_id)
        .where(
            _ASSIGN.c.slot_id.in_([slot.id for slot in slots]),
            _ASSIGN.c.removed_at.is_(None),
        )
        .order_by(_ASSIGN.c.assigned_at)
    )
    for row in taken:
        people.setdefault(row.slot_id, []).append(f"{row.first_name} {row.last_name}")
    return [
        SlotRow(
            id=slot.id,
            starts_at_iso=_iso(slot.starts_at),
            ends_at_iso=_iso(slot.ends_at),
            label=slot_text(slot.starts_at, slot.ends_at),
            time_label=time_span(slot.starts_at, slot.ends_at),
            capacity=slot.capacity,
            taken=len(people.get(slot.id, [])),
            people=people.get(slot.id, []),
        )
        for slot in slots
    ]


def _batches(session: Session, event_id: int) -> list[BatchRow]:
    rows = session.connection().execute(
        sa.select(_BATCH, _MEMBER.c.name.label("requested_by_name"))
        .outerjoin(_MEMBER, _MEMBER.c.id == _BATCH.c.requested_by_id)
        .where(_BATCH.c.event_id == event_id)
        .order_by(_BATCH.c.id.desc())
        .limit(50)
    )
    return [
        BatchRow(
            id=row.id,
            email_kind=row.email_kind,
            email_kind_label=kind_label(row.email_kind),
            trigger=row.trigger,
            requested_by_name=row.requested_by_name or "",
            created_at_iso=_iso(row.created_at),
            eligible=row.eligible,
            queued=row.queued,
            held_back=row.held_back,
            finished=row.finished_at is not None,
        )
        for row in rows
    ]


def _held_back(session: Session, event_id: int) -> tuple[list[HeldBackRow], int]:
    connection = session.connection()
    rows = connection.execute(
        sa.select(
            _HELD.c.id,
            _HELD.c.email_kind,
            _HELD.c.reason,
            _HELD.c.created_at,
            _REG.c.candidate_id,
            _CANDIDATE.c.first_name,
            _CANDIDATE.c.last_name,
        )
        .join(_REG, _REG.c.id == _HELD.c.registration_id)
        .join(_CANDIDATE, _CANDIDATE.c.id == _REG.c.candidate_id)
        .where(_HELD.c.event_id == event_id)
        .order_by(_HELD.c.created_at.desc(), _HELD.c.id.desc())
        .limit(MAX_HELD_BACK_SHOWN)
    )
    held = [
        HeldBackRow(
            id=row.id,
            candidate_id=row.candidate_id,
            candidate_name=f"{row.first_name} {row.last_name}",
            email_kind_label=kind_label(row.email_kind),
            reason=row.reason,
            created_at_iso=_iso(row.created_at),
        )
        for row in rows
    ]
    total = connection.execute(
        sa.select(sa.func.count()).where(_HELD.c.event_id == event_id)
    ).scalar_one()
    return held, total


def get_event(
    *, session: Session, viewer_id: int, event_id: int, now: datetime | None = None
) -> EventDetail:
    """Everything the event page shows; any signed-in member may read it.

    Raises:
        NotAllowed: The viewer is not an active member.
        NotFound: No such event.
    """
    moment = checked_now(now)
    if not is_id(viewer_id):
        raise NotAllowed("Sign in to see this event.")
    require_member(session=session, actor_id=viewer_id)
    event = load_event(session, event_id)
    registrants, total = _registrants(session, event.id)
    states = dict(
        session.connection()
        .execute(
            sa.select(_REG.c.review_state, sa.func.count())
            .where(_REG.c.event_id == event.id, _REG.c.removed_at.is_(None))
            .group_by(_REG.c.review_state)
        )
        .all()
    )
    held, held_total = _held_back(session, event.id)
    refusals = {kind.value: send_refusal(kind, event, moment) for kind in MANUAL_SENDS}
    return EventDetail(
        id=event.id,
        name=event.name,
        type=event.type,
        type_label=EVENT_TYPE_LABELS.get(event.type, event.type),
        invite_only=event.invite_only,
        description=event.description,
        starts_at_iso=_iso(event.starts_at),
        ends_at_iso=_iso(event.ends_at),
        location=event.location,
        meeting_link=event.meeting_link,
        registration_link=registration_link(event.slug),
        final_schedule_sent_at_iso=_iso(event.final_schedule_sent_at),
        deleted_at_iso=_iso(event.deleted_at),
        is_deleted=event.is_deleted,
        has_slots=event.type == EventType.VIRTUAL_CHAT.value,
        registrants=registrants,
        registrant_total=total,
        pending=states.get(ReviewState.PENDING.value, 0),
        approved=states.get(ReviewState.APPROVED.value, 0),
        denied=states.get(ReviewState.DENIED.value, 0),
        slots=_slots(session, event.id) if event.type == EventType.VIRTUAL_CHAT.value else [],
        batches=_batches(session, event.id),
        held_back=held,
        held_back_total=held_total,
        can_send={kind: reason is None for kind, reason in refusals.items()},
        send_notes={kind: reason or "" for kind, reason in refusals.items()},
    )


def candidate_choices(
    *, session: Session, actor_id: int, event_id: int, search: str
) -> list[CandidateChoice]:
    """Up to 20 candidates matching a search who are not on the event yet (admins)."""
    admin_actor(session, actor_id)
    event = load_event(session, event_id)
    if not isinstance(search, str) or len(search) > 100:
        raise Invalid("Search by name or email (at most 100 characters).")
    query = (
        sa.select(
            _CANDIDATE.c.id, _CANDIDATE.c.first_name, _CANDIDATE.c.last_name, _CANDIDATE.c.email
        )
        .where(
            ~sa.exists().where(
                _REG.c.event_id == event.id,
                _REG.c.candidate_id == _CANDIDATE.c.id,
                _REG.c.removed_at.is_(None),
            )
        )
        .order_by(_CANDIDATE.c.last_name, _CANDIDATE.c.first_name)
        .limit(20)
    )
    for word in search.lower().split():
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                sa.func.lower(_CANDIDATE.c.first_name).like(pattern, escape="\\"),
                sa.func.lower(_CANDIDATE.c.last_name).like(pattern, escape="\\"),
                sa.func.lower(_CANDIDATE.c.email).like(pattern, escape="\\"),
            )
        )
    return [
        CandidateChoice(id=row.id, name=f"{row.first_name} {row.last_name}", email=row.email)
        for row in session.connection().execute(query)
    ]  # fmt: skip


def public_event(*, session: Session, slug: str, now: datetime | None = None) -> PublicEventView:
    """What the public registration page shows.

    Raises:
        NotFound: No event has this link, or it was deleted.
    """
    moment = checked_now(now)
    event = event_by_slug(session, slug)
    if event.is_deleted:
        raise NotFound("This event is no longer available.")
    closed = _registration_closed(event, moment)
    return PublicEventView(
        name=event.name,
        type_label=EVENT_TYPE_LABELS.get(event.type, event.type),
        invite_only=event.invite_only,
        description=event.description,
        starts_at_iso=_iso(event.starts_at),
        ends_at_iso=_iso(event.ends_at),
        when_text=f"{long_date(event.starts_at)}, {time_span(event.starts_at, event.ends_at)}",
        location=event.location or ("Online" if event.meeting_link else ""),
        is_open_for_registration=closed is None,
        closed_reason=closed or "",
    )


def _registration_closed(event: EventFacts, now: datetime) -> str | None:
    if event.is_deleted:
        return "This event is no longer available."
    if now >= event.ends_at:
        return "This event has taken place, so registration is closed."
    return None


# --- creating, editing and deleting events ------------------------------------------------------


@dataclass(frozen=True)
class _EventInput:
    type: str
    invite_only: bool
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str
    meeting_link: str


def _text(data: dict, key: str, limit: int, errors: dict[str, str], label: str) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[key] = f"{label} must be text."
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[key] = f"{label} is too long: at most {limit} characters (it has {len(value)})."
    return value


def _moment(data: dict, key: str, errors: dict[str, str], label: str) -> datetime | None:
    value = data.get(key)
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value
    errors[key] = f"Enter the {label}."
    return None


def _clean_event(data: object) -> _EventInput:
    if not isinstance(data, dict):
        raise Invalid("Fill in the event's details.")
    errors: dict[str, str] = {}
    kind = data.get("type")
    if kind not in EVENT_TYPE_LABELS:
        errors["type"] = "Choose In-Person, Webinar or Virtual Chat."
    invite_only = data.get("invite_only")
    if not isinstance(invite_only, bool):
        errors["invite_only"] = "Choose open or invite-only."
    name = _text(data, "name", MAX_NAME, errors, "The name")
    if not name and "name" not in errors:
        errors["name"] = "Give the event a name."
    description = _text(data, "description", MAX_DESCRIPTION, errors, "The description")
    location = _text(data, "location", MAX_LOCATION, errors, "The location")
    link = _text(data, "meeting_link", MAX_LINK, errors, "The meeting link")
    starts_at = _moment(data, "starts_at", errors, "start date and time")
    ends_at = _moment(data, "ends_at", errors, "end date and time")
    if starts_at and ends_at and "ends_at" not in errors:
        if ends_at <= starts_at:
            errors["ends_at"] = "The event must end after it starts."
        elif ends_at - starts_at > MAX_EVENT_LENGTH:
            errors["ends_at"] = "An event can last at most 14 days."
    if kind == EventType.IN_PERSON.value and not location and "location" not in errors:
        errors["location"] = "An in-person event needs a location."
    if kind in (EventType.WEBINAR.value, EventType.VIRTUAL_CHAT.value) and not link:
        errors.setdefault("meeting_link", "An online event needs a meeting link.")
    if link and not _LINK.fullmatch(link):
        errors.setdefault("meeting_link", "The meeting link must start with https:// or http://.")
    if errors:
        raise Invalid("Check the highlighted fields.", errors)
    return _EventInput(
        type=kind, invite_only=invite_only, name=name, description=description,
        starts_at=starts_at, ends_at=ends_at, location=location, meeting_link=link,
    )  # fmt: skip


_DETAIL_FIELDS = {
    "name": "name",
    "starts_at": "start",
    "ends_at": "end",
    "location": "location",
    "meeting_link": "meeting link",
}
"""Fields whose change sends an update email (the email shows them); the description does not."""


@dataclass(frozen=True)
class SavedEvent:
    """What `save_event` did: the event, and the update batch to run if details changed."""

    event_id: int
    update_batch_id: int | None
    message: str


def save_event(
    *,
    session: Session,
    actor_id: int,
    event_id: int | None,
    data: dict[str, Any],
    expected_updated_at: datetime | None = None,
    now: datetime | None = None,
) -> SavedEvent:
    """Creates an event (`event_id` None) or edits one, in one transaction (committed).

    An edit that changes what the emails show (name, start, end, location,
    meeting link) also records an Update send to the registrants, in the
    same transaction; run it with `event_emails.run_batch`. The type and
    access of an event cannot change once someone has registered. An edit
    saves only over the version it was made from: `expected_updated_at` is
    the event's `updated_at` when the form was filled (the edit form always
    gives it), and a save made since by someone else is never overwritten.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No such event.
        Invalid: Bad input (`field_errors` names the fields), or a deleted event.
        Conflict: The event was saved by someone else since `expected_updated_at`.
    """
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        clean = _clean_event(data)
        values = {
            "type": clean.type,
            "invite_only": clean.invite_only,
            "name": clean.name,
            "description": clean.description,
            "starts_at": clean.starts_at,
            "ends_at": clean.ends_at,
            "location": clean.location or None,
            "meeting_link": clean.meeting_link or None,
            "updated_at": moment,
        }
        connection = session.connection()
        if event_id is None:
            new_id = connection.execute(
                sa.insert(_EVENT).returning(_EVENT.c.id),
                values
                | {
                    "registration_slug": secrets.token_urlsafe(9),
                    "created_by_id": actor.id,
                    "created_at": moment,
                    "final_schedule_sent_at": None,
                    "deleted_at": None,
                },
            ).scalar_one()
            session.commit()
            return SavedEvent(new_id, None, f"{clean.name} was created.")
        event = load_event(session, event_id)
        if event.is_deleted:
            raise Invalid(_DELETED)
        if expected_updated_at is not None and event.updated_at != expected_updated_at:
            raise Conflict(EVENT_CHANGED)
        if (clean.type, clean.invite_only) != (event.type, event.invite_only) and _has_registrants(
            session, event.id
        ):
            raise Invalid(
                "People have registered, so the type and access can no longer change.",
                {"type": "Fixed once people have registered."},
            )
        before = {
            "name": event.name,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "location": event.location,
            "meeting_link": event.meeting_link,
        }
        after = {
            "name": clean.name,
            "starts_at": clean.starts_at,
            "ends_at": clean.ends_at,
            "location": clean.location,
            "meeting_link": clean.meeting_link,
        }
        changed = [label for key, label in _DETAIL_FIELDS.items() if before[key] != after[key]]
        saved = connection.execute(
            sa.update(_EVENT)
            .where(_EVENT.c.id == event.id, _EVENT.c.updated_at == event.updated_at)
            .values(values)
        )
        if saved.rowcount != 1:  # saved by someone else between the read and this write
            raise Conflict(EVENT_CHANGED)
        batch_id = None
        if changed:
            edited = load_event(session, event.id)
            batch_id = create_batch(
                session,
                event=edited,
                kind=EmailKind.EVENT_UPDATE,
                actor=actor,
                now=moment,
                trigger="event details changed: " + ", ".join(changed),
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    message = "Saved." + (
        " An update email goes to the registrants about the new " + ", ".join(changed) + "."
        if changed
        else " No email: nothing the emails show has changed."
    )
    return SavedEvent(event.id, batch_id, message)


def _has_registrants(session: Session, event_id: int) -> bool:
    return (
        session.connection()
        .execute(sa.select(_REG.c.id).where(_REG.c.event_id == event_id).limit(1))
        .first()
        is not None
    )


def delete_event(
    *, session: Session, actor_id: int, event_id: int, now: datetime | None = None
) -> str:
    """Deletes an event (kept, marked deleted), in one transaction; sends no email at all.

    Registrants who would otherwise hear about it are recorded as held back
    from a cancellation, with the reason; unfinished sends stop.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No such event.
        Invalid: Already deleted.
    """
    moment = checked_now(now)
    try:
        admin_actor(session, actor_id)
        event = load_event(session, event_id)
        if event.is_deleted:
            raise Invalid("This event is already deleted.")
        connection = session.connection()
        moved = connection.execute(
            sa.update(_EVENT)
            .where(_EVENT.c.id == event.id, _EVENT.c.deleted_at.is_(None))
            .values(deleted_at=moment, updated_at=moment)
        )
        if moved.rowcount != 1:
            raise Conflict("Someone else deleted this event meanwhile.")
        # Open events take everyone in as approved; on invite-only ones, pending and
        # denied registrants hear nothing after their confirmation anyway.
        told = connection.execute(
            sa.select(_REG.c.id).where(
                _REG.c.event_id == event.id,
                _REG.c.removed_at.is_(None),
                _REG.c.review_state == ReviewState.APPROVED.value,
            )
        ).scalars()
        rows = [
            {
                "event_id": event.id,
                "registration_id": registration_id,
                "batch_id": None,
                "email_kind": EmailKind.EVENT_CANCELLATION.value,
                "reason": EVENT_DELETED,
                "created_at": moment,
            }
            for registration_id in told
        ]
        if rows:
            connection.execute(sa.insert(_HELD), rows)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return f"{event.name} was deleted. No email was sent ({len(rows)} registrants held back)."


# --- registering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    first_name: str
    last_name: str
    email: str
    law_school: str
    class_year: str


def _clean_person(data: object) -> _Person:
    if not isinstance(data, dict):
        raise Invalid("Fill in the form.")
    errors: dict[str, str] = {}
    first = _text(data, "first_name", 80, errors, "The first name")
    last = _text(data, "last_name", 80, errors, "The last name")
    email = _text(data, "email", 254, errors, "The email").lower()
    school = _text(data, "law_school", 160, errors, "The law school")
    year = _text(data, "class_year", 16, errors, "The class year")
    if not first and "first_name" not in errors:
        errors["first_name"] = "Enter a first name."
    if not last and "last_name" not in errors:
        errors["last_name"] = "Enter a last name."
    if "email" not in errors and not _EMAIL.fullmatch(email):
        errors["email"] = "Enter an email address such as name@school.edu."
    if not school and "law_school" not in errors:
        errors["law_school"] = "Enter a law school."
    if year not in {y.value for y in ClassYear}:
        errors["class_year"] = "Choose a class year."
    if errors:
        raise Invalid("Check the highlighted fields.", errors)
    return _Person(first, last, email, school, year)


def _candidate_for(session: Session, person: _Person, now: datetime) -> tuple[int, bool]:
    """The candidate with this email (missing details filled in), or a new one."""
    connection = session.connection()
    row = connection.execute(
        sa.select(_CANDIDATE.c.id, _CANDIDATE.c.law_school, _CANDIDATE.c.class_year).where(
            sa.func.lower(_CANDIDATE.c.email) == person.email
        )
    ).first()
    if row is not None:
        # A public form cannot overwrite what is known, only fill in what is missing.
        fill = {}
        if not row.law_school:
            fill["law_school"] = person.law_school
        if not row.class_year:
            fill["class_year"] = person.class_year
        if fill:
            connection.execute(sa.update(_CANDIDATE).where(_CANDIDATE.c.id == row.id).values(fill))
        return row.id, False
    new_id = connection.execute(
        sa.insert(_CANDIDATE).returning(_CANDIDATE.c.id),
        {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": None,
            "law_school": person.law_school,
            "class_year": person.class_year,
            "graduation_year": None,
            "source": CandidateSource.EVENT.value,
            "agency_contact_id": None,
            "created_at": now,
        },
    ).scalar_one()
    return new_id, True


def _register(
    session: Session,
    *,
    event: EventFacts,
    candidate_id: int,
    joined_via: JoinedVia,
    actor: Actor,
    now: datetime,
    trigger: str,
) -> tuple[int | None, int | None]:
    """Puts a candidate on the event and sends the confirmation (not committed).

    Returns:
        The registration and communication ids, or (None, None) when they
        are on the event already.
    """
    connection = session.connection()
    existing = connection.execute(
        sa.select(_REG.c.id, _REG.c.removed_at).where(
            _REG.c.event_id == event.id, _REG.c.candidate_id == candidate_id
        )
    ).first()
    state = initial_review_state(event.invite_only).value
    fields = {
        "joined_via": joined_via.value,
        "review_state": state,
        "registered_at": now,
        "reviewed_at": None,
        "reviewed_by_id": None,
        "removed_at": None,
        "removed_by_id": None,
    }
    if existing is not None and existing.removed_at is None:
        return None, None
    if existing is not None:  # taken off the event earlier; back on it now
        connection.execute(sa.update(_REG).where(_REG.c.id == existing.id).values(fields))
        registration_id = existing.id
    else:
        registration_id = connection.execute(
            sa.insert(_REG).returning(_REG.c.id),
            fields | {"event_id": event.id, "candidate_id": candidate_id},
        ).scalar_one()
    recipient = load_recipients(session, [registration_id])[registration_id]
    kind = confirmation_kind(joined_via.value)
    communication_id = send_event_email(
        session,
        kind=kind,
        event=event,
        recipient=recipient,
        actor=actor,
        now=now,
        trigger=trigger,
        idempotency_key=f"event-confirmation:{registration_id}:{now.isoformat()}",
    )
    return registration_id, communication_id


def _event_owner(session: Session, event_id: int) -> Actor:
    """Who a self-registration's confirmation is sent by: the event's creator, else an admin."""
    row = (
        session.connection()
        .execute(
            sa.select(_MEMBER.c.id, _MEMBER.c.name, _MEMBER.c.email)
            .select_from(_EVENT)
            .join(_MEMBER, _MEMBER.c.id == _EVENT.c.created_by_id)
            .where(_EVENT.c.id == event_id)
        )
        .first()
    )
    if row is None:
        row = (
            session.connection()
            .execute(
                sa.select(_MEMBER.c.id, _MEMBER.c.name, _MEMBER.c.email)
                .where(_MEMBER.c.role == "admin", _MEMBER.c.is_active.is_(True))
                .order_by(_MEMBER.c.id)
                .limit(1)
            )
            .first()
        )
    if row is None:
        raise NotFound("Registration is not available right now.")
    return Actor(id=row.id, name=row.name, email=row.email)


def register_via_link(
    *, session: Session, slug: str, data: dict[str, Any], now: datetime | None = None
) -> RegistrationOutcome:
    """A candidate registers through the event's public link (no sign-in).

    The candidate is matched by email (a new one is created otherwise); a
    Registration Confirmation is logged and queued in the same transaction.
    Registering again changes nothing and sends nothing.

    Raises:
        NotFound: No such event (or deleted).
        Invalid: Bad input (`field_errors`), or registration is closed.
    """
    moment = checked_now(now)
    person = _clean_person(data)
    for attempt in range(2):
        try:
            event = event_by_slug(session, slug)
            if event.is_deleted:
                raise NotFound("This event is no longer available.")
            closed = _registration_closed(event, moment)
            if closed is not None:
                raise Invalid(closed)
            sender = _event_owner(session, event.id)
            candidate_id, _ = _candidate_for(session, person, moment)
            registration_id, _ = _register(
                session,
                event=event,
                candidate_id=candidate_id,
                joined_via=JoinedVia.LINK,
                actor=sender,
                now=moment,
                trigger="registered through the event link",
            )
            session.commit()
            break
        except IntegrityError:
            session.rollback()  # the same person registering twice at once: read theirs
            if attempt:
                raise
        except BaseException:
            session.rollback()
            raise
    if registration_id is None:
        return RegistrationOutcome(
            already_registered=True,
            pending_review=False,
            message=f"You are already registered for {event.name}. We have not sent "
            "another confirmation.",
        )
    if event.invite_only:
        return RegistrationOutcome(
            already_registered=False,
            pending_review=True,
            message=f"Thank you. Your registration for {event.name} is received. Space is "
            "limited: we will email you once it has been reviewed.",
        )
    return RegistrationOutcome(
        already_registered=False,
        pending_review=False,
        message=f"You are registered for {event.name}. A confirmation is on its way to "
        f"{person.email}.",
    )


def _checked_ids(ids: object, what: str) -> list[int]:
    if not isinstance(ids, list | tuple) or not all(is_id(i) for i in ids):
        raise Invalid(f"Choose the {what} from the list.")
    if not ids:
        raise Invalid(f"Choose at least one of the {what}.")
    if len(ids) > MAX_AT_ONCE:
        raise Invalid(f"Choose at most {MAX_AT_ONCE} {what} at a time.")
    return list(dict.fromkeys(ids))


def _each(
    session: Session,
    keys: Sequence[int],
    names: dict[int, str],
    act: Callable[[int], tuple[str, str, int | None]],
) -> EventActionReport:
    """Runs `act` for each key in a transaction of its own; a failure keeps nothing of it."""
    results = []
    for key in keys:
        try:
            outcome, message, communication_id = act(key)
            if outcome == "done":
                session.commit()
            else:
                session.rollback()
        except Exception as exc:
            session.rollback()
            if not isinstance(exc, DomainError):
                logger.exception("event action on %s failed", key)
            outcome, communication_id = "failed", None
            message = str(exc) if isinstance(exc, DomainError) else _UNEXPECTED
        except BaseException:
            session.rollback()
            raise
        results.append(
            EventActionResult(
                registration_id=key,
                candidate_name=names.get(key, ""),
                outcome=outcome,
                message=message,
                communication_id=communication_id,
            )
        )
    return EventActionReport(
        results=results,
        done=sum(r.outcome == "done" for r in results),
        skipped=sum(r.outcome == "skipped" for r in results),
        failed=sum(r.outcome == "failed" for r in results),
        emails=sum(r.communication_id is not None for r in results),
    )


def _live_event(session: Session, event_id: object) -> EventFacts:
    event = load_event(session, event_id)
    if event.is_deleted:
        raise Invalid(_DELETED)
    return event


def add_registrants(
    *,
    session: Session,
    actor_id: int,
    event_id: int,
    candidate_ids: list[int],
    now: datetime | None = None,
) -> EventActionReport:
    """An admin adds existing candidates; each gets a Profile Request (one transaction each).

    Invite-only events put them in Quick Review like everyone else. The
    report's `registration_id` is the candidate's id here.
    """
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        event = _live_event(session, event_id)
        ids = _checked_ids(candidate_ids, "candidates")
        names = {
            row.id: f"{row.first_name} {row.last_name}"
            for row in session.connection().execute(
                sa.select(_CANDIDATE.c.id, _CANDIDATE.c.first_name, _CANDIDATE.c.last_name).where(
                    _CANDIDATE.c.id.in_(ids)
                )
            )
        }
        session.rollback()
    except BaseException:
        session.rollback()
        raise

    def act(candidate_id: int) -> tuple[str, str, int | None]:
        if candidate_id not in names:
            return "failed", "This candidate no longer exists.", None
        registration_id, communication_id = _register(
            session,
            event=event,
            candidate_id=candidate_id,
            joined_via=JoinedVia.MANUAL,
            actor=actor,
            now=moment,
            trigger=f"added to the event by {actor.name}",
        )
        if registration_id is None:
            return "skipped", "Already on the event.", None
        return "done", "Added; Profile Request sent.", communication_id

    return _each(session, ids, names, act)


def add_new_candidate(
    *,
    session: Session,
    actor_id: int,
    event_id: int,
    data: dict[str, Any],
    now: datetime | None = None,
) -> str:
    """An admin adds someone not yet in the system: a new candidate, registration and
    Profile Request, in one transaction.

    Raises:
        Invalid: Bad input, or a candidate with this email exists (add them from the list).
    """
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        event = _live_event(session, event_id)
        person = _clean_person(data)
        candidate_id, created = _candidate_for(session, person, moment)
        if not created:
            raise Invalid(
                "A candidate with this email exists already; find them under Add candidates.",
                {"email": "Already a candidate."},
            )
        _register(
            session,
            event=event,
            candidate_id=candidate_id,
            joined_via=JoinedVia.MANUAL,
            actor=actor,
            now=moment,
            trigger=f"added to the event by {actor.name}",
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return f"{person.first_name} {person.last_name} was added; a Profile Request is on its way."


def _registration_names(session: Session, event_id: int, ids: Sequence[int]) -> dict[int, str]:
    rows = session.connection().execute(
        sa.select(_REG.c.id, _CANDIDATE.c.first_name, _CANDIDATE.c.last_name)
        .join(_CANDIDATE, _CANDIDATE.c.id == _REG.c.candidate_id)
        .where(_REG.c.id.in_(list(ids)), _REG.c.event_id == event_id)
    )
    return {row.id: f"{row.first_name} {row.last_name}" for row in rows}


def review_registrations(
    *,
    session: Session,
    actor_id: int,
    event_id: int,
    registration_ids: list[int],
    decision: str,
    now: datetime | None = None,
) -> EventActionReport:
    """Quick Review: approves or denies pending registrants of an invite-only event.

    Each one, in its own transaction: the new state and the Approval or
    Denial email. Someone no longer pending is skipped.
    """
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        event = _live_event(session, event_id)
        if decision not in ("approve", "deny"):
            raise Invalid("Choose approve or deny.")
        if not event.invite_only:
            raise Invalid("Open events have no Quick Review: everyone who registers is in.")
        ids = _checked_ids(registration_ids, "registrants")
        names = _registration_names(session, event.id, ids)
        session.rollback()
    except BaseException:
        session.rollback()
        raise
    approve = decision == "approve"
    state = ReviewState.APPROVED if approve else ReviewState.DENIED
    kind = EmailKind.EVENT_APPROVAL if approve else EmailKind.EVENT_DENIAL

    def act(registration_id: int) -> tuple[str, str, int | None]:
        if registration_id not in names:
            return "failed", "Not a registrant of this event.", None
        moved = session.connection().execute(
            sa.update(_REG)
            .where(
                _REG.c.id == registration_id,
                _REG.c.review_state == ReviewState.PENDING.value,
                _REG.c.removed_at.is_(None),
            )
            .values(review_state=state.value, reviewed_at=moment, reviewed_by_id=actor.id)
        )
        if moved.rowcount != 1:
            return "skipped", "No longer pending in Quick Review.", None
        recipient = load_recipients(session, [registration_id])[registration_id]
        communication_id = send_event_email(
            session,
            kind=kind,
            event=event,
            recipient=recipient,
            actor=actor,
            now=moment,
            trigger="approved in Quick Review" if approve else "not approved in Quick Review",
            idempotency_key=f"event-review:{registration_id}:{moment.isoformat()}",
        )
        verb = "Approved" if approve else "Denied"
        return "done", f"{verb}; {kind_label(kind)} sent.", communication_id

    return _each(session, ids, names, act)


# --- time slots ---------------------------------------------------------------------------------


def _slot(session: Session, slot_id: object) -> sa.Row:
    if not is_id(slot_id):
        raise NotFound("This time slot does not exist.")
    row = (
        session.connection()
        .execute(sa.select(_SLOT).where(_SLOT.c.id == slot_id, _SLOT.c.deleted_at.is_(None)))
        .first()
    )
    if row is None:
        raise NotFound("This time slot does not exist (it may have been deleted).")
    return row


def create_slot(
    *,
    session: Session,
    actor_id: int,
    event_id: int,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int = 1,
    now: datetime | None = None,
) -> str:
    """Adds a time slot to a virtual chat, within the event's time (committed).

    Raises:
        Invalid: Not a virtual chat, a deleted event, or bad times or capacity.
    """
    checked_now(now)
    try:
        admin_actor(session, actor_id)
        event = _live_event(session, event_id)
        if event.type != EventType.VIRTUAL_CHAT.value:
            raise Invalid("Only virtual chats have time slots.")
        errors: dict[str, str] = {}
        for key, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            if not isinstance(value, datetime) or value.utcoffset() is None:
                errors[key] = "Enter a date and time."
        if not is_id(capacity) or capacity > MAX_SLOT_CAPACITY:
            errors["capacity"] = f"Capacity is 1 to {MAX_SLOT_CAPACITY} people."
        if not errors and ends_at <= starts_at:
            errors["ends_at"] = "The slot must end after it starts."
        if not errors and (starts_at < event.starts_at or ends_at > event.ends_at):
            errors["starts_at"] = (
                "The slot must be within the event: "
                f"{time_span(event.starts_at, event.ends_at)} on {long_date(event.starts_at)}."
            )
        if errors:
            raise Invalid("Check the time slot.", errors)
        session.connection().execute(
            sa.insert(_SLOT).values(
                event_id=event.id,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
                deleted_at=None,
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return f"Time slot {time_span(starts_at, ends_at)} added."


def _cancel(
    session: Session,
    *,
    event: EventFacts,
    recipient: Recipient,
    slot_label: str,
    actor: Actor,
    now: datetime,
    trigger: str,
    assignment_id: int,
) -> tuple[int | None, str | None]:
    return send_or_hold(
        session,
        kind=EmailKind.EVENT_CANCELLATION,
        event=event,
        recipient=recipient,
        actor=actor,
        now=now,
        trigger=trigger,
        idempotency_key=f"event-cancellation:{assignment_id}",
        time_slot=slot_label,
        in_slot=True,
    )


def _describe(outcome: tuple[int | None, str | None]) -> str:
    communication_id, reason = outcome
    return "Cancellation sent." if communication_id else f"No cancellation: {reason}"


def delete_slot(
    *, session: Session, actor_id: int, slot_id: int, now: datetime | None = None
) -> EventActionReport:
    """Deletes a time slot; everyone in it gets a Cancellation, in the same transaction.

    Raises:
        NotFound: No such slot.
        Invalid: The event was deleted.
    """
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        slot = _slot(session, slot_id)
        event = _live_event(session, slot.event_id)
        connection = session.connection()
        taken = connection.execute(
            sa.select(_ASSIGN.c.id, _ASSIGN.c.registration_id).where(
                _ASSIGN.c.slot_id == slot.id, _ASSIGN.c.removed_at.is_(None)
            )
        ).all()
        connection.execute(sa.update(_SLOT).where(_SLOT.c.id == slot.id).values(deleted_at=moment))
        connection.execute(
            sa.update(_ASSIGN)
            .where(_ASSIGN.c.slot_id == slot.id, _ASSIGN.c.removed_at.is_(None))
            .values(removed_at=moment)
        )
        recipients = load_recipients(session, [row.registration_id for row in taken])
        label = slot_text(slot.starts_at, slot.ends_at)
        results = []
        for row in taken:
            recipient = recipients[row.registration_id]
            outcome = _cancel(
                session,
                event=event,
                recipient=recipient,
                slot_label=label,
                actor=actor,
                now=moment,
                trigger="time slot deleted",
                assignment_id=row.id,
            )
            results.append(
                EventActionResult(
                    registration_id=row.registration_id,
                    candidate_name=recipient.name,
                    outcome="done",
                    message=_describe(outcome),
                    communication_id=outcome[0],
                )
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return EventActionReport(
        results=results,
        done=len(results),
        skipped=0,
        failed=0,
        emails=sum(r.communication_id is not None for r in results),
    )


def _registration(session: Session, registration_id: object) -> sa.Row:
    if not is_id(registration_id):
        raise NotFound("This registrant does not exist.")
    row = (
        session.connection()
        .execute(sa.select(_REG).where(_REG.c.id == registration_id, _REG.c.removed_at.is_(None)))
        .first()
    )
    if row is None:
        raise NotFound("This person is not on the event (any more).")
    return row


def _live_assignment(session: Session, registration_id: int) -> sa.Row | None:
    return (
        session.connection()
        .execute(
            sa.select(_ASSIGN.c.id, _SLOT.c.id.label("slot_id"), _SLOT.c.starts_at, _SLOT.c.ends_at)
            .join(_SLOT, _SLOT.c.id == _ASSIGN.c.slot_id)
            .where(
                _ASSIGN.c.registration_id == registration_id,
                _ASSIGN.c.removed_at.is_(None),
                _SLOT.c.deleted_at.is_(None),
            )
        )
        .first()
    )


def assign_slot(
    *,
    session: Session,
    actor_id: int,
    registration_id: int,
    slot_id: int,
    now: datetime | None = None,
) -> str:
    """Puts a registrant in a time slot, or moves them to it (committed).

    A move sends no cancellation: they still have a slot.

    Raises:
        Invalid: The slot is full, another event's, the event is no longer a
            virtual chat, or the registrant is not approved (invite-only) or
            not on the event.
    """
    moment = checked_now(now)
    try:
        admin_actor(session, actor_id)
        registration = _registration(session, registration_id)
        slot = _slot(session, slot_id)
        if slot.event_id != registration.event_id:
            raise Invalid("This time slot belongs to another event.")
        event = _live_event(session, slot.event_id)
        if event.type != EventType.VIRTUAL_CHAT.value:
            # A virtual chat may become another type before anyone registers; its slots stay.
            raise Invalid("Only virtual chats have time slots.")
        if event.invite_only and registration.review_state != ReviewState.APPROVED.value:
            raise Invalid("Approve them in Quick Review before giving them a time slot.")
        current = _live_assignment(session, registration.id)
        if current is not None and current.slot_id == slot.id:
            session.rollback()
            return "They are in this time slot already."
        connection = session.connection()
        taken = connection.execute(
            sa.select(sa.func.count()).where(
                _ASSIGN.c.slot_id == slot.id, _ASSIGN.c.removed_at.is_(None)
            )
        ).scalar_one()
        if taken >= slot.capacity:
            raise Invalid(f"This time slot is full ({slot.capacity} of {slot.capacity}).")
        if current is not None:
            connection.execute(
                sa.update(_ASSIGN).where(_ASSIGN.c.id == current.id).values(removed_at=moment)
            )
        connection.execute(
            sa.insert(_ASSIGN).values(
                slot_id=slot.id, registration_id=registration.id, assigned_at=moment,
                removed_at=None,
            )
        )  # fmt: skip
        session.commit()
    except BaseException:
        session.rollback()
        raise
    verb = "Moved to" if current is not None else "Assigned to"
    return f"{verb} {time_span(slot.starts_at, slot.ends_at)}."


def unassign_slot(
    *, session: Session, actor_id: int, registration_id: int, now: datetime | None = None
) -> str:
    """Takes a registrant out of their time slot; they get a Cancellation (one transaction)."""
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        registration = _registration(session, registration_id)
        event = _live_event(session, registration.event_id)
        current = _live_assignment(session, registration.id)
        if current is None:
            raise Invalid("They are not in a time slot.")
        session.connection().execute(
            sa.update(_ASSIGN).where(_ASSIGN.c.id == current.id).values(removed_at=moment)
        )
        recipient = load_recipients(session, [registration.id])[registration.id]
        outcome = _cancel(
            session,
            event=event,
            recipient=recipient,
            slot_label=slot_text(current.starts_at, current.ends_at),
            actor=actor,
            now=moment,
            trigger="removed from a time slot",
            assignment_id=current.id,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return f"{recipient.name} was taken out of the slot. {_describe(outcome)}"


def remove_registrant(
    *, session: Session, actor_id: int, registration_id: int, now: datetime | None = None
) -> str:
    """Takes someone off the event (one transaction).

    In a virtual chat, whoever had a time slot gets a Cancellation; other
    event types send none, and that is recorded as held back.
    """
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        registration = _registration(session, registration_id)
        event = _live_event(session, registration.event_id)
        current = _live_assignment(session, registration.id)
        recipient = load_recipients(session, [registration.id])[registration.id]
        connection = session.connection()
        connection.execute(
            sa.update(_REG)
            .where(_REG.c.id == registration.id)
            .values(removed_at=moment, removed_by_id=actor.id)
        )
        if current is not None:
            connection.execute(
                sa.update(_ASSIGN).where(_ASSIGN.c.id == current.id).values(removed_at=moment)
            )
            outcome = _cancel(
                session,
                event=event,
                recipient=recipient,
                slot_label=slot_text(current.starts_at, current.ends_at),
                actor=actor,
                now=moment,
                trigger="removed from the event",
                assignment_id=current.id,
            )
        else:
            outcome = send_or_hold(
                session,
                kind=EmailKind.EVENT_CANCELLATION,
                event=event,
                recipient=recipient,
                actor=actor,
                now=moment,
                trigger="removed from the event",
                idempotency_key=f"event-removal:{registration.id}:{moment.isoformat()}",
                in_slot=False,
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return f"{recipient.name} was taken off the event. {_describe(outcome)}"
