"""Reading one candidate's profile: details, applications, events."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from flo_comms.errors import NotFound
from flo_comms.models import (
    Agency,
    AgencyContact,
    Application,
    ApplicationStatus,
    Candidate,
    EventRegistration,
    Job,
    OutreachEvent,
    TimelineEntry,
    UTCDateTime,
)
from flo_comms.schemas import ApplicationSummary, CandidateProfile, RegistrationSummary
from flo_comms.services.event_rules import EVENT_TYPE_LABELS

JOINED_VIA_LABELS = {"link": "Registered via link", "manual": "Added by an admin"}


def get_candidate_profile(*, session: Session, candidate_id: object) -> CandidateProfile:
    """A candidate with their agency, applications and event registrations.

    Raises:
        NotFound: No such candidate (or a malformed id).
    """
    if not isinstance(candidate_id, int) or isinstance(candidate_id, bool):
        raise NotFound("This candidate does not exist.")
    row = session.exec(
        select(Candidate, AgencyContact, Agency)
        .outerjoin(AgencyContact, col(AgencyContact.id) == col(Candidate.agency_contact_id))
        .outerjoin(Agency, col(Agency.id) == col(AgencyContact.agency_id))
        .where(Candidate.id == candidate_id)
    ).first()
    if row is None:
        raise NotFound("This candidate does not exist.")
    candidate, contact, agency = row

    applications = [
        ApplicationSummary(
            id=application.id,
            job_name=job.name,
            office=job.office,
            status=status.name,
            source=application.source,
            agency_contact_name=app_contact.name if app_contact else "",
            updated_at_iso=application.updated_at.isoformat(),
        )
        for application, job, status, app_contact in session.exec(
            select(Application, Job, ApplicationStatus, AgencyContact)
            .join(Job, col(Job.id) == col(Application.job_id))
            .join(ApplicationStatus, col(ApplicationStatus.id) == col(Application.status_id))
            .outerjoin(AgencyContact, col(AgencyContact.id) == col(Application.agency_contact_id))
            .where(Application.candidate_id == candidate.id)
            .order_by(col(Application.updated_at).desc(), col(Application.id).desc())
        )
    ]
    registrations = [
        RegistrationSummary(
            id=registration.id,
            event_name=event.name,
            type_label=EVENT_TYPE_LABELS.get(event.type, event.type),
            invite_only=event.invite_only,
            starts_at_iso=event.starts_at.isoformat(),
            joined_via=JOINED_VIA_LABELS.get(registration.joined_via, registration.joined_via),
            review_state=registration.review_state.capitalize(),
        )
        for registration, event in session.exec(
            select(EventRegistration, OutreachEvent)
            .join(OutreachEvent, col(OutreachEvent.id) == col(EventRegistration.event_id))
            .where(
                EventRegistration.candidate_id == candidate.id,
                col(OutreachEvent.deleted_at).is_(None),
            )
            .order_by(col(OutreachEvent.starts_at).desc())
        )
    ]
    communications, last_contact = session.exec(
        select(
            func.count(), sa.type_coerce(func.max(TimelineEntry.occurred_at), UTCDateTime)
        ).where(TimelineEntry.candidate_id == candidate.id)
    ).one()
    return CandidateProfile(
        id=candidate.id,
        name=f"{candidate.first_name} {candidate.last_name}",
        email=candidate.email,
        phone=candidate.phone or "",
        law_school=candidate.law_school or "",
        class_year=candidate.class_year or "",
        graduation_year=str(candidate.graduation_year or ""),
        source=candidate.source,
        agency_name=agency.name if agency else "",
        agency_contact_name=contact.name if contact else "",
        agency_contact_email=contact.email if contact else "",
        applications=applications,
        registrations=registrations,
        communications=communications,
        last_contact_iso=last_contact.isoformat() if last_contact else "",
    )
