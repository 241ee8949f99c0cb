"""Benchmark: a reminder to the 5,000 approved registrants of an outreach event.

Builds an invite-only webinar starting in a month with 5,000 approved
registrants (`--registrants` changes the number), then measures, in one run,
the time to log and queue the reminder to all of them through the service
(`start_batch` then `run_batch`, one transaction per `DEFAULT_CHUNK`
registrants) beside a raw insert of the same rows: the communications,
participants (FROM, TO, and the template's CC and BCC), timeline entries and
outbox rows the service wrote, copied out once and inserted again with Core
`executemany`, committing every `DEFAULT_CHUNK` registrants, with no reading,
rendering or checking. The raw insert gives the ids itself; a third line
shows it with the communication ids from `INSERT ... RETURNING` instead, as
the service gets them.

    .venv/bin/python bench/event_reminder_bench.py              # temp SQLite file
    .venv/bin/python bench/event_reminder_bench.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL the data goes into a schema of its own (`--schema`, by default
`event_reminder_bench_<pid>`, dropped at the end unless `--keep`); nothing
outside it is touched.

All run on the same database: before each run the rows the previous one
wrote (and the batch) are deleted, so every run is a first reminder. The
runs alternate, after a warm-up, and the table shows the best and the
median. The targets: the service (best run) at most 3x the raw insert (best
run, ids given), and under 2 seconds. After the table comes a breakdown of
the service's time by phase, each phase timed alone over all the
registrants, best of `--rounds` (`--profile N` adds the cProfile listing of
one service run). The exit status is 0 whether or not the targets are met;
it is not 0 when the service did not queue every reminder.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scratch_database import scratch_database

from flo_comms import models  # noqa: F401  (registers the tables)
from flo_comms.db import make_engine
from flo_comms.models import (
    Candidate,
    CandidateSource,
    Communication,
    CommunicationParticipant,
    EmailKind,
    EmailOutbox,
    EmailTemplate,
    EventEmailBatch,
    EventRegistration,
    EventType,
    HeldBackEmail,
    JoinedVia,
    Member,
    MemberRole,
    OutreachEvent,
    ReviewState,
    TimelineEntry,
)
from flo_comms.services.defaults import ensure_defaults, event_template_key
from flo_comms.services.email_render import render_template
from flo_comms.services.event_emails import (
    DEFAULT_CHUNK,
    event_context,
    event_template,
    load_event,
    load_recipients,
    run_batch,
    start_batch,
)
from flo_comms.services.job_emails import unique_addresses
from flo_comms.services.outbox import named_address, outbox_values

KIND = EmailKind.EVENT_REMINDER
RATIO_TARGET = 3.0
SECONDS_TARGET = 2.0
ADMIN_NAME = "Cynthia Park"
ADMIN_EMAIL = "cynthia@halewhitmore.example"
TEMPLATE_CC = "events@halewhitmore.example"
TEMPLATE_BCC = "recruiting-archive@halewhitmore.example"

_FIRST = ("Aaliyah", "Benjamin", "Camila", "Daniel", "Fatima", "Gabriel", "Hannah", "Isaiah")
_LAST = ("Johnson", "Reyes", "Okonkwo", "Nguyen", "Rahman", "Santos", "Washington", "Patel")

_COMM = Communication.__table__
_PART = CommunicationParticipant.__table__
_TE = TimelineEntry.__table__
_OUTBOX = EmailOutbox.__table__
_HELD = HeldBackEmail.__table__
_BATCH = EventEmailBatch.__table__
_REG = EventRegistration.__table__
_CANDIDATE = Candidate.__table__
_WRITTEN = (_OUTBOX, _TE, _PART, _COMM, _HELD, _BATCH)
"""What a send writes, children first (the order to delete in)."""


@dataclass(frozen=True)
class Firm:
    """The ids the measurement needs."""

    admin_id: int
    event_id: int
    registration_ids: list[int]


def build(engine: Engine, registrants: int) -> Firm:
    """Creates the tables, the templates, an admin, the event and its approved registrants."""
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        ensure_defaults(session=session)
        session.flush()
        template = session.exec(
            select(EmailTemplate).where(EmailTemplate.key == event_template_key(KIND))
        ).one()
        template.cc = TEMPLATE_CC
        template.bcc = TEMPLATE_BCC
        admin = Member(
            name=ADMIN_NAME,
            email=ADMIN_EMAIL,
            password_hash="-",
            role=MemberRole.ADMIN.value,
        )
        session.add(admin)
        session.flush()
        starts = (now + timedelta(days=30)).replace(hour=22, minute=0, second=0, microsecond=0)
        event = OutreachEvent(
            type=EventType.WEBINAR.value,
            invite_only=True,
            name="Diversity in the Law Webinar",
            description="An evening with our attorneys.",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1, minutes=30),
            meeting_link="https://zoom.example/j/5550100",
            registration_slug="diversity-in-the-law-webinar",
            created_by_id=admin.id,
        )
        session.add(event)
        session.commit()
        admin_id, event_id = admin.id, event.id
    with engine.begin() as conn:
        conn.execute(
            sa.insert(_CANDIDATE),
            [
                {
                    "id": i,
                    "first_name": _FIRST[i % len(_FIRST)],
                    "last_name": _LAST[i // len(_FIRST) % len(_LAST)],
                    "email": f"candidate{i:05d}@law.example",
                    "source": CandidateSource.DIRECT.value,
                    "created_at": now,
                }
                for i in range(1, registrants + 1)
            ],
        )
        conn.execute(
            sa.insert(_REG),
            [
                {
                    "id": i,
                    "event_id": event_id,
                    "candidate_id": i,
                    "joined_via": JoinedVia.LINK.value,
                    "review_state": ReviewState.APPROVED.value,
                    "registered_at": now,
                    "reviewed_at": now,
                    "reviewed_by_id": admin_id,
                }
                for i in range(1, registrants + 1)
            ],
        )
        if engine.dialect.name == "postgresql":
            for table in (_CANDIDATE, _REG):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                    f" (SELECT max(id) FROM {table.name}))"
                )
    _analyze(engine)
    ids = list(range(1, registrants + 1))
    return Firm(admin_id=admin_id, event_id=event_id, registration_ids=ids)


def _analyze(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def _reset(engine: Engine) -> None:
    """Deletes every row a send wrote, so the next run is a first reminder again."""
    with engine.begin() as conn:
        for table in _WRITTEN:
            conn.execute(sa.delete(table))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in _WRITTEN:
                auto.exec_driver_sql(f"VACUUM {table.name}")


# --- the service and the raw inserts ----------------------------------------------------


def send_reminder(engine: Engine, firm: Firm, now: datetime) -> int:
    """The service: starts the reminder and runs it to the end; returns how many were queued."""
    with Session(engine, expire_on_commit=False) as session:
        progress = start_batch(
            session=session,
            actor_id=firm.admin_id,
            event_id=firm.event_id,
            kind=KIND.value,
            now=now,
        )
        progress = run_batch(
            session=session, actor_id=firm.admin_id, batch_id=progress.batch_id, now=now
        )
    return progress.queued


Chunk = dict[str, list[dict[str, Any]]]


def written_rows(engine: Engine, chunk: int) -> list[Chunk]:
    """The rows the service wrote, in chunks of `chunk` registrants, to insert again by hand."""
    with engine.connect() as conn:

        def rows(table: sa.Table, order: Sequence[sa.Column]) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(*order))]

        comms = rows(_COMM, [_COMM.c.id])
        parts = rows(_PART, [_PART.c.id])
        entries = rows(_TE, [_TE.c.communication_id])
        outbox = rows(_OUTBOX, [_OUTBOX.c.id])
    chunk_of = {c["id"]: n // chunk for n, c in enumerate(comms)}
    chunks: list[Chunk] = [
        {"comms": [], "parts": [], "entries": [], "outbox": []}
        for _ in range((len(comms) + chunk - 1) // chunk)
    ]
    for c in comms:
        chunks[chunk_of[c["id"]]]["comms"].append(c)
    for key, table_rows in (("parts", parts), ("entries", entries), ("outbox", outbox)):
        for r in table_rows:
            chunks[chunk_of[r["communication_id"]]][key].append(r)
    return chunks


def raw_insert(engine: Engine, chunks: Sequence[Chunk]) -> None:
    """The raw write: per chunk, one transaction, one executemany per table, ids given."""
    for chunk in chunks:
        with engine.begin() as conn:
            conn.execute(sa.insert(_COMM), chunk["comms"])
            conn.execute(sa.insert(_PART), chunk["parts"])
            conn.execute(sa.insert(_TE), chunk["entries"])
            conn.execute(sa.insert(_OUTBOX), chunk["outbox"])


_RETURNING = sa.insert(_COMM).returning(_COMM.c.id, sort_by_parameter_order=True)


def raw_insert_returning(engine: Engine, chunks: Sequence[Chunk]) -> None:
    """As `raw_insert`, but the communication ids come from the database, as in the service."""
    for chunk in chunks:
        with engine.begin() as conn:
            comms = [{k: v for k, v in c.items() if k != "id"} for c in chunk["comms"]]
            ids = conn.execute(_RETURNING, comms).scalars().all()
            new = dict(zip((c["id"] for c in chunk["comms"]), ids, strict=True))
            for key, table in (("parts", _PART), ("entries", _TE), ("outbox", _OUTBOX)):
                conn.execute(
                    sa.insert(table),
                    [r | {"communication_id": new[r["communication_id"]]} for r in chunk[key]],
                )


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


SERVICE = "start_batch + run_batch (the service)"
RAW = "raw Core executemany, same rows, same commits"
RAW_RETURNING = "  the same, communication ids by RETURNING"


def measure(engine: Engine, firm: Firm, rounds: int) -> tuple[dict[str, list[float]], list[Chunk]]:
    """Alternates the service and the raw runs after a warm-up; returns seconds per run."""
    times: dict[str, list[float]] = {SERVICE: [], RAW: [], RAW_RETURNING: []}
    expected = len(firm.registration_ids)
    _reset(engine)
    queued = send_reminder(engine, firm, datetime.now(UTC))
    if queued != expected:
        raise SystemExit(f"The reminder queued {queued} emails, not {expected}.")
    chunks = written_rows(engine, DEFAULT_CHUNK)
    _check_counts(chunks, expected)
    ways: dict[str, Callable[[], Any]] = {
        SERVICE: lambda: send_reminder(engine, firm, datetime.now(UTC)),
        RAW: lambda: raw_insert(engine, chunks),
        RAW_RETURNING: lambda: raw_insert_returning(engine, chunks),
    }
    for round_number in range(rounds + 1):  # round 0 warms up
        for name, way in ways.items():
            _reset(engine)
            elapsed, result = _timed(way)
            if name == SERVICE and result != expected:
                raise SystemExit(f"The reminder queued {result} emails, not {expected}.")
            if round_number:
                times[name].append(elapsed)
    _reset(engine)
    return times, chunks


def _check_counts(chunks: Sequence[Chunk], registrants: int) -> None:
    counts = {key: sum(len(c[key]) for c in chunks) for key in ("comms", "entries", "outbox")}
    parts = sum(len(c["parts"]) for c in chunks)
    if any(n != registrants for n in counts.values()) or parts != 4 * registrants:
        raise SystemExit(f"Unexpected rows written: {counts}, {parts} participants.")


# --- where the time goes ----------------------------------------------------------------


def _best(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        elapsed, result = _timed(fn)
        best = min(best, elapsed)
    return best, result


def phases(
    engine: Engine, firm: Firm, chunks: Sequence[Chunk], runs: int
) -> list[tuple[str, float]]:
    """Times the service's per-registrant work alone, over all the registrants (best of `runs`).

    Each phase runs outside any batch, with the inputs the service gives
    it: the recipient read (one query here, one per chunk in the service),
    the template rendering, and the checked outbox values.
    """
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        event = load_event(session, firm.event_id)
        template = event_template(session, KIND)
        read, recipients = _best(lambda: load_recipients(session, firm.registration_ids), runs)
        session.rollback()
    shared = event_context(event)
    people = [recipients[i] for i in firm.registration_ids]

    def render() -> list[Any]:
        return [
            render_template(
                subject=template.subject,
                body=template.body,
                context=shared
                | {
                    "candidate_first_name": p.first_name,
                    "candidate_last_name": p.last_name,
                    "candidate_name": p.name,
                    "recipient_name": p.name,
                    "recipient_first_name": p.first_name,
                    "sender_name": ADMIN_NAME,
                    "sender_email": ADMIN_EMAIL,
                    "time_slot": p.slot_label,
                },
            )
            for p in people
        ]

    rendering, rendered = _best(render, runs)
    got = {(r.subject, r.body) for r in rendered}
    wrote = {(c["subject"], c["body"]) for chunk in chunks for c in chunk["comms"]}
    if got != wrote:
        raise SystemExit("render_template does not give what the service wrote.")
    cc, bcc = unique_addresses(template.cc), list(template.bcc)

    def values() -> None:
        for p, email in zip(people, rendered, strict=True):
            outbox_values(
                communication_id=1,
                idempotency_key=f"event-batch:1:{p.registration_id}",
                to=[named_address(p.name, p.email)],
                cc=cc,
                bcc=bcc,
                subject=email.subject,
                body=email.body,
                reply_to=ADMIN_EMAIL,
                now=now,
            )

    checking, _ = _best(values, runs)
    return [
        ("read the registrants (load_recipients, one query)", read),
        ("render subject and body (render_template x N)", rendering),
        ("outbox row values, checked (outbox_values x N)", checking),
    ]


def profile(engine: Engine, firm: Firm, top: int) -> str:
    """The cProfile listing of one service run, by own time."""
    _reset(engine)
    profiler = cProfile.Profile()
    profiler.enable()
    send_reminder(engine, firm, datetime.now(UTC))
    profiler.disable()
    _reset(engine)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _report(
    times: dict[str, list[float]],
    parts: list[tuple[str, float]],
    registrants: int,
    dialect: str,
) -> None:
    best = {name: min(seconds) for name, seconds in times.items()}
    service, raw = best[SERVICE], best[RAW]
    ratio = service / raw
    print(
        f"\nReminder to {registrants:,} approved registrants on {dialect}, "
        f"chunks of {DEFAULT_CHUNK}: best (median) of {len(times[SERVICE])} alternating runs, "
        "after a warm-up"
    )
    print(f"{'':52}{'seconds':>16}{'per email ms':>14}{'vs raw':>8}")
    for name, seconds in times.items():
        print(
            f"{name:52}{best[name]:7.3f} ({statistics.median(seconds):6.3f})"
            f"{best[name] / registrants * 1000:14.3f}{best[name] / raw:7.2f}x"
        )
    print(f"\nregistrants      {registrants}")
    print(f"service seconds  {service:.3f}")
    print(f"raw seconds      {raw:.3f}")
    print(f"ratio            {ratio:.2f}x")
    print(
        f"targets          ratio <= {RATIO_TARGET:.0f}x: {'yes' if ratio <= RATIO_TARGET else 'NO'}"
        f"; service < {SECONDS_TARGET:.0f} s: {'yes' if service < SECONDS_TARGET else 'NO'}"
    )
    print("\nWhere the service's time goes (each phase timed alone, all registrants):")
    phases = [
        *parts,
        ("the inserts and commits (raw, ids given)", raw),
        ("getting the ids by RETURNING (raw RETURNING - raw)", best[RAW_RETURNING] - raw),
    ]
    phases.append(
        (
            "the rest (checks, row dicts, batch bookkeeping, ...)",
            service - sum(seconds for _, seconds in phases),
        )
    )
    for label, seconds in phases:
        print(f"  {label:58}{seconds:7.3f} s{seconds / service:6.0%}")


def main(argv: Sequence[str] | None = None) -> None:
    """Builds the database, measures, prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--registrants", type=int, default=5000, help="approved registrants")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each")
    parser.add_argument(
        "--schema",
        default=f"event_reminder_bench_{os.getpid()}",
        help="PostgreSQL schema (default: event_reminder_bench_<pid>)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile", type=int, metavar="N", default=0, help="print the top N of a cProfile run"
    )
    args = parser.parse_args(argv)
    if args.registrants < 1 or args.rounds < 1:
        raise SystemExit("Use at least one registrant and one round.")

    with scratch_database(
        args.database_url, schema=args.schema, prefix="event-reminder-bench-", keep=args.keep
    ) as url:
        engine = make_engine(url)
        try:
            started = time.perf_counter()
            firm = build(engine, args.registrants)
            print(
                f"Built an invite-only webinar with {args.registrants:,} approved registrants on "
                f"{engine.dialect.name} ({sa.make_url(url).render_as_string()}) "
                f"in {time.perf_counter() - started:.1f}s."
            )
            times, chunks = measure(engine, firm, args.rounds)
            parts = phases(engine, firm, chunks, args.rounds)
            _report(times, parts, args.registrants, engine.dialect.name)
            if args.profile:
                print(f"\ncProfile of one service run (top {args.profile}):")
                print(profile(engine, firm, args.profile))
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
