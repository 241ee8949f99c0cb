"""The outreach event on each timeline entry, for the size of a candidate's event thread.

Written by hand. The column is added without rebuilding the table (a
nullable column with no default or foreign key is a plain ALTER TABLE on
SQLite too), filled from `communication.event_id`, and indexed (partially:
only entries with an event) by candidate and event.

Revision ID: 0003_timeline_event
Revises: 0002_event_email_batches
Create Date: 2026-12-04 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_timeline_event"
down_revision: str | None = "0002_event_email_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WITH_EVENT = sa.text("event_id IS NOT NULL")


def upgrade() -> None:
    op.add_column("timeline_entry", sa.Column("event_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE timeline_entry SET event_id = ("
        " SELECT c.event_id FROM communication c WHERE c.id = timeline_entry.communication_id)"
        " WHERE communication_id IN (SELECT id FROM communication WHERE event_id IS NOT NULL)"
    )
    op.create_index(
        "ix_timeline_event",
        "timeline_entry",
        ["candidate_id", "event_id"],
        unique=False,
        sqlite_where=_WITH_EVENT,
        postgresql_where=_WITH_EVENT,
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_event", table_name="timeline_entry")
    # SQLite (3.35 and later) drops an unindexed column in place: no rebuild.
    op.execute("ALTER TABLE timeline_entry DROP COLUMN event_id")
