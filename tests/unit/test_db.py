"""Connection settings and the timezone-aware datetime column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from flo_comms.db import make_engine, session_scope
from flo_comms.models import Candidate


def test_sqlite_connections_enforce_foreign_keys_use_wal_and_wait_when_busy(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_foreign_keys_are_enforced(engine: sa.Engine) -> None:
    with Session(engine) as session:
        session.add(
            Candidate(first_name="A", last_name="B", email="a@b.example", agency_contact_id=999)
        )
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_datetimes_come_back_aware_in_utc_and_naive_ones_are_refused(engine: sa.Engine) -> None:
    new_york = timezone(timedelta(hours=-5))
    created = datetime(2026, 3, 1, 9, 30, tzinfo=new_york)
    with Session(engine) as session:
        session.add(
            Candidate(first_name="A", last_name="B", email="a@b.example", created_at=created)
        )
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Candidate)).one().created_at
    assert stored == created and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)

    with Session(engine) as session:
        session.add(
            Candidate(
                first_name="C", last_name="D", email="c@d.example", created_at=datetime(2026, 3, 1)
            )
        )
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.commit()


def test_sqlite_datetime_text_in_any_iso_shape_reads_back_in_utc(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite keeps datetimes as text")
    with Session(engine) as session:
        session.add(Candidate(first_name="A", last_name="B", email="a@b.example"))
        session.commit()
    expected = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    for text in (
        "2026-03-01 14:30:00.000000",  # as SQLAlchemy writes it
        "2026-03-01 14:30:00",  # CURRENT_TIMESTAMP
        "2026-03-01T09:30:00-05:00",  # written by hand, with an offset
    ):
        with Session(engine) as session:
            session.connection().exec_driver_sql("UPDATE candidate SET created_at = ?", (text,))
            stored = session.exec(select(Candidate)).one().created_at
        assert stored == expected and stored.utcoffset() == timedelta(0), text


def test_session_scope_rolls_back_on_error(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Candidate(first_name="A", last_name="B", email="a@b.example"))
        session.flush()
        raise RuntimeError("boom")
    with Session(engine) as session:
        assert session.exec(select(Candidate)).all() == []
