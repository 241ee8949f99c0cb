"""The views built by the hundred (`_quick_frozen`) and statements compiled once (`prepared`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from flo_comms.models import Candidate
from flo_comms.schemas import ParticipantView, TimelineItem
from flo_comms.services.prepared import prepare


def _item(**changes: object) -> TimelineItem:
    values: dict[str, object] = {
        spec.name: f"<{spec.name}>" for spec in dataclasses.fields(TimelineItem)
    }
    values.update(changes)
    return TimelineItem(**values)  # type: ignore[arg-type]


def test_quick_views_behave_as_frozen_dataclasses() -> None:
    person = ParticipantView("Diana Allen", "diana@law.example", "to", "candidate", 7)
    assert person == ParticipantView(
        name="Diana Allen", email="diana@law.example", role="to", kind="candidate", id=7
    )
    assert hash(person) == hash(
        ParticipantView("Diana Allen", "diana@law.example", "to", "candidate", 7)
    )
    assert repr(person).startswith("ParticipantView(name='Diana Allen'")
    with pytest.raises(dataclasses.FrozenInstanceError):
        person.name = "Someone else"  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing"):
        ParticipantView("Diana Allen")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword"):
        ParticipantView("a", "b", "to", "member", 1, extra=True)  # type: ignore[call-arg]

    item = _item()
    assert dataclasses.asdict(item)["subject"] == "<subject>"
    # Defaults still apply, and `replace` goes through the same `__init__`.
    without = {
        k: v for k, v in dataclasses.asdict(item).items() if k not in ("event_id", "thread_count")
    }
    assert (TimelineItem(**without).event_id, TimelineItem(**without).thread_count) == (0, 0)  # type: ignore[arg-type]
    assert dataclasses.replace(item, subject="Phone screen").subject == "Phone screen"
    assert dataclasses.replace(item, subject="Phone screen").body == "<body>"


def test_a_prepared_statement_reads_and_binds_as_core_does(session: Session) -> None:
    created = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    for n in range(3):
        session.add(
            Candidate(
                first_name=f"C{n}",
                last_name="Test",
                email=f"c{n}@law.example",
                created_at=created + timedelta(minutes=n),
            )
        )
    session.flush()
    table = Candidate.__table__
    statement = (
        sa.select(table.c.email, table.c.created_at)
        .where(table.c.created_at >= sa.bindparam("since"))
        .order_by(table.c.created_at)
        .limit(2)  # a value written into the statement
    )
    prepared = prepare(statement, session.get_bind().dialect)
    rows = prepared.all(session, {"since": created + timedelta(minutes=1)})
    core = session.connection().execute(statement, {"since": created + timedelta(minutes=1)}).all()
    assert [tuple(row) for row in rows] == [tuple(row) for row in core]
    assert [row[0] for row in rows] == ["c1@law.example", "c2@law.example"]
    assert rows[0][1] == created + timedelta(minutes=1) and rows[0][1].tzinfo is not None

    # The engine's events see the statement, as they see any other.
    seen: list[str] = []
    engine = session.get_bind()

    def keep(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(sql)

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        prepared.all(session, {"since": created})
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert seen == [prepared.sql]


def test_an_expanding_list_cannot_be_prepared(session: Session) -> None:
    table = Candidate.__table__
    statement = sa.select(table.c.id).where(
        table.c.email.in_(sa.bindparam("emails", expanding=True))
    )
    with pytest.raises(ValueError, match="expanding"):
        prepare(statement, session.get_bind().dialect)
