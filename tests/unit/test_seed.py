"""Default configuration, the demo data, and the `python -m flo_comms` command line."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from flo_comms.db import make_engine
from flo_comms.errors import Invalid
from flo_comms.models import (
    Agency,
    AgencyContact,
    Application,
    ApplicationStatus,
    ApplicationStatusChange,
    Candidate,
    Communication,
    CommunicationParticipant,
    EmailKind,
    EmailOutbox,
    EmailTemplate,
    EventRegistration,
    EventSlotAssignment,
    EventTimeSlot,
    Job,
    Member,
    OutreachEvent,
    TimelineEntry,
)
from flo_comms.services.defaults import (
    DEFAULT_STATUSES,
    DEFAULT_TEMPLATES,
    ensure_defaults,
    event_template_key,
    status_template_key,
)
from flo_comms.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, SeedReport, seed_demo
from flo_comms.services.email_render import validate_template
from flo_comms.services.passwords import verify_and_update
from flo_comms.settings import PROJECT_ROOT

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def _row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.execute(sa.select(func.count()).select_from(table)).scalar_one()
        for table in SQLModel.metadata.sorted_tables
    }


@pytest.fixture
def seeded(session: Session) -> tuple[Session, SeedReport, float]:
    """A database with the demo data, the report, and how long seeding took."""
    started = time.perf_counter()
    report = seed_demo(session=session, now=NOW)
    session.commit()
    return session, report, time.perf_counter() - started


def _diana(session: Session) -> Candidate:
    return session.exec(
        select(Candidate).where(Candidate.first_name == "Diana", Candidate.last_name == "Allen")
    ).one()


def _bill(session: Session) -> AgencyContact:
    return session.exec(select(AgencyContact).where(AgencyContact.name == "Bill Walter")).one()


# --- defaults -------------------------------------------------------------------


def test_every_default_template_is_valid() -> None:
    for template in DEFAULT_TEMPLATES:
        validate_template(template.subject, template.body)


def test_ensure_defaults_creates_statuses_in_order_with_their_templates(session: Session) -> None:
    ensure_defaults(session=session)
    session.commit()

    statuses = session.exec(select(ApplicationStatus).order_by(ApplicationStatus.position)).all()
    assert [s.name for s in statuses] == list(DEFAULT_STATUSES)
    templates = {t.id: t.key for t in session.exec(select(EmailTemplate)).all()}
    linked = {s.name: templates.get(s.email_template_id) for s in statuses}
    for name in ("Under Review", "Interview Scheduled", "Callback", "Offer Extended", "Rejected"):
        assert linked[name] == status_template_key(name)
    assert linked["Applied"] is None and linked["Withdrawn"] is None
    keys = set(templates.values())
    assert "status:interview-scheduled" in keys
    assert "update_application_request" in keys
    for kind in EmailKind:
        if kind.value.startswith("event_"):
            assert event_template_key(kind) in keys
    assert "event:event_registration_confirmation" in keys


def test_ensure_defaults_is_idempotent(session: Session) -> None:
    ensure_defaults(session=session)
    session.commit()
    before = _row_counts(session)

    ensure_defaults(session=session)
    session.commit()

    assert _row_counts(session) == before


def test_ensure_defaults_never_overwrites_an_edited_template(session: Session) -> None:
    ensure_defaults(session=session)
    key = status_template_key("Interview Scheduled")
    template = session.exec(select(EmailTemplate).where(EmailTemplate.key == key)).one()
    template.subject = "Let's meet, {{ candidate_first_name }}"
    template.body = "Our own wording."
    template.cc = "coordinator@firm.example"
    session.commit()
    removed = session.exec(
        select(EmailTemplate).where(EmailTemplate.key == "event:event_reminder")
    ).one()
    session.delete(removed)
    session.commit()

    ensure_defaults(session=session)
    session.commit()

    session.expire_all()
    edited = session.exec(select(EmailTemplate).where(EmailTemplate.key == key)).one()
    assert (edited.subject, edited.body, edited.cc) == (
        "Let's meet, {{ candidate_first_name }}",
        "Our own wording.",
        "coordinator@firm.example",
    )
    recreated = session.exec(
        select(EmailTemplate).where(EmailTemplate.key == "event:event_reminder")
    ).one()
    assert "{{ event_name }}" in recreated.subject


def test_ensure_defaults_leaves_the_firms_own_statuses_alone(session: Session) -> None:
    ensure_defaults(session=session)
    rejected = session.exec(
        select(ApplicationStatus).where(ApplicationStatus.name == "Rejected")
    ).one()
    rejected.name = "Not Selected"
    session.commit()

    ensure_defaults(session=session)
    session.commit()

    names = session.exec(select(ApplicationStatus.name)).all()
    assert "Not Selected" in names and "Rejected" not in names


# --- the demo cast --------------------------------------------------------------


def test_seed_reports_what_it_created(seeded: tuple[Session, SeedReport, float]) -> None:
    session, report, _elapsed = seeded

    assert report.created is True
    counts = _row_counts(session)
    assert report.candidates == counts["candidate"] >= 41
    assert report.jobs == counts["job"] == 6
    assert report.events == counts["outreach_event"] == 4
    assert report.communications == counts["communication"]
    assert report.system_emails == counts["email_outbox"]
    assert report.summary().startswith("Seeded demo data: ")


def test_seed_is_fast(seeded: tuple[Session, SeedReport, float]) -> None:
    _session, _report, elapsed = seeded
    assert elapsed < 5.0


def test_demo_accounts_sign_in_with_the_demo_password(
    seeded: tuple[Session, SeedReport, float],
) -> None:
    session, _report, _elapsed = seeded
    members = {m.email: m for m in session.exec(select(Member)).all()}

    assert [a.name.split()[0] for a in DEMO_ACCOUNTS[:2]] == ["Cynthia", "Isabel"]
    for account in DEMO_ACCOUNTS:
        member = members[account.email]
        assert (member.name, member.role) == (account.name, account.role)
    roles = {a.role for a in DEMO_ACCOUNTS}
    assert roles == {"admin", "member"}
    cynthia = members[DEMO_ACCOUNTS[0].email]
    assert verify_and_update(DEMO_PASSWORD, cynthia.password_hash)[0] is True
    assert verify_and_update("wrong-password", cynthia.password_hash)[0] is False


def test_diana_allen_was_submitted_by_bill_walter_of_momentum(
    seeded: tuple[Session, SeedReport, float],
) -> None:
    session, _report, _elapsed = seeded
    diana = _diana(session)
    bill = _bill(session)
    agency = session.get(Agency, bill.agency_id)

    assert diana.source == "Agency"
    assert diana.agency_contact_id == bill.id
    assert agency is not None and agency.name == "Momentum Search Partners"

    application = session.exec(
        select(Application).where(Application.candidate_id == diana.id)
    ).one()
    status = session.get(ApplicationStatus, application.status_id)
    assert status is not None and status.name == "Under Review"
    assert (application.source, application.agency_contact_id) == ("Agency", bill.id)
    history = session.exec(
        select(ApplicationStatusChange)
        .where(ApplicationStatusChange.application_id == application.id)
        .order_by(ApplicationStatusChange.changed_at)
    ).all()
    names = [session.get(ApplicationStatus, h.to_status_id).name for h in history]
    assert names == ["Applied", "Under Review"]


def test_dianas_timeline_has_the_status_email_sent_to_bill(
    seeded: tuple[Session, SeedReport, float],
) -> None:
    session, _report, _elapsed = seeded
    diana = _diana(session)
    bill = _bill(session)

    emails = session.exec(
        select(Communication)
        .join(TimelineEntry, col(TimelineEntry.communication_id) == Communication.id)
        .where(TimelineEntry.candidate_id == diana.id)
        .where(Communication.origin == "system", Communication.email_kind == "job_status")
    ).all()
    assert emails
    email = emails[0]
    to = session.exec(
        select(CommunicationParticipant).where(
            CommunicationParticipant.communication_id == email.id,
            CommunicationParticipant.role == "to",
        )
    ).all()
    assert [(p.agency_contact_id, p.display_name, p.email) for p in to] == [
        (bill.id, "Bill Walter", bill.email)
    ]
    assert "Diana Allen" in email.subject and email.body.startswith("Dear Bill,")
    assert email.trigger == "status changed to Under Review"
    assert email.triggered_by_id is not None and email.job_id is not None
    outbox = session.exec(select(EmailOutbox).where(EmailOutbox.communication_id == email.id)).one()
    assert outbox.to_addresses == [bill.email]


def test_dianas_timeline_has_a_logged_email_by_cynthia(
    seeded: tuple[Session, SeedReport, float],
) -> None:
    session, _report, _elapsed = seeded
    diana = _diana(session)
    cynthia = session.exec(select(Member).where(Member.email == DEMO_ACCOUNTS[0].email)).one()

    logged = session.exec(
        select(Communication)
        .join(TimelineEntry, col(TimelineEntry.communication_id) == Communication.id)
        .where(TimelineEntry.candidate_id == diana.id, Communication.origin == "logged")
    ).all()

    assert any(c.logged_by_id == cynthia.id and c.type == "email" for c in logged)


def test_system_emails_are_complete(seeded: tuple[Session, SeedReport, float]) -> None:
    session, _report, _elapsed = seeded
    system = session.exec(select(Communication).where(Communication.origin == "system")).all()
    outbox = {o.communication_id: o for o in session.exec(select(EmailOutbox)).all()}
    participants: dict[int, list[CommunicationParticipant]] = {}
    for p in session.exec(select(CommunicationParticipant)).all():
        participants.setdefault(p.communication_id, []).append(p)

    kinds = {c.email_kind for c in system}
    assert {"job_status", "update_application_request"} <= kinds
    assert {k for k in kinds if k and k.startswith("event_")} >= {
        "event_registration_confirmation",
        "event_profile_request",
        "event_approval",
        "event_denial",
        "event_final_schedule",
        "event_reminder",
        "event_follow_up",
        "event_cancellation",
        "event_update",
    }
    for communication in system:
        assert communication.type == "email"
        assert communication.triggered_by_id is not None and communication.trigger
        assert "{{" not in communication.body and "{%" not in communication.body
        roles = [p.role for p in participants[communication.id]]
        assert roles.count("from") == 1 and roles.count("to") == 1
        sender = next(p for p in participants[communication.id] if p.role == "from")
        assert sender.member_id == communication.triggered_by_id
        row = outbox[communication.id]
        assert (row.status, row.attempts) == ("sent", 1)
        assert row.sent_at == communication.occurred_at
        assert re.fullmatch(r"<[0-9a-f-]{36}@flo-comms\.local>", row.message_id)
        assert row.idempotency_key.startswith("seed:comm:")
        if communication.email_kind == "job_status":
            assert communication.application_id is not None
        if communication.email_kind.startswith("event_"):
            assert communication.event_id is not None
    copies = [p for ps in participants.values() for p in ps if p.role in ("cc", "bcc")]
    assert {p.role for p in copies} == {"cc", "bcc"}
    assert all(
        p.member_id is None and p.candidate_id is None and p.agency_contact_id is None
        for p in copies
    )
    assert len(outbox) == len(system)


def test_logged_communications_include_group_entries(
    seeded: tuple[Session, SeedReport, float],
) -> None:
    session, _report, _elapsed = seeded
    logged = session.exec(select(Communication).where(Communication.origin == "logged")).all()
    timeline = session.exec(select(TimelineEntry)).all()
    on_timelines: dict[int, int] = {}
    for entry in timeline:
        on_timelines[entry.communication_id] = on_timelines.get(entry.communication_id, 0) + 1

    assert {c.type for c in logged} >= {"phone_call", "email", "linkedin_message"}
    assert {c.logged_by_id for c in logged} == {
        m.id for m in session.exec(select(Member).where(Member.role == "admin")).all()
    }
    assert any(on_timelines.get(c.id, 0) == 2 for c in logged)
    assert all(c.subject and c.body for c in logged)


def test_communication_volume_and_dates(seeded: tuple[Session, SeedReport, float]) -> None:
    session, _report, _elapsed = seeded
    communications = session.exec(select(Communication)).all()

    assert 150 <= len(communications) <= 250
    moments = [c.occurred_at for c in communications]
    assert all(m.tzinfo is not None and m < NOW for m in moments)
    assert min(moments) >= NOW - timedelta(days=200)
    assert max(moments) - min(moments) > timedelta(days=120)
    changes = session.exec(select(ApplicationStatusChange)).all()
    assert all(c.changed_at < NOW for c in changes)
    candidates = session.exec(select(Candidate)).all()
    first_timeline = dict(
        session.exec(
            select(TimelineEntry.candidate_id, func.min(TimelineEntry.occurred_at)).group_by(
                TimelineEntry.candidate_id
            )
        ).all()
    )
    for candidate in candidates:
        if candidate.id in first_timeline:
            assert candidate.created_at <= first_timeline[candidate.id]


def test_status_history_is_ordered_and_ends_at_the_current_status(
    seeded: tuple[Session, SeedReport, float],
) -> None:
    session, _report, _elapsed = seeded
    applications = session.exec(select(Application)).all()
    changes = session.exec(
        select(ApplicationStatusChange).order_by(
            ApplicationStatusChange.application_id, ApplicationStatusChange.changed_at
        )
    ).all()
    by_app: dict[int, list[ApplicationStatusChange]] = {}
    for change in changes:
        by_app.setdefault(change.application_id, []).append(change)

    statuses = {s.id: s.name for s in session.exec(select(ApplicationStatus)).all()}
    assert len({statuses[a.status_id] for a in applications}) >= 6
    for application in applications:
        history = by_app[application.id]
        assert history[-1].to_status_id == application.status_id
        assert all(a.to_status_id == b.from_status_id for a, b in itertools.pairwise(history))
        assert [c.changed_at for c in history] == sorted(c.changed_at for c in history)


def test_jobs_and_events(seeded: tuple[Session, SeedReport, float]) -> None:
    session, _report, _elapsed = seeded
    jobs = session.exec(select(Job)).all()
    events = session.exec(select(OutreachEvent)).all()
    registrations = session.exec(select(EventRegistration)).all()

    assert "2027 Summer Associate Program - New York" in {j.name for j in jobs}
    assert {j.process_year for j in jobs} == {2026, 2027}
    assert len({e.type for e in events}) >= 3
    assert {e.invite_only for e in events} == {True, False}
    assert len({e.registration_slug for e in events}) == 4
    invite_only = {e.id for e in events if e.invite_only}
    assert {r.review_state for r in registrations if r.event_id in invite_only} == {
        "pending",
        "approved",
        "denied",
    }
    assert {r.review_state for r in registrations if r.event_id not in invite_only} == {"approved"}
    assert {r.joined_via for r in registrations} == {"link", "manual"}
    chat = next(e for e in events if e.type == "virtual_chat")
    slots = session.exec(select(EventTimeSlot).where(EventTimeSlot.event_id == chat.id)).all()
    assignments = session.exec(select(EventSlotAssignment)).all()
    assert slots and len(assignments) >= len(slots) - 1
    assert any(a.removed_at is not None for a in assignments)


def test_pending_and_denied_registrants_get_nothing_after_the_review(
    seeded: tuple[Session, SeedReport, float],
) -> None:
    session, _report, _elapsed = seeded
    later_kinds = {
        "event_update",
        "event_final_schedule",
        "event_reminder",
        "event_follow_up",
        "event_cancellation",
    }
    for registration in session.exec(
        select(EventRegistration).where(EventRegistration.review_state != "approved")
    ).all():
        kinds = session.exec(
            select(Communication.email_kind)
            .join(TimelineEntry, col(TimelineEntry.communication_id) == Communication.id)
            .where(
                TimelineEntry.candidate_id == registration.candidate_id,
                Communication.event_id == registration.event_id,
            )
        ).all()
        assert not (set(kinds) & later_kinds)


# --- idempotency and refusal ----------------------------------------------------


def test_seeding_twice_changes_nothing(seeded: tuple[Session, SeedReport, float]) -> None:
    session, _report, _elapsed = seeded
    before = _row_counts(session)

    again = seed_demo(session=session, now=NOW + timedelta(days=3))
    session.commit()

    assert again == SeedReport(created=False)
    assert _row_counts(session) == before


def test_seeding_a_database_with_real_data_is_refused(session: Session) -> None:
    session.add(Member(name="Real Admin", email="admin@realfirm.example", password_hash="x"))
    session.commit()

    with pytest.raises(Invalid, match="not empty"):
        seed_demo(session=session, now=NOW)
    session.rollback()

    assert session.exec(select(func.count()).select_from(Candidate)).one() == 0


def test_same_now_gives_the_same_data(tmp_path: Path) -> None:
    def snapshot(engine: Engine) -> list[tuple]:
        with Session(engine) as session:
            seed_demo(session=session, now=NOW)
            session.commit()
            rows = session.exec(
                select(
                    Communication.occurred_at, Communication.subject, Communication.body
                ).order_by(Communication.id)
            ).all()
            slugs = session.exec(select(OutreachEvent.registration_slug)).all()
            return [*rows, *slugs]

    engines = [make_engine(f"sqlite:///{tmp_path / name}") for name in ("a.db", "b.db")]
    try:
        for engine in engines:
            SQLModel.metadata.create_all(engine)
        assert snapshot(engines[0]) == snapshot(engines[1])
    finally:
        for engine in engines:
            engine.dispose()


# --- command line ---------------------------------------------------------------


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FLO_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FLO_DATA_DIR": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "flo_comms", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_seeds_the_demo_once(tmp_path: Path) -> None:
    first = _cli(tmp_path, "seed", "--demo")
    second = _cli(tmp_path, "seed", "--demo")
    if_empty = _cli(tmp_path, "seed", "--demo", "--if-empty")

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Seeded demo data: ")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "Demo data already present; nothing changed."
    assert if_empty.returncode == 0, if_empty.stderr
    assert "left it alone" in if_empty.stdout


def test_cli_refuses_to_mix_demo_data_into_real_data(tmp_path: Path) -> None:
    migrated = _cli(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with Session(engine) as session:
            session.add(Candidate(first_name="Real", last_name="Person", email="r@p.example"))
            session.commit()
    finally:
        engine.dispose()

    refused = _cli(tmp_path, "seed", "--demo")

    assert refused.returncode == 2
    assert "not empty" in refused.stderr
    assert refused.stdout == ""
