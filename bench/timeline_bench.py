"""Benchmark: a candidate's Communications tab at a million communications.

Builds a database of 1,000,000 communications over 100,000 candidates, one
of whom has 10,000 of them (`--scale` shrinks everything in proportion), then
measures, in one run, the time to load the big candidate's first timeline
page and a filtered search page (type filter + search text) through
`list_timeline`, each beside the same query written by hand in raw SQL.

    .venv/bin/python bench/timeline_bench.py                  # temp SQLite file
    .venv/bin/python bench/timeline_bench.py --scale 0.1      # a quick run
    .venv/bin/python bench/timeline_bench.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL the data goes into a schema of its own (`--schema`, dropped at
the end unless `--keep`); nothing outside it is touched. The rows are written
with Core `executemany` inserts in big batches, foreign-key checks off and the
secondary indexes built after the load; then the statistics are refreshed
(ANALYZE), as a live database would have them.

The targets: the service at most 2x the same query in raw SQL for the first
page, 3x for the search page. The page is `list_timeline(with_counts=False)`:
what "Load more" asks for, and what the tab's first load asks for, with the
per-type counts fetched after it (`count_timeline`) so that the entries show
first. "The same query in raw SQL" is the one statement the service runs for
a page, written here by hand: the entries with their names joined, each
entry's participants (one JSON array), the size of its event thread on this
timeline, and the viewer check; the raw side runs it with `exec_driver_sql`
and keeps the rows as the driver gives them, where the service turns them
into the items the tab shows. So the ratio is what the service's Python
costs over its own SQL. Beside it, for reference and with no target, the
page against a narrower hand-written query that leaves the participants,
thread sizes and viewer check out ("raw page, no participants": what those
cost, in SQL and Python together), the counts alone (`count_timeline`), and
the page and counts in one call (`with_counts=True`). Every call is its own
committed transaction, as in the app, run many times (interleaved, in a new
order each round, service and raw SQL first in turn, after a warm-up) so that
the driver's prepared statements are in play; the table shows the median and
the best.
`--covering-index` is an experiment on the benchmark's own database: it
widens ix_timeline_page with type and origin, to show what that schema change
would do to the counts.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_database import scratch_database

from flo_comms import models  # noqa: F401  (registers the tables)
from flo_comms.db import make_engine, session_scope
from flo_comms.models import (
    CommunicationOrigin,
    CommunicationType,
    EmailKind,
    MemberRole,
    OutboxStatus,
    ParticipantRole,
)
from flo_comms.schemas import TimelineFilters
from flo_comms.services.communications import count_timeline, list_timeline

BATCH = 20_000
PAGE = 25
BIG_CANDIDATE_ID = 1
VIEWER_ID = 1  # an admin
SEARCH_TYPES = [CommunicationType.EMAIL.value]
SEARCH_TEXT = "transcript"
FIRST_PAGE_TARGET = 2.0
SEARCH_TARGET = 3.0

_TYPES = (
    (CommunicationType.EMAIL.value, 50),
    (CommunicationType.PHONE_CALL.value, 20),
    (CommunicationType.TEXT_MESSAGE.value, 8),
    (CommunicationType.VIDEO_CALL.value, 8),
    (CommunicationType.IN_PERSON_MEETING.value, 6),
    (CommunicationType.LINKEDIN_MESSAGE.value, 5),
    (CommunicationType.OTHER.value, 3),
)
_FIRST = [
    "Diana",
    "Aaliyah",
    "Benjamin",
    "Camila",
    "Daniel",
    "Emily",
    "Ethan",
    "Fatima",
    "Gabriel",
    "Hannah",
    "Isaiah",
    "Jasmine",
    "Kevin",
    "Laura",
    "Malik",
    "Natalie",
    "Omar",
    "Priscilla",
    "Rachel",
    "Samuel",
    "Sofia",
    "Tyler",
    "Valentina",
    "William",
]
_LAST = [
    "Allen",
    "Johnson",
    "Cho",
    "Reyes",
    "Okonkwo",
    "Nguyen",
    "Brooks",
    "Rahman",
    "Santos",
    "Goldberg",
    "Washington",
    "Patel",
    "OBrien",
    "Chen",
    "Thompson",
    "Kim",
    "Haddad",
    "Osei",
    "Levy",
    "Adeyemi",
    "Martinez",
    "Bennett",
    "Rossi",
    "Zhang",
]
_SCHOOLS = (
    "Harvard Law School",
    "Columbia Law School",
    "NYU School of Law",
    "Georgetown University Law Center",
    "Howard University School of Law",
    "Stanford Law School",
)
_SUBJECTS = (
    "Phone screen",
    "Great meeting you at OCI",
    "LinkedIn introduction",
    "Coffee chat",
    "Voicemail about scheduling",
    "Writing sample received",
    "Interview day logistics",
    "Video call about the practice group",
    "Thank-you note",
    "Check-in call",
    "Offer call",
    "Application under review",
    "Interview invitation",
    "Registration Confirmation",
    "Event reminder",
)
_SENTENCES = (
    "Spoke for about twenty-five minutes about the summer program.",
    "Strongest interest is litigation, with some curiosity about antitrust.",
    "Open to both New York and Washington, D.C.",
    "Asked how summer assignments are staffed and about pro bono hours.",
    "Next step: send interview availability for the next two weeks.",
    "Thank you for taking the time to speak with us during on-campus interviews.",
    "I've attached our summer program overview and the group's recent matters list.",
    "Several of our associates are alumni and mentioned your work on the law review.",
    "We talked through how junior associates get early responsibility.",
    "Will send a writing sample and an updated transcript by Friday.",
    "Left a voicemail about interview scheduling; will follow up by email.",
    "Texted the check-in details for tomorrow: ask for Legal Recruiting at reception.",
    "Exams finish next week; available for interviews after that.",
    "Still deciding between New York and San Francisco.",
    "Wants to hear more about the clerkship policy and bar exam support.",
    "Walked through the offer: start date, compensation and mentoring.",
    "Your application is now under review by our hiring committee.",
    "We would like to invite you to interview with the firm.",
    "Interviews consist of conversations with two partners and two associates.",
    "Please let us know if you need any accommodation for the interview.",
    "Thank you for registering; we look forward to seeing you at the event.",
    "A reminder that the webinar starts at 6:00 PM Eastern tomorrow.",
    "Received the handwritten note and shared it with the hiring partner.",
    "Good conversation; flagged for the hiring committee.",
)
_EVENT_KINDS = [k.value for k in EmailKind if k.value.startswith("event_")]


@dataclass(frozen=True)
class Plan:
    """How big the database is."""

    communications: int
    candidates: int
    big: int
    members: int = 40
    jobs: int = 200
    events: int = 100

    @classmethod
    def at(cls, scale: float) -> Plan:
        """The plan for a scale: 1.0 is a million communications."""
        return cls(
            communications=max(1_000, round(1_000_000 * scale)),
            candidates=max(100, round(100_000 * scale)),
            big=max(100, round(10_000 * scale)),
        )


# --- building ------------------------------------------------------------------------


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(conn: sa.Connection, table: sa.Table, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    for batch in _batches(rows):
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


class Builder:
    """Generates the rows of the benchmark database, reproducibly."""

    def __init__(self, plan: Plan, seed: int = 7) -> None:
        self.plan = plan
        self.rng = random.Random(seed)
        self.now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        self.start = self.now - timedelta(days=3 * 365)
        self.admins = [1, 2, 3, 4]
        self.member_names = {i: f"Member {i}" for i in range(1, plan.members + 1)}
        self.candidate_names: dict[int, tuple[str, str]] = {}
        self.system_ids: list[int] = []

    def members(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.plan.members + 1):
            yield {
                "id": i,
                "name": self.member_names[i],
                "email": f"member{i}@firm.example",
                "password_hash": "x",
                "role": MemberRole.ADMIN.value if i in self.admins else MemberRole.MEMBER.value,
                "is_active": True,
                "created_at": self.start,
            }

    def candidates(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for i in range(1, self.plan.candidates + 1):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            self.candidate_names[i] = (first, last)
            yield {
                "id": i,
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}.{i}@law.example",
                "phone": None,
                "law_school": rng.choice(_SCHOOLS),
                "class_year": "2L",
                "graduation_year": 2028,
                "source": "Direct",
                "agency_contact_id": None,
                "created_at": self.start,
            }

    def jobs(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.plan.jobs + 1):
            yield {
                "id": i,
                "name": f"2027 Summer Associate Program - Office {i}",
                "office": f"Office {i}",
                "department": "Summer Associate Program",
                "position_type": "Summer Associate",
                "process_year": 2027,
                "created_at": self.start,
            }

    def events(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.plan.events + 1):
            starts = self.start + timedelta(days=10 * i)
            yield {
                "id": i,
                "type": "webinar",
                "invite_only": i % 2 == 0,
                "name": f"Diversity Webinar {i}",
                "description": "",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=1),
                "location": None,
                "meeting_link": None,
                "registration_slug": f"event-{i}",
                "final_schedule_sent_at": None,
                "created_by_id": 1,
                "created_at": self.start,
                "updated_at": self.start,
                "deleted_at": None,
            }

    def communications(
        self, participants: list[dict[str, Any]], timeline: list[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """Communications; fills `participants` and `timeline` with the rows of each batch."""
        plan, rng = self.plan, self.rng
        span = (self.now - self.start).total_seconds()
        every = plan.communications // plan.big
        types, weights = zip(*_TYPES, strict=True)
        participant_id = 0
        for i in range(1, plan.communications + 1):
            if i % every == 0 and i // every <= plan.big:
                candidate_id = BIG_CANDIDATE_ID
            else:
                candidate_id = rng.randint(2, plan.candidates)
            kind = rng.choices(types, weights)[0]
            system = kind == CommunicationType.EMAIL.value and rng.random() < 0.6
            # Mostly in id order, five-minute steps, so that some share a time.
            seconds = (i / plan.communications) * span + rng.uniform(-3, 3) * 86_400
            occurred = self.start + timedelta(seconds=min(max(seconds, 0), span) // 300 * 300)
            sender = rng.choice(self.admins) if not system else rng.randint(1, plan.members)
            job_id = event_id = None
            email_kind = None
            if system:
                if rng.random() < 0.6:
                    job_id = rng.randint(1, plan.jobs)
                    email_kind = rng.choice(("job_status", "update_application_request"))
                else:
                    event_id = rng.randint(1, plan.events)
                    email_kind = rng.choice(_EVENT_KINDS)
                self.system_ids.append(i)
            first, last = self.candidate_names[candidate_id]
            body = " ".join(rng.sample(_SENTENCES, rng.randint(3, 7)))
            yield {
                "id": i,
                "type": kind,
                "origin": (
                    CommunicationOrigin.SYSTEM if system else CommunicationOrigin.LOGGED
                ).value,
                "email_kind": email_kind,
                "occurred_at": occurred,
                "subject": f"{rng.choice(_SUBJECTS)} - {first} {last}",
                "body": f"Hi {first},\n\n{body}\n\nBest regards,\n{self.member_names[sender]}",
                "job_id": job_id,
                "application_id": None,
                "event_id": event_id,
                "logged_by_id": None if system else sender,
                "triggered_by_id": sender if system else None,
                "trigger": "status changed to Interview Scheduled" if job_id else None,
                "inbound_message_id": None,
                "created_at": occurred,
                "updated_at": occurred,
                "deleted_at": None,
                "version": 1,
            }
            people = [
                (ParticipantRole.FROM.value, sender, None, None, self.member_names[sender]),
                (ParticipantRole.TO.value, None, candidate_id, None, f"{first} {last}"),
            ]
            if system and rng.random() < 0.2:
                people.append((ParticipantRole.CC.value, None, None, "interviews@firm.example", ""))
            positions: dict[str, int] = {}
            for role, member_id, cand_id, address, name in people:
                participant_id += 1
                position = positions.get(role, 0)
                positions[role] = position + 1
                participants.append(
                    {
                        "id": participant_id,
                        "communication_id": i,
                        "role": role,
                        "position": position,
                        "member_id": member_id,
                        "candidate_id": cand_id,
                        "agency_contact_id": None,
                        "email": address or f"{role}{i}@example.test",
                        "display_name": name or address,
                    }
                )
            timeline.append(
                {
                    "candidate_id": candidate_id,
                    "communication_id": i,
                    "occurred_at": occurred,
                    "type": kind,
                    "origin": (
                        CommunicationOrigin.SYSTEM if system else CommunicationOrigin.LOGGED
                    ).value,
                    "event_id": event_id,
                }
            )

    def outbox(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        statuses = (OutboxStatus.SENT.value,) * 95 + (OutboxStatus.FAILED.value,) * 3
        statuses += (OutboxStatus.QUEUED.value,) * 2
        for n, communication_id in enumerate(self.system_ids, start=1):
            sent = self.start
            yield {
                "id": n,
                "communication_id": communication_id,
                "idempotency_key": f"bench:{communication_id}",
                "status": rng.choice(statuses),
                "attempts": 1,
                "next_attempt_at": sent,
                "locked_until": None,
                "last_error": None,
                "message_id": f"<{uuid.UUID(int=rng.getrandbits(128))}@bench>",
                "from_address": "recruiting@firm.example",
                "reply_to": None,
                "to_addresses": [f"to{communication_id}@example.test"],
                "cc_addresses": [],
                "bcc_addresses": [],
                "subject": "bench",
                "body": "bench",
                "created_at": sent,
                "sent_at": sent,
            }


_BIG_TABLES = ("communication", "communication_participant", "timeline_entry", "email_outbox")


def _loading_engine(url: str) -> Engine:
    """An engine for the load: on SQLite, no foreign-key checks and no fsync."""
    if sa.make_url(url).get_backend_name() != "sqlite":
        return make_engine(url)
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-400000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


def build(url: str, plan: Plan) -> dict[str, float]:
    """Creates the tables and fills them; returns seconds per step."""
    engine = _loading_engine(url)
    SQLModel.metadata.create_all(engine)
    tables = SQLModel.metadata.tables
    postponed = [ix for name in _BIG_TABLES for ix in tables[name].indexes]
    timings: dict[str, float] = {}
    builder = Builder(plan)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        for index in postponed:
            index.drop(conn)
        conn.commit()
        if not sqlite:
            # Foreign-key triggers off for the load (superuser); the data is consistent.
            conn.exec_driver_sql("SET session_replication_role = replica")
        started = time.perf_counter()
        _insert(conn, tables["member"], builder.members())
        _insert(conn, tables["candidate"], builder.candidates())
        _insert(conn, tables["job"], builder.jobs())
        _insert(conn, tables["outreach_event"], builder.events())
        participants: list[dict[str, Any]] = []
        timeline: list[dict[str, Any]] = []
        for batch in _batches(builder.communications(participants, timeline)):
            conn.execute(tables["communication"].insert(), batch)
            conn.execute(tables["communication_participant"].insert(), participants)
            conn.execute(tables["timeline_entry"].insert(), timeline)
            participants.clear()
            timeline.clear()
            conn.commit()
        _insert(conn, tables["email_outbox"], builder.outbox())
        conn.commit()
        timings["insert rows"] = time.perf_counter() - started

        started = time.perf_counter()
        if not sqlite:
            conn.exec_driver_sql("SET session_replication_role = origin")
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for index in postponed:
            index.create(conn)
        conn.commit()
        timings["build indexes"] = time.perf_counter() - started

        started = time.perf_counter()
        if sqlite:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        else:
            # The ids were given: move the sequences past them, for a kept database.
            for name in ("member", "candidate", "job", "outreach_event", *_BIG_TABLES):
                if name == "timeline_entry":
                    continue
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {name}))"
                )
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        timings["analyze"] = time.perf_counter() - started
    engine.dispose()
    return timings


# --- measuring ------------------------------------------------------------------------


def _raw_page_sql(dialect: str, *, search: bool) -> str:
    """The service's page query, written by hand (same joins, same order, same limit)."""
    mark = "?" if dialect == "sqlite" else "%s"
    if search:
        like = (
            f"(lower(c.subject) LIKE lower({mark}) ESCAPE '\\' "
            f"OR lower(c.body) LIKE lower({mark}) ESCAPE '\\')"
            if dialect == "sqlite"
            else f"(c.subject ILIKE {mark} ESCAPE '\\' OR c.body ILIKE {mark} ESCAPE '\\')"
        )
        extra = f" AND te.type IN ({mark}) AND {like}"
    else:
        extra = ""
    return f"""
        SELECT c.id, c.version, c.type, c.origin, c.email_kind, c.occurred_at, c.subject,
               c.body, c.logged_by_id, lb.name, tb.name, c.trigger, j.name, e.name,
               (SELECT o.status FROM email_outbox o WHERE o.communication_id = c.id
                ORDER BY o.id DESC LIMIT 1),
               c.event_id, te.occurred_at
        FROM timeline_entry te
        JOIN communication c ON c.id = te.communication_id
        LEFT JOIN member lb ON lb.id = c.logged_by_id
        LEFT JOIN member tb ON tb.id = c.triggered_by_id
        LEFT JOIN job j ON j.id = c.job_id
        LEFT JOIN outreach_event e ON e.id = c.event_id
        WHERE te.candidate_id = {mark}{extra}
        ORDER BY te.occurred_at DESC, te.communication_id DESC
        LIMIT {mark}
    """


_RAW_EVENT_ID = 15
"""The column of the raw page that holds the entry's event."""


def _raw_params(*, search: bool) -> tuple[Any, ...]:
    if search:
        pattern = f"%{SEARCH_TEXT}%"
        return (BIG_CANDIDATE_ID, SEARCH_TYPES[0], pattern, pattern, PAGE + 1)
    return (BIG_CANDIDATE_ID, PAGE + 1)


def _raw_count_sql(dialect: str, *, search: bool) -> tuple[str, tuple[Any, ...]]:
    """The grouped count behind the filter chips, by hand."""
    mark = "?" if dialect == "sqlite" else "%s"
    if not search:
        return (
            f"SELECT type, count(*) FROM timeline_entry WHERE candidate_id = {mark} GROUP BY type",
            (BIG_CANDIDATE_ID,),
        )
    like = (
        "lower(c.subject) LIKE lower({0}) ESCAPE '\\' OR lower(c.body) LIKE lower({0}) ESCAPE '\\'"
    )
    if dialect != "sqlite":
        like = "c.subject ILIKE {0} ESCAPE '\\' OR c.body ILIKE {0} ESCAPE '\\'"
    pattern = f"%{SEARCH_TEXT}%"
    return (
        "SELECT te.type, count(*) FROM timeline_entry te JOIN communication c "
        f"ON c.id = te.communication_id WHERE te.candidate_id = {mark} AND ({like.format(mark)}) "
        "GROUP BY te.type",
        (BIG_CANDIDATE_ID, pattern, pattern),
    )


def _raw_full_page_sql(dialect: str, *, search: bool) -> str:
    """The statement the service runs for a page, by hand: the raw page and three columns more.

    Each row's participants (one JSON array), the size of its event thread
    on this timeline, and the viewer's role (the check that the viewer is an
    active member); its first parameter is the viewer.
    """
    mark = "?" if dialect == "sqlite" else "%s"
    people = (
        "json_agg(json_build_array(p.role, p.position, p.display_name, coalesce(p.email, ''), "
        "CASE WHEN p.member_id IS NOT NULL THEN 'member' "
        "WHEN p.candidate_id IS NOT NULL THEN 'candidate' "
        "WHEN p.agency_contact_id IS NOT NULL THEN 'agency_contact' ELSE 'address' END, "
        "coalesce(p.member_id, p.candidate_id, p.agency_contact_id, 0)))"
    )
    if dialect == "sqlite":
        people = people.replace("json_agg", "json_group_array").replace("_build", "")
    extra = f""",
               (SELECT {people} FROM communication_participant p
                WHERE p.communication_id = c.id),
               (SELECT count(*) FROM timeline_entry t
                WHERE t.candidate_id = te.candidate_id AND t.event_id = c.event_id),
               (SELECT m.role FROM member m WHERE m.id = {mark} AND m.is_active)
        FROM timeline_entry te"""
    return _raw_page_sql(dialect, search=search).replace(
        "\n        FROM timeline_entry te", extra, 1
    )


def _raw_full_params(*, search: bool) -> tuple[Any, ...]:
    return (VIEWER_ID, *_raw_params(search=search))


@dataclass
class Case:
    """One line of the table: a service call beside raw SQL."""

    name: str
    service: Callable[[], Any]
    raw: Callable[[], Any]
    target: float | None
    service_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)


def _timed(fn: Callable[[], Any], into: list[float]) -> None:
    started = time.perf_counter()
    fn()
    into.append((time.perf_counter() - started) * 1000)


def _plan(engine: Engine, sql: str, params: tuple) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            return "\n".join(f"    {row[-1]}" for row in rows)
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params).all()
        return "\n".join(f"    {row[0]}" for row in rows)


def measure(engine: Engine, repeat: int) -> list[Case]:
    """Runs every case `repeat` times, interleaved in a new order each round, after warming up.

    Each call opens and ends its own transaction (committing, as the app's
    `session_scope` does), service and raw SQL alike.
    """
    dialect = engine.dialect.name
    everything = TimelineFilters()
    searching = TimelineFilters(types=list(SEARCH_TYPES), search=SEARCH_TEXT)

    def page(filters: TimelineFilters, counts: bool) -> Callable[[], Any]:
        def run() -> Any:
            with session_scope(engine) as session:
                return list_timeline(
                    session=session,
                    candidate_id=BIG_CANDIDATE_ID,
                    filters=filters,
                    limit=PAGE,
                    viewer_id=VIEWER_ID,
                    with_counts=counts,
                )

        return run

    def counts(filters: TimelineFilters) -> Callable[[], Any]:
        def run() -> Any:
            with session_scope(engine) as session:
                return count_timeline(
                    session=session,
                    candidate_id=BIG_CANDIDATE_ID,
                    filters=filters,
                    viewer_id=VIEWER_ID,
                )

        return run

    def raw(sql: str, params: tuple[Any, ...], filtered: bool = False) -> Callable[[], Any]:
        def run() -> Any:
            with engine.begin() as conn:
                _custom_plans(conn, filtered)
                return conn.exec_driver_sql(sql, params).all()

        return run

    cases: list[Case] = []
    for label, search, filters, target in (
        ("first page", False, everything, FIRST_PAGE_TARGET),
        ("search page", True, searching, SEARCH_TARGET),
    ):
        raw_page = raw(_raw_page_sql(dialect, search=search), _raw_params(search=search), search)
        raw_full_page = raw(
            _raw_full_page_sql(dialect, search=search), _raw_full_params(search=search), search
        )
        _check_same_page(label, page(filters, True)().items, raw_page(), raw_full_page())
        cases += [
            Case(
                f"{label}: list_timeline(with_counts=False) vs the same query, raw",
                page(filters, False),
                raw_full_page,
                target,
            ),
            Case(
                f"{label}: list_timeline(with_counts=False) vs raw page, no participants",
                page(filters, False),
                raw_page,
                None,
            ),
            Case(
                f"{label}: count_timeline vs raw grouped count",
                counts(filters),
                raw(*_raw_count_sql(dialect, search=search)),
                None,
            ),
            Case(
                f"{label}: list_timeline(with_counts=True) vs the same query, raw",
                page(filters, True),
                raw_full_page,
                None,
            ),
        ]

    for label, search in (("first-page", False), ("search-page", True)):
        print(f"\nPlan of the {label} query:")
        sql, params = _raw_full_page_sql(dialect, search=search), _raw_full_params(search=search)
        print(_plan(engine, sql, params))

    for case in cases:  # warm up: caches, pools, prepared statements
        for _ in range(8):
            case.service()
            case.raw()
    # The call after a heavy one (a count reads every entry of the timeline)
    # finds less of what it needs in the caches: each round takes the cases
    # in a new order, and service and raw SQL go first in turn, so that no
    # line always pays for the line before it.
    order = random.Random(PAGE)
    for run in range(repeat):
        for case in order.sample(cases, len(cases)):
            pair = [(case.service, case.service_ms), (case.raw, case.raw_ms)]
            for fn, into in pair if run % 2 == 0 else reversed(pair):
                _timed(fn, into)
    return cases


def _custom_plans(conn: sa.Connection, filtered: bool) -> None:
    """What the service does on PostgreSQL for a filtered page: a plan for these values."""
    if filtered and conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
            " set_config('join_collapse_limit', '1', true)"
        )


def _check_same_page(
    label: str, items: Sequence[Any], raw_rows: Sequence[Any], full_rows: Sequence[Any]
) -> None:
    """The service's page is the raw page: same entries, people and thread sizes."""
    got = [
        (item.id, sorted((p.role, p.name) for p in item.sent_by + item.to + item.cc + item.bcc))
        for item in items
    ]
    people = [json.loads(r[-3]) if isinstance(r[-3], str) else r[-3] for r in full_rows[:PAGE]]
    expected = [
        (row[0], sorted((person[0], person[2]) for person in row_people))
        for row, row_people in zip(full_rows[:PAGE], people, strict=True)
    ]
    threads = [(item.id, item.thread_count) for item in items if item.event_id]
    expected_threads = [(row[0], row[-2]) for row in full_rows[:PAGE] if row[_RAW_EVENT_ID]]
    ids = [row[0] for row in raw_rows[:PAGE]]
    if not got or got != expected or threads != expected_threads or [i for i, _ in got] != ids:
        raise SystemExit(f"service and raw SQL disagree ({label}): {got} {expected}")


def _report(cases: list[Case]) -> None:
    width = max(len(case.name) for case in cases) + 2
    print(
        f"\n{'median of runs (best in brackets)':<{width}}"
        f"{'service ms':>18}{'raw ms':>18}{'ratio':>9}{'target':>8}  met"
    )
    for case in cases:
        service, raw = statistics.median(case.service_ms), statistics.median(case.raw_ms)
        ratio = service / raw
        target = f"{case.target:.0f}x" if case.target else "-"
        met = ("yes" if ratio <= case.target else "NO") if case.target else ""
        print(
            f"{case.name:<{width}}{service:>9.2f} ({min(case.service_ms):6.2f})"
            f"{raw:>9.2f} ({min(case.raw_ms):6.2f}){ratio:>8.2f}x{target:>8}  {met}"
        )
    print(
        "\n'the same query, raw' is the one statement the service runs for a page, written by"
        "\nhand: the entries with their names, participants (JSON), thread sizes and the"
        "\nviewer check. 'raw page, no participants' leaves those three out. On PostgreSQL"
        "\nthe filtered queries ask for a custom plan, as the service does. The targets are"
        "\non the page without counts: what 'Load more' asks for, and what the tab's first"
        "\nload asks for, with count_timeline after it."
        "\nwith_counts=True (page and counts in one call) is shown for comparison."
    )


def _widen_timeline_index(engine: Engine) -> None:
    """The experiment: ix_timeline_page also carries type and origin, so counts read the index."""
    print(
        "EXPERIMENT: ix_timeline_page rebuilt as (candidate_id, occurred_at, communication_id,"
        " type, origin); the product's schema does not have this."
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_timeline_page")
        conn.exec_driver_sql(
            "CREATE INDEX ix_timeline_page ON timeline_entry "
            "(candidate_id, occurred_at, communication_id, type, origin)"
        )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE timeline_entry"
            )


def main(argv: Sequence[str] | None = None) -> None:
    """Builds the database, measures, prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = a million communications")
    parser.add_argument("--repeat", type=int, default=30, help="measured runs per query")
    parser.add_argument("--schema", default="timeline_bench", help="PostgreSQL schema to use")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--covering-index",
        action="store_true",
        help="experiment: widen ix_timeline_page with type and origin (not the product schema)",
    )
    args = parser.parse_args(argv)
    plan = Plan.at(args.scale)

    with scratch_database(
        args.database_url, schema=args.schema, prefix="timeline-bench-", keep=args.keep
    ) as url:
        engine = make_engine(url)
        try:
            print(
                f"Building {plan.communications:,} communications over {plan.candidates:,} "
                f"candidates (candidate {BIG_CANDIDATE_ID} has {plan.big:,}) on "
                f"{engine.dialect.name} ({sa.make_url(url).render_as_string()}) ..."
            )
            started = time.perf_counter()
            timings = build(url, plan)
            total = time.perf_counter() - started
            steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
            print(f"Built in {total:.1f}s ({steps}).")
            if args.covering_index:
                _widen_timeline_index(engine)
            engine.dispose()
            _report(measure(engine, args.repeat))
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
