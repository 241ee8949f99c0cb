"""Candidates, jobs and events as the list pages read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from flo_comms.errors import Invalid
from flo_comms.models import (
    Application,
    ApplicationStatus,
    Candidate,
    EventRegistration,
    Job,
    OutreachEvent,
    utcnow,
)
from flo_comms.services.candidates import list_candidates
from flo_comms.services.events import list_events
from flo_comms.services.jobs import list_jobs


def _candidates(session: Session, names: list[tuple[str, str]]) -> None:
    for i, (first, last) in enumerate(names):
        session.add(
            Candidate(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}{i}@law.example",
                law_school="Columbia Law School",
            )
        )
    session.commit()


def test_pages_forward_and_back_in_name_order(session: Session) -> None:
    names = [(f"Ann{i:02d}", f"Zed{i % 7}") for i in range(23)]
    _candidates(session, names)
    expected = [f"{f} {lname}" for f, lname in sorted(names, key=lambda n: (n[1], n[0]))]

    first = list_candidates(session=session, limit=10)
    assert [r.name for r in first.rows] == expected[:10]
    assert first.total == 23 and first.prev_cursor is None and first.next_cursor

    second = list_candidates(session=session, after=first.next_cursor, limit=10)
    assert [r.name for r in second.rows] == expected[10:20]
    third = list_candidates(session=session, after=second.next_cursor, limit=10)
    assert [r.name for r in third.rows] == expected[20:]
    assert third.next_cursor is None

    back = list_candidates(session=session, before=third.prev_cursor, limit=10)
    assert [r.name for r in back.rows] == expected[10:20]
    assert back.prev_cursor and back.next_cursor


def test_search_matches_name_words_and_email_any_case(session: Session) -> None:
    _candidates(session, [("Diana", "Allen"), ("Dan", "Brooks"), ("Maya", "Allenby")])
    assert [r.name for r in list_candidates(session=session, search="allen").rows] == [
        "Diana Allen",
        "Maya Allenby",
    ]
    assert [r.name for r in list_candidates(session=session, search="DIANA allen").rows] == [
        "Diana Allen"
    ]
    assert [r.name for r in list_candidates(session=session, search="brooks1@").rows] == [
        "Dan Brooks"
    ]
    # LIKE wildcards typed by the user are matched literally.
    assert list_candidates(session=session, search="%").rows == []
    assert list_candidates(session=session, search="_").rows == []
    assert list_candidates(session=session, search="zzz").total == 0


def test_bad_input_is_refused(session: Session) -> None:
    with pytest.raises(Invalid):
        list_candidates(session=session, search="x" * 101)
    with pytest.raises(Invalid):
        list_candidates(session=session, after="not-a-cursor")
    with pytest.raises(Invalid):
        list_candidates(session=session, limit=0)


def test_jobs_count_applications_by_status(session: Session) -> None:
    applied = ApplicationStatus(name="Applied", position=1)
    interview = ApplicationStatus(name="Interview Scheduled", position=2)
    job = Job(
        name="2027 Summer Associate Program - New York",
        office="New York",
        department="Litigation",
        position_type="Summer Associate",
        process_year=2027,
    )
    empty_job = Job(
        name="Lateral Associate - Tax",
        office="Chicago",
        department="Tax",
        position_type="Lateral",
        process_year=2026,
    )
    session.add_all([applied, interview, job, empty_job])
    session.flush()
    for i, status in enumerate([applied, applied, interview]):
        cand = Candidate(first_name=f"C{i}", last_name="X", email=f"c{i}@x.example")
        session.add(cand)
        session.flush()
        session.add(Application(candidate_id=cand.id, job_id=job.id, status_id=status.id))
    session.commit()

    rows = list_jobs(session=session)
    assert [r.name for r in rows] == [job.name, empty_job.name]
    assert rows[0].applications == 3
    assert [(s.status, s.count) for s in rows[0].by_status] == [
        ("Applied", 2),
        ("Interview Scheduled", 1),
    ]
    assert rows[1].applications == 0 and rows[1].by_status == []


def test_events_count_registrants_by_state_and_hide_deleted(session: Session) -> None:
    now = utcnow()
    webinar = OutreachEvent(
        type="webinar",
        invite_only=True,
        name="Diversity Webinar",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1),
        registration_slug="dw",
    )
    deleted = OutreachEvent(
        type="in_person",
        name="Gone",
        starts_at=now,
        ends_at=now,
        registration_slug="gone",
        deleted_at=now,
    )
    session.add_all([webinar, deleted])
    session.flush()
    for i, state in enumerate(["pending", "approved", "approved", "denied"]):
        cand = Candidate(first_name=f"C{i}", last_name="X", email=f"c{i}@x.example")
        session.add(cand)
        session.flush()
        session.add(
            EventRegistration(
                event_id=webinar.id, candidate_id=cand.id, joined_via="link", review_state=state
            )
        )
    session.commit()

    [row] = list_events(session=session)
    assert (row.name, row.type_label, row.access_label) == (
        "Diversity Webinar",
        "Webinar",
        "Invite-only",
    )
    assert (row.registrants, row.pending, row.approved, row.denied) == (4, 1, 2, 1)
