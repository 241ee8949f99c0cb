"""Writing communications: the record, its participants and its timelines.

`write_communication` is the one place that turns a communication into rows,
so that logged entries, system emails, dropbox mail and demo data all land
on the timelines the same way. It does not commit: the caller's transaction
decides, so a system email and its outbox row are kept or lost together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from flo_comms.models import (
    Communication,
    CommunicationOrigin,
    CommunicationParticipant,
    CommunicationType,
    ParticipantRole,
    TimelineEntry,
    utcnow,
)


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
