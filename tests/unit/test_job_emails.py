"""Job emails: status changes, agency routing, the one-transaction rule, update links, templates.

Every test runs on SQLite, and on PostgreSQL when `FLO_TEST_POSTGRES_URL` is set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from flo_comms.errors import Invalid, NotAllowed, NotFound
from flo_comms.models import (
    Agency,
    AgencyContact,
    Application,
    ApplicationStatus,
    ApplicationStatusChange,
    ApplicationUpdate,
    ApplicationUpdateToken,
    Candidate,
    CandidateSource,
    Communication,
    CommunicationParticipant,
    EmailOutbox,
    EmailTemplate,
    Job,
    Member,
    MemberRole,
    TimelineEntry,
)
from flo_comms.schemas import ApplicationUpdateInput
from flo_comms.services import job_emails
from flo_comms.services.defaults import (
    UPDATE_APPLICATION_REQUEST_KEY,
    ensure_defaults,
    status_template_key,
)
from flo_comms.services.demo import DEMO_ACCOUNTS, seed_demo
from flo_comms.services.job_emails import (
    LINK_EXPIRED,
    LINK_USED,
    change_status,
    get_job,
    get_update_request,
    preview_status_change,
    send_update_requests,
    submit_update,
)
from flo_comms.services.templates import list_templates, save_template, set_status_template
from flo_comms.settings import settings

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
CREATED = NOW - timedelta(days=30)
INTERVIEW_CC = "interviews@halewhitmore.example"
INTERVIEW_BCC = "archive@halewhitmore.example"


# --- a small firm ----------------------------------------------------------------------------


@dataclass
class Firm:
    cynthia: int  # admin
    isabel: int  # admin
    marcus: int  # member
    bill: int  # agency contact
    job: int
    statuses: dict[str, int]
    candidates: dict[str, int]  # by first name
    apps: dict[str, int]  # by candidate first name


@pytest.fixture
def firm(session: Session) -> Firm:
    """Admins Cynthia and Isabel, member Marcus, and four applications in "Applied".

    Diana Allen's came through Bill Walter of Momentum Search Partners. The
    Interview Scheduled email has a CC and a BCC.
    """
    ensure_defaults(session=session)
    session.flush()
    members = [
        Member(name="Cynthia Park", email="cynthia@halewhitmore.example", password_hash="-",
               role=MemberRole.ADMIN.value),
        Member(name="Isabel Moreno", email="isabel@halewhitmore.example", password_hash="-",
               role=MemberRole.ADMIN.value),
        Member(name="Marcus Reed", email="marcus@halewhitmore.example", password_hash="-",
               role=MemberRole.MEMBER.value),
    ]  # fmt: skip
    agency = Agency(name="Momentum Search Partners")
    session.add_all([*members, agency])
    session.flush()
    bill = AgencyContact(
        agency_id=agency.id, name="Bill Walter", email="bill.walter@momentumsearch.example"
    )
    job = Job(
        name="2027 Summer Associate Program - New York",
        office="New York",
        department="Summer Associate Program",
        position_type="Summer Associate",
        process_year=2026,
    )
    session.add_all([bill, job])
    session.flush()
    people = [
        ("Diana", "Allen", "dallen@law.georgetown.example", True),
        ("Benjamin", "Cho", "bcho@law.columbia.example", False),
        ("Camila", "Reyes", "creyes@law.nyu.example", False),
        ("Aaliyah", "Johnson", "ajohnson@law.howard.example", False),
    ]
    candidates = [
        Candidate(
            first_name=first,
            last_name=last,
            email=email,
            phone="(212) 555-0100",
            law_school="Georgetown University Law Center",
            class_year="2L",
            graduation_year=2028,
            source=CandidateSource.AGENCY.value if agency_sourced else CandidateSource.DIRECT.value,
            agency_contact_id=bill.id if agency_sourced else None,
        )
        for first, last, email, agency_sourced in people
    ]
    session.add_all(candidates)
    session.flush()
    statuses = {s.name: s.id for s in session.exec(select(ApplicationStatus)).all()}
    applications = [
        Application(
            candidate_id=c.id,
            job_id=job.id,
            status_id=statuses["Applied"],
            source=c.source,
            agency_contact_id=c.agency_contact_id,
            created_at=CREATED,
            updated_at=CREATED,
        )
        for c in candidates
    ]
    session.add_all(applications)
    template = session.exec(
        select(EmailTemplate).where(EmailTemplate.key == status_template_key("Interview Scheduled"))
    ).one()
    template.cc, template.bcc = INTERVIEW_CC, INTERVIEW_BCC
    session.commit()
    return Firm(
        cynthia=members[0].id,
        isabel=members[1].id,
        marcus=members[2].id,
        bill=bill.id,
        job=job.id,
        statuses=statuses,
        candidates={c.first_name: c.id for c in candidates},
        apps={c.first_name: a.id for c, a in zip(candidates, applications, strict=True)},
    )


def _counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in (
            ApplicationStatusChange,
            Communication,
            CommunicationParticipant,
            TimelineEntry,
            EmailOutbox,
            ApplicationUpdateToken,
            ApplicationUpdate,
        )
    }


def _application(session: Session, application_id: int) -> Application:
    session.expire_all()
    application = session.get(Application, application_id)
    assert application is not None
    return application


def _participants(session: Session, communication_id: int) -> list[tuple[Any, ...]]:
    rows = session.exec(
        select(CommunicationParticipant)
        .where(CommunicationParticipant.communication_id == communication_id)
        .order_by(col(CommunicationParticipant.id))
    ).all()
    return [
        (p.role, p.display_name, p.email, p.member_id, p.candidate_id, p.agency_contact_id)
        for p in rows
    ]


def _timeline(session: Session, communication_id: int) -> list[int]:
    return list(
        session.exec(
            select(TimelineEntry.candidate_id).where(
                TimelineEntry.communication_id == communication_id
            )
        ).all()
    )


def _outbox(session: Session, communication_id: int) -> list[EmailOutbox]:
    return list(
        session.exec(
            select(EmailOutbox).where(EmailOutbox.communication_id == communication_id)
        ).all()
    )


# --- who may act -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["marcus", "stranger", "string id", "inactive admin"])
def test_only_active_admins_may_change_statuses_or_send_requests(
    session: Session, firm: Firm, who: str
) -> None:
    actor: Any = {"marcus": firm.marcus, "stranger": 999_999, "string id": str(firm.cynthia)}.get(
        who, firm.isabel
    )
    if who == "inactive admin":
        session.get(Member, firm.isabel).is_active = False
        session.commit()
    before = _counts(session)
    ids = list(firm.apps.values())
    status = firm.statuses["Interview Scheduled"]

    with pytest.raises(NotAllowed):
        change_status(
            session=session, actor_id=actor, application_ids=ids, status_id=status, now=NOW
        )
    with pytest.raises(NotAllowed):
        preview_status_change(
            session=session, actor_id=actor, application_ids=ids, status_id=status
        )
    with pytest.raises(NotAllowed):
        send_update_requests(session=session, actor_id=actor, application_ids=ids, now=NOW)
    with pytest.raises(NotAllowed):
        list_templates(session=session, actor_id=actor)
    with pytest.raises(NotAllowed):
        save_template(
            session=session,
            actor_id=actor,
            key=status_template_key("Callback"),
            subject="Hello",
            body="Hi {{ candidate_first_name }}",
            cc="",
            bcc="",
        )
    with pytest.raises(NotAllowed):
        set_status_template(session=session, actor_id=actor, status_id=status, template_key=None)

    assert _counts(session) == before
    assert {_application(session, i).status_id for i in ids} == {firm.statuses["Applied"]}
    session.expire_all()
    assert session.get(ApplicationStatus, status).email_template_id is not None


# --- status changes ---------------------------------------------------------------------------


def test_a_status_with_a_template_writes_the_change_the_email_and_its_outbox_row(
    session: Session, firm: Firm
) -> None:
    app_id = firm.apps["Benjamin"]
    status = firm.statuses["Interview Scheduled"]

    report = change_status(
        session=session, actor_id=firm.cynthia, application_ids=[app_id], status_id=status, now=NOW
    )

    [result] = report.results
    assert (result.outcome, report.changed, report.skipped, report.failed) == ("changed", 1, 0, 0)
    assert report.status_name == "Interview Scheduled"
    assert report.communication_ids == [result.communication_id]
    application = _application(session, app_id)
    assert (application.status_id, application.updated_at) == (status, NOW)

    change = session.get(ApplicationStatusChange, result.status_change_id)
    assert change is not None
    assert (change.application_id, change.from_status_id, change.to_status_id) == (
        app_id,
        firm.statuses["Applied"],
        status,
    )
    assert (change.changed_by_id, change.changed_at) == (firm.cynthia, NOW)
    assert change.communication_id == result.communication_id

    email = session.get(Communication, result.communication_id)
    assert email is not None
    assert (email.type, email.origin, email.email_kind) == ("email", "system", "job_status")
    assert (email.job_id, email.application_id) == (firm.job, app_id)
    assert email.occurred_at == NOW
    assert (email.triggered_by_id, email.logged_by_id) == (firm.cynthia, None)
    assert email.trigger == "status changed to Interview Scheduled"
    assert email.subject == "Interview invitation: 2027 Summer Associate Program - New York"
    assert email.body.startswith("Dear Benjamin,\n")
    assert "Cynthia Park" in email.body and settings.firm_name in email.body
    assert "{{" not in email.subject + email.body

    benjamin = firm.candidates["Benjamin"]
    assert _participants(session, email.id) == [
        ("from", "Cynthia Park", "cynthia@halewhitmore.example", firm.cynthia, None, None),
        ("to", "Benjamin Cho", "bcho@law.columbia.example", None, benjamin, None),
        ("cc", INTERVIEW_CC, INTERVIEW_CC, None, None, None),
        ("bcc", INTERVIEW_BCC, INTERVIEW_BCC, None, None, None),
    ]
    assert _timeline(session, email.id) == [benjamin]

    [outbox] = _outbox(session, email.id)
    assert outbox.idempotency_key == f"status-change:{change.id}"
    assert outbox.status == "queued"
    assert (outbox.to_addresses, outbox.cc_addresses, outbox.bcc_addresses) == (
        ["bcho@law.columbia.example"],
        [INTERVIEW_CC],
        [INTERVIEW_BCC],
    )
    assert (outbox.subject, outbox.body) == (email.subject, email.body)
    assert outbox.from_address == settings.mail_from
    assert outbox.reply_to == "cynthia@halewhitmore.example"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", outbox.message_id)
    assert _counts(session)["email_outbox"] == 1


def test_a_status_without_a_template_records_the_history_only(session: Session, firm: Firm) -> None:
    app_id = firm.apps["Camila"]
    status = firm.statuses["Withdrawn"]
    before = _counts(session)

    report = change_status(
        session=session, actor_id=firm.isabel, application_ids=[app_id], status_id=status, now=NOW
    )

    [result] = report.results
    assert result.outcome == "changed" and result.communication_id is None
    assert report.communication_ids == []
    after = _counts(session)
    assert after["application_status_change"] == before["application_status_change"] + 1
    assert {k: v for k, v in after.items() if k != "application_status_change"} == {
        k: v for k, v in before.items() if k != "application_status_change"
    }
    change = session.get(ApplicationStatusChange, result.status_change_id)
    assert change is not None and change.communication_id is None
    assert (change.to_status_id, change.changed_by_id) == (status, firm.isabel)
    assert _application(session, app_id).status_id == status
    assert (
        preview_status_change(
            session=session, actor_id=firm.isabel, application_ids=[app_id], status_id=status
        )
        == []
    )


def test_changing_to_the_current_status_is_skipped(session: Session, firm: Firm) -> None:
    app_id = firm.apps["Camila"]
    before = _counts(session)

    report = change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[app_id, app_id],
        status_id=firm.statuses["Applied"],
        now=NOW,
    )

    assert [(r.application_id, r.outcome) for r in report.results] == [(app_id, "skipped")]
    assert (report.changed, report.skipped, report.failed) == (0, 1, 0)
    assert _counts(session) == before
    assert _application(session, app_id).updated_at == CREATED


def test_an_agency_application_emails_the_recruiter_and_logs_it_on_the_candidate(
    session: Session, firm: Firm
) -> None:
    diana_app = firm.apps["Diana"]
    status = firm.statuses["Interview Scheduled"]

    [preview] = preview_status_change(
        session=session, actor_id=firm.cynthia, application_ids=[diana_app], status_id=status
    )
    report = change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[diana_app],
        status_id=status,
        now=NOW,
    )

    email = session.get(Communication, report.communication_ids[0])
    assert email is not None
    bill = ("to", "Bill Walter", "bill.walter@momentumsearch.example", None, None, firm.bill)
    assert _participants(session, email.id)[1] == bill
    assert _timeline(session, email.id) == [firm.candidates["Diana"]]
    assert email.body.startswith("Dear Bill,\n")
    assert "Diana Allen" in email.subject
    [outbox] = _outbox(session, email.id)
    assert outbox.to_addresses == ["bill.walter@momentumsearch.example"]
    assert (preview.recipient_kind, preview.recipient_name, preview.recipient_email) == (
        "agency_contact",
        "Bill Walter",
        "bill.walter@momentumsearch.example",
    )
    assert (preview.subject, preview.body) == (email.subject, email.body)
    assert (preview.cc, preview.bcc) == ([INTERVIEW_CC], [INTERVIEW_BCC])


def test_the_demo_diana_allen_via_bill_walter(session: Session) -> None:
    seed_demo(session=session, now=NOW)
    session.commit()
    cynthia = session.exec(select(Member).where(Member.email == DEMO_ACCOUNTS[0].email)).one()
    diana = session.exec(
        select(Candidate).where(Candidate.first_name == "Diana", Candidate.last_name == "Allen")
    ).one()
    bill = session.exec(select(AgencyContact).where(AgencyContact.name == "Bill Walter")).one()
    application = session.exec(
        select(Application).where(Application.candidate_id == diana.id)
    ).one()
    status = session.exec(
        select(ApplicationStatus).where(ApplicationStatus.name == "Interview Scheduled")
    ).one()

    report = change_status(
        session=session,
        actor_id=cynthia.id,
        application_ids=[application.id],
        status_id=status.id,
        now=NOW + timedelta(minutes=5),
    )

    email = session.get(Communication, report.communication_ids[0])
    assert email is not None
    people = _participants(session, email.id)
    assert people[0][:4] == ("from", "Cynthia Park", cynthia.email, cynthia.id)
    assert [p for p in people if p[0] == "to"] == [
        ("to", "Bill Walter", bill.email, None, None, bill.id)
    ]
    assert ("cc", "interviews@halewhitmore.example") in [p[:2] for p in people]
    assert _timeline(session, email.id) == [diana.id]
    assert email.subject.endswith("Diana Allen") and email.body.startswith("Dear Bill,")
    job = get_job(session=session, job_id=application.job_id)
    row = next(r for r in job.applications if r.id == application.id)
    assert (row.status_name, row.source, row.agency_name, row.agency_contact_name) == (
        "Interview Scheduled",
        "Agency",
        "Momentum Search Partners",
        "Bill Walter",
    )


def test_a_batch_reports_each_application(session: Session, firm: Firm) -> None:
    ids = [firm.apps["Diana"], firm.apps["Benjamin"], 999_999, firm.apps["Camila"]]
    status = firm.statuses["Under Review"]
    change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps["Camila"]],
        status_id=status,
        now=NOW,
    )

    report = change_status(
        session=session, actor_id=firm.isabel, application_ids=ids, status_id=status, now=NOW
    )

    assert [(r.application_id, r.outcome) for r in report.results] == [
        (firm.apps["Diana"], "changed"),
        (firm.apps["Benjamin"], "changed"),
        (999_999, "failed"),
        (firm.apps["Camila"], "skipped"),
    ]
    assert report.results[2].message == "This application no longer exists."
    assert [r.candidate_name for r in report.results] == [
        "Diana Allen",
        "Benjamin Cho",
        "",
        "Camila Reyes",
    ]
    assert len(report.communication_ids) == 2


# --- one transaction per application ---------------------------------------------------------


def _break_the_outbox_for(monkeypatch: pytest.MonkeyPatch, victim: int, how: str) -> None:
    real = job_emails.queue_email

    def queue_email(session: Session, **kwargs: Any) -> EmailOutbox:
        communication = session.get(Communication, kwargs["communication_id"])
        if communication is None or communication.application_id != victim:
            return real(session, **kwargs)
        if how == "raises":
            raise RuntimeError("the outbox is on fire")
        # Fails only when the transaction is committed: a duplicate Message-ID.
        taken = session.exec(select(EmailOutbox.message_id)).first()
        row = real(session, **kwargs)
        row.message_id = taken
        return row

    monkeypatch.setattr(job_emails, "queue_email", queue_email)


@pytest.mark.parametrize("how", ["raises", "fails at commit"])
def test_a_failure_keeps_nothing_of_that_application_and_the_others_go_through(
    session: Session, firm: Firm, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    ids = [firm.apps["Diana"], firm.apps["Benjamin"], firm.apps["Camila"]]
    victim = firm.apps["Benjamin"]
    _break_the_outbox_for(monkeypatch, victim, how)
    status = firm.statuses["Interview Scheduled"]
    before = _counts(session)

    report = change_status(
        session=session, actor_id=firm.cynthia, application_ids=ids, status_id=status, now=NOW
    )

    assert [r.outcome for r in report.results] == ["changed", "failed", "changed"]
    failed = report.results[1]
    assert failed.message == (
        "Something went wrong, so nothing was changed for this application. Try again."
    )
    assert failed.status_change_id is None and failed.communication_id is None
    victim_row = _application(session, victim)
    assert (victim_row.status_id, victim_row.updated_at) == (firm.statuses["Applied"], CREATED)
    assert not session.exec(
        select(ApplicationStatusChange).where(ApplicationStatusChange.application_id == victim)
    ).all()
    assert not session.exec(
        select(Communication).where(Communication.application_id == victim)
    ).all()
    assert not session.exec(
        select(TimelineEntry).where(TimelineEntry.candidate_id == firm.candidates["Benjamin"])
    ).all()
    after = _counts(session)
    # Two emails' worth of rows, no more: four participants each, one timeline entry, one outbox.
    assert after["application_status_change"] - before["application_status_change"] == 2
    assert after["communication"] - before["communication"] == 2
    assert after["communication_participant"] - before["communication_participant"] == 8
    assert after["timeline_entry"] - before["timeline_entry"] == 2
    assert after["email_outbox"] - before["email_outbox"] == 2
    for r in (report.results[0], report.results[2]):
        assert _application(session, r.application_id).status_id == status
        assert len(_outbox(session, r.communication_id)) == 1
    assert report.communication_ids == [
        report.results[0].communication_id,
        report.results[2].communication_id,
    ]


def test_a_status_changed_by_someone_else_meanwhile_is_not_overwritten(
    session: Session, firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = job_emails._facts
    stale = firm.statuses["Under Review"]  # what this admin's page still showed

    def facts(session: Session, ids: Any) -> dict[int, Any]:
        return {i: dataclasses.replace(f, status_id=stale) for i, f in real(session, ids).items()}

    monkeypatch.setattr(job_emails, "_facts", facts)
    before = _counts(session)

    report = change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps["Benjamin"]],
        status_id=firm.statuses["Interview Scheduled"],
        now=NOW,
    )

    assert report.results[0].outcome == "failed"
    assert "changed this application's status meanwhile" in report.results[0].message
    assert _counts(session) == before
    assert _application(session, firm.apps["Benjamin"]).status_id == firm.statuses["Applied"]


# --- arguments --------------------------------------------------------------------------------


def test_more_than_100_applications_are_refused(session: Session, firm: Firm) -> None:
    before = _counts(session)
    ids = [firm.apps["Benjamin"], *range(100_000, 100_100)]
    assert len(ids) == 101
    for call in (change_status, preview_status_change):
        kwargs: dict[str, Any] = {"now": NOW} if call is change_status else {}
        with pytest.raises(Invalid, match="at most 100"):
            call(
                session=session,
                actor_id=firm.cynthia,
                application_ids=ids,
                status_id=firm.statuses["Callback"],
                **kwargs,
            )
    with pytest.raises(Invalid, match="at most 100"):
        send_update_requests(session=session, actor_id=firm.cynthia, application_ids=ids, now=NOW)
    assert _counts(session) == before
    assert _application(session, firm.apps["Benjamin"]).status_id == firm.statuses["Applied"]


@pytest.mark.parametrize(
    "application_ids",
    [None, "1", 1, [], ["1"], [1.0], [True], [0], [-3], [2**31], [[1]], {1}, (None,)],
)
def test_bad_application_ids_are_refused(
    session: Session, firm: Firm, application_ids: Any
) -> None:
    before = _counts(session)
    with pytest.raises(Invalid):
        change_status(
            session=session,
            actor_id=firm.cynthia,
            application_ids=application_ids,
            status_id=firm.statuses["Callback"],
            now=NOW,
        )
    with pytest.raises(Invalid):
        preview_status_change(
            session=session,
            actor_id=firm.cynthia,
            application_ids=application_ids,
            status_id=firm.statuses["Callback"],
        )
    with pytest.raises(Invalid):
        send_update_requests(
            session=session, actor_id=firm.cynthia, application_ids=application_ids, now=NOW
        )
    assert _counts(session) == before


@pytest.mark.parametrize("status_id", [None, "3", 3.0, True, 0, -1, 2**40, [3]])
def test_bad_status_ids_are_refused(session: Session, firm: Firm, status_id: Any) -> None:
    with pytest.raises(Invalid):
        change_status(
            session=session,
            actor_id=firm.cynthia,
            application_ids=[firm.apps["Camila"]],
            status_id=status_id,
            now=NOW,
        )
    assert _application(session, firm.apps["Camila"]).status_id == firm.statuses["Applied"]


def test_unknown_and_archived_statuses_are_refused(session: Session, firm: Firm) -> None:
    with pytest.raises(NotFound):
        change_status(
            session=session,
            actor_id=firm.cynthia,
            application_ids=[firm.apps["Camila"]],
            status_id=999_999,
            now=NOW,
        )
    session.get(ApplicationStatus, firm.statuses["Callback"]).is_archived = True
    session.commit()
    with pytest.raises(Invalid, match="archived"):
        change_status(
            session=session,
            actor_id=firm.cynthia,
            application_ids=[firm.apps["Camila"]],
            status_id=firm.statuses["Callback"],
            now=NOW,
        )


@pytest.mark.parametrize("now", [datetime(2026, 12, 4, 15, 0), "2026-12-04T15:00:00Z", 0])
def test_naive_or_non_datetime_now_is_refused(session: Session, firm: Firm, now: Any) -> None:
    with pytest.raises(Invalid):
        change_status(
            session=session,
            actor_id=firm.cynthia,
            application_ids=[firm.apps["Camila"]],
            status_id=firm.statuses["Callback"],
            now=now,
        )


@pytest.mark.parametrize("valid_for", [timedelta(0), timedelta(days=91), 14, None])
def test_bad_link_lifetimes_are_refused(session: Session, firm: Firm, valid_for: Any) -> None:
    before = _counts(session)
    with pytest.raises(Invalid):
        send_update_requests(
            session=session,
            actor_id=firm.cynthia,
            application_ids=[firm.apps["Camila"]],
            now=NOW,
            valid_for=valid_for,
        )
    assert _counts(session) == before


# --- the job page -----------------------------------------------------------------------------


def test_get_job_lists_applications_by_candidate_name_in_two_queries(
    session: Session, engine: Engine, firm: Firm
) -> None:
    session.get(ApplicationStatus, firm.statuses["Offer Declined"]).is_archived = True
    session.commit()
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        job = get_job(session=session, job_id=firm.job)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert job.name == "2027 Summer Associate Program - New York"
    assert [a.candidate_name for a in job.applications] == [
        "Diana Allen",
        "Benjamin Cho",
        "Aaliyah Johnson",
        "Camila Reyes",
    ]
    diana = job.applications[0]
    assert (diana.source, diana.agency_name, diana.agency_contact_name) == (
        "Agency",
        "Momentum Search Partners",
        "Bill Walter",
    )
    assert (job.applications[1].agency_name, job.applications[1].agency_contact_name) == ("", "")
    assert diana.status_name == "Applied" and diana.updated_at_iso == CREATED.isoformat()
    names = [s.name for s in job.statuses]
    assert names[:3] == ["Applied", "Under Review", "Interview Scheduled"]
    assert "Offer Declined" not in names
    templates = {s.name: s.has_template for s in job.statuses}
    assert templates["Interview Scheduled"] and not templates["Applied"]


@pytest.mark.parametrize("job_id", [999_999, 0, "1", None, True])
def test_get_job_of_an_unknown_job_is_not_found(session: Session, firm: Firm, job_id: Any) -> None:
    with pytest.raises(NotFound):
        get_job(session=session, job_id=job_id)


def test_a_job_without_applications_has_an_empty_list(session: Session, firm: Firm) -> None:
    job = Job(
        name="Tax Associate",
        office="Chicago",
        department="Tax",
        position_type="Lateral Associate",
        process_year=2026,
    )
    session.add(job)
    session.commit()
    detail = get_job(session=session, job_id=job.id)
    assert detail.applications == [] and detail.statuses


def test_the_preview_writes_nothing_and_skips_applications_already_there(
    session: Session, firm: Firm
) -> None:
    status = firm.statuses["Interview Scheduled"]
    change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps["Camila"]],
        status_id=status,
        now=NOW,
    )
    before = _counts(session)

    previews = preview_status_change(
        session=session,
        actor_id=firm.isabel,
        application_ids=[firm.apps["Aaliyah"], firm.apps["Camila"], firm.apps["Diana"]],
        status_id=status,
    )

    assert _counts(session) == before
    assert [p.candidate_name for p in previews] == ["Aaliyah Johnson", "Diana Allen"]
    aaliyah = previews[0]
    assert (aaliyah.recipient_kind, aaliyah.recipient_email) == (
        "candidate",
        "ajohnson@law.howard.example",
    )
    assert aaliyah.body.startswith("Dear Aaliyah,") and "Isabel Moreno" in aaliyah.body


# --- update-application requests -------------------------------------------------------------


def _send_request(session: Session, firm: Firm, who: str = "Diana", **kwargs: Any) -> str:
    """Sends one request and returns the token, read from the link in the email."""
    report = send_update_requests(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps[who]],
        now=kwargs.pop("now", NOW),
        **kwargs,
    )
    assert report.sent == 1, report
    email = session.get(Communication, report.communication_ids[0])
    assert email is not None
    match = re.search(re.escape(settings.public_url) + r"/update/([A-Za-z0-9_-]+)", email.body)
    assert match, email.body
    return match.group(1)


def test_an_update_request_goes_to_the_candidate_with_the_agency_in_cc(
    session: Session, firm: Firm
) -> None:
    before = _counts(session)
    report = send_update_requests(
        session=session, actor_id=firm.cynthia, application_ids=[firm.apps["Diana"]], now=NOW
    )

    [result] = report.results
    assert (result.outcome, report.sent, report.failed) == ("sent", 1, 0)
    email = session.get(Communication, result.communication_id)
    assert email is not None
    assert (email.email_kind, email.trigger, email.origin) == (
        "update_application_request",
        "update application request",
        "system",
    )
    assert (email.job_id, email.application_id, email.triggered_by_id) == (
        firm.job,
        firm.apps["Diana"],
        firm.cynthia,
    )
    diana = firm.candidates["Diana"]
    assert _participants(session, email.id) == [
        ("from", "Cynthia Park", "cynthia@halewhitmore.example", firm.cynthia, None, None),
        ("to", "Diana Allen", "dallen@law.georgetown.example", None, diana, None),
        ("cc", "Bill Walter", "bill.walter@momentumsearch.example", None, None, firm.bill),
    ]
    assert _timeline(session, email.id) == [diana]
    assert email.body.startswith("Dear Diana,")
    token = re.search(r"/update/([A-Za-z0-9_-]+)", email.body).group(1)
    assert len(token) >= 43  # 256 bits

    stored = session.exec(select(ApplicationUpdateToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert (stored.application_id, stored.communication_id) == (firm.apps["Diana"], email.id)
    assert (stored.created_at, stored.expires_at, stored.used_at) == (
        NOW,
        NOW + timedelta(days=14),
        None,
    )
    [outbox] = _outbox(session, email.id)
    assert outbox.idempotency_key == f"update-request:{stored.id}"
    assert outbox.to_addresses == ["dallen@law.georgetown.example"]
    assert outbox.cc_addresses == ["bill.walter@momentumsearch.example"]
    after = _counts(session)
    assert after["email_outbox"] - before["email_outbox"] == 1
    assert after["application_update_token"] - before["application_update_token"] == 1


def test_a_failed_update_request_keeps_nothing(
    session: Session, firm: Firm, monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_the_outbox_for(monkeypatch, firm.apps["Camila"], "raises")
    before = _counts(session)

    report = send_update_requests(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps["Camila"], firm.apps["Benjamin"]],
        now=NOW,
    )

    assert [r.outcome for r in report.results] == ["failed", "sent"]
    after = _counts(session)
    assert after["application_update_token"] - before["application_update_token"] == 1
    assert after["communication"] - before["communication"] == 1
    assert after["email_outbox"] - before["email_outbox"] == 1


def test_the_update_page_shows_the_application_and_takes_one_submission(
    session: Session, firm: Firm
) -> None:
    token = _send_request(session, firm, "Benjamin")

    view = get_update_request(session=session, token=token, now=NOW + timedelta(days=1))
    assert view.job_name == "2027 Summer Associate Program - New York"
    assert view.candidate_first_name == "Benjamin"
    assert (view.phone, view.class_year, view.graduation_year) == ("(212) 555-0100", "2L", "2028")
    assert "3L" in view.class_year_options

    later = NOW + timedelta(days=2)
    submit_update(
        session=session,
        token=token,
        data=ApplicationUpdateInput(
            phone=" (917) 555-0199 ",
            law_school="",
            class_year="3L",
            graduation_year="2027",
            note="Transcript updated with fall grades.",
        ),
        now=later,
    )

    session.expire_all()
    benjamin = session.get(Candidate, firm.candidates["Benjamin"])
    assert (benjamin.phone, benjamin.class_year, benjamin.graduation_year) == (
        "(917) 555-0199",
        "3L",
        2027,
    )
    assert benjamin.law_school == "Georgetown University Law Center"  # blank keeps it
    update = session.exec(select(ApplicationUpdate)).one()
    assert (update.application_id, update.submitted_at, update.note) == (
        firm.apps["Benjamin"],
        later,
        "Transcript updated with fall grades.",
    )
    assert (update.phone, update.law_school, update.class_year) == ("(917) 555-0199", None, "3L")
    assert _application(session, firm.apps["Benjamin"]).updated_at == later
    stored = session.get(ApplicationUpdateToken, update.token_id)
    assert stored is not None and stored.used_at == later

    with pytest.raises(Invalid) as again:
        submit_update(
            session=session, token=token, data=ApplicationUpdateInput(phone="1"), now=later
        )
    assert str(again.value) == LINK_USED
    with pytest.raises(Invalid) as reread:
        get_update_request(session=session, token=token, now=later)
    assert str(reread.value) == LINK_USED
    assert _counts(session)["application_update"] == 1
    session.expire_all()
    assert session.get(Candidate, firm.candidates["Benjamin"]).phone == "(917) 555-0199"


def test_an_expired_link_is_refused(session: Session, firm: Firm) -> None:
    token = _send_request(session, firm, "Camila", valid_for=timedelta(days=3))
    expiry = NOW + timedelta(days=3)

    assert get_update_request(session=session, token=token, now=expiry - timedelta(seconds=1))
    for moment in (expiry, expiry + timedelta(days=30)):
        with pytest.raises(Invalid) as shown:
            get_update_request(session=session, token=token, now=moment)
        assert str(shown.value) == LINK_EXPIRED
        with pytest.raises(Invalid) as submitted:
            submit_update(session=session, token=token, data=ApplicationUpdateInput(), now=moment)
        assert str(submitted.value) == LINK_EXPIRED
    assert _counts(session)["application_update"] == 0
    session.expire_all()
    assert session.exec(select(ApplicationUpdateToken)).one().used_at is None


@pytest.mark.parametrize(
    "token",
    ["", "x" * 43, "not a token at all but long enough", "a" * 101, None, 12345, b"bytes-token"],
)
def test_a_wrong_token_is_not_found(session: Session, firm: Firm, token: Any) -> None:
    _send_request(session, firm, "Camila")
    with pytest.raises(NotFound):
        get_update_request(session=session, token=token, now=NOW)
    with pytest.raises(NotFound):
        submit_update(session=session, token=token, data=ApplicationUpdateInput(), now=NOW)
    assert _counts(session)["application_update"] == 0


def test_the_stored_hash_itself_does_not_open_the_page(session: Session, firm: Firm) -> None:
    _send_request(session, firm, "Camila")
    stored = session.exec(select(ApplicationUpdateToken)).one()
    with pytest.raises(NotFound):
        get_update_request(session=session, token=stored.token_hash, now=NOW)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ApplicationUpdateInput(phone="1" * 41), "phone"),
        (ApplicationUpdateInput(phone=5551234), "phone"),  # type: ignore[arg-type]
        (ApplicationUpdateInput(law_school="L" * 161), "law_school"),
        (ApplicationUpdateInput(class_year="4L"), "class_year"),
        (ApplicationUpdateInput(class_year=3), "class_year"),  # type: ignore[arg-type]
        (ApplicationUpdateInput(graduation_year=1989), "graduation_year"),
        (ApplicationUpdateInput(graduation_year=2101), "graduation_year"),
        (ApplicationUpdateInput(graduation_year="next year"), "graduation_year"),
        (ApplicationUpdateInput(graduation_year=True), "graduation_year"),
        (ApplicationUpdateInput(graduation_year=2027.0), "graduation_year"),  # type: ignore[arg-type]
        (ApplicationUpdateInput(note="n" * 2001), "note"),
        (ApplicationUpdateInput(note="bad \x00 byte"), "note"),
    ],
)
def test_bad_update_fields_are_refused_without_spending_the_link(
    session: Session, firm: Firm, data: ApplicationUpdateInput, field: str
) -> None:
    token = _send_request(session, firm, "Camila")
    with pytest.raises(Invalid) as refused:
        submit_update(session=session, token=token, data=data, now=NOW)
    assert set(refused.value.field_errors) == {field}
    submit_update(session=session, token=token, data=ApplicationUpdateInput(), now=NOW)
    assert _counts(session)["application_update"] == 1


def test_a_form_that_is_not_the_input_dataclass_is_refused(session: Session, firm: Firm) -> None:
    token = _send_request(session, firm, "Camila")
    with pytest.raises(Invalid):
        submit_update(session=session, token=token, data={"phone": "1"}, now=NOW)  # type: ignore[arg-type]


def test_two_submissions_at_once_only_one_gets_through(engine: Engine, firm: Firm) -> None:
    with Session(engine, expire_on_commit=False) as session:
        token = _send_request(session, firm, "Aaliyah")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(phone: str) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                submit_update(
                    session=session, token=token, data=ApplicationUpdateInput(phone=phone), now=NOW
                )
                outcomes.append("ok")
            except Invalid as exc:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=submit, args=(p,)) for p in ("111", "222")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == sorted(["ok", LINK_USED])
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ApplicationUpdate)).one() == 1


# --- templates ---------------------------------------------------------------------------------


def _save(session: Session, firm: Firm, **changes: Any) -> Any:
    fields = {
        "key": status_template_key("Interview Scheduled"),
        "subject": "Interview: {{ job_name }}",
        "body": "Dear {{ recipient_first_name }},\n\nSee you soon.\n\n{{ sender_name }}",
        "cc": "",
        "bcc": "",
    } | changes
    return save_template(session=session, actor_id=firm.isabel, now=NOW, **fields)


def _stored_template(session: Session, key: str) -> EmailTemplate:
    session.expire_all()
    return session.exec(select(EmailTemplate).where(EmailTemplate.key == key)).one()


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"body": "Dear {{ candidate_first_name }"}, "body", "Body, line 1: template syntax error"),
        ({"body": "Hi\n{% if status %}open"}, "body", "Body, line 2: template syntax error"),
        (
            {"subject": "Hello {{ candidat_name }}"},
            "subject",
            "Subject, line 1: unknown merge field 'candidat_name'. Did you mean 'candidate_name'?",
        ),
        ({"body": "{{ job_name.__class__ }}"}, "body", "Body, line 1"),
        ({"subject": ""}, "subject", "a subject is required"),
        ({"cc": "interviews@halewhitmore.example, not-an-address"}, "cc", "'not-an-address'"),
        ({"bcc": "a@b"}, "bcc", "'a@b' is not an email address"),
        ({"body": 42}, "body", "Body"),
    ],
)
def test_a_bad_template_is_refused_with_the_reason(
    session: Session, firm: Firm, changes: dict[str, Any], field: str, reason: str
) -> None:
    key = status_template_key("Interview Scheduled")
    before = _stored_template(session, key)
    before_values = (before.subject, before.body, before.cc, before.bcc, before.updated_at)

    with pytest.raises(Invalid) as refused:
        _save(session, firm, **changes)

    assert reason in str(refused.value)
    assert field in refused.value.field_errors
    after = _stored_template(session, key)
    assert (after.subject, after.body, after.cc, after.bcc, after.updated_at) == before_values


def test_a_good_template_is_saved_and_used_by_the_next_status_change(
    session: Session, firm: Firm
) -> None:
    view = _save(
        session, firm, cc="interviews@halewhitmore.example; Partner <p@hw.example>", bcc=" "
    )

    assert (view.subject, view.cc, view.bcc) == (
        "Interview: {{ job_name }}",
        "interviews@halewhitmore.example, p@hw.example",
        "",
    )
    assert (view.kind, view.used_by, view.updated_by_name) == (
        "status",
        ["Interview Scheduled"],
        "Isabel Moreno",
    )
    stored = _stored_template(session, view.key)
    assert (stored.updated_by_id, stored.updated_at) == (firm.isabel, NOW)

    report = change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps["Camila"]],
        status_id=firm.statuses["Interview Scheduled"],
        now=NOW,
    )
    email = session.get(Communication, report.communication_ids[0])
    assert email.subject == "Interview: 2027 Summer Associate Program - New York"
    assert email.body == "Dear Camila,\n\nSee you soon.\n\nCynthia Park"
    [outbox] = _outbox(session, email.id)
    assert (outbox.cc_addresses, outbox.bcc_addresses) == (
        ["interviews@halewhitmore.example", "p@hw.example"],
        [],
    )


def test_list_templates_names_the_statuses_that_use_them(session: Session, firm: Firm) -> None:
    views = list_templates(session=session, actor_id=firm.cynthia)

    by_key = {v.key: v for v in views}
    assert by_key[status_template_key("Callback")].used_by == ["Callback"]
    assert by_key[UPDATE_APPLICATION_REQUEST_KEY].used_by == []
    assert by_key[UPDATE_APPLICATION_REQUEST_KEY].kind == "update_application_request"
    assert [v.kind for v in views] == sorted(
        (v.kind for v in views),
        key=["status", "update_application_request", "event"].index,
    )
    assert by_key[status_template_key("Interview Scheduled")].cc == INTERVIEW_CC


def test_a_status_can_be_given_an_email_and_have_it_taken_away(
    session: Session, firm: Firm
) -> None:
    key = status_template_key("Offer Accepted")
    with pytest.raises(NotFound):
        _save(session, firm, key="status:no-such-status")
    _save(session, firm, key=key, subject="Welcome aboard, {{ candidate_first_name }}")
    option = set_status_template(
        session=session,
        actor_id=firm.cynthia,
        status_id=firm.statuses["Offer Accepted"],
        template_key=key,
    )
    assert (option.name, option.has_template) == ("Offer Accepted", True)

    sent = change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps["Camila"]],
        status_id=firm.statuses["Offer Accepted"],
        now=NOW,
    )
    assert len(sent.communication_ids) == 1
    assert session.get(Communication, sent.communication_ids[0]).subject == (
        "Welcome aboard, Camila"
    )

    option = set_status_template(
        session=session,
        actor_id=firm.cynthia,
        status_id=firm.statuses["Offer Accepted"],
        template_key=None,
    )
    assert option.has_template is False
    quiet = change_status(
        session=session,
        actor_id=firm.cynthia,
        application_ids=[firm.apps["Benjamin"]],
        status_id=firm.statuses["Offer Accepted"],
        now=NOW,
    )
    assert quiet.changed == 1 and quiet.communication_ids == []
    with pytest.raises(NotFound):
        set_status_template(
            session=session,
            actor_id=firm.cynthia,
            status_id=firm.statuses["Callback"],
            template_key=UPDATE_APPLICATION_REQUEST_KEY,
        )
