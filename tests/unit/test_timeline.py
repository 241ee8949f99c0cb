"""The Communications tab's services: log, edit, delete, read, filter, page, export."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from flo_comms.db import make_engine
from flo_comms.errors import Conflict, Invalid, NotAllowed, NotFound
from flo_comms.models import (
    Agency,
    AgencyContact,
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
    OutboxStatus,
    OutreachEvent,
    ParticipantRole,
    TimelineEntry,
)
from flo_comms.schemas import (
    CommunicationInput,
    PersonRef,
    TimelineFilters,
    TimelineItem,
)
from flo_comms.services import communications as service
from flo_comms.services.communications import (
    STALE_VERSION,
    ParticipantSpec,
    count_timeline,
    delete_communication,
    edit_communication,
    export_timeline_csv,
    get_communication,
    list_revisions,
    list_timeline,
    log_communication,
    member_and_candidate_options,
    write_communication,
)
from flo_comms.services.demo import seed_demo
from flo_comms.settings import PROJECT_ROOT

NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
ALL = TimelineFilters()


@dataclass(frozen=True)
class Cast:
    """Ids of the people in these tests (ids, not ORM objects: a rollback expires those)."""

    cynthia: int  # admin
    isabel: int  # admin
    marcus: int  # member
    former: int  # admin who has left (inactive)
    diana: int
    benjamin: int
    camila: int


@pytest.fixture
def cast(session: Session) -> Cast:
    return make_cast(session)


def make_cast(session: Session) -> Cast:
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
        Candidate(first_name="Camila", last_name="Reyes", email="creyes@law.example"),
    ]
    session.add_all([*members, *candidates])
    session.commit()
    return Cast(*(m.id for m in members), *(c.id for c in candidates))


def entry(cast: Cast, **changes: Any) -> CommunicationInput:
    """What the modal sends: an email from Cynthia to Diana an hour ago, unless changed."""
    data = CommunicationInput(
        type="email",
        occurred_at=NOW - timedelta(hours=1),
        sent_by_member_ids=[cast.cynthia],
        sent_to=[PersonRef("candidate", cast.diana)],
        subject="Great meeting you at OCI",
        description="Hi Diana,\n\nThank you for your time.\n\nBest,\nCynthia",
    )
    return replace(data, **changes)


def log(session: Session, cast: Cast, **changes: Any) -> TimelineItem:
    return log_communication(
        session=session, actor_id=cast.cynthia, data=entry(cast, **changes), now=NOW
    )


def timeline_ids(
    session: Session, candidate_id: int, viewer_id: int, filters: TimelineFilters = ALL
) -> list[int]:
    """Every id on a candidate's timeline, newest first, walking all pages."""
    ids: list[int] = []
    cursor = None
    while True:
        page = list_timeline(
            session=session,
            candidate_id=candidate_id,
            filters=filters,
            after=cursor,
            limit=50,
            viewer_id=viewer_id,
        )
        ids += [item.id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids


def system_email(
    session: Session,
    cast: Cast,
    *,
    candidate_id: int,
    occurred_at: datetime,
    subject: str = "Interview invitation: 2027 Summer Associate Program",
    body: str = "Dear Diana,\n\nWe would like to invite you to interview.",
    status: str = OutboxStatus.SENT.value,
) -> int:
    """A job status email as the system would log it: communication and outbox row."""
    job = session.exec(select(Job)).first()
    if job is None:
        job = Job(
            name="2027 Summer Associate Program - New York",
            office="New York",
            department="Summer Associate Program",
            position_type="Summer Associate",
            process_year=2027,
        )
        session.add(job)
        session.flush()
    candidate = session.get(Candidate, candidate_id)
    communication = write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.SYSTEM,
        occurred_at=occurred_at,
        subject=subject,
        body=body,
        participants=[
            ParticipantSpec(
                role=ParticipantRole.FROM,
                display_name="Cynthia Park",
                email="cynthia@firm.example",
                member_id=cast.cynthia,
            ),
            ParticipantSpec(
                role=ParticipantRole.TO,
                display_name=f"{candidate.first_name} {candidate.last_name}",
                email=candidate.email,
                candidate_id=candidate_id,
            ),
            ParticipantSpec(
                role=ParticipantRole.CC,
                display_name="interviews@firm.example",
                email="interviews@firm.example",
            ),
            ParticipantSpec(
                role=ParticipantRole.BCC,
                display_name="Marcus Reed",
                email="marcus@firm.example",
                member_id=cast.marcus,
            ),
        ],
        triggered_by_id=cast.cynthia,
        email_kind=EmailKind.JOB_STATUS.value,
        trigger="status changed to Interview Scheduled",
        job_id=job.id,
    )
    session.add(
        EmailOutbox(
            communication_id=communication.id,
            idempotency_key=f"test:{communication.id}",
            status=status,
            message_id=f"<{communication.id}@test>",
            from_address="recruiting@firm.example",
            to_addresses=[candidate.email],
            cc_addresses=["interviews@firm.example"],
            bcc_addresses=["marcus@firm.example"],
            subject=subject,
            body=body,
        )
    )
    session.commit()
    return communication.id


def state_of(session: Session, communication_id: int) -> tuple[Any, ...]:
    """Everything an edit or delete could change, read fresh from the database."""
    session.expire_all()
    row = session.exec(
        sa.select(
            Communication.version,
            Communication.type,
            Communication.subject,
            Communication.body,
            Communication.occurred_at,
            Communication.deleted_at,
        ).where(Communication.id == communication_id)
    ).one()
    people = session.exec(
        sa.select(
            CommunicationParticipant.role,
            CommunicationParticipant.member_id,
            CommunicationParticipant.candidate_id,
            CommunicationParticipant.display_name,
        )
        .where(CommunicationParticipant.communication_id == communication_id)
        .order_by(CommunicationParticipant.role, CommunicationParticipant.position)
    ).all()
    timelines = session.exec(
        sa.select(TimelineEntry.candidate_id)
        .where(TimelineEntry.communication_id == communication_id)
        .order_by(TimelineEntry.candidate_id)
    ).all()
    revisions = session.exec(
        sa.select(sa.func.count())
        .select_from(CommunicationRevision)
        .where(CommunicationRevision.communication_id == communication_id)
    ).one()
    return (tuple(row), tuple(map(tuple, people)), tuple(timelines), revisions)


# --- logging --------------------------------------------------------------------------


def test_logged_entry_is_on_every_sent_to_candidates_timeline(session: Session, cast: Cast) -> None:
    item = log(
        session,
        cast,
        sent_by_member_ids=[cast.cynthia, cast.marcus],
        sent_to=[
            PersonRef("candidate", cast.diana),
            PersonRef("candidate", cast.benjamin),
            PersonRef("member", cast.isabel),
        ],
    )

    assert timeline_ids(session, cast.diana, cast.isabel) == [item.id]
    assert timeline_ids(session, cast.benjamin, cast.isabel) == [item.id]
    assert timeline_ids(session, cast.camila, cast.isabel) == []
    assert [(p.name, p.email, p.role, p.kind) for p in item.sent_by] == [
        ("Cynthia Park", "cynthia@firm.example", "from", "member"),
        ("Marcus Reed", "marcus@firm.example", "from", "member"),
    ]
    assert [(p.name, p.kind, p.id) for p in item.to] == [
        ("Diana Allen", "candidate", cast.diana),
        ("Benjamin Cho", "candidate", cast.benjamin),
        ("Isabel Moreno", "member", cast.isabel),
    ]
    assert (item.cc, item.bcc) == ([], [])
    assert (item.origin, item.is_system, item.version) == ("logged", False, 1)
    assert item.is_edited is False
    assert (item.type_label, item.type_icon) == ("Email", "mail")
    assert (item.logged_by_id, item.logged_by_name) == (cast.cynthia, "Cynthia Park")
    assert item.occurred_at_iso == "2026-05-04T14:00:00+00:00"
    assert item.can_edit is True

    # The recipients' names and addresses are kept as they were when it was logged.
    rows = session.exec(
        select(CommunicationParticipant).where(CommunicationParticipant.communication_id == item.id)
    ).all()
    assert {(r.role, r.display_name, r.email) for r in rows} == {
        ("from", "Cynthia Park", "cynthia@firm.example"),
        ("from", "Marcus Reed", "marcus@firm.example"),
        ("to", "Diana Allen", "dallen@law.example"),
        ("to", "Benjamin Cho", "bcho@law.example"),
        ("to", "Isabel Moreno", "isabel@firm.example"),
    }
    communication = session.get(Communication, item.id)
    assert (communication.logged_by_id, communication.created_at) == (cast.cynthia, NOW)


def test_someone_else_sees_the_entry_without_the_menu(session: Session, cast: Cast) -> None:
    item = log(session, cast)
    as_isabel = get_communication(session=session, communication_id=item.id, viewer_id=cast.isabel)
    assert as_isabel.can_edit is False
    assert as_isabel.logged_by_name == "Cynthia Park"
    as_marcus = get_communication(session=session, communication_id=item.id, viewer_id=cast.marcus)
    assert as_marcus.can_edit is False


def test_markup_is_stored_and_returned_verbatim(session: Session, cast: Cast) -> None:
    subject = "<script>alert('x')</script> & <b>bold</b>"
    body = "<img src=x onerror=alert(1)>\n\n<a href='javascript:alert(1)'>link</a>"
    item = log(session, cast, subject=subject, description=body)
    again = get_communication(session=session, communication_id=item.id, viewer_id=cast.isabel)
    assert (again.subject, again.body) == (subject, body)


def test_text_is_tidied_but_line_breaks_are_kept(session: Session, cast: Cast) -> None:
    item = log(session, cast, subject="  Phone \t screen\n ", description="\r\n Line one\r\nTwo \n")
    assert item.subject == "Phone screen"
    assert item.body == "Line one\nTwo"


def test_lengths_at_the_limits_are_accepted(session: Session, cast: Cast) -> None:
    item = log(session, cast, subject="s" * 200, description="d" * 20_000)
    assert (len(item.subject), len(item.body)) == (200, 20_000)


def test_a_minute_of_clock_skew_is_allowed(session: Session, cast: Cast) -> None:
    item = log(session, cast, occurred_at=NOW + timedelta(seconds=50))
    assert item.occurred_at_iso == "2026-05-04T15:00:50+00:00"


def test_any_time_zone_is_stored_as_utc(session: Session, cast: Cast) -> None:
    eastern = datetime(2026, 5, 4, 5, 30, tzinfo=timezone(timedelta(hours=-4)))
    item = log(session, cast, occurred_at=eastern)
    assert item.occurred_at_iso == "2026-05-04T09:30:00+00:00"


def _bad(cast: Cast) -> dict[str, tuple[str, dict[str, Any]]]:
    day = date(2026, 5, 1)
    return {
        "unknown type": ("type", {"type": "fax"}),
        "type not a string": ("type", {"type": 3}),
        "type missing": ("type", {"type": None}),
        "type as a list": ("type", {"type": ["email"]}),
        "naive date": ("occurred_at", {"occurred_at": datetime(2026, 5, 1, 12, 0)}),
        "date as a string": ("occurred_at", {"occurred_at": "2026-05-01T12:00:00+00:00"}),
        "a date without a time": ("occurred_at", {"occurred_at": day}),
        "future date": ("occurred_at", {"occurred_at": NOW + timedelta(minutes=2)}),
        "before 1990": ("occurred_at", {"occurred_at": datetime(1989, 12, 31, tzinfo=UTC)}),
        "no senders": ("sent_by", {"sent_by_member_ids": []}),
        "sender id as a string": ("sent_by", {"sent_by_member_ids": [str(cast.cynthia)]}),
        "sender id as a bool": ("sent_by", {"sent_by_member_ids": [True]}),
        "senders not a list": ("sent_by", {"sent_by_member_ids": cast.cynthia}),
        "unknown sender": ("sent_by", {"sent_by_member_ids": [cast.cynthia, 999_999]}),
        "huge sender id": ("sent_by", {"sent_by_member_ids": [10**20]}),
        "inactive sender": ("sent_by", {"sent_by_member_ids": [cast.former]}),
        "too many senders": ("sent_by", {"sent_by_member_ids": list(range(1, 102))}),
        "no recipients": ("sent_to", {"sent_to": []}),
        "recipient id as a string": ("sent_to", {"sent_to": [PersonRef("candidate", "1")]}),
        "recipient of an unknown kind": ("sent_to", {"sent_to": [PersonRef("agency", 1)]}),
        "recipient as a dict": ("sent_to", {"sent_to": [{"kind": "candidate", "id": cast.diana}]}),
        "unknown candidate": ("sent_to", {"sent_to": [PersonRef("candidate", 999_999)]}),
        "inactive member": (
            "sent_to",
            {"sent_to": [PersonRef("candidate", cast.diana), PersonRef("member", cast.former)]},
        ),
        "members only": ("sent_to", {"sent_to": [PersonRef("member", cast.isabel)]}),
        "empty subject": ("subject", {"subject": ""}),
        "blank subject": ("subject", {"subject": " \n\t "}),
        "201-character subject": ("subject", {"subject": "s" * 201}),
        "subject not a string": ("subject", {"subject": 42}),
        "subject with NUL": ("subject", {"subject": "a\x00b"}),
        "empty description": ("description", {"description": "  "}),
        "20,001-character description": ("description", {"description": "d" * 20_001}),
        "description missing": ("description", {"description": None}),
    }


BAD_CASES = list(_bad(Cast(1, 2, 3, 4, 5, 6, 7)))


@pytest.mark.parametrize("case", BAD_CASES)
def test_each_wrong_field_is_reported_and_nothing_is_saved(
    session: Session, cast: Cast, case: str
) -> None:
    field, changes = _bad(cast)[case]
    with pytest.raises(Invalid) as raised:
        log(session, cast, **changes)
    assert list(raised.value.field_errors) == [field]
    assert raised.value.field_errors[field]
    assert session.exec(select(sa.func.count()).select_from(Communication)).one() == 0
    assert session.exec(select(sa.func.count()).select_from(TimelineEntry)).one() == 0


def test_every_wrong_field_is_reported_at_once(session: Session, cast: Cast) -> None:
    data = CommunicationInput(
        type="telegram",
        occurred_at=NOW + timedelta(days=1),
        sent_by_member_ids=[],
        sent_to=[],
        subject="",
        description="",
    )
    with pytest.raises(Invalid) as raised:
        log_communication(session=session, actor_id=cast.cynthia, data=data, now=NOW)
    assert set(raised.value.field_errors) == {
        "type",
        "occurred_at",
        "sent_by",
        "sent_to",
        "subject",
        "description",
    }


def test_messages_say_what_is_wrong(session: Session, cast: Cast) -> None:
    with pytest.raises(Invalid) as raised:
        log(session, cast, subject="s" * 201, occurred_at=NOW + timedelta(hours=1))
    assert raised.value.field_errors == {
        "occurred_at": "The date cannot be in the future.",
        "subject": "Use at most 200 characters (this one has 201).",
    }


@pytest.mark.parametrize("data", [None, {"type": "email"}, "email", 42])
def test_something_else_than_the_form_is_refused(session: Session, cast: Cast, data: Any) -> None:
    with pytest.raises(Invalid):
        log_communication(session=session, actor_id=cast.cynthia, data=data, now=NOW)


def test_only_active_admins_may_log(session: Session, cast: Cast) -> None:
    for actor in (cast.marcus, cast.former, 999_999, str(cast.cynthia), True, None):
        with pytest.raises(NotAllowed):
            log_communication(session=session, actor_id=actor, data=entry(cast), now=NOW)
    assert session.exec(select(sa.func.count()).select_from(Communication)).one() == 0


def test_an_admin_may_log_for_another_member(session: Session, cast: Cast) -> None:
    item = log_communication(
        session=session,
        actor_id=cast.isabel,
        data=entry(cast, sent_by_member_ids=[cast.marcus]),
        now=NOW,
    )
    assert [p.name for p in item.sent_by] == ["Marcus Reed"]
    assert item.logged_by_name == "Isabel Moreno"


def test_repeated_people_are_named_once(session: Session, cast: Cast) -> None:
    item = log(
        session,
        cast,
        sent_by_member_ids=[cast.cynthia, cast.cynthia],
        sent_to=[PersonRef("candidate", cast.diana), PersonRef("candidate", cast.diana)],
    )
    assert ([p.id for p in item.sent_by], [p.id for p in item.to]) == ([cast.cynthia], [cast.diana])


# --- editing --------------------------------------------------------------------------


def edit(
    session: Session,
    cast: Cast,
    item_id: int,
    version: int,
    actor: int | None = None,
    **changes: Any,
) -> TimelineItem:
    return edit_communication(
        session=session,
        actor_id=cast.cynthia if actor is None else actor,
        communication_id=item_id,
        expected_version=version,
        data=entry(cast, **changes),
        now=NOW + timedelta(minutes=5),
    )


def test_the_author_edits_and_a_revision_is_kept(session: Session, cast: Cast) -> None:
    item = log(session, cast, subject="Phone screen")
    edited = edit(
        session,
        cast,
        item.id,
        1,
        type="phone_call",
        subject="Phone screen with Diana",
        occurred_at=NOW - timedelta(hours=2),
        sent_by_member_ids=[cast.cynthia, cast.marcus],
    )

    assert (edited.version, edited.is_edited, edited.type_label) == (2, True, "Phone Call")
    assert edited.subject == "Phone screen with Diana"
    assert [p.name for p in edited.sent_by] == ["Cynthia Park", "Marcus Reed"]
    assert timeline_ids(session, cast.diana, cast.isabel) == [item.id]
    entry_row = session.exec(
        select(TimelineEntry).where(TimelineEntry.communication_id == item.id)
    ).one()
    assert (entry_row.type, entry_row.occurred_at) == ("phone_call", NOW - timedelta(hours=2))

    revision = session.exec(select(CommunicationRevision)).one()
    assert (revision.action, revision.actor_id) == ("edit", cast.cynthia)
    assert revision.before["subject"] == "Phone screen"
    assert revision.after["subject"] == "Phone screen with Diana"
    assert revision.before["sent_by"] == [{"id": cast.cynthia, "name": "Cynthia Park"}]
    assert revision.before["sent_to"] == [
        {"kind": "candidate", "id": cast.diana, "name": "Diana Allen", "role": "to"}
    ]
    assert revision.before["occurred_at"] == "2026-05-04T14:00:00+00:00"
    assert json.loads(json.dumps(revision.after)) == revision.after

    [view] = list_revisions(session=session, communication_id=item.id, viewer_id=cast.marcus)
    assert (view.action, view.action_label, view.actor_name) == ("edit", "Edited", "Cynthia Park")
    assert view.created_at_iso == "2026-05-04T15:05:00+00:00"
    assert view.changes == [
        "Type: 'Email' → 'Phone Call'",
        "Date: '2026-05-04 14:00 UTC' → '2026-05-04 13:00 UTC'",
        "Sent by: 'Cynthia Park' → 'Cynthia Park, Marcus Reed'",
        "Subject: 'Phone screen' → 'Phone screen with Diana'",
    ]


def test_changing_recipients_moves_the_entry_between_timelines(
    session: Session, cast: Cast
) -> None:
    item = log(
        session,
        cast,
        sent_to=[PersonRef("candidate", cast.diana), PersonRef("candidate", cast.benjamin)],
    )
    edit(
        session,
        cast,
        item.id,
        1,
        sent_to=[PersonRef("candidate", cast.diana), PersonRef("candidate", cast.camila)],
    )
    assert timeline_ids(session, cast.diana, cast.isabel) == [item.id]
    assert timeline_ids(session, cast.benjamin, cast.isabel) == []
    assert timeline_ids(session, cast.camila, cast.isabel) == [item.id]
    [view] = list_revisions(session=session, communication_id=item.id, viewer_id=cast.isabel)
    assert view.changes == ["Sent to: 'Diana Allen, Benjamin Cho' → 'Diana Allen, Camila Reyes'"]


@pytest.mark.parametrize("who", ["isabel", "marcus", "former"])
def test_only_the_author_may_edit_and_nothing_changes(
    session: Session, cast: Cast, who: str
) -> None:
    item = log(session, cast)
    before = state_of(session, item.id)
    with pytest.raises(NotAllowed):
        edit(session, cast, item.id, 1, actor=getattr(cast, who), subject="Hijacked")
    assert state_of(session, item.id) == before


def test_a_demoted_author_may_no_longer_edit(session: Session, cast: Cast) -> None:
    item = log(session, cast)
    session.get(Member, cast.cynthia).role = "member"
    session.commit()
    with pytest.raises(NotAllowed):
        edit(session, cast, item.id, 1, subject="Changed")
    assert (
        get_communication(
            session=session, communication_id=item.id, viewer_id=cast.cynthia
        ).can_edit
        is False
    )


def test_system_entries_cannot_be_edited_or_deleted(session: Session, cast: Cast) -> None:
    email_id = system_email(session, cast, candidate_id=cast.diana, occurred_at=NOW)
    before = state_of(session, email_id)
    with pytest.raises(NotAllowed, match="System-generated"):
        edit(session, cast, email_id, 1, subject="Changed")
    with pytest.raises(NotAllowed, match="System-generated"):
        delete_communication(
            session=session, actor_id=cast.cynthia, communication_id=email_id, expected_version=1
        )
    assert state_of(session, email_id) == before
    item = get_communication(session=session, communication_id=email_id, viewer_id=cast.cynthia)
    assert item.can_edit is False


def test_a_stale_version_is_a_conflict_and_nothing_changes(session: Session, cast: Cast) -> None:
    item = log(session, cast)
    edit(session, cast, item.id, 1, subject="First tab")
    before = state_of(session, item.id)
    with pytest.raises(Conflict) as raised:
        edit(session, cast, item.id, 1, subject="Second tab")
    assert str(raised.value) == STALE_VERSION
    with pytest.raises(Conflict):
        delete_communication(
            session=session, actor_id=cast.cynthia, communication_id=item.id, expected_version=1
        )
    assert state_of(session, item.id) == before


def test_the_update_itself_checks_author_and_version(session: Session, cast: Cast) -> None:
    """Even past the first checks (a race), the UPDATE matches nothing and nothing changes."""
    item = log(session, cast)
    before = state_of(session, item.id)
    for actor, version in ((cast.isabel, 1), (cast.cynthia, 7)):
        with pytest.raises((NotAllowed, Conflict)):
            service._guarded_update(
                session,
                communication_id=item.id,
                actor_id=actor,
                expected_version=version,
                verb="edit",
                values={"subject": "Raced"},
            )
        session.rollback()
    assert state_of(session, item.id) == before


def test_invalid_edit_changes_nothing(session: Session, cast: Cast) -> None:
    item = log(session, cast)
    before = state_of(session, item.id)
    with pytest.raises(Invalid) as raised:
        edit(session, cast, item.id, 1, subject="", sent_to=[])
    assert set(raised.value.field_errors) == {"subject", "sent_to"}
    assert state_of(session, item.id) == before


@pytest.mark.parametrize("bad_id", [999_999, "1", None, True, 2**40])
def test_editing_something_that_is_not_there(session: Session, cast: Cast, bad_id: Any) -> None:
    with pytest.raises(NotFound):
        edit(session, cast, bad_id, 1)


@pytest.mark.parametrize("version", ["1", None, 0, 1.0, True])
def test_a_malformed_version_is_refused(session: Session, cast: Cast, version: Any) -> None:
    item = log(session, cast)
    before = state_of(session, item.id)
    with pytest.raises(Invalid):
        edit(session, cast, item.id, version, subject="Changed")
    assert state_of(session, item.id) == before


def test_edit_keeps_what_the_form_cannot_name(session: Session, cast: Cast) -> None:
    """An email to an agency recruiter about Diana keeps the recruiter and Diana's timeline."""
    agency = Agency(name="Momentum Search Partners")
    session.add(agency)
    session.flush()
    bill = AgencyContact(agency_id=agency.id, name="Bill Walter", email="bill@momentum.example")
    session.add(bill)
    session.flush()
    communication = write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.LOGGED,
        occurred_at=NOW - timedelta(days=1),
        subject="Diana Allen: submission",
        body="Hi Bill, thank you for submitting Diana.",
        participants=[
            ParticipantSpec(
                role=ParticipantRole.FROM, display_name="Cynthia Park", member_id=cast.cynthia
            ),
            ParticipantSpec(
                role=ParticipantRole.TO,
                display_name="Bill Walter",
                email="bill@momentum.example",
                agency_contact_id=bill.id,
            ),
        ],
        about_candidate_ids=[cast.diana],
        logged_by_id=cast.cynthia,
    )
    session.commit()

    edited = edit(
        session,
        cast,
        communication.id,
        1,
        subject="Diana Allen: submission received",
        sent_to=[PersonRef("candidate", cast.benjamin)],
    )
    assert [(p.name, p.kind) for p in edited.to] == [
        ("Benjamin Cho", "candidate"),
        ("Bill Walter", "agency_contact"),
    ]
    assert timeline_ids(session, cast.diana, cast.isabel) == [communication.id]
    assert timeline_ids(session, cast.benjamin, cast.isabel) == [communication.id]


def test_a_member_who_left_may_stay_on_an_entry(session: Session, cast: Cast) -> None:
    item = log(session, cast, sent_by_member_ids=[cast.cynthia, cast.marcus])
    session.get(Member, cast.marcus).is_active = False
    session.commit()
    edited = edit(
        session, cast, item.id, 1, sent_by_member_ids=[cast.cynthia, cast.marcus], subject="Typo"
    )
    assert [p.name for p in edited.sent_by] == ["Cynthia Park", "Marcus Reed"]
    with pytest.raises(Invalid):  # but cannot be added anew
        log(session, cast, sent_by_member_ids=[cast.marcus])


# --- deleting -------------------------------------------------------------------------


def test_the_author_deletes_from_every_timeline_and_the_revision_stays(
    session: Session, cast: Cast
) -> None:
    item = log(
        session,
        cast,
        sent_to=[PersonRef("candidate", cast.diana), PersonRef("candidate", cast.benjamin)],
    )
    delete_communication(
        session=session,
        actor_id=cast.cynthia,
        communication_id=item.id,
        expected_version=1,
        now=NOW + timedelta(minutes=9),
    )

    assert timeline_ids(session, cast.diana, cast.isabel) == []
    assert timeline_ids(session, cast.benjamin, cast.isabel) == []
    with pytest.raises(NotFound):
        get_communication(session=session, communication_id=item.id, viewer_id=cast.isabel)
    session.expire_all()
    communication = session.get(Communication, item.id)
    assert (communication.deleted_at, communication.version) == (NOW + timedelta(minutes=9), 2)
    [view] = list_revisions(session=session, communication_id=item.id, viewer_id=cast.isabel)
    assert (view.action, view.action_label, view.changes) == ("delete", "Deleted", [])
    revision = session.exec(select(CommunicationRevision)).one()
    assert revision.after is None
    assert revision.before["subject"] == item.subject
    assert [p["name"] for p in revision.before["sent_to"]] == ["Diana Allen", "Benjamin Cho"]
    with pytest.raises(NotFound):
        delete_communication(
            session=session, actor_id=cast.cynthia, communication_id=item.id, expected_version=2
        )
    with pytest.raises(NotFound):
        edit(session, cast, item.id, 2)


@pytest.mark.parametrize("who", ["isabel", "marcus"])
def test_only_the_author_may_delete(session: Session, cast: Cast, who: str) -> None:
    item = log(session, cast)
    before = state_of(session, item.id)
    with pytest.raises(NotAllowed):
        delete_communication(
            session=session,
            actor_id=getattr(cast, who),
            communication_id=item.id,
            expected_version=1,
        )
    assert state_of(session, item.id) == before
    assert timeline_ids(session, cast.diana, cast.isabel) == [item.id]


def test_revisions_are_newest_first_and_need_a_member(session: Session, cast: Cast) -> None:
    item = log(session, cast, subject="One")
    edit(session, cast, item.id, 1, subject="Two")
    edit_communication(
        session=session,
        actor_id=cast.cynthia,
        communication_id=item.id,
        expected_version=2,
        data=entry(cast, subject="Three"),
        now=NOW + timedelta(minutes=10),
    )
    views = list_revisions(session=session, communication_id=item.id, viewer_id=cast.isabel)
    assert [v.changes for v in views] == [
        ["Subject: 'Two' → 'Three'"],
        ["Subject: 'One' → 'Two'"],
    ]
    with pytest.raises(NotAllowed):
        list_revisions(session=session, communication_id=item.id, viewer_id=cast.former)
    with pytest.raises(NotFound):
        list_revisions(session=session, communication_id=999_999, viewer_id=cast.isabel)


# --- reading one ----------------------------------------------------------------------


def test_a_system_email_shows_job_trigger_copies_and_delivery(session: Session, cast: Cast) -> None:
    email_id = system_email(
        session, cast, candidate_id=cast.diana, occurred_at=NOW, status=OutboxStatus.FAILED.value
    )
    item = get_communication(session=session, communication_id=email_id, viewer_id=cast.marcus)
    assert (item.is_system, item.origin, item.can_edit, item.is_edited) == (
        True,
        "system",
        False,
        False,
    )
    assert (item.email_kind, item.email_kind_label) == ("job_status", "Job status")
    assert (item.context_kind, item.context_label) == (
        "job",
        "2027 Summer Associate Program - New York",
    )
    assert (item.triggered_by_name, item.trigger) == (
        "Cynthia Park",
        "status changed to Interview Scheduled",
    )
    assert item.delivery_status == "failed"
    assert [p.name for p in item.sent_by] == ["Cynthia Park"]
    assert [(p.email, p.kind, p.id) for p in item.cc] == [("interviews@firm.example", "address", 0)]
    assert [(p.name, p.kind) for p in item.bcc] == [("Marcus Reed", "member")]
    assert (item.logged_by_id, item.logged_by_name) == (0, "")


@pytest.mark.parametrize("viewer", ["former", 999_999, None, "1"])
def test_reading_needs_an_active_member(session: Session, cast: Cast, viewer: Any) -> None:
    item = log(session, cast)
    viewer_id = getattr(cast, viewer) if viewer == "former" else viewer
    with pytest.raises(NotAllowed):
        get_communication(session=session, communication_id=item.id, viewer_id=viewer_id)
    with pytest.raises(NotAllowed):
        list_timeline(session=session, candidate_id=cast.diana, filters=ALL, viewer_id=viewer_id)
    with pytest.raises(NotAllowed):
        count_timeline(session=session, candidate_id=cast.diana, filters=ALL, viewer_id=viewer_id)
    with pytest.raises(NotAllowed):
        export_timeline_csv(
            session=session, candidate_id=cast.diana, filters=ALL, viewer_id=viewer_id
        )


@pytest.mark.parametrize("candidate_id", [999_999, "1", None, -1])
def test_an_unknown_candidate_is_not_found(session: Session, cast: Cast, candidate_id: Any) -> None:
    with pytest.raises(NotFound):
        list_timeline(
            session=session, candidate_id=candidate_id, filters=ALL, viewer_id=cast.isabel
        )


# --- the timeline: filters and counts ---------------------------------------------------


@dataclass(frozen=True)
class Story:
    """Diana's timeline in these tests: ids by what they are."""

    call: int  # phone call, Isabel logged, with Marcus; 3 days ago
    email: int  # email, Cynthia logged, to Diana and Benjamin; 2 days ago
    text: int  # text message, Cynthia logged; 1 day ago
    status: int  # system email, triggered by Cynthia; now
    old: int  # email, Cynthia logged; 400 days ago


@pytest.fixture
def story(session: Session, cast: Cast) -> Story:
    call = log_communication(
        session=session,
        actor_id=cast.isabel,
        data=entry(
            cast,
            type="phone_call",
            occurred_at=NOW - timedelta(days=3),
            sent_by_member_ids=[cast.isabel, cast.marcus],
            subject="Phone screen",
            description="Talked about the Litigation group and pro bono work.",
        ),
        now=NOW,
    )
    email = log(
        session,
        cast,
        occurred_at=NOW - timedelta(days=2),
        sent_to=[PersonRef("candidate", cast.diana), PersonRef("candidate", cast.benjamin)],
        subject="Coffee chat next week",
        description="Would Thursday work for a coffee near campus?",
    )
    text = log(
        session,
        cast,
        type="text_message",
        occurred_at=NOW - timedelta(days=1),
        subject="Interview day logistics",
        description="Ask for Legal Recruiting at the 38th-floor reception.",
    )
    status = system_email(session, cast, candidate_id=cast.diana, occurred_at=NOW)
    old = log(
        session,
        cast,
        occurred_at=NOW - timedelta(days=400),
        subject="LinkedIn introduction",
        description="Reached out about the summer program.",
    )
    return Story(call.id, email.id, text.id, status, old.id)


def page_of(session: Session, cast: Cast, **filters: Any) -> Any:
    return list_timeline(
        session=session,
        candidate_id=cast.diana,
        filters=TimelineFilters(**filters),
        viewer_id=cast.isabel,
    )


def counts_of(page: Any) -> dict[str, int]:
    return {c.type: c.count for c in page.type_counts if c.count}


def test_newest_first_with_counts_per_type(session: Session, cast: Cast, story: Story) -> None:
    page = page_of(session, cast)
    newest_first = [story.status, story.text, story.email, story.call, story.old]
    assert [i.id for i in page.items] == newest_first
    assert page.next_cursor is None
    assert page.total == 5
    assert counts_of(page) == {"email": 3, "phone_call": 1, "text_message": 1}
    assert [c.label for c in page.type_counts] == [
        "Email",
        "Phone Call",
        "Text Message",
        "Video Call",
        "In-Person Meeting",
        "LinkedIn Message",
        "Other",
    ]


def test_type_filter_leaves_the_chips_counting_every_type(
    session: Session, cast: Cast, story: Story
) -> None:
    page = page_of(session, cast, types=["phone_call", "text_message"])
    assert [i.id for i in page.items] == [story.text, story.call]
    assert page.total == 2
    assert counts_of(page) == {"email": 3, "phone_call": 1, "text_message": 1}


def test_origin_filter(session: Session, cast: Cast, story: Story) -> None:
    system = page_of(session, cast, origin="system")
    assert [i.id for i in system.items] == [story.status]
    assert (system.total, counts_of(system)) == (1, {"email": 1})
    logged = page_of(session, cast, origin="logged", types=["email"])
    assert [i.id for i in logged.items] == [story.email, story.old]
    assert logged.total == 2
    assert counts_of(logged) == {"email": 2, "phone_call": 1, "text_message": 1}


def test_date_range_is_inclusive(session: Session, cast: Cast, story: Story) -> None:
    page = page_of(
        session, cast, date_from=NOW - timedelta(days=3), date_to=NOW - timedelta(days=1)
    )
    assert [i.id for i in page.items] == [story.text, story.email, story.call]
    assert page.total == 3
    since = page_of(session, cast, date_from=NOW - timedelta(days=2))
    assert [i.id for i in since.items] == [story.status, story.text, story.email]
    until = page_of(session, cast, date_to=NOW - timedelta(days=100))
    assert [i.id for i in until.items] == [story.old]


def test_person_filter_on_a_member(session: Session, cast: Cast, story: Story) -> None:
    marcus = page_of(session, cast, person=PersonRef("member", cast.marcus))
    assert [i.id for i in marcus.items] == [story.status, story.call]  # BCC, and a sender
    isabel = page_of(session, cast, person=PersonRef("member", cast.isabel))
    assert [i.id for i in isabel.items] == [story.call]  # she logged it
    assert isabel.total == 1


def test_person_filter_on_a_candidate(session: Session, cast: Cast, story: Story) -> None:
    benjamin = page_of(session, cast, person=PersonRef("candidate", cast.benjamin))
    assert [i.id for i in benjamin.items] == [story.email]
    assert counts_of(benjamin) == {"email": 1}


def test_search_subject_and_body_any_case_every_word(
    session: Session, cast: Cast, story: Story
) -> None:
    assert [i.id for i in page_of(session, cast, search="COFFEE").items] == [story.email]
    assert [i.id for i in page_of(session, cast, search="litigation").items] == [story.call]
    both = page_of(session, cast, search="pro bono")
    assert [i.id for i in both.items] == [story.call]
    assert page_of(session, cast, search="coffee litigation").items == []
    filtered = page_of(session, cast, search="interview", types=["text_message"])
    assert [i.id for i in filtered.items] == [story.text]
    assert counts_of(filtered) == {"email": 1, "text_message": 1}  # the status email says it too


def test_search_treats_percent_underscore_and_backslash_literally(
    session: Session, cast: Cast
) -> None:
    subjects = ["Offer at 100% of market", "Offer at 100 of market", "a_b", "axb", "c\\d", "cd"]
    ids = {s: log(session, cast, subject=s).id for s in subjects}
    for text, expected in (("100%", "Offer at 100% of market"), ("a_b", "a_b"), ("c\\d", "c\\d")):
        assert [i.id for i in page_of(session, cast, search=text).items] == [ids[expected]]
    assert page_of(session, cast, search="%").total == 1
    assert page_of(session, cast, search="_").total == 1


def test_filters_combine(session: Session, cast: Cast, story: Story) -> None:
    page = page_of(
        session,
        cast,
        types=["email"],
        origin="logged",
        date_from=NOW - timedelta(days=30),
        person=PersonRef("candidate", cast.benjamin),
        search="thursday",
    )
    assert [i.id for i in page.items] == [story.email]
    assert page.total == 1


def test_counts_can_be_left_out_or_asked_for_alone(
    session: Session, cast: Cast, story: Story
) -> None:
    filters = TimelineFilters(types=["email"], origin="logged")
    page = list_timeline(
        session=session,
        candidate_id=cast.diana,
        filters=filters,
        viewer_id=cast.isabel,
        with_counts=False,
    )
    assert (page.type_counts, page.total) == ([], None)
    assert [i.id for i in page.items] == [story.email, story.old]
    counts = count_timeline(
        session=session, candidate_id=cast.diana, filters=filters, viewer_id=cast.isabel
    )
    with_counts = page_of(session, cast, types=["email"], origin="logged")
    assert (counts.type_counts, counts.total) == (with_counts.type_counts, with_counts.total)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"types": ["fax"]}, "types"),
        ({"types": "email"}, "types"),
        ({"types": [None]}, "types"),
        ({"origin": "robot"}, "origin"),
        ({"origin": None}, "origin"),
        ({"date_from": datetime(2026, 1, 1)}, "date_from"),
        ({"date_to": "2026-01-01"}, "date_to"),
        ({"date_from": NOW, "date_to": NOW - timedelta(days=1)}, "date_to"),
        ({"person": PersonRef("agency", 1)}, "person"),
        ({"person": PersonRef("member", "1")}, "person"),
        ({"person": {"kind": "member", "id": 1}}, "person"),
        ({"search": "x" * 101}, "search"),
        ({"search": None}, "search"),
    ],
)
def test_bad_filters_are_refused(
    session: Session, cast: Cast, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as raised:
        page_of(session, cast, **filters)
    assert list(raised.value.field_errors) == [field]


def test_a_search_of_100_characters_is_fine(session: Session, cast: Cast, story: Story) -> None:
    assert page_of(session, cast, search="y" * 100).items == []


@pytest.mark.parametrize("filters", [None, {}, "all"])
def test_filters_must_be_filters(session: Session, cast: Cast, filters: Any) -> None:
    with pytest.raises(Invalid):
        list_timeline(
            session=session, candidate_id=cast.diana, filters=filters, viewer_id=cast.isabel
        )


@pytest.mark.parametrize("limit", [0, 51, -1, "25", 2.5, True, None])
def test_page_size_is_1_to_50(session: Session, cast: Cast, limit: Any) -> None:
    with pytest.raises(Invalid):
        list_timeline(
            session=session,
            candidate_id=cast.diana,
            filters=ALL,
            limit=limit,
            viewer_id=cast.isabel,
        )


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "!!!!",
        "é",
        "x" * 300,
        _b64(["2026-05-04T15:00:00+00:00"]),
        _b64(["2026-05-04T15:00:00", 5]),  # no time zone
        _b64(["yesterday", 5]),
        _b64(["2026-05-04T15:00:00+00:00", "5"]),
        _b64(["2026-05-04T15:00:00+00:00", 10**20]),
        _b64(["0001-01-01T00:00:00+05:00", 5]),
        _b64({"a": 1, "b": 2}),
        _b64(7),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        5,
    ],
)
def test_a_corrupt_cursor_is_refused(session: Session, cast: Cast, cursor: Any) -> None:
    with pytest.raises(Invalid, match="no longer valid"):
        list_timeline(
            session=session,
            candidate_id=cast.diana,
            filters=ALL,
            after=cursor,
            viewer_id=cast.isabel,
        )


# --- the timeline: pages ------------------------------------------------------------------


def _many(session: Session, cast: Cast, count: int, *, moments: int) -> list[int]:
    """`count` entries for Diana over `moments` distinct times (so many share a time)."""
    ids = []
    for n in range(count):
        communication = write_communication(
            session,
            type=CommunicationType.PHONE_CALL if n % 3 else CommunicationType.EMAIL,
            origin=CommunicationOrigin.LOGGED,
            occurred_at=NOW - timedelta(hours=n % moments),
            subject=f"Entry {n}",
            body=f"Body {n}",
            participants=[
                ParticipantSpec(
                    role=ParticipantRole.FROM, display_name="Cynthia Park", member_id=cast.cynthia
                ),
                ParticipantSpec(
                    role=ParticipantRole.TO, display_name="Diana Allen", candidate_id=cast.diana
                ),
            ],
            logged_by_id=cast.cynthia,
        )
        ids.append(communication.id)
    session.commit()
    return ids


def _walk(session: Session, cast: Cast, filters: TimelineFilters, limit: int) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = list_timeline(
            session=session,
            candidate_id=cast.diana,
            filters=filters,
            after=cursor,
            limit=limit,
            viewer_id=cast.isabel,
            with_counts=cursor is None,
        )
        pages.append([i.id for i in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(page.items) == limit


def test_pages_follow_each_other_through_ties_without_gaps_or_repeats(
    session: Session, cast: Cast
) -> None:
    ids = _many(session, cast, 60, moments=6)  # ten entries share each time
    expected = sorted(ids, key=lambda i: (ids.index(i) % 6, -i))  # newest time, then highest id

    pages = _walk(session, cast, ALL, limit=7)

    assert len(pages) == 9
    assert [len(p) for p in pages] == [7] * 8 + [4]
    flat = [i for page in pages for i in page]
    assert flat == expected
    assert len(set(flat)) == 60


def test_pages_with_a_filter_and_an_exact_last_page(session: Session, cast: Cast) -> None:
    ids = _many(session, cast, 30, moments=4)
    emails = [i for n, i in enumerate(ids) if n % 3 == 0]  # ten emails
    filters = TimelineFilters(types=["email"])
    pages = _walk(session, cast, filters, limit=5)
    assert [len(p) for p in pages] == [5, 5]
    assert sorted(i for p in pages for i in p) == sorted(emails)


def test_a_page_is_a_fixed_number_of_queries(session: Session, cast: Cast) -> None:
    """One query for the page (participants included), one for the counts: never one per row."""
    _many(session, cast, 40, moments=40)
    engine = session.get_bind()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for limit in (2, 40):
            statements.clear()
            page = list_timeline(
                session=session,
                candidate_id=cast.diana,
                filters=TimelineFilters(search="entry"),
                limit=limit,
                viewer_id=cast.isabel,
            )
            assert len(page.items) == limit
            assert all(len(i.to) == 1 and len(i.sent_by) == 1 for i in page.items)
            # (PostgreSQL also gets a set_config() for the plan: it reads no table.)
            reads = [s for s in statements if "FROM" in s.upper()]
            assert len(reads) == 2
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_the_page_query_walks_ix_timeline_page(session: Session, cast: Cast) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL plans by table size")
    _many(session, cast, 5, moments=5)
    engine = session.get_bind()
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        list_timeline(session=session, candidate_id=cast.diana, filters=ALL, viewer_id=cast.isabel)
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = next((s, p) for s, p in seen if "timeline_entry.occurred_at DESC" in s)
    plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    text = " | ".join(row[-1] for row in plan.all())
    assert "COVERING INDEX ix_timeline_page" in text  # the walk reads no timeline row
    assert "TEMP B-TREE" not in text  # no sort: the index gives the order
    # Participants and thread sizes: a few index entries per row, not the timeline.
    assert "communication_participant USING INDEX ix_participant_communication" in text
    assert "COVERING INDEX ix_timeline_event" in text


def test_a_page_names_everyone_in_their_order(session: Session, cast: Cast) -> None:
    recipients = [f"Recipient {n}" for n in range(12)]  # positions 10 and 11 sort as numbers
    write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.LOGGED,
        occurred_at=NOW - timedelta(hours=1),
        subject="To a crowd",
        body="Hello all",
        participants=[
            *(
                ParticipantSpec(
                    role=ParticipantRole.CC, display_name=name, email=f"{n}@firm.example"
                )
                for n, name in enumerate(reversed(recipients))
            ),
            ParticipantSpec(role=ParticipantRole.FROM, display_name="C", member_id=cast.cynthia),
            *(
                ParticipantSpec(
                    role=ParticipantRole.TO, display_name=name, email=f"{n}@law.example"
                )
                for n, name in enumerate(recipients)
            ),
            ParticipantSpec(role=ParticipantRole.TO, display_name="D", candidate_id=cast.diana),
        ],
        logged_by_id=cast.cynthia,
    )
    session.commit()
    [item] = page_of(session, cast).items
    assert [(p.name, p.kind, p.id) for p in item.sent_by] == [("C", "member", cast.cynthia)]
    assert [p.name for p in item.to] == [*recipients, "D"]
    assert [(p.kind, p.id) for p in item.to[-2:]] == [("address", 0), ("candidate", cast.diana)]
    assert [p.name for p in item.cc] == list(reversed(recipients))
    assert item.bcc == []
    assert (
        get_communication(session=session, communication_id=item.id, viewer_id=cast.marcus).to
        == item.to
    )


def test_an_entry_that_names_no_one_is_shown_with_no_one(session: Session, cast: Cast) -> None:
    """An email about a candidate who is not among its (here: no) participants."""
    write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.SYSTEM,
        occurred_at=NOW - timedelta(hours=1),
        subject="About Diana",
        body="",
        participants=[],
        about_candidate_ids=[cast.diana],
    )
    session.commit()
    [item] = page_of(session, cast).items
    assert item.subject == "About Diana"
    assert item.sent_by == item.to == item.cc == item.bcc == []


# --- event threads ------------------------------------------------------------------------


@dataclass(frozen=True)
class Threads:
    """Event emails in these tests: ids by what they are."""

    litigation: int  # the event most of them are about
    dinner: int  # another event
    confirmation: int  # to Diana, 10 days ago (written last, so the highest id)
    approval: int  # to Diana, 8 days ago
    reminder: int  # to Diana and Benjamin, 1 day ago
    call: int  # phone call about the event, logged by Cynthia, 5 days ago
    benjamins: int  # to Benjamin only, 9 days ago
    dinner_invite: int  # to Diana, about the dinner, 2 days ago


def outreach_event(session: Session, name: str) -> int:
    event = OutreachEvent(
        type="webinar",
        invite_only=True,
        name=name,
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=3, hours=1),
        registration_slug=name.lower().replace(" ", "-"),
    )
    session.add(event)
    session.commit()
    return event.id


def event_email(
    session: Session,
    cast: Cast,
    *,
    event_id: int,
    kind: EmailKind,
    to: list[int],
    occurred_at: datetime,
    status: str = OutboxStatus.SENT.value,
) -> int:
    """An event email as the system logs it, with its outbox row."""
    communication = write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.SYSTEM,
        occurred_at=occurred_at,
        subject=f"{kind.value.replace('_', ' ').capitalize()} #{len(to)}",
        body="Dear candidate,\n\nAbout the event.",
        participants=[
            ParticipantSpec(
                role=ParticipantRole.FROM,
                display_name="Isabel Moreno",
                email="isabel@firm.example",
                member_id=cast.isabel,
            ),
            *(
                ParticipantSpec(
                    role=ParticipantRole.TO, display_name=f"Candidate {c}", candidate_id=c
                )
                for c in to
            ),
        ],
        triggered_by_id=cast.isabel,
        email_kind=kind.value,
        event_id=event_id,
    )
    session.add(
        EmailOutbox(
            communication_id=communication.id,
            idempotency_key=f"test:{communication.id}",
            status=status,
            message_id=f"<{communication.id}@test>",
            from_address="recruiting@firm.example",
            to_addresses=[f"candidate{c}@law.example" for c in to],
            cc_addresses=[],
            bcc_addresses=[],
            subject=communication.subject,
            body=communication.body,
        )
    )
    session.commit()
    return communication.id


@pytest.fixture
def threads(session: Session, cast: Cast) -> Threads:
    litigation = outreach_event(session, "Women in Litigation")
    dinner = outreach_event(session, "Scholars Dinner")

    def email(kind: EmailKind, days_ago: int, to: list[int], **kwargs: Any) -> int:
        event_id = kwargs.pop("event_id", litigation)
        return event_email(
            session,
            cast,
            event_id=event_id,
            kind=kind,
            to=to,
            occurred_at=NOW - timedelta(days=days_ago),
            **kwargs,
        )

    approval = email(EmailKind.EVENT_APPROVAL, 8, [cast.diana])
    reminder = email(EmailKind.EVENT_REMINDER, 1, [cast.diana, cast.benjamin], status="pending")
    benjamins = email(EmailKind.EVENT_REGISTRATION_CONFIRMATION, 9, [cast.benjamin])
    dinner_invite = email(EmailKind.EVENT_PROFILE_REQUEST, 2, [cast.diana], event_id=dinner)
    confirmation = email(EmailKind.EVENT_REGISTRATION_CONFIRMATION, 10, [cast.diana])
    # A call about the event, logged by a member (the modal cannot link one yet).
    call = write_communication(
        session,
        type=CommunicationType.PHONE_CALL,
        origin=CommunicationOrigin.LOGGED,
        occurred_at=NOW - timedelta(days=5),
        subject="Call about the webinar",
        body="Diana asked whether the webinar is recorded.",
        participants=[
            ParticipantSpec(role=ParticipantRole.FROM, display_name="C", member_id=cast.cynthia),
            ParticipantSpec(role=ParticipantRole.TO, display_name="D", candidate_id=cast.diana),
        ],
        logged_by_id=cast.cynthia,
        event_id=litigation,
    ).id
    session.commit()
    log(session, cast, subject="Not about an event")
    return Threads(
        litigation, dinner, confirmation, approval, reminder, call, benjamins, dinner_invite
    )


def thread_of(session: Session, cast: Cast, candidate_id: int, event_id: int) -> list[Any]:
    return service.list_event_thread(
        session=session, candidate_id=candidate_id, event_id=event_id, viewer_id=cast.marcus
    )


def test_each_event_email_knows_the_size_of_its_thread(
    session: Session, cast: Cast, threads: Threads
) -> None:
    page = page_of(session, cast)
    sizes = {i.id: (i.event_id, i.thread_count) for i in page.items}
    litigation, dinner = threads.litigation, threads.dinner
    assert sizes == {
        threads.confirmation: (litigation, 4),
        threads.approval: (litigation, 4),
        threads.call: (litigation, 4),
        threads.reminder: (litigation, 4),
        threads.dinner_invite: (dinner, 1),
        page.items[0].id: (0, 0),  # the logged entry about no event
    }
    # Benjamin's thread is his own: the shared reminder and his confirmation.
    benjamins = list_timeline(
        session=session, candidate_id=cast.benjamin, filters=ALL, viewer_id=cast.marcus
    )
    assert [(i.id, i.thread_count) for i in benjamins.items] == [
        (threads.reminder, 2),
        (threads.benjamins, 2),
    ]


def test_a_thread_counts_all_of_it_whatever_the_page_and_filters_show(
    session: Session, cast: Cast, threads: Threads
) -> None:
    one = list_timeline(
        session=session,
        candidate_id=cast.diana,
        filters=TimelineFilters(types=["phone_call"]),
        limit=1,
        viewer_id=cast.isabel,
    )
    assert [(i.id, i.thread_count) for i in one.items] == [(threads.call, 4)]
    second = list_timeline(
        session=session,
        candidate_id=cast.diana,
        filters=ALL,
        after=list_timeline(
            session=session, candidate_id=cast.diana, filters=ALL, limit=3, viewer_id=cast.isabel
        ).next_cursor,
        limit=3,
        viewer_id=cast.isabel,
        with_counts=False,
    )
    assert [(i.id, i.thread_count) for i in second.items] == [
        (threads.call, 4),
        (threads.approval, 4),
        (threads.confirmation, 4),
    ]


def test_a_thread_is_oldest_first_with_kind_delivery_and_origin(
    session: Session, cast: Cast, threads: Threads
) -> None:
    thread = thread_of(session, cast, cast.diana, threads.litigation)
    assert [(e.id, e.label, e.delivery_status, e.origin) for e in thread] == [
        (threads.confirmation, "Registration Confirmation", "sent", "system"),
        (threads.approval, "Approval", "sent", "system"),
        (threads.call, "Phone Call", "", "logged"),
        (threads.reminder, "Reminder", "pending", "system"),
    ]
    assert thread[2].subject == "Call about the webinar"
    assert thread[0].occurred_at_iso == (NOW - timedelta(days=10)).isoformat()
    assert [e.id for e in thread_of(session, cast, cast.diana, threads.dinner)] == [
        threads.dinner_invite
    ]


def test_a_thread_holds_only_that_candidates_entries(
    session: Session, cast: Cast, threads: Threads
) -> None:
    assert [e.id for e in thread_of(session, cast, cast.benjamin, threads.litigation)] == [
        threads.benjamins,
        threads.reminder,
    ]
    assert thread_of(session, cast, cast.camila, threads.litigation) == []


def test_ties_in_a_thread_are_in_the_order_they_were_written(session: Session, cast: Cast) -> None:
    event_id = outreach_event(session, "Coffee Chats")
    at = NOW - timedelta(days=1)
    ids = [
        event_email(session, cast, event_id=event_id, kind=kind, to=[cast.diana], occurred_at=at)
        for kind in (EmailKind.EVENT_FINAL_SCHEDULE, EmailKind.EVENT_CANCELLATION)
    ]
    assert [e.id for e in thread_of(session, cast, cast.diana, event_id)] == ids


def test_a_deleted_entry_leaves_the_thread_and_its_count(
    session: Session, cast: Cast, threads: Threads
) -> None:
    delete_communication(
        session=session, actor_id=cast.cynthia, communication_id=threads.call, expected_version=1
    )
    assert threads.call not in [
        e.id for e in thread_of(session, cast, cast.diana, threads.litigation)
    ]
    counts = {i.id: i.thread_count for i in page_of(session, cast).items if i.event_id}
    assert counts == {
        threads.confirmation: 3,
        threads.approval: 3,
        threads.reminder: 3,
        threads.dinner_invite: 1,
    }


def test_an_edit_keeps_the_entry_in_its_thread_on_every_timeline(
    session: Session, cast: Cast, threads: Threads
) -> None:
    edit_communication(
        session=session,
        actor_id=cast.cynthia,
        communication_id=threads.call,
        expected_version=1,
        data=entry(
            cast,
            type="phone_call",
            occurred_at=NOW - timedelta(days=5),
            sent_to=[PersonRef("candidate", cast.diana), PersonRef("candidate", cast.benjamin)],
            subject="Call about the webinar, with Benjamin",
        ),
        now=NOW,
    )
    entries = session.exec(
        select(TimelineEntry.candidate_id, TimelineEntry.event_id).where(
            TimelineEntry.communication_id == threads.call
        )
    ).all()
    assert sorted(entries) == sorted(
        [(cast.diana, threads.litigation), (cast.benjamin, threads.litigation)]
    )
    sizes = {i.id: i.thread_count for i in page_of(session, cast).items if i.event_id}
    assert sizes[threads.call] == 4
    assert [e.id for e in thread_of(session, cast, cast.benjamin, threads.litigation)] == [
        threads.benjamins,
        threads.call,
        threads.reminder,
    ]


def test_upgrading_gives_existing_entries_their_event(database_url: str) -> None:
    """Migration 0003 fills in the event of entries written before it; its downgrade keeps them."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "0002_event_email_batches")
    engine = make_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            cast = make_cast(session)
            event_id = outreach_event(session, "Women in Litigation")
            written = []
            for n, event in enumerate((event_id, None, event_id)):
                communication = Communication(
                    type="email",
                    origin="system",
                    email_kind="event_update" if event else None,
                    occurred_at=NOW - timedelta(days=n),
                    subject=f"Email {n}",
                    event_id=event,
                )
                session.add(communication)
                session.flush()
                session.add(
                    CommunicationParticipant(
                        communication_id=communication.id,
                        role="to",
                        candidate_id=cast.diana,
                        display_name="Diana Allen",
                    )
                )
                # The table as 0002 has it: no event column.
                session.execute(
                    sa.insert(TimelineEntry.__table__).values(
                        candidate_id=cast.diana,
                        communication_id=communication.id,
                        occurred_at=communication.occurred_at,
                        type="email",
                        origin="system",
                    )
                )
                written.append(communication.id)
            session.commit()

        command.upgrade(config, "head")
        with Session(engine) as session:
            copied = dict(
                session.exec(select(TimelineEntry.communication_id, TimelineEntry.event_id)).all()
            )
            assert copied == {written[0]: event_id, written[1]: None, written[2]: event_id}
            page = list_timeline(
                session=session, candidate_id=cast.diana, filters=ALL, viewer_id=cast.isabel
            )
            assert [(i.id, i.thread_count) for i in page.items] == [
                (written[0], 2),
                (written[1], 0),
                (written[2], 2),
            ]

        command.downgrade(config, "0002_event_email_batches")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("timeline_entry")}
            assert "event_id" not in columns
            assert conn.exec_driver_sql("SELECT count(*) FROM timeline_entry").scalar() == 3
    finally:
        engine.dispose()


@pytest.mark.parametrize("event_id", [999_999, "1", None, True, 0, -1, 1.0, 2**40, [1]])
def test_a_thread_of_no_such_event_is_refused(
    session: Session, cast: Cast, threads: Threads, event_id: Any
) -> None:
    with pytest.raises(NotFound, match="event"):
        thread_of(session, cast, cast.diana, event_id)


@pytest.mark.parametrize("candidate_id", [999_999, "1", None, True, 0, 2**40])
def test_a_thread_of_no_such_candidate_is_refused(
    session: Session, cast: Cast, threads: Threads, candidate_id: Any
) -> None:
    with pytest.raises(NotFound, match="candidate"):
        thread_of(session, cast, candidate_id, threads.litigation)


@pytest.mark.parametrize("viewer", ["former", 999_999, None, "1", True])
def test_reading_a_thread_needs_an_active_member(
    session: Session, cast: Cast, threads: Threads, viewer: Any
) -> None:
    viewer_id = getattr(cast, viewer) if viewer == "former" else viewer
    for candidate_id, event_id in ((cast.diana, threads.litigation), (None, "bad")):
        with pytest.raises(NotAllowed):
            service.list_event_thread(
                session=session, candidate_id=candidate_id, event_id=event_id, viewer_id=viewer_id
            )


def test_a_page_with_thread_sizes_is_one_query_and_a_thread_is_two(
    session: Session, cast: Cast
) -> None:
    events = [outreach_event(session, f"Event {n}") for n in range(3)]
    for n in range(30):
        event_email(
            session,
            cast,
            event_id=events[n % 3],
            kind=EmailKind.EVENT_UPDATE,
            to=[cast.diana],
            occurred_at=NOW - timedelta(hours=n),
        )
    engine = session.get_bind()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for limit in (2, 30):
            statements.clear()
            page = list_timeline(
                session=session,
                candidate_id=cast.diana,
                filters=ALL,
                limit=limit,
                viewer_id=cast.isabel,
                with_counts=False,
            )
            assert {i.thread_count for i in page.items} == {10}
            # The page, with its participants and thread sizes.
            assert len([s for s in statements if "FROM" in s.upper()]) == 1
        statements.clear()
        assert len(thread_of(session, cast, cast.diana, events[0])) == 10
        # The viewer (with the candidate) and the thread.
        assert len([s for s in statements if "FROM" in s.upper()]) == 2
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# --- export -------------------------------------------------------------------------------


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_export_neutralises_formulas(session: Session, cast: Cast) -> None:
    dangerous = ['=HYPERLINK("http://x")', "+1 555 0100", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    for n, text in enumerate(dangerous):
        log(
            session,
            cast,
            occurred_at=NOW - timedelta(minutes=n),
            subject=f"Subject {n}",
            description=f"{text} in the body" if n != 5 else "plain body",
        )
    log(session, cast, occurred_at=NOW - timedelta(hours=1), subject="=cmd|' /C calc'!A0")

    rows = _rows(
        export_timeline_csv(
            session=session, candidate_id=cast.diana, filters=ALL, viewer_id=cast.marcus
        )
    )

    assert rows[0] == [
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
    ]
    bodies = [row[10] for row in rows[1:]]
    assert bodies[:5] == [
        '\'=HYPERLINK("http://x") in the body',
        "'+1 555 0100 in the body",
        "'-2+3 in the body",
        "'@SUM(A1) in the body",
        # a leading tab is whitespace: the description is trimmed, so it never reaches a cell
        "Tab in the body",
    ]
    assert rows[-1][3] == "'=cmd|' /C calc'!A0"
    assert rows[1][:6] == [
        "2026-05-04T15:00:00+00:00",
        "Email",
        "Logged",
        "Subject 0",
        "Cynthia Park <cynthia@firm.example>",
        "Diana Allen <dallen@law.example>",
    ]
    assert rows[1][9] == "Cynthia Park"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_every_cell_kind_is_neutralised() -> None:
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert service._csv_cell(f"{prefix}x") == f"'{prefix}x"
    assert service._csv_cell("Diana") == "Diana"
    assert service._csv_cell("") == ""


def test_export_follows_the_filters_across_pages(
    session: Session, cast: Cast, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "EXPORT_PAGE_SIZE", 2)  # several pages, stitched in order
    everything = _rows(
        export_timeline_csv(
            session=session, candidate_id=cast.diana, filters=ALL, viewer_id=cast.isabel
        )
    )
    assert [row[3] for row in everything[1:]] == [
        "Interview invitation: 2027 Summer Associate Program",
        "Interview day logistics",
        "Coffee chat next week",
        "Phone screen",
        "LinkedIn introduction",
    ]
    status = everything[1]
    assert status[2] == "System generated"
    assert (status[6], status[7]) == (
        "interviews@firm.example",
        "Marcus Reed <marcus@firm.example>",
    )
    assert status[8] == "2027 Summer Associate Program - New York"
    assert status[9] == "System (triggered by Cynthia Park)"
    assert everything[3][5] == "Diana Allen <dallen@law.example>; Benjamin Cho <bcho@law.example>"

    emails = _rows(
        export_timeline_csv(
            session=session,
            candidate_id=cast.diana,
            filters=TimelineFilters(types=["email"], origin="logged"),
            viewer_id=cast.isabel,
        )
    )
    assert [row[3] for row in emails[1:]] == ["Coffee chat next week", "LinkedIn introduction"]


def test_export_of_an_empty_timeline_is_the_header(session: Session, cast: Cast) -> None:
    text = export_timeline_csv(
        session=session, candidate_id=cast.camila, filters=ALL, viewer_id=cast.isabel
    )
    assert len(_rows(text)) == 1


# --- the modal's pickers -----------------------------------------------------------------


def test_options_match_name_or_email_of_active_members_and_candidates(
    session: Session, cast: Cast
) -> None:
    def names(query: str, **kwargs: Any) -> list[tuple[str, str]]:
        found = member_and_candidate_options(session=session, query=query, **kwargs)
        return [(o.kind, o.name) for o in found]

    assert names("diana allen") == [("candidate", "Diana Allen")]
    assert names("BCHO@") == [("candidate", "Benjamin Cho")]
    assert names("firm.example") == [
        ("member", "Cynthia Park"),
        ("member", "Isabel Moreno"),
        ("member", "Marcus Reed"),
    ]  # not the inactive admin
    assert names("former") == []
    assert names("", kinds=["member"]) == [
        ("member", "Cynthia Park"),
        ("member", "Isabel Moreno"),
        ("member", "Marcus Reed"),
    ]
    assert names("", limit=2) == [
        ("candidate", "Diana Allen"),
        ("candidate", "Benjamin Cho"),
        ("member", "Cynthia Park"),
        ("member", "Isabel Moreno"),
    ]
    assert names("re") == [  # every word anywhere in the name or the address
        ("candidate", "Camila Reyes"),
        ("member", "Isabel Moreno"),
        ("member", "Marcus Reed"),
    ]
    assert names("%") == [] and names("_") == []
    option = member_and_candidate_options(session=session, query="isabel")[0]
    assert (option.kind, option.id, option.email) == ("member", cast.isabel, "isabel@firm.example")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"query": None},
        {"query": "x" * 101},
        {"query": "a", "limit": 0},
        {"query": "a", "limit": 51},
        {"query": "a", "limit": "10"},
        {"query": "a", "kinds": ["agency"]},
        {"query": "a", "kinds": "member"},
        {"query": "a", "kinds": [["member"]]},
        {"query": "a", "kinds": ["member", None]},
    ],
)
def test_bad_option_searches_are_refused(session: Session, kwargs: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        member_and_candidate_options(session=session, **kwargs)


# --- the demo data ----------------------------------------------------------------------------


@pytest.fixture
def demo(session: Session) -> Iterator[Session]:
    seed_demo(session=session, now=NOW)
    session.commit()
    yield session


def _member_id(session: Session, first_name: str) -> int:
    return session.exec(select(Member.id).where(Member.name.startswith(first_name))).one()


def test_dianas_tab_in_the_demo(demo: Session) -> None:
    session = demo
    diana = session.exec(select(Candidate.id).where(Candidate.email.startswith("dallen@"))).one()
    cynthia, isabel = _member_id(session, "Cynthia"), _member_id(session, "Isabel")
    page = list_timeline(session=session, candidate_id=diana, filters=ALL, viewer_id=isabel)
    assert page.total == len(page.items) > 0
    to_bill = [i for i in page.items if any(p.name == "Bill Walter" for p in i.to)]
    assert any(i.is_system and i.email_kind == "job_status" for i in to_bill)
    logged = next(i for i in to_bill if not i.is_system)
    assert (logged.logged_by_name, logged.can_edit) == ("Cynthia Park", False)
    as_cynthia = get_communication(session=session, communication_id=logged.id, viewer_id=cynthia)
    assert as_cynthia.can_edit is True

    # Cynthia logs an email to Diana and another candidate: it is on both profiles.
    other = session.exec(select(Candidate.id).where(Candidate.id != diana)).first()
    item = log_communication(
        session=session,
        actor_id=cynthia,
        data=CommunicationInput(
            type="email",
            occurred_at=NOW - timedelta(minutes=30),
            sent_by_member_ids=[cynthia],
            sent_to=[PersonRef("candidate", diana), PersonRef("candidate", other)],
            subject="Summer program dates",
            description="Sharing the dates for the summer program.",
        ),
        now=NOW,
    )
    for candidate_id in (diana, other):
        first = list_timeline(
            session=session, candidate_id=candidate_id, filters=ALL, limit=1, viewer_id=isabel
        )
        assert first.items[0].id == item.id
    delete_communication(
        session=session, actor_id=cynthia, communication_id=item.id, expected_version=1
    )
    for candidate_id in (diana, other):
        assert item.id not in timeline_ids(session, candidate_id, isabel)


def test_an_item_takes_each_column_into_its_own_field() -> None:
    """`_item` passes the fields in their order: each column lands where its name says."""
    when = datetime(2026, 5, 1, 14, 30, tzinfo=UTC)
    row = (
        41,  # id
        3,  # version
        "phone_call",  # type
        "logged",  # origin
        "job_status",  # email_kind
        when,  # occurred_at
        "The subject",  # subject
        "The body",  # body
        5,  # logged_by_id
        "Logged By",  # logged_by name
        "Triggered By",  # triggered_by name
        "The trigger",  # trigger
        "The job",  # job name
        "The event",  # event name
        "sent",  # delivery status
        9,  # event_id
    )
    people = json.dumps(
        [
            ["to", 1, "Second", "", "address", 0],
            ["from", 0, "Sender", "s@firm.example", "member", 5],
            ["to", 0, "First", "f@law.example", "candidate", 8],
            ["cc", 0, "Copied", "c@firm.example", "member", 6],
            ["bcc", 0, "Blind", "b@agency.example", "agency_contact", 2],
        ]
    )
    item = service._item(row, people, service._Viewer(id=5, is_admin=True), 4)
    assert dataclasses.asdict(item) == {
        "id": 41,
        "version": 3,
        "type": "phone_call",
        "type_label": "Phone Call",
        "type_icon": service.TYPE_ICONS["phone_call"],
        "origin": "logged",
        "is_system": False,
        "email_kind": "job_status",
        "email_kind_label": service.EMAIL_KIND_LABELS["job_status"],
        "occurred_at_iso": "2026-05-01T14:30:00+00:00",
        "subject": "The subject",
        "body": "The body",
        "sent_by": [
            {"name": "Sender", "email": "s@firm.example", "role": "from", "kind": "member", "id": 5}
        ],
        "to": [
            {"name": "First", "email": "f@law.example", "role": "to", "kind": "candidate", "id": 8},
            {"name": "Second", "email": "", "role": "to", "kind": "address", "id": 0},
        ],
        "cc": [
            {"name": "Copied", "email": "c@firm.example", "role": "cc", "kind": "member", "id": 6}
        ],
        "bcc": [
            {
                "name": "Blind",
                "email": "b@agency.example",
                "role": "bcc",
                "kind": "agency_contact",
                "id": 2,
            }
        ],
        "context_label": "The job",
        "context_kind": "job",
        "logged_by_id": 5,
        "logged_by_name": "Logged By",
        "triggered_by_name": "Triggered By",
        "trigger": "The trigger",
        "delivery_status": "",  # a logged entry has none
        "is_edited": True,
        "can_edit": True,
        "event_id": 9,
        "thread_count": 4,
    }
