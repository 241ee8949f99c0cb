"""Reading outreach events."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from flo_comms.models import EventRegistration, EventType, OutreachEvent, ReviewState
from flo_comms.schemas import EventRow

EVENT_TYPE_LABELS = {
    EventType.IN_PERSON.value: "In-Person",
    EventType.WEBINAR.value: "Webinar",
    EventType.VIRTUAL_CHAT.value: "Virtual Chat",
}


def _count_state(state: ReviewState) -> sa.ColumnElement[int]:
    return func.coalesce(
        func.sum(sa.case((col(EventRegistration.review_state) == state.value, 1), else_=0)), 0
    )


def list_events(*, session: Session) -> list[EventRow]:
    """Events not deleted, soonest first, with registrants counted by Quick Review state."""
    query = (
        select(
            OutreachEvent,
            func.count(col(EventRegistration.id)),
            _count_state(ReviewState.PENDING),
            _count_state(ReviewState.APPROVED),
            _count_state(ReviewState.DENIED),
        )
        .outerjoin(EventRegistration, col(EventRegistration.event_id) == col(OutreachEvent.id))
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
