"""Event email batches, removed registrants, held-back emails tied to their batch.

Written by hand. The new foreign-key columns are added without rebuilding
their tables (see `_add_reference`).

Revision ID: 0002_event_email_batches
Revises: 0001_initial
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_event_email_batches"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_email_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email_kind", sa.String(length=40), nullable=False),
        sa.Column("trigger", sa.String(length=200), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("held_back", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["outreach_event.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_email_batch_event", "event_email_batch", ["event_id", "created_at"])
    op.add_column(
        "event_registration",
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
    )
    _add_reference("event_registration", "removed_by_id", "member")
    _add_reference("held_back_email", "batch_id", "event_email_batch")


def _add_reference(table: str, column: str, target: str) -> None:
    """Adds a nullable integer column referencing `target.id`.

    Alembic refuses a foreign key in SQLite's ALTER TABLE (it would rebuild
    the table in batch mode, which fails under `foreign_keys=ON` once rows
    point at it), but SQLite itself accepts an inline REFERENCES on a
    nullable column without a default, so that is written directly.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(None, table, target, [column], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("held_back_email") as batch:
        batch.drop_column("batch_id")
    with op.batch_alter_table("event_registration") as batch:
        batch.drop_column("removed_by_id")
        batch.drop_column("removed_at")
    op.drop_index("ix_event_email_batch_event", table_name="event_email_batch")
    op.drop_table("event_email_batch")
