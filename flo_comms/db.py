"""Engines and sessions.

One engine per database URL per process. SQLite connections get foreign keys
on, write-ahead logging and a busy timeout, so several readers and one writer
(the app, the outbox dispatcher, a seed run) can share the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from flo_comms.settings import settings

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_file(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would defer BEGIN; let SQLAlchemy
    # emit it so that a failed transaction rolls back whole.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(connection) -> None:
    # IMMEDIATE takes the write lock at the start, so two writers queue on the
    # busy timeout instead of failing half-way with "database is locked".
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(database_url: str) -> Engine:
    """Creates an engine with this product's connection settings.

    Args:
        database_url: A SQLAlchemy URL (`sqlite:///...` or `postgresql+psycopg://...`).

    Returns:
        A new engine.
    """
    url = sa.make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@lru_cache(maxsize=8)
def get_engine(database_url: str | None = None) -> Engine:
    """The shared engine for a URL (the configured database by default)."""
    return make_engine(database_url or settings.database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on an error.

    Args:
        engine: The engine to use; the configured database's by default.

    Yields:
        The session.
    """
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
