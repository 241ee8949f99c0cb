"""A candidate's profile as the profile page reads it."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from flo_comms.errors import NotFound
from flo_comms.models import Candidate, EventRegistration, TimelineEntry
from flo_comms.services.demo import seed_demo
from flo_comms.services.profiles import get_candidate_profile


def test_agency_candidate_profile(session: Session) -> None:
    seed_demo(session=session)
    session.commit()
    diana = session.exec(select(Candidate).where(Candidate.email.like("dallen@%"))).one()

    profile = get_candidate_profile(session=session, candidate_id=diana.id)

    assert (profile.name, profile.source) == ("Diana Allen", "Agency")
    assert (profile.agency_name, profile.agency_contact_name) == (
        "Momentum Search Partners",
        "Bill Walter",
    )
    [application] = profile.applications
    assert application.agency_contact_name == "Bill Walter"
    assert application.status == "Under Review"
    entries = session.exec(
        select(TimelineEntry).where(TimelineEntry.candidate_id == diana.id)
    ).all()
    assert profile.communications == len(entries) > 0
    assert profile.last_contact_iso == max(e.occurred_at for e in entries).isoformat()


def test_registrations_are_listed(session: Session) -> None:
    seed_demo(session=session)
    session.commit()
    registration = session.exec(select(EventRegistration)).first()
    profile = get_candidate_profile(session=session, candidate_id=registration.candidate_id)
    assert registration.id in {r.id for r in profile.registrations}


@pytest.mark.parametrize("bad", [999_999, "1", None, True, 1.5])
def test_unknown_or_malformed_id_is_not_found(session: Session, bad: object) -> None:
    with pytest.raises(NotFound):
        get_candidate_profile(session=session, candidate_id=bad)
