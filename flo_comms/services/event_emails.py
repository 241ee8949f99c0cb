"""Outreach-event emails: written from their templates, logged, queued, or held back.

Every event email is a system communication with the event as its context,
on the registrant's timeline, written in the same transaction as its outbox
row and as whatever caused it (a registration, a Quick Review decision, a
slot change). `hold_back_reason` (in `event_rules`) decides who gets what;
an email a rule keeps from someone becomes a `HeldBackEmail` row instead, so
the event page can say who was held back from what, and why.

Single emails: `send_event_email` (or `hold_back`), in the caller's
transaction.

Bulk emails (update, final schedule, reminder, follow-up) go out as a
batch: `start_batch` records the send and commits; `send_batch_chunk`
writes the next chunk of registrants (in registration id order) in one
transaction that also moves the batch's cursor, with set-based inserts;
`run_batch` repeats it until the batch is finished. A repeated call, a
second worker, or a crash in the middle cannot send anyone the same email
twice: the cursor only moves with a chunk's rows, a chunk written by
someone else is detected by the cursor's old value, and each outbox row's
idempotency key is `event-batch:<batch>:<registration>`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session

from flo_comms.errors import Conflict, Invalid, NotFound
from flo_comms.models import (
    Candidate,
    Communication,
    CommunicationOrigin,
    CommunicationParticipant,
    CommunicationType,
    EmailKind,
    EmailOutbox,
    EventEmailBatch,
    EventRegistration,
    EventSlotAssignment,
    EventTimeSlot,
    HeldBackEmail,
    Member,
    OutreachEvent,
    ParticipantRole,
    ReviewState,
    TimelineEntry,
)
from flo_comms.schemas import BatchProgress
from flo_comms.services.communications import (
    EMAIL_KIND_LABELS,
    ParticipantSpec,
    write_communication,
)
from flo_comms.services.defaults import event_template_key
from flo_comms.services.email_render import render_template
from flo_comms.services.event_rules import (
    EVENT_TYPE_WORDS,
    Registrant,
    hold_back_reason,
)
from flo_comms.services.job_emails import (
    Actor,
    SystemTemplate,
    admin_actor,
    checked_now,
    is_id,
    system_email_participants,
    template_by_key,
    unique_addresses,
)
from flo_comms.services.outbox import (
    named_address,
    notify_dispatchers,
    outbox_values,
    queue_email,
)
from flo_comms.settings import settings

logger = logging.getLogger(__name__)

DEFAULT_CHUNK = 500
"""Registrants one batch transaction covers."""

MANUAL_SENDS: tuple[EmailKind, ...] = (
    EmailKind.EVENT_FINAL_SCHEDULE,
    EmailKind.EVENT_REMINDER,
    EmailKind.EVENT_FOLLOW_UP,
)
"""Bulk sends an admin starts from the event page (updates start when details change)."""

_EVENT = OutreachEvent.__table__
_REG = EventRegistration.__table__
_CANDIDATE = Candidate.__table__
_SLOT = EventTimeSlot.__table__
_ASSIGN = EventSlotAssignment.__table__
_BATCH = EventEmailBatch.__table__
_HELD = HeldBackEmail.__table__
_MEMBER = Member.__table__
_COMM = Communication.__table__
_PART = CommunicationParticipant.__table__
_TIMELINE = TimelineEntry.__table__
_OUTBOX = EmailOutbox.__table__


# --- dates in emails ------------------------------------------------------------------


def _zone() -> tzinfo:
    try:
        return ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _zone_name(moment: datetime) -> str:
    name = moment.tzname() or "UTC"
    return {"EST": "ET", "EDT": "ET", "CST": "CT", "CDT": "CT", "PST": "PT", "PDT": "PT"}.get(
        name, name
    )


def long_date(moment: datetime) -> str:
    """ "Thursday, March 12, 2027", in the firm's time zone."""
    local = moment.astimezone(_zone())
    return f"{local:%A, %B} {local.day}, {local.year}"


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


def time_span(starts_at: datetime, ends_at: datetime) -> str:
    """ "6:00 PM - 8:30 PM ET", in the firm's time zone."""
    start, end = starts_at.astimezone(_zone()), ends_at.astimezone(_zone())
    return f"{_clock(start)} - {_clock(end)} {_zone_name(start)}"


def slot_text(starts_at: datetime, ends_at: datetime) -> str:
    """A time slot in an email: "Tuesday, March 10, 2027, 4:00 PM - 4:20 PM ET"."""
    return f"{long_date(starts_at)}, {time_span(starts_at, ends_at)}"


def registration_link(slug: str) -> str:
    """The event's public registration page."""
    return f"{settings.public_url}/register/{slug}"


def profile_link(slug: str) -> str:
    """Where someone an admin added completes their profile."""
    return f"{settings.public_url}/register/{slug}/profile"


# --- what an email needs ------------------------------------------------------------------


@dataclass(frozen=True)
class EventFacts:
    """An event as plain data."""

    id: int
    type: str
    invite_only: bool
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str
    meeting_link: str
    slug: str
    final_schedule_sent_at: datetime | None
    deleted_at: datetime | None
    updated_at: datetime | None = None
    """When its details were last saved (the edit form's version check)."""

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


_EVENT_COLUMNS = (
    _EVENT.c.id,
    _EVENT.c.type,
    _EVENT.c.invite_only,
    _EVENT.c.name,
    _EVENT.c.description,
    _EVENT.c.starts_at,
    _EVENT.c.ends_at,
    _EVENT.c.location,
    _EVENT.c.meeting_link,
    _EVENT.c.registration_slug,
    _EVENT.c.final_schedule_sent_at,
    _EVENT.c.deleted_at,
    _EVENT.c.updated_at,
)


def _facts_of(row: sa.Row) -> EventFacts:
    return EventFacts(
        id=row.id,
        type=row.type,
        invite_only=row.invite_only,
        name=row.name,
        description=row.description or "",
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        location=row.location or "",
        meeting_link=row.meeting_link or "",
        slug=row.registration_slug,
        final_schedule_sent_at=row.final_schedule_sent_at,
        deleted_at=row.deleted_at,
        updated_at=row.updated_at,
    )


def load_event(session: Session, event_id: object) -> EventFacts:
    """An event, deleted or not.

    Raises:
        NotFound: No such event (or not an id).
    """
    if not is_id(event_id):
        raise NotFound("This event does not exist.")
    row = session.connection().execute(sa.select(*_EVENT_COLUMNS).where(_EVENT.c.id == event_id))
    found = row.first()
    if found is None:
        raise NotFound("This event does not exist.")
    return _facts_of(found)


def event_by_slug(session: Session, slug: object) -> EventFacts:
    """The event behind a registration link.

    Raises:
        NotFound: No event has this link.
    """
    if not isinstance(slug, str) or not 1 <= len(slug) <= 64:
        raise NotFound("This registration link is not valid.")
    row = session.connection().execute(
        sa.select(*_EVENT_COLUMNS).where(_EVENT.c.registration_slug == slug)
    )
    found = row.first()
    if found is None:
        raise NotFound("This registration link is not valid.")
    return _facts_of(found)


def event_context(event: EventFacts) -> dict[str, str]:
    """The merge fields every email of this event shares."""
    return {
        "event_name": event.name,
        "event_type": EVENT_TYPE_WORDS.get(event.type, event.type),
        "event_date": long_date(event.starts_at),
        "event_time": time_span(event.starts_at, event.ends_at),
        "event_location": event.location,
        "meeting_link": event.meeting_link,
        "registration_link": registration_link(event.slug),
        "profile_link": profile_link(event.slug),
        "invite_only": "yes" if event.invite_only else "",
        "firm_name": settings.firm_name,
    }


@dataclass(frozen=True)
class Recipient:
    """A registrant as an event email needs them."""

    registration_id: int
    candidate_id: int
    first_name: str
    last_name: str
    email: str
    joined_via: str
    review_state: str
    slot_label: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def rule_view(self, *, in_slot: bool | None = None) -> Registrant:
        return Registrant(
            joined_via=self.joined_via,
            review_state=self.review_state,
            in_slot=bool(self.slot_label) if in_slot is None else in_slot,
        )


_RECIPIENT_COLUMNS = (
    _REG.c.id.label("registration_id"),
    _REG.c.candidate_id,
    _CANDIDATE.c.first_name,
    _CANDIDATE.c.last_name,
    _CANDIDATE.c.email,
    _REG.c.joined_via,
    _REG.c.review_state,
    _SLOT.c.starts_at.label("slot_starts_at"),
    _SLOT.c.ends_at.label("slot_ends_at"),
)


def _recipient_query() -> sa.Select:
    """Registrants with their candidate and their current time slot (if any)."""
    live_assignment = sa.and_(
        _ASSIGN.c.registration_id == _REG.c.id, _ASSIGN.c.removed_at.is_(None)
    )
    return (
        sa.select(*_RECIPIENT_COLUMNS)
        .select_from(_REG)
        .join(_CANDIDATE, _CANDIDATE.c.id == _REG.c.candidate_id)
        .outerjoin(_ASSIGN, live_assignment)
        .outerjoin(_SLOT, sa.and_(_SLOT.c.id == _ASSIGN.c.slot_id, _SLOT.c.deleted_at.is_(None)))
    )


def _recipient_of(row: sa.Row) -> Recipient:
    label = ""
    if row.slot_starts_at is not None:
        label = slot_text(row.slot_starts_at, row.slot_ends_at)
    return Recipient(
        registration_id=row.registration_id,
        candidate_id=row.candidate_id,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        joined_via=row.joined_via,
        review_state=row.review_state,
        slot_label=label,
    )


def load_recipients(session: Session, registration_ids: Sequence[int]) -> dict[int, Recipient]:
    """Registrants by registration id (removed ones included)."""
    if not registration_ids:
        return {}
    rows = session.connection().execute(
        _recipient_query().where(_REG.c.id.in_(list(registration_ids)))
    )
    return {row.registration_id: _recipient_of(row) for row in rows}


@dataclass(frozen=True)
class _Rendered:
    subject: str
    body: str


def _render(
    template: SystemTemplate,
    shared: dict[str, str],
    recipient: Recipient,
    actor: Actor,
    time_slot: str,
) -> _Rendered:
    context = shared | {
        "candidate_first_name": recipient.first_name,
        "candidate_last_name": recipient.last_name,
        "candidate_name": recipient.name,
        "recipient_name": recipient.name,
        "recipient_first_name": recipient.first_name,
        "sender_name": actor.name,
        "sender_email": actor.email,
        "time_slot": time_slot,
    }
    rendered = render_template(subject=template.subject, body=template.body, context=context)
    return _Rendered(subject=rendered.subject, body=rendered.body)


def event_template(session: Session, kind: EmailKind) -> SystemTemplate:
    """The template of an event email kind (CC and BCC checked)."""
    return template_by_key(session, event_template_key(kind))


# --- single emails ----------------------------------------------------------------------------


def send_event_email(
    session: Session,
    *,
    kind: EmailKind,
    event: EventFacts,
    recipient: Recipient,
    actor: Actor,
    now: datetime,
    trigger: str,
    idempotency_key: str,
    time_slot: str | None = None,
    template: SystemTemplate | None = None,
) -> int:
    """Logs one event email on the registrant's timeline and queues it (not committed).

    Args:
        session: The caller's transaction.
        kind: The event email.
        event: The event (the email's context).
        recipient: The registrant it goes to.
        actor: The member whose action sends it ("Sent by").
        now: When.
        trigger: What sent it, in words ("approved in Quick Review").
        idempotency_key: Unique per email (see `outbox.queue_email`).
        time_slot: The slot the email is about; the registrant's current one by default.
        template: The template, if the caller has it already.

    Returns:
        The communication's id.

    Raises:
        Invalid: The template cannot be filled in, or an address is malformed.
        NotFound: The template is missing.
    """
    template = template or event_template(session, kind)
    slot = recipient.slot_label if time_slot is None else time_slot
    rendered = _render(template, event_context(event), recipient, actor, slot)
    to = ParticipantSpec(
        role=ParticipantRole.TO,
        display_name=recipient.name,
        email=recipient.email,
        candidate_id=recipient.candidate_id,
    )
    participants = system_email_participants(
        sender_id=actor.id,
        sender_name=actor.name,
        sender_email=actor.email,
        to=[to],
        cc=list(template.cc),
        bcc=list(template.bcc),
    )
    communication = write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.SYSTEM,
        occurred_at=now,
        subject=rendered.subject,
        body=rendered.body,
        participants=participants,
        triggered_by_id=actor.id,
        email_kind=kind.value,
        trigger=trigger,
        event_id=event.id,
    )
    queue_email(
        session,
        communication_id=communication.id,
        idempotency_key=idempotency_key,
        to=[named_address(recipient.name, recipient.email)],
        cc=unique_addresses(template.cc),
        bcc=list(template.bcc),
        subject=rendered.subject,
        body=rendered.body,
        reply_to=actor.email,
        now=now,
    )
    return communication.id


def hold_back(
    session: Session,
    *,
    event_id: int,
    registration_id: int,
    kind: EmailKind,
    reason: str,
    now: datetime,
    batch_id: int | None = None,
) -> None:
    """Records that a rule kept an email from a registrant (not committed)."""
    session.connection().execute(
        sa.insert(_HELD).values(
            event_id=event_id,
            registration_id=registration_id,
            batch_id=batch_id,
            email_kind=kind.value,
            reason=reason,
            created_at=now,
        )
    )


def send_or_hold(
    session: Session,
    *,
    kind: EmailKind,
    event: EventFacts,
    recipient: Recipient,
    actor: Actor,
    now: datetime,
    trigger: str,
    idempotency_key: str,
    time_slot: str | None = None,
    in_slot: bool | None = None,
) -> tuple[int | None, str | None]:
    """Sends an event email if the rules allow it, else records why not.

    Returns:
        The communication id (None when held back) and the reason (None when sent).
    """
    reason = hold_back_reason(
        kind,
        event_type=event.type,
        invite_only=event.invite_only,
        event_deleted=event.is_deleted,
        registrant=recipient.rule_view(in_slot=in_slot),
    )
    if reason is not None:
        hold_back(
            session,
            event_id=event.id,
            registration_id=recipient.registration_id,
            kind=kind,
            reason=reason,
            now=now,
        )
        return None, reason
    communication_id = send_event_email(
        session,
        kind=kind,
        event=event,
        recipient=recipient,
        actor=actor,
        now=now,
        trigger=trigger,
        idempotency_key=idempotency_key,
        time_slot=time_slot,
    )
    return communication_id, None


# --- bulk sends ------------------------------------------------------------------------------

_TRIGGERS = {
    EmailKind.EVENT_FINAL_SCHEDULE: "final schedule sent",
    EmailKind.EVENT_REMINDER: "reminder before the event",
    EmailKind.EVENT_FOLLOW_UP: "follow-up after the event",
}


def kind_label(kind: EmailKind | str) -> str:
    return EMAIL_KIND_LABELS.get(EmailKind(kind).value, str(kind))


def _checked_kind(kind: object) -> EmailKind:
    if isinstance(kind, str):
        try:
            value = EmailKind(kind)
        except ValueError:
            value = None
        if value in MANUAL_SENDS:
            return value
    raise Invalid("Choose final schedule, reminder or follow-up.")


def send_refusal(kind: EmailKind, event: EventFacts, now: datetime) -> str | None:
    """Why a bulk send makes no sense now, or None when it does."""
    if event.is_deleted:
        return "This event was deleted; it sends no more email."
    if kind == EmailKind.EVENT_REMINDER and now >= event.starts_at:
        return "The event has started, so a reminder is too late; send a follow-up after it."
    if kind == EmailKind.EVENT_FINAL_SCHEDULE and now >= event.ends_at:
        return "The event is over, so a final schedule is too late."
    if kind == EmailKind.EVENT_FOLLOW_UP and now < event.ends_at:
        return "Follow-ups go out after the event ends."
    return None


def _eligible_count(session: Session, event: EventFacts) -> int:
    query = sa.select(sa.func.count()).where(
        _REG.c.event_id == event.id, _REG.c.removed_at.is_(None)
    )
    if event.invite_only:
        query = query.where(_REG.c.review_state == ReviewState.APPROVED.value)
    return session.connection().execute(query).scalar_one()


def _progress(batch: sa.Row) -> BatchProgress:
    return BatchProgress(
        batch_id=batch.id,
        email_kind_label=kind_label(batch.email_kind),
        eligible=batch.eligible,
        queued=batch.queued,
        held_back=batch.held_back,
        finished=batch.finished_at is not None,
    )


def _batch(session: Session, batch_id: int) -> sa.Row:
    row = session.connection().execute(sa.select(_BATCH).where(_BATCH.c.id == batch_id)).first()
    if row is None:
        raise NotFound("This send does not exist.")
    return row


def create_batch(
    session: Session,
    *,
    event: EventFacts,
    kind: EmailKind,
    actor: Actor,
    now: datetime,
    trigger: str,
) -> int:
    """Records a bulk send in the caller's transaction; returns its id."""
    return (
        session.connection()
        .execute(
            sa.insert(_BATCH).returning(_BATCH.c.id),
            {
                "event_id": event.id,
                "email_kind": kind.value,
                "trigger": trigger[:200],
                "requested_by_id": actor.id,
                "created_at": now,
                "eligible": _eligible_count(session, event),
                "cursor": 0,
                "queued": 0,
                "held_back": 0,
                "finished_at": None,
            },
        )
        .scalar_one()
    )


def start_batch(
    *,
    session: Session,
    actor_id: int,
    event_id: int,
    kind: str,
    now: datetime | None = None,
    confirm_repeat: bool = False,
) -> BatchProgress:
    """Starts (and commits) a final schedule, reminder or follow-up to every eligible registrant.

    Nothing is sent yet: `send_batch_chunk` or `run_batch` does that. While
    a send of this kind is unfinished for the event, it is returned instead
    of a new one (so a second click resumes it). A kind already sent needs
    `confirm_repeat=True` to go out again.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No such event.
        Invalid: Another kind, a deleted event, or the wrong moment (a
            reminder after the start, a follow-up before the end).
        Conflict: Already sent, and `confirm_repeat` is not set.
    """
    moment = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        email_kind = _checked_kind(kind)
        event = load_event(session, event_id)
        refusal = send_refusal(email_kind, event, moment)
        if refusal is not None:
            raise Invalid(refusal)
        previous = (
            session.connection()
            .execute(
                sa.select(_BATCH)
                .where(_BATCH.c.event_id == event.id, _BATCH.c.email_kind == email_kind.value)
                .order_by(_BATCH.c.id.desc())
                .limit(1)
            )
            .first()
        )
        if previous is not None and previous.finished_at is None:
            session.rollback()
            return _progress(previous)
        if previous is not None and confirm_repeat is not True:
            raise Conflict(
                f"The {kind_label(email_kind).lower()} already went out on"
                f" {long_date(previous.created_at)} ({previous.queued} sent)."
                " Confirm to send it again."
            )
        batch_id = create_batch(
            session,
            event=event,
            kind=email_kind,
            actor=actor,
            now=moment,
            trigger=_TRIGGERS[email_kind],
        )
        if email_kind == EmailKind.EVENT_FINAL_SCHEDULE:
            session.connection().execute(
                sa.update(_EVENT)
                .where(_EVENT.c.id == event.id)
                .values(final_schedule_sent_at=moment)
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return _progress(_batch(session, batch_id))


@dataclass(frozen=True)
class _BulkEmail:
    recipient: Recipient
    subject: str
    body: str


def _bulk_write(
    session: Session,
    emails: Sequence[_BulkEmail],
    *,
    event: EventFacts,
    batch: sa.Row,
    actor: Actor,
    template: SystemTemplate,
    now: datetime,
) -> None:
    """Inserts the communications, participants, timeline entries and outbox rows of a chunk."""
    if not emails:
        return
    connection = session.connection()
    kind = batch.email_kind
    rows = [
        {
            "type": CommunicationType.EMAIL.value,
            "origin": CommunicationOrigin.SYSTEM.value,
            "email_kind": kind,
            "occurred_at": now,
            "subject": email.subject,
            "body": email.body,
            "job_id": None,
            "application_id": None,
            "event_id": event.id,
            "logged_by_id": None,
            "triggered_by_id": actor.id,
            "trigger": batch.trigger,
            "inbound_message_id": None,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
            "version": 1,
        }
        for email in emails
    ]
    ids = _insert_returning_ids(connection, rows)
    cc, bcc = unique_addresses(template.cc), list(template.bcc)
    participants, timeline, outbox = [], [], []
    for communication_id, email in zip(ids, emails, strict=True):
        person = email.recipient
        people = [
            (ParticipantRole.FROM, 0, actor.email, actor.name, actor.id, None),
            (ParticipantRole.TO, 0, person.email, person.name, None, person.candidate_id),
            *((ParticipantRole.CC, i, a, a, None, None) for i, a in enumerate(cc)),
            *((ParticipantRole.BCC, i, a, a, None, None) for i, a in enumerate(bcc)),
        ]
        participants.extend(
            {
                "communication_id": communication_id,
                "role": role.value,
                "position": position,
                "member_id": member_id,
                "candidate_id": candidate_id,
                "agency_contact_id": None,
                "email": address,
                "display_name": name,
            }
            for role, position, address, name, member_id, candidate_id in people
        )
        timeline.append(
            {
                "candidate_id": person.candidate_id,
                "communication_id": communication_id,
                "occurred_at": now,
                "type": CommunicationType.EMAIL.value,
                "origin": CommunicationOrigin.SYSTEM.value,
                "event_id": event.id,
            }
        )
        outbox.append(
            outbox_values(
                communication_id=communication_id,
                idempotency_key=f"event-batch:{batch.id}:{person.registration_id}",
                to=[named_address(person.name, person.email)],
                cc=cc,
                bcc=bcc,
                subject=email.subject,
                body=email.body,
                reply_to=actor.email,
                now=now,
            )
        )
    connection.execute(sa.insert(_PART), participants)
    connection.execute(sa.insert(_TIMELINE), timeline)
    connection.execute(sa.insert(_OUTBOX), outbox)


_RESERVE_IDS = sa.text(
    "SELECT nextval(pg_get_serial_sequence('communication', 'id')) FROM generate_series(1, :n)"
)


def _insert_returning_ids(connection: sa.Connection, rows: list[dict]) -> list[int]:
    """Inserts communications; returns their ids in the order of `rows`.

    PostgreSQL: the ids are taken from the sequence first and the rows
    inserted with them (a plain executemany is several times faster there
    than one INSERT ... RETURNING with thousands of parameters). SQLite:
    INSERT ... RETURNING, which is cheap.
    """
    if connection.dialect.name == "postgresql":
        ids = list(connection.execute(_RESERVE_IDS, {"n": len(rows)}).scalars())
        connection.execute(
            sa.insert(_COMM), [row | {"id": id_} for row, id_ in zip(rows, ids, strict=True)]
        )
        return ids
    returning = sa.insert(_COMM).returning(_COMM.c.id, sort_by_parameter_order=True)
    return list(connection.execute(returning, rows).scalars())


def _requester(session: Session, member_id: int | None) -> Actor:
    row = (
        session.connection()
        .execute(sa.select(_MEMBER.c.id, _MEMBER.c.name, _MEMBER.c.email).where(
            _MEMBER.c.id == member_id
        ))
        .first()
    )  # fmt: skip
    if row is None:
        raise NotFound("The member who started this send no longer exists.")
    return Actor(id=row.id, name=row.name, email=row.email)


def send_batch_chunk(
    *,
    session: Session,
    actor_id: int,
    batch_id: int,
    chunk_size: int = DEFAULT_CHUNK,
    now: datetime | None = None,
) -> BatchProgress:
    """Sends the next chunk of a batch, in one transaction (committed).

    Each registrant after the cursor (not removed) either gets the email,
    logged on their timeline as sent by the member who started the batch,
    or is recorded as held back with the reason. A batch whose event was
    deleted meanwhile stops: the rest are held back.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No such batch.
        Invalid: Bad arguments, or the template cannot be filled in (nothing is kept).
    """
    moment = checked_now(now)
    if not is_id(chunk_size) or chunk_size > 5000:
        raise Invalid("The chunk size must be 1 to 5000.")
    try:
        admin_actor(session, actor_id)
        if not is_id(batch_id):
            raise NotFound("This send does not exist.")
        batch = _batch(session, batch_id)
        if batch.finished_at is not None:
            session.rollback()
            return _progress(batch)
        event = load_event(session, batch.event_id)
        kind = EmailKind(batch.email_kind)
        sender = _requester(session, batch.requested_by_id)
        template = event_template(session, kind)
        rows = session.connection().execute(
            _recipient_query()
            .where(
                _REG.c.event_id == event.id,
                _REG.c.removed_at.is_(None),
                _REG.c.id > batch.cursor,
            )
            .order_by(_REG.c.id)
            .limit(chunk_size)
        )
        recipients = [_recipient_of(row) for row in rows]
        shared = event_context(event)
        emails: list[_BulkEmail] = []
        held: list[dict] = []
        for person in recipients:
            reason = hold_back_reason(
                kind,
                event_type=event.type,
                invite_only=event.invite_only,
                event_deleted=event.is_deleted,
                registrant=person.rule_view(),
            )
            if reason is not None:
                held.append(
                    {
                        "event_id": event.id,
                        "registration_id": person.registration_id,
                        "batch_id": batch.id,
                        "email_kind": kind.value,
                        "reason": reason,
                        "created_at": moment,
                    }
                )
                continue
            rendered = _render(template, shared, person, sender, person.slot_label)
            emails.append(
                _BulkEmail(recipient=person, subject=rendered.subject, body=rendered.body)
            )
        _bulk_write(
            session, emails, event=event, batch=batch, actor=sender, template=template, now=moment
        )
        if held:
            session.connection().execute(sa.insert(_HELD), held)
        done = len(recipients) < chunk_size
        moved = session.connection().execute(
            sa.update(_BATCH)
            .where(_BATCH.c.id == batch.id, _BATCH.c.cursor == batch.cursor)
            .values(
                cursor=recipients[-1].registration_id if recipients else batch.cursor,
                queued=_BATCH.c.queued + len(emails),
                held_back=_BATCH.c.held_back + len(held),
                finished_at=moment if done else None,
            )
        )
        if moved.rowcount != 1:
            session.rollback()  # another worker wrote this chunk meanwhile
            return _progress(_batch(session, batch_id))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if emails:
        notify_dispatchers()
    return _progress(_batch(session, batch_id))


def run_batch(
    *,
    session: Session,
    actor_id: int,
    batch_id: int,
    chunk_size: int = DEFAULT_CHUNK,
    now: datetime | None = None,
) -> BatchProgress:
    """Sends a whole batch, chunk by chunk (see `send_batch_chunk`)."""
    while True:
        progress = send_batch_chunk(
            session=session, actor_id=actor_id, batch_id=batch_id, chunk_size=chunk_size, now=now
        )
        if progress.finished:
            return progress


def unfinished_batches(session: Session, event_id: int) -> list[int]:
    """The ids of an event's sends that have not finished (to resume them)."""
    return list(
        session.connection()
        .execute(
            sa.select(_BATCH.c.id)
            .where(_BATCH.c.event_id == event_id, _BATCH.c.finished_at.is_(None))
            .order_by(_BATCH.c.id)
        )
        .scalars()
    )
