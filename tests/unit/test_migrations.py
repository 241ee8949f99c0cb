"""The Alembic history against the models, on each backend."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from flo_comms.db import make_engine
from flo_comms.settings import PROJECT_ROOT


def _alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_matches_models_and_downgrades_to_base(database_url: str) -> None:
    config = _alembic_config(database_url)

    command.upgrade(config, "head")
    assert _tables(database_url) == set(SQLModel.metadata.tables)
    assert _diff(database_url) == []

    command.downgrade(config, "base")
    assert _tables(database_url) == set()


def test_drift_is_detected(database_url: str) -> None:
    """The comparison above can fail: a missing index shows up as a difference."""
    config = _alembic_config(database_url)
    command.upgrade(config, "head")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_timeline_page")
    finally:
        engine.dispose()
    diff = _diff(database_url)
    assert any(d[0] == "add_index" and d[1].name == "ix_timeline_page" for d in diff)
