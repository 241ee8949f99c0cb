"""Benchmark: changing the status of 100 applications at once, each email logged and queued.

Builds a database with the default statuses and templates, one admin, a job
and 100 applications in "Applied" (every fourth submitted by an agency, so
its email goes to the agency's recruiter), then, in one run, measures
`change_status` moving all of them to "Interview Scheduled" (a status with a
template; CC and BCC set, so each email has four participants), beside a
raw insert of the same rows with Core `executemany`: the application
updates, status changes, communications, participants, timeline entries and
outbox rows the service wrote, copied with new ids.

    .venv/bin/python bench/status_change_bench.py
    .venv/bin/python bench/status_change_bench.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

The service commits once per application (that is the product's rule: one
transaction per email, so a failure keeps nothing of that email and nothing
else is lost); the raw insert is shown twice: all rows in one transaction,
and one transaction per email, so the share of the commits is visible.
Each measurement is repeated (`--rounds`, after one warm-up), moving the
applications back to "Applied" in between, untimed; the median is shown.

On PostgreSQL the data goes into a schema of its own (`--schema`, dropped at
the end unless `--keep`); nothing outside it is touched.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
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
    Agency,
    AgencyContact,
    Application,
    ApplicationStatus,
    ApplicationStatusChange,
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
from flo_comms.services.defaults import ensure_defaults, status_template_key
from flo_comms.services.job_emails import change_status

TARGET_STATUS = "Interview Scheduled"
START_STATUS = "Applied"
AGENCY_EVERY = 4

_APP = Application.__table__
_CHANGE = ApplicationStatusChange.__table__
_COMM = Communication.__table__
_PART = CommunicationParticipant.__table__
_TE = TimelineEntry.__table__
_OUTBOX = EmailOutbox.__table__
_WITH_IDS = (_CHANGE, _COMM, _PART, _OUTBOX)


def build(engine: Engine, applications: int) -> tuple[int, list[int], int, int]:
    """Creates the firm, the admin, a job and its applications.

    Returns:
        The admin's id, the application ids, and the ids of the start and target statuses.
    """
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        ensure_defaults(session=session)
        session.flush()
        statuses = {s.name: s for s in session.exec(select(ApplicationStatus)).all()}
        template_id = statuses[TARGET_STATUS].email_template_id
        template = session.get(EmailTemplate, template_id)
        assert template is not None and template.key == status_template_key(TARGET_STATUS)
        template.cc = "interviews@halewhitmore.example"
        template.bcc = "recruiting-archive@halewhitmore.example"
        admin = Member(
            name="Cynthia Park",
            email="cynthia@halewhitmore.example",
            password_hash="-",
            role=MemberRole.ADMIN.value,
        )
        agency = Agency(name="Momentum Search Partners")
        session.add_all([admin, agency])
        session.flush()
        contact = AgencyContact(
            agency_id=agency.id, name="Bill Walter", email="bill.walter@momentumsearch.example"
        )
        job = Job(
            name="2027 Summer Associate Program - New York",
            office="New York",
            department="Summer Associate Program",
            position_type="Summer Associate",
            process_year=2026,
        )
        session.add_all([contact, job])
        session.flush()
        candidates = []
        for i in range(applications):
            agency_sourced = i % AGENCY_EVERY == 0
            candidates.append(
                Candidate(
                    first_name=f"Candidate{i:03d}",
                    last_name="Bench",
                    email=f"candidate{i:03d}@law.example",
                    source=(CandidateSource.AGENCY if agency_sourced else CandidateSource.DIRECT),
                    agency_contact_id=contact.id if agency_sourced else None,
                )
            )
        session.add_all(candidates)
        session.flush()
        apps = [
            Application(
                candidate_id=c.id,
                job_id=job.id,
                status_id=statuses[START_STATUS].id,
                source=c.source,
                agency_contact_id=c.agency_contact_id,
            )
            for c in candidates
        ]
        session.add_all(apps)
        session.commit()
        return (
            admin.id,
            [a.id for a in apps],
            statuses[START_STATUS].id,
            statuses[TARGET_STATUS].id,
        )


def _reset(engine: Engine, app_ids: list[int], status_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(_APP).where(_APP.c.id.in_(app_ids)).values(status_id=status_id))


def _written(engine: Engine, change_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """The rows the service wrote for these status changes, to insert again by hand."""
    with engine.connect() as conn:
        changes = [
            dict(r._mapping)
            for r in conn.execute(sa.select(_CHANGE).where(_CHANGE.c.id.in_(change_ids)))
        ]
        comm_ids = [c["communication_id"] for c in changes]
        comms = [
            dict(r._mapping) for r in conn.execute(sa.select(_COMM).where(_COMM.c.id.in_(comm_ids)))
        ]
        parts = [
            dict(r._mapping)
            for r in conn.execute(sa.select(_PART).where(_PART.c.communication_id.in_(comm_ids)))
        ]
        entries = [
            dict(r._mapping)
            for r in conn.execute(sa.select(_TE).where(_TE.c.communication_id.in_(comm_ids)))
        ]
        outbox = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(_OUTBOX).where(_OUTBOX.c.communication_id.in_(comm_ids))
            )
        ]
    return {
        "changes": changes,
        "comms": comms,
        "parts": parts,
        "entries": entries,
        "outbox": outbox,
    }


class _Copier:
    """Makes fresh copies of the service's rows, with new ids and unique keys."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.next: dict[str, int] = {}
        self.copies = 0

    def _start_after_existing(self) -> None:
        with self.engine.connect() as conn:
            self.next = {
                table.name: (conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
                for table in _WITH_IDS
            }

    def sync_sequences(self) -> None:
        """PostgreSQL: moves the id sequences past the ids given by hand."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            for table in _WITH_IDS:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                    f" (SELECT max(id) FROM {table.name}))"
                )

    def _id(self, table: sa.Table) -> int:
        value = self.next[table.name]
        self.next[table.name] += 1
        return value

    def copy(self, rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, list[dict]]]:
        """One group of rows per email, ready to insert."""
        self._start_after_existing()
        self.copies += 1
        comm_id = {c["id"]: self._id(_COMM) for c in rows["comms"]}
        groups: dict[int, dict[str, list[dict]]] = {
            new: {"comms": [], "parts": [], "entries": [], "outbox": [], "changes": []}
            for new in comm_id.values()
        }
        for c in rows["comms"]:
            groups[comm_id[c["id"]]]["comms"].append(c | {"id": comm_id[c["id"]]})
        for p in rows["parts"]:
            new = comm_id[p["communication_id"]]
            groups[new]["parts"].append(p | {"id": self._id(_PART), "communication_id": new})
        for e in rows["entries"]:
            new = comm_id[e["communication_id"]]
            groups[new]["entries"].append(e | {"communication_id": new})
        for o in rows["outbox"]:
            new = comm_id[o["communication_id"]]
            suffix = f"-raw{self.copies}"
            groups[new]["outbox"].append(
                o
                | {
                    "id": self._id(_OUTBOX),
                    "communication_id": new,
                    "idempotency_key": o["idempotency_key"] + suffix,
                    "message_id": o["message_id"].replace("@", suffix + "@"),
                }
            )
        for ch in rows["changes"]:
            new = comm_id[ch["communication_id"]]
            groups[new]["changes"].append(ch | {"id": self._id(_CHANGE), "communication_id": new})
        return list(groups.values())


def _insert(conn: sa.Connection, groups: Sequence[dict[str, list[dict]]], now: datetime) -> None:
    """The raw write of a set of emails: every table with one executemany."""
    moves = [
        {"app_id": ch["application_id"], "to_id": ch["to_status_id"], "now": now}
        for g in groups
        for ch in g["changes"]
    ]
    conn.execute(
        sa.update(_APP)
        .where(_APP.c.id == sa.bindparam("app_id"))
        .values(status_id=sa.bindparam("to_id"), updated_at=sa.bindparam("now")),
        moves,
    )
    for key, table in (
        ("comms", _COMM),
        ("parts", _PART),
        ("entries", _TE),
        ("changes", _CHANGE),
        ("outbox", _OUTBOX),
    ):
        conn.execute(sa.insert(table), [row for g in groups for row in g[key]])


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure(
    engine: Engine, admin_id: int, app_ids: list[int], start_id: int, target_id: int, rounds: int
) -> dict[str, list[float]]:
    """Times the service and the raw inserts; returns seconds per round for each."""
    times: dict[str, list[float]] = {"service": [], "raw_batch": [], "raw_each": []}
    copier: _Copier | None = None
    written: dict[str, list[dict[str, Any]]] = {}
    now = datetime.now(UTC)
    for round_number in range(rounds + 1):
        _reset(engine, app_ids, start_id)
        now += timedelta(minutes=1)
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            report = change_status(
                session=session,
                actor_id=admin_id,
                application_ids=app_ids,
                status_id=target_id,
                now=now,
            )
            elapsed = time.perf_counter() - started
        if report.changed != len(app_ids) or len(report.communication_ids) != len(app_ids):
            failures = [r.message for r in report.results if r.outcome != "changed"]
            raise SystemExit(f"change_status did not change everything: {failures[:3]}")
        if round_number:
            times["service"].append(elapsed)
        if not written:
            ids = [r.status_change_id for r in report.results if r.status_change_id]
            written = _written(engine, ids)
            copier = _Copier(engine)
        assert copier is not None

        groups = copier.copy(written)
        started = time.perf_counter()
        with engine.begin() as conn:
            _insert(conn, groups, now)
        elapsed = time.perf_counter() - started
        if round_number:
            times["raw_batch"].append(elapsed)
        copier.sync_sequences()

        groups = copier.copy(written)
        started = time.perf_counter()
        for group in groups:
            with engine.begin() as conn:
                _insert(conn, [group], now)
        elapsed = time.perf_counter() - started
        if round_number:
            times["raw_each"].append(elapsed)
        copier.sync_sequences()
    return times


def _report(times: dict[str, list[float]], emails: int, dialect: str, rounds: int) -> None:
    service = _median_ms(times["service"])
    batch = _median_ms(times["raw_batch"])
    each = _median_ms(times["raw_each"])
    rows: list[tuple[str, float]] = [
        ("change_status (one transaction per email)", service),
        ("raw Core executemany, all in one transaction", batch),
        ("raw Core executemany, one transaction per email", each),
    ]
    print(
        f"\n{emails} applications -> {TARGET_STATUS} on {dialect}: "
        f"median of {rounds} rounds, after a warm-up"
    )
    print(f"{'':50} {'total ms':>9} {'per email ms':>13} {'vs raw':>7}")
    for label, total in rows:
        print(f"{label:50} {total:9.1f} {total / emails:13.3f} {total / batch:6.1f}x")
    print(
        f"\nPer email logged and queued: {service / emails:.3f} ms with change_status, "
        f"{batch / emails:.3f} ms raw in one transaction "
        f"(ratio {service / batch:.1f}x), {each / emails:.3f} ms raw with a commit per email "
        f"(ratio {service / each:.1f}x)."
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Builds the database, measures, prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--applications", type=int, default=100, help="1 to 100")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds")
    parser.add_argument("--schema", default="status_change_bench", help="PostgreSQL schema")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if not 1 <= args.applications <= 100 or args.rounds < 1:
        raise SystemExit("Use 1 to 100 applications and at least one round.")

    with scratch_database(
        args.database_url, schema=args.schema, prefix="status-change-bench-", keep=args.keep
    ) as url:
        engine = make_engine(url)
        try:
            admin_id, app_ids, start_id, target_id = build(engine, args.applications)
            run: Callable[[], dict[str, list[float]]] = lambda: measure(  # noqa: E731
                engine, admin_id, app_ids, start_id, target_id, args.rounds
            )
            _report(run(), len(app_ids), engine.dialect.name, args.rounds)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
