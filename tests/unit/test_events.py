"""Outreach events: who gets which email, held-back reasons, batches, registration, permissions.

The expectations are written out from `domain.md` ("Outreach events"), never
computed with `event_rules`. Every test runs on SQLite, and on PostgreSQL when
`FLO_TEST_POSTGRES_URL` is set.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flo_comms.errors import Conflict, Invalid, NotAllowed, NotFound
from flo_comms.models import (
    Candidate,
    CandidateSource,
    Communication,
    CommunicationParticipant,
    EmailKind,
    EmailOutbox,
    EventEmailBatch,
    EventRegistration,
    EventSlotAssignment,
    EventTimeSlot,
    EventType,
    HeldBackEmail,
    Member,
    MemberRole,
    OutreachEvent,
    TimelineEntry,
)
from flo_comms.schemas import TimelineFilters
from flo_comms.services.communications import list_event_thread, list_timeline
from flo_comms.services.defaults import ensure_defaults
from flo_comms.services.event_emails import load_event, run_batch, send_batch_chunk, start_batch
from flo_comms.services.event_rules import Registrant, hold_back_reason
from flo_comms.services.events import (
    add_new_candidate,
    add_registrants,
    assign_slot,
    candidate_choices,
    create_slot,
    delete_event,
    delete_slot,
    get_event,
    list_events,
    public_event,
    register_via_link,
    remove_registrant,
    review_registrations,
    save_event,
    unassign_slot,
)
from flo_comms.services.outbox import parse_one_address

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
STARTS = datetime(2027, 3, 10, 21, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=2, minutes=30)
AFTER = ENDS + timedelta(days=1)

IN_PERSON, WEBINAR, VIRTUAL_CHAT = (t.value for t in EventType)

CONFIRMATION = EmailKind.EVENT_REGISTRATION_CONFIRMATION.value
PROFILE_REQUEST = EmailKind.EVENT_PROFILE_REQUEST.value
APPROVAL = EmailKind.EVENT_APPROVAL.value
DENIAL = EmailKind.EVENT_DENIAL.value
UPDATE = EmailKind.EVENT_UPDATE.value
FINAL_SCHEDULE = EmailKind.EVENT_FINAL_SCHEDULE.value
REMINDER = EmailKind.EVENT_REMINDER.value
FOLLOW_UP = EmailKind.EVENT_FOLLOW_UP.value
CANCELLATION = EmailKind.EVENT_CANCELLATION.value

# What an admin reads on the event page about a held-back email (a fragment of it).
WHY_PENDING = "Pending in Quick Review"
WHY_DENIED = "Denied in Quick Review"
WHY_NO_QUICK_REVIEW = "Open events have no Quick Review"
WHY_NOT_IN_SLOT = "Not in a time slot"
WHY_IN_PERSON = "In-Person events send no cancellation"
WHY_WEBINAR = "Webinar events send no cancellation"
WHY_DELETED = "The event was deleted"


# --- a small firm -----------------------------------------------------------------------------


@dataclass
class Firm:
    cynthia: int  # admin
    isabel: int  # admin
    marcus: int  # member
    olivia: int  # admin, no longer active


@pytest.fixture
def firm(session: Session) -> Firm:
    """The default templates, admins Cynthia and Isabel, member Marcus, inactive admin Olivia."""
    ensure_defaults(session=session)
    members = [
        Member(name="Cynthia Park", email="cynthia@halewhitmore.example", password_hash="-",
               role=MemberRole.ADMIN.value),
        Member(name="Isabel Moreno", email="isabel@halewhitmore.example", password_hash="-",
               role=MemberRole.ADMIN.value),
        Member(name="Marcus Reed", email="marcus@halewhitmore.example", password_hash="-",
               role=MemberRole.MEMBER.value),
        Member(name="Olivia Grant", email="olivia@halewhitmore.example", password_hash="-",
               role=MemberRole.ADMIN.value, is_active=False),
    ]  # fmt: skip
    session.add_all(members)
    session.commit()
    return Firm(*(m.id for m in members))


def _event_data(event_type: str, invite_only: bool, **changes: Any) -> dict[str, Any]:
    in_person = event_type == IN_PERSON
    data = {
        "type": event_type,
        "invite_only": invite_only,
        "name": "Spring Diversity Reception",
        "description": "Meet our attorneys and summer associates.",
        "starts_at": STARTS,
        "ends_at": ENDS,
        "location": "250 Park Avenue, New York" if in_person else "",
        "meeting_link": "" if in_person else "https://meet.example/spring",
    }
    return data | changes


def _create_event(
    session: Session, firm: Firm, event_type: str = IN_PERSON, invite_only: bool = False
) -> int:
    saved = save_event(
        session=session,
        actor_id=firm.cynthia,
        event_id=None,
        data=_event_data(event_type, invite_only),
        now=NOW,
    )
    assert saved.update_batch_id is None
    return saved.event_id


def _event(session: Session, event_id: int) -> OutreachEvent:
    session.expire_all()
    event = session.get(OutreachEvent, event_id)
    assert event is not None
    return event


def _candidates(session: Session, *names: str) -> list[int]:
    """Existing candidates, "First Last", with an address of their own."""
    people = [
        Candidate(
            first_name=name.split()[0],
            last_name=name.split()[1],
            email=f"{name.replace(' ', '.').lower()}@law.example",
            law_school="Howard University School of Law",
            class_year="2L",
            source=CandidateSource.DIRECT.value,
        )
        for name in names
    ]
    session.add_all(people)
    session.commit()
    return [p.id for p in people]


def _registrations(session: Session, event_id: int) -> dict[int, EventRegistration]:
    """The event's registrations by candidate id."""
    session.expire_all()
    rows = session.connection().execute(
        sa.select(EventRegistration.__table__).where(
            EventRegistration.__table__.c.event_id == event_id
        )
    )
    found = {row.candidate_id: EventRegistration(**row._mapping) for row in rows}
    session.rollback()
    return found


def _form(first: str, last: str, email: str, **changes: Any) -> dict[str, Any]:
    return {
        "first_name": first,
        "last_name": last,
        "email": email,
        "law_school": "Howard University School of Law",
        "class_year": "2L",
    } | changes


def _refused(error: type[Exception], call: Callable[[], object], case: object) -> Any:
    """The error `call` raises; fails the test, naming the case, if it raises none."""
    try:
        call()
    except error as exc:
        return exc
    pytest.fail(f"not refused: {case!r}")


_SNAPSHOT_TABLES = (
    OutreachEvent,
    EventRegistration,
    EventTimeSlot,
    EventSlotAssignment,
    EventEmailBatch,
    HeldBackEmail,
    Communication,
    CommunicationParticipant,
    TimelineEntry,
    EmailOutbox,
    Candidate,
)


def _snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table an event action may write."""
    connection = session.connection()
    tables = [model.__table__ for model in _SNAPSHOT_TABLES]
    snapshot = {
        table.name: [
            tuple(row)
            for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
        ]
        for table in tables
    }
    session.rollback()
    return snapshot


@dataclass(frozen=True)
class Mark:
    """The last ids of communications, outbox rows and held-back rows at a checkpoint."""

    communication: int
    outbox: int
    held_back: int


def _mark(session: Session) -> Mark:
    connection = session.connection()
    last = [
        connection.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()
        for t in (Communication.__table__, EmailOutbox.__table__, HeldBackEmail.__table__)
    ]
    session.rollback()
    return Mark(*last)


@dataclass
class Effects:
    """What a trigger wrote since a checkpoint."""

    sent: list[tuple[int, str]] = field(default_factory=list)  # (candidate id, kind)
    held: list[tuple[int, str, str]] = field(default_factory=list)  # (candidate id, kind, why)
    bodies: dict[tuple[int, str], str] = field(default_factory=dict)


def _effects(session: Session, mark: Mark, event_id: int) -> Effects:
    """Emails and held-back rows since `mark`, each email checked to be logged and queued once.

    Every new communication is a system email with the event as context, on the
    timeline of exactly its one candidate (the To), with exactly one outbox row;
    and there is no outbox row without a communication.
    """
    connection = session.connection()
    comm, timeline = Communication.__table__, TimelineEntry.__table__
    outbox, part = EmailOutbox.__table__, CommunicationParticipant.__table__
    effects = Effects()
    emails = connection.execute(sa.select(comm).where(comm.c.id > mark.communication)).all()
    for email in emails:
        assert (email.type, email.origin, email.event_id) == ("email", "system", event_id)
        on_timeline = (
            connection.execute(
                sa.select(timeline.c.candidate_id).where(timeline.c.communication_id == email.id)
            )
            .scalars()
            .all()
        )
        assert len(on_timeline) == 1, f"{email.email_kind} is on {len(on_timeline)} timelines"
        to = (
            connection.execute(
                sa.select(part.c.candidate_id).where(
                    part.c.communication_id == email.id, part.c.role == "to"
                )
            )
            .scalars()
            .all()
        )
        assert to == on_timeline
        queued = connection.execute(
            sa.select(outbox.c.subject).where(outbox.c.communication_id == email.id)
        ).all()
        assert queued == [(email.subject,)], f"{email.email_kind} has {len(queued)} outbox rows"
        effects.sent.append((on_timeline[0], email.email_kind))
        effects.bodies[(on_timeline[0], email.email_kind)] = email.body
    new_outbox = connection.execute(
        sa.select(sa.func.count()).where(outbox.c.id > mark.outbox)
    ).scalar_one()
    assert new_outbox == len(emails)
    held, reg = HeldBackEmail.__table__, EventRegistration.__table__
    effects.held = [
        (row.candidate_id, row.email_kind, row.reason)
        for row in connection.execute(
            sa.select(reg.c.candidate_id, held.c.email_kind, held.c.reason, held.c.event_id)
            .join(reg, reg.c.id == held.c.registration_id)
            .where(held.c.id > mark.held_back)
        )
        if row.event_id == event_id
    ]
    session.rollback()
    return effects


# --- the rule on its own ----------------------------------------------------------------------

GOES = None
# Columns: open event with a registrant pending / approved / denied, then invite-only the same.
# (Open events put everyone in as approved; the other two columns are there for completeness.)
RULE_TABLE: dict[tuple[str, str, str], tuple[str | None, ...]] = {
    # (email, event type, in a slot): open P, A, D, invite-only P, A, D
    (CONFIRMATION, "any", "any"): (GOES, GOES, GOES, GOES, GOES, GOES),
    (PROFILE_REQUEST, "any", "any"): (GOES, GOES, GOES, GOES, GOES, GOES),
    (APPROVAL, "any", "any"): (WHY_NO_QUICK_REVIEW,) * 3 + (GOES, GOES, GOES),
    (DENIAL, "any", "any"): (WHY_NO_QUICK_REVIEW,) * 3 + (GOES, GOES, GOES),
    (UPDATE, "any", "any"): (GOES, GOES, GOES, WHY_PENDING, GOES, WHY_DENIED),
    (FINAL_SCHEDULE, "any", "any"): (GOES, GOES, GOES, WHY_PENDING, GOES, WHY_DENIED),
    (REMINDER, "any", "any"): (GOES, GOES, GOES, WHY_PENDING, GOES, WHY_DENIED),
    (FOLLOW_UP, "any", "any"): (GOES, GOES, GOES, WHY_PENDING, GOES, WHY_DENIED),
    (CANCELLATION, IN_PERSON, "any"): (WHY_IN_PERSON,) * 6,
    (CANCELLATION, WEBINAR, "any"): (WHY_WEBINAR,) * 6,
    (CANCELLATION, VIRTUAL_CHAT, "in slot"): (GOES, GOES, GOES, WHY_PENDING, GOES, WHY_DENIED),
    (CANCELLATION, VIRTUAL_CHAT, "no slot"): (WHY_NOT_IN_SLOT,) * 6,
}


def _rule_row(kind: str, event_type: str, in_slot: bool) -> tuple[str | None, ...]:
    slot = "in slot" if in_slot else "no slot"
    for key in ((kind, event_type, slot), (kind, event_type, "any"), (kind, "any", "any")):
        if key in RULE_TABLE:
            return RULE_TABLE[key]
    raise AssertionError(f"no row for {kind}")


def test_hold_back_reason_over_every_email_event_and_registrant() -> None:
    wrong = []
    cases = itertools.product(
        [k.value for k in EmailKind if k.value.startswith("event_")],
        (IN_PERSON, WEBINAR, VIRTUAL_CHAT),
        (False, True),  # invite-only
        ("pending", "approved", "denied"),
        ("link", "manual"),
        (False, True),  # in a slot
        (False, True),  # deleted
    )
    checked = 0
    for kind, event_type, invite_only, state, joined, in_slot, deleted in cases:
        column = (3 if invite_only else 0) + ("pending", "approved", "denied").index(state)
        expected = WHY_DELETED if deleted else _rule_row(kind, event_type, in_slot)[column]
        reason = hold_back_reason(
            kind,
            event_type=event_type,
            invite_only=invite_only,
            event_deleted=deleted,
            registrant=Registrant(joined_via=joined, review_state=state, in_slot=in_slot),
        )
        ok = reason is None if expected is None else reason is not None and expected in reason
        if not ok:
            wrong.append((kind, event_type, invite_only, state, joined, in_slot, deleted, reason))
        checked += 1
    assert checked == 9 * 3 * 2 * 3 * 2 * 2 * 2
    assert wrong == []


# --- the six event variants, every trigger, every registrant state ---------------------------

LINK, MANUAL, PENDING, DENIED = "via link", "added manually", "pending", "denied"
IN_SLOT, UNSLOTTED, SLOT_GONE = "in a slot", "removed from a slot", "slot deleted"
FIRST_NAMES = {
    LINK: "Lena",
    MANUAL: "Mark",
    PENDING: "Pia",
    DENIED: "Dan",
    IN_SLOT: "Tess",
    UNSLOTTED: "Rita",
    SLOT_GONE: "Sam",
}
JOINS_BY_LINK = {LINK, PENDING, IN_SLOT, SLOT_GONE}
# Two of everyone: the "Leaver" is taken off the event near the end, the "Stayer" stays on it
# until the event is deleted.
COPIES = ("Stayer", "Leaver")


def _states(event_type: str, invite_only: bool) -> list[str]:
    """The registrant states an event variant has."""
    states = [LINK, MANUAL]
    if invite_only:
        states += [PENDING, DENIED]  # everyone is approved at once on an open event
    if event_type == VIRTUAL_CHAT:
        states += [IN_SLOT, UNSLOTTED, SLOT_GONE]  # only virtual chats have time slots
    return states


NA = "not a state of this event"
NOTHING = None


def sent(kind: str) -> tuple[str, ...]:
    return ("sent", kind)


def held(kind: str, why: str) -> tuple[str, ...]:
    return ("held", kind, why)


CANCEL_NOT_IN_SLOT = {
    IN_PERSON: held(CANCELLATION, WHY_IN_PERSON),
    WEBINAR: held(CANCELLATION, WHY_WEBINAR),
    VIRTUAL_CHAT: held(CANCELLATION, WHY_NOT_IN_SLOT),
}

# Taken from domain.md. Per trigger, per registrant state: (open event, invite-only event);
# a dict cell depends on the event type. The triggers run in this order on one event.
EXPECTED: dict[str, dict[str, tuple[Any, Any]]] = {
    "registration via link": {
        LINK: (sent(CONFIRMATION), sent(CONFIRMATION)),
        MANUAL: (NOTHING, NOTHING),
        PENDING: (NA, sent(CONFIRMATION)),
        DENIED: (NA, NOTHING),
        IN_SLOT: (sent(CONFIRMATION), sent(CONFIRMATION)),
        UNSLOTTED: (NOTHING, NOTHING),
        SLOT_GONE: (sent(CONFIRMATION), sent(CONFIRMATION)),
    },
    "manual add": {
        LINK: (NOTHING, NOTHING),
        MANUAL: (sent(PROFILE_REQUEST), sent(PROFILE_REQUEST)),
        PENDING: (NA, NOTHING),
        DENIED: (NA, sent(PROFILE_REQUEST)),
        IN_SLOT: (NOTHING, NOTHING),
        UNSLOTTED: (sent(PROFILE_REQUEST), sent(PROFILE_REQUEST)),
        SLOT_GONE: (NOTHING, NOTHING),
    },
    # Open events have no Quick Review: approving or denying there is refused.
    "approve": {
        LINK: (NOTHING, sent(APPROVAL)),
        MANUAL: (NOTHING, sent(APPROVAL)),
        PENDING: (NA, NOTHING),
        DENIED: (NA, NOTHING),
        IN_SLOT: (NOTHING, sent(APPROVAL)),
        UNSLOTTED: (NOTHING, sent(APPROVAL)),
        SLOT_GONE: (NOTHING, sent(APPROVAL)),
    },
    "deny": {
        LINK: (NOTHING, NOTHING),
        MANUAL: (NOTHING, NOTHING),
        PENDING: (NA, NOTHING),
        DENIED: (NA, sent(DENIAL)),
        IN_SLOT: (NOTHING, NOTHING),
        UNSLOTTED: (NOTHING, NOTHING),
        SLOT_GONE: (NOTHING, NOTHING),
    },
    # Virtual chats only (refused elsewhere): Rita is taken out of her slot.
    "removal from a slot": {
        LINK: (NOTHING, NOTHING),
        MANUAL: (NOTHING, NOTHING),
        PENDING: (NA, NOTHING),
        DENIED: (NA, NOTHING),
        IN_SLOT: (NOTHING, NOTHING),
        UNSLOTTED: (sent(CANCELLATION), sent(CANCELLATION)),
        SLOT_GONE: (NOTHING, NOTHING),
    },
    "event details update": {
        LINK: (sent(UPDATE), sent(UPDATE)),
        MANUAL: (sent(UPDATE), sent(UPDATE)),
        PENDING: (NA, held(UPDATE, WHY_PENDING)),
        DENIED: (NA, held(UPDATE, WHY_DENIED)),
        IN_SLOT: (sent(UPDATE), sent(UPDATE)),
        UNSLOTTED: (sent(UPDATE), sent(UPDATE)),
        SLOT_GONE: (sent(UPDATE), sent(UPDATE)),
    },
    "final schedule": {
        LINK: (sent(FINAL_SCHEDULE), sent(FINAL_SCHEDULE)),
        MANUAL: (sent(FINAL_SCHEDULE), sent(FINAL_SCHEDULE)),
        PENDING: (NA, held(FINAL_SCHEDULE, WHY_PENDING)),
        DENIED: (NA, held(FINAL_SCHEDULE, WHY_DENIED)),
        IN_SLOT: (sent(FINAL_SCHEDULE), sent(FINAL_SCHEDULE)),
        UNSLOTTED: (sent(FINAL_SCHEDULE), sent(FINAL_SCHEDULE)),
        SLOT_GONE: (sent(FINAL_SCHEDULE), sent(FINAL_SCHEDULE)),
    },
    "reminder": {
        LINK: (sent(REMINDER), sent(REMINDER)),
        MANUAL: (sent(REMINDER), sent(REMINDER)),
        PENDING: (NA, held(REMINDER, WHY_PENDING)),
        DENIED: (NA, held(REMINDER, WHY_DENIED)),
        IN_SLOT: (sent(REMINDER), sent(REMINDER)),
        UNSLOTTED: (sent(REMINDER), sent(REMINDER)),
        SLOT_GONE: (sent(REMINDER), sent(REMINDER)),
    },
    # Virtual chats only: Sam's slot is deleted.
    "slot deleted": {
        LINK: (NOTHING, NOTHING),
        MANUAL: (NOTHING, NOTHING),
        PENDING: (NA, NOTHING),
        DENIED: (NA, NOTHING),
        IN_SLOT: (NOTHING, NOTHING),
        UNSLOTTED: (NOTHING, NOTHING),
        SLOT_GONE: (sent(CANCELLATION), sent(CANCELLATION)),
    },
    # Applied to the Leavers, one by one; a cancellation only for someone in a time slot.
    "registrant removed from the event": {
        LINK: (CANCEL_NOT_IN_SLOT, CANCEL_NOT_IN_SLOT),
        MANUAL: (CANCEL_NOT_IN_SLOT, CANCEL_NOT_IN_SLOT),
        PENDING: (NA, CANCEL_NOT_IN_SLOT),
        DENIED: (NA, CANCEL_NOT_IN_SLOT),
        IN_SLOT: (sent(CANCELLATION), sent(CANCELLATION)),
        UNSLOTTED: (held(CANCELLATION, WHY_NOT_IN_SLOT), held(CANCELLATION, WHY_NOT_IN_SLOT)),
        SLOT_GONE: (held(CANCELLATION, WHY_NOT_IN_SLOT), held(CANCELLATION, WHY_NOT_IN_SLOT)),
    },
    # After the event; the Leavers are off the event and get nothing.
    "follow-up": {
        LINK: (sent(FOLLOW_UP), sent(FOLLOW_UP)),
        MANUAL: (sent(FOLLOW_UP), sent(FOLLOW_UP)),
        PENDING: (NA, held(FOLLOW_UP, WHY_PENDING)),
        DENIED: (NA, held(FOLLOW_UP, WHY_DENIED)),
        IN_SLOT: (sent(FOLLOW_UP), sent(FOLLOW_UP)),
        UNSLOTTED: (sent(FOLLOW_UP), sent(FOLLOW_UP)),
        SLOT_GONE: (sent(FOLLOW_UP), sent(FOLLOW_UP)),
    },
    # No email of any kind; whoever would have heard of it is recorded as held back.
    "event deleted": {
        LINK: (held(CANCELLATION, WHY_DELETED), held(CANCELLATION, WHY_DELETED)),
        MANUAL: (held(CANCELLATION, WHY_DELETED), held(CANCELLATION, WHY_DELETED)),
        PENDING: (NA, NOTHING),
        DENIED: (NA, NOTHING),
        IN_SLOT: (held(CANCELLATION, WHY_DELETED), held(CANCELLATION, WHY_DELETED)),
        UNSLOTTED: (held(CANCELLATION, WHY_DELETED), held(CANCELLATION, WHY_DELETED)),
        SLOT_GONE: (held(CANCELLATION, WHY_DELETED), held(CANCELLATION, WHY_DELETED)),
    },
}


@dataclass(frozen=True)
class Person:
    state: str
    copy: str

    @property
    def name(self) -> str:
        return f"{FIRST_NAMES[self.state]} {self.copy}"

    @property
    def email(self) -> str:
        return f"{FIRST_NAMES[self.state]}.{self.copy}@law.example".lower()


class Scenario:
    """One event variant with two of every registrant state, driven trigger by trigger."""

    def __init__(self, session: Session, firm: Firm, event_type: str, invite_only: bool) -> None:
        self.session, self.firm = session, firm
        self.event_type, self.invite_only = event_type, invite_only
        self.column = 1 if invite_only else 0
        self.people = [Person(s, c) for s in _states(event_type, invite_only) for c in COPIES]
        self.event_id = _create_event(session, firm, event_type, invite_only)
        self.slug = _event(session, self.event_id).registration_slug
        self.candidate: dict[Person, int] = {}
        self.registration: dict[Person, int] = {}
        self.removed: set[Person] = set()
        self._clock = itertools.count(1)

    def now(self) -> datetime:
        """A moment a minute after the previous one, well before the event."""
        return NOW + timedelta(minutes=next(self._clock))

    def having(self, *states: str) -> list[Person]:
        return [p for p in self.people if p.state in states]

    def learn_ids(self) -> None:
        ids = {
            row.email: row.id
            for row in self.session.connection().execute(
                sa.select(Candidate.__table__.c.email, Candidate.__table__.c.id)
            )
        }
        self.session.rollback()
        self.candidate = {p: ids[p.email] for p in self.people if p.email in ids}
        registrations = _registrations(self.session, self.event_id)
        self.registration = {
            p: registrations[c].id for p, c in self.candidate.items() if c in registrations
        }

    def expect(
        self, trigger: str, mark: Mark, acted_on: list[Person] | None = None
    ) -> dict[tuple[Person, str], str]:
        """Asserts exactly who got which email and who was held back why; returns the bodies."""
        expected_sent, expected_held = set(), {}
        for person in self.people:
            if person in self.removed or (acted_on is not None and person not in acted_on):
                continue
            cell = EXPECTED[trigger][person.state][self.column]
            if isinstance(cell, dict):
                cell = cell[self.event_type]
            assert cell != NA, (trigger, person)
            if cell is NOTHING:
                continue
            if cell[0] == "sent":
                expected_sent.add((person.name, cell[1]))
            else:
                expected_held[(person.name, cell[1])] = cell[2]
        effects = _effects(self.session, mark, self.event_id)
        who = {c: p for p, c in self.candidate.items()}
        got_sent = Counter((who[c].name, kind) for c, kind in effects.sent)
        got_held = Counter((who[c].name, kind) for c, kind, _ in effects.held)
        assert max(got_sent.values(), default=1) == 1, f"{trigger}: sent twice: {got_sent}"
        assert max(got_held.values(), default=1) == 1, f"{trigger}: held twice: {got_held}"
        assert set(got_sent) == expected_sent, trigger
        assert set(got_held) == set(expected_held), trigger
        for candidate_id, kind, reason in effects.held:
            why = expected_held[(who[candidate_id].name, kind)]
            assert why in reason, (trigger, who[candidate_id].name, reason)
        return {(who[c], kind): body for (c, kind), body in effects.bodies.items()}

    def nothing_since(self, mark: Mark) -> None:
        """Asserts that no email was sent or held back since `mark`."""
        effects = _effects(self.session, mark, self.event_id)
        assert (effects.sent, effects.held) == ([], [])

    def refused(self, call: Callable[[], object], message: str) -> None:
        """The action is refused with an Invalid naming why, and writes nothing."""
        before = _snapshot(self.session)
        with pytest.raises(Invalid, match=message):
            call()
        assert _snapshot(self.session) == before


VARIANTS = [
    pytest.param(event_type, invite_only, id=f"{event_type}-{'invite' if invite_only else 'open'}")
    for event_type in (IN_PERSON, WEBINAR, VIRTUAL_CHAT)
    for invite_only in (False, True)
]


@pytest.mark.parametrize(("event_type", "invite_only"), VARIANTS)
def test_who_gets_which_email_for_every_trigger_and_registrant_state(
    session: Session, firm: Firm, event_type: str, invite_only: bool
) -> None:
    run = Scenario(session, firm, event_type, invite_only)
    admin = firm.cynthia
    is_chat = event_type == VIRTUAL_CHAT

    # Registration via link: new candidates, each with a Registration Confirmation.
    mark = _mark(session)
    for person in run.people:
        if person.state in JOINS_BY_LINK:
            first, last = person.name.split()
            outcome = register_via_link(
                session=session,
                slug=run.slug,
                data=_form(first, last, person.email.upper()),
                now=run.now(),
            )
            assert (outcome.already_registered, outcome.pending_review) == (False, invite_only)
    run.learn_ids()
    run.expect("registration via link", mark)

    # Manual add: existing candidates, each with a Profile Request.
    manual = [p for p in run.people if p.state not in JOINS_BY_LINK]
    _candidates(session, *(p.name for p in manual))
    run.learn_ids()
    mark = _mark(session)
    report = add_registrants(
        session=session,
        actor_id=admin,
        event_id=run.event_id,
        candidate_ids=[run.candidate[p] for p in manual],
        now=run.now(),
    )
    assert (report.done, report.skipped, report.failed) == (len(manual), 0, 0)
    run.learn_ids()
    run.expect("manual add", mark)
    states = {r.review_state for r in _registrations(session, run.event_id).values()}
    assert states == {"pending" if invite_only else "approved"}

    # Quick Review.
    to_approve = [p for p in run.people if p.state not in (PENDING, DENIED)]
    to_deny = run.having(DENIED)
    for decision, people in (("approve", to_approve), ("deny", to_deny)):
        ids = [run.registration[p] for p in people or to_approve]

        def review(decision: str = decision, ids: list[int] = ids) -> object:
            return review_registrations(
                session=session,
                actor_id=admin,
                event_id=run.event_id,
                registration_ids=ids,
                decision=decision,
                now=run.now(),
            )

        if not invite_only:
            run.refused(review, "Open events have no Quick Review")
            continue
        mark = _mark(session)
        report = review()
        assert (report.done, report.emails) == (len(people), len(people))
        run.expect(decision, mark)
    if invite_only:
        mark = _mark(session)
        again = review_registrations(
            session=session,
            actor_id=admin,
            event_id=run.event_id,
            registration_ids=[run.registration[p] for p in to_deny + to_approve],
            decision="approve",
            now=run.now(),
        )
        assert again.skipped == len(to_deny + to_approve) and again.emails == 0
        run.nothing_since(mark)  # nobody is reviewed twice

    # Time slots (virtual chats only): Rita, Tess and Sam each get one; assigning sends nothing.
    def add_slot(minutes: int) -> str:
        return create_slot(
            session=session,
            actor_id=admin,
            event_id=run.event_id,
            starts_at=STARTS + timedelta(minutes=minutes),
            ends_at=STARTS + timedelta(minutes=minutes + 20),
            capacity=2,
            now=run.now(),
        )

    slot_of: dict[str, int] = {}
    if is_chat:
        for minutes in (0, 20, 40):
            add_slot(minutes)
        slot_ids = (
            session.connection()
            .execute(
                sa.select(EventTimeSlot.__table__.c.id)
                .where(EventTimeSlot.__table__.c.event_id == run.event_id)
                .order_by(EventTimeSlot.__table__.c.starts_at)
            )
            .scalars()
            .all()
        )
        session.rollback()
        slot_of = dict(zip((UNSLOTTED, IN_SLOT, SLOT_GONE), slot_ids, strict=True))
        mark = _mark(session)
        for person in run.having(UNSLOTTED, IN_SLOT, SLOT_GONE):
            assign_slot(
                session=session,
                actor_id=admin,
                registration_id=run.registration[person],
                slot_id=slot_of[person.state],
                now=run.now(),
            )
        run.nothing_since(mark)
        for person in run.having(PENDING, DENIED):

            def assign(person: Person = person) -> object:
                return assign_slot(
                    session=session,
                    actor_id=admin,
                    registration_id=run.registration[person],
                    slot_id=slot_of[IN_SLOT],
                    now=run.now(),
                )

            run.refused(assign, "Approve them in Quick Review")
    else:
        run.refused(lambda: add_slot(0), "Only virtual chats have time slots")

    # Removal from a slot: a Cancellation (virtual chats; nobody is in a slot elsewhere).
    if is_chat:
        mark = _mark(session)
        for person in run.having(UNSLOTTED):
            unassign_slot(
                session=session,
                actor_id=admin,
                registration_id=run.registration[person],
                now=run.now(),
            )
        run.expect("removal from a slot", mark)
    for person in run.people:
        if person.state in (IN_SLOT, SLOT_GONE):
            continue

        def unassign(person: Person = person) -> object:
            return unassign_slot(
                session=session,
                actor_id=admin,
                registration_id=run.registration[person],
                now=run.now(),
            )

        run.refused(unassign, "not in a time slot")

    # Event details update: the edit records an Update send, run as a batch.
    changes = {"name": "Spring Diversity Reception (new venue)"}
    if event_type == IN_PERSON:
        changes["location"] = "1 Vanderbilt Avenue, New York"
    else:
        changes["meeting_link"] = "https://meet.example/spring-2"
    mark = _mark(session)
    saved = save_event(
        session=session,
        actor_id=admin,
        event_id=run.event_id,
        data=_event_data(event_type, invite_only, **changes),
        now=run.now(),
    )
    assert saved.update_batch_id is not None
    run.nothing_since(mark)  # nothing is sent until the update send runs
    progress = run_batch(
        session=session, actor_id=admin, batch_id=saved.update_batch_id, now=run.now()
    )
    eligible = len([p for p in run.people if p.state not in (PENDING, DENIED)])
    assert (progress.finished, progress.eligible, progress.queued) == (True, eligible, eligible)
    assert progress.held_back == len(run.people) - eligible
    bodies = run.expect("event details update", mark)
    for body in bodies.values():
        assert changes.get("location", changes.get("meeting_link")) in body

    # Final schedule and reminder (before the event).
    for trigger, kind in (("final schedule", FINAL_SCHEDULE), ("reminder", REMINDER)):
        mark = _mark(session)
        progress = start_batch(
            session=session, actor_id=admin, event_id=run.event_id, kind=kind, now=run.now()
        )
        progress = run_batch(
            session=session, actor_id=admin, batch_id=progress.batch_id, now=run.now()
        )
        assert (progress.finished, progress.queued) == (True, eligible)
        bodies = run.expect(trigger, mark)
        for (person, _), body in bodies.items():
            # The email names the time slot of whoever has one, and no slot otherwise.
            assert ("Your time slot:" in body) == (person.state in (IN_SLOT, SLOT_GONE))

    # Slot deleted: everyone in it gets a Cancellation.
    if is_chat:
        mark = _mark(session)
        report = delete_slot(
            session=session, actor_id=admin, slot_id=slot_of[SLOT_GONE], now=run.now()
        )
        assert (report.done, report.emails) == (2, 2)
        run.expect("slot deleted", mark)

    # Registrant removed from the event: each Leaver, one at a time.
    for person in run.people:
        if person.copy != "Leaver":
            continue
        mark = _mark(session)
        remove_registrant(
            session=session,
            actor_id=admin,
            registration_id=run.registration[person],
            now=run.now(),
        )
        run.expect("registrant removed from the event", mark, acted_on=[person])
        run.removed.add(person)

    # Follow-up, after the event: the Stayers only.
    mark = _mark(session)
    progress = start_batch(
        session=session, actor_id=admin, event_id=run.event_id, kind=FOLLOW_UP, now=AFTER
    )
    run_batch(session=session, actor_id=admin, batch_id=progress.batch_id, now=AFTER)
    run.expect("follow-up", mark)

    # Event deleted: no communication, no outbox row.
    mark = _mark(session)
    delete_event(session=session, actor_id=admin, event_id=run.event_id, now=AFTER)
    run.expect("event deleted", mark)
    assert _event(session, run.event_id).deleted_at == AFTER
    assert list_events(session=session) == []
    with pytest.raises(NotFound):
        register_via_link(
            session=session, slug=run.slug, data=_form("Zoe", "Late", "z@x.example"), now=AFTER
        )


# --- bulk sends --------------------------------------------------------------------------------


def _event_with_registrants(
    session: Session,
    firm: Firm,
    count: int,
    *,
    invite_only: bool = False,
    pending: frozenset[int] = frozenset(),
) -> tuple[int, list[int]]:
    """An in-person event with `count` candidates added (approved unless their index is pending).

    Returns the event id and the registration ids, in registration order.
    """
    event_id = _create_event(session, firm, IN_PERSON, invite_only)
    candidates = _candidates(session, *(f"Guest{i} Number{i}" for i in range(count)))
    add_registrants(
        session=session, actor_id=firm.cynthia, event_id=event_id, candidate_ids=candidates,
        now=NOW,
    )  # fmt: skip
    registrations = _registrations(session, event_id)
    ids = [registrations[c].id for c in candidates]
    if invite_only:
        review_registrations(
            session=session,
            actor_id=firm.cynthia,
            event_id=event_id,
            registration_ids=[r for i, r in enumerate(ids) if i not in pending],
            decision="approve",
            now=NOW,
        )
    return event_id, ids


def _batch(session: Session, batch_id: int) -> EventEmailBatch:
    session.expire_all()
    batch = session.get(EventEmailBatch, batch_id)
    assert batch is not None
    return batch


def _sent_kinds(session: Session, event_id: int, kind: str) -> Counter[int]:
    """How many emails of a kind each candidate got from an event."""
    comm, timeline = Communication.__table__, TimelineEntry.__table__
    rows = session.connection().execute(
        sa.select(timeline.c.candidate_id)
        .join(comm, comm.c.id == timeline.c.communication_id)
        .where(comm.c.event_id == event_id, comm.c.email_kind == kind)
    )
    counts = Counter(row.candidate_id for row in rows)
    session.rollback()
    return counts


@contextmanager
def _batch_update_fails(engine: Engine, on_call: int) -> Iterator[None]:
    """The `on_call`-th UPDATE of a batch's cursor fails: the chunk's rows are written by then."""
    calls = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE EVENT_EMAIL_BATCH"):
            calls.append(statement)
            if len(calls) == on_call:
                raise RuntimeError("the database went away")

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _count(session: Session, model: Any, *where: Any) -> int:
    found = session.connection().execute(
        sa.select(sa.func.count()).select_from(model.__table__).where(*where)
    )
    count = found.scalar_one()
    session.rollback()
    return count


def test_an_interrupted_batch_keeps_nothing_of_the_failed_chunk_and_resumes_once(
    session: Session, engine: Engine, firm: Firm
) -> None:
    # Seven registrants, the fifth pending: chunks of three are 1-3, 4-6 (one held back), 7.
    event_id, regs = _event_with_registrants(session, firm, 7, invite_only=True, pending={4})
    registrations = {r.id: r for r in _registrations(session, event_id).values()}
    started = start_batch(
        session=session, actor_id=firm.cynthia, event_id=event_id, kind=FINAL_SCHEDULE, now=NOW
    )
    assert (started.eligible, started.queued, started.finished) == (6, 0, False)
    comm = Communication.__table__

    with _batch_update_fails(engine, on_call=2), pytest.raises(RuntimeError):
        run_batch(
            session=session, actor_id=firm.cynthia, batch_id=started.batch_id, chunk_size=3,
            now=NOW,
        )  # fmt: skip

    batch = _batch(session, started.batch_id)
    assert (batch.cursor, batch.queued, batch.held_back, batch.finished_at) == (regs[2], 3, 0, None)
    sent = _sent_kinds(session, event_id, FINAL_SCHEDULE)
    assert sent == Counter({registrations[r].candidate_id: 1 for r in regs[:3]})
    assert _count(session, Communication, comm.c.email_kind == FINAL_SCHEDULE) == 3
    assert _count(session, EmailOutbox) == 7 + 6 + 3  # profile requests, approvals, chunk 1
    assert _count(session, HeldBackEmail) == 0
    assert _count(session, CommunicationParticipant) == 2 * (7 + 6 + 3)  # From and To each

    progress = run_batch(
        session=session, actor_id=firm.cynthia, batch_id=started.batch_id, chunk_size=3, now=NOW
    )
    assert (progress.finished, progress.queued, progress.held_back) == (True, 6, 1)
    sent = _sent_kinds(session, event_id, FINAL_SCHEDULE)
    assert sent == Counter({registrations[r].candidate_id: 1 for i, r in enumerate(regs) if i != 4})
    outbox = EmailOutbox.__table__
    keys = (
        session.connection()
        .execute(
            sa.select(outbox.c.idempotency_key).where(
                outbox.c.idempotency_key.like("event-batch:%")
            )
        )
        .scalars()
        .all()
    )
    session.rollback()
    assert sorted(keys) == sorted(
        f"event-batch:{started.batch_id}:{r}" for i, r in enumerate(regs) if i != 4
    )
    held = HeldBackEmail.__table__
    [(registration_id, reason)] = (
        session.connection()
        .execute(
            sa.select(held.c.registration_id, held.c.reason).where(
                held.c.batch_id == started.batch_id
            )
        )
        .all()
    )
    session.rollback()
    assert registration_id == regs[4] and WHY_PENDING in reason

    # A finished batch sends nothing more, however it is run.
    before = _snapshot(session)
    for send in (run_batch, send_batch_chunk):
        again = send(session=session, actor_id=firm.cynthia, batch_id=started.batch_id, now=NOW)
        assert again == progress
    assert _snapshot(session) == before


def test_start_batch_resumes_an_unfinished_send_and_a_repeat_needs_confirmation(
    session: Session, firm: Firm
) -> None:
    event_id, _ = _event_with_registrants(session, firm, 3)
    batches = EventEmailBatch.__table__

    def start(kind: str = REMINDER, **kwargs: Any) -> Any:
        return start_batch(
            session=session, actor_id=firm.isabel, event_id=event_id, kind=kind, now=NOW, **kwargs
        )

    first = start()
    assert (first.eligible, first.queued, first.finished) == (3, 0, False)
    assert start().batch_id == first.batch_id
    assert start(confirm_repeat=True).batch_id == first.batch_id
    assert _count(session, EventEmailBatch) == 1

    send_batch_chunk(session=session, actor_id=firm.cynthia, batch_id=first.batch_id, chunk_size=2)
    assert start() == replace(first, queued=2)  # the half-sent one, where it stopped
    run_batch(session=session, actor_id=firm.cynthia, batch_id=first.batch_id, now=NOW)

    before = _snapshot(session)
    with pytest.raises(Conflict, match="already went out"):
        start()
    assert _snapshot(session) == before

    repeat = start(confirm_repeat=True)
    assert repeat.batch_id != first.batch_id
    run_batch(session=session, actor_id=firm.cynthia, batch_id=repeat.batch_id, now=NOW)
    assert set(_sent_kinds(session, event_id, REMINDER).values()) == {2}
    assert _count(session, EventEmailBatch, batches.c.email_kind == REMINDER) == 2

    # Another kind is not held up by the reminders.
    other = start(FINAL_SCHEDULE)
    assert other.batch_id not in (first.batch_id, repeat.batch_id)
    assert _event(session, event_id).final_schedule_sent_at == NOW


def test_a_bulk_send_at_the_wrong_moment_is_refused(session: Session, firm: Firm) -> None:
    event_id, _ = _event_with_registrants(session, firm, 2)
    before = _snapshot(session)
    for kind, now, message in (
        (REMINDER, STARTS, "The event has started"),
        (REMINDER, AFTER, "The event has started"),
        (FOLLOW_UP, ENDS - timedelta(minutes=1), "Follow-ups go out after the event ends"),
        (FINAL_SCHEDULE, ENDS, "The event is over"),
        (UPDATE, NOW, "Choose final schedule, reminder or follow-up"),
        (CANCELLATION, NOW, "Choose final schedule, reminder or follow-up"),
        ("newsletter", NOW, "Choose final schedule, reminder or follow-up"),
    ):
        refused = _refused(
            Invalid,
            lambda kind=kind, now=now: start_batch(
                session=session, actor_id=firm.cynthia, event_id=event_id, kind=kind, now=now
            ),
            (kind, now),
        )
        assert message in str(refused)
    assert _snapshot(session) == before


def test_bulk_sends_at_the_edges_of_the_event_are_allowed(session: Session, firm: Firm) -> None:
    event_id, _ = _event_with_registrants(session, firm, 1)
    for kind, now in (
        (REMINDER, STARTS - timedelta(minutes=1)),
        (FINAL_SCHEDULE, ENDS - timedelta(minutes=1)),
        (FOLLOW_UP, ENDS),
    ):
        progress = start_batch(
            session=session, actor_id=firm.cynthia, event_id=event_id, kind=kind, now=now
        )
        assert progress.eligible == 1


def test_a_deleted_events_unfinished_batch_holds_back_the_rest(
    session: Session, firm: Firm
) -> None:
    event_id, regs = _event_with_registrants(session, firm, 5)
    started = start_batch(
        session=session, actor_id=firm.cynthia, event_id=event_id, kind=REMINDER, now=NOW
    )
    send_batch_chunk(
        session=session, actor_id=firm.cynthia, batch_id=started.batch_id, chunk_size=2, now=NOW
    )
    delete_event(session=session, actor_id=firm.isabel, event_id=event_id, now=NOW)
    mark = _mark(session)

    progress = run_batch(
        session=session, actor_id=firm.cynthia, batch_id=started.batch_id, chunk_size=2, now=NOW
    )

    assert (progress.finished, progress.queued, progress.held_back) == (True, 2, 3)
    effects = _effects(session, mark, event_id)
    assert effects.sent == []
    registrations = _registrations(session, event_id)
    rest = {registrations_by_id(registrations)[r] for r in regs[2:]}
    assert {(c, kind) for c, kind, _ in effects.held} == {(c, REMINDER) for c in rest}
    assert all(WHY_DELETED in reason for _, _, reason in effects.held)
    with pytest.raises(Invalid, match="deleted"):
        start_batch(
            session=session, actor_id=firm.cynthia, event_id=event_id, kind=FOLLOW_UP, now=AFTER
        )


def registrations_by_id(registrations: dict[int, EventRegistration]) -> dict[int, int]:
    """Candidate ids by registration id."""
    return {r.id: c for c, r in registrations.items()}


# --- public registration -------------------------------------------------------------------------


def test_a_bad_registration_gives_field_errors_and_writes_nothing(
    session: Session, firm: Firm
) -> None:
    event_id = _create_event(session, firm)
    slug = _event(session, event_id).registration_slug
    before = _snapshot(session)
    for changes, fields in (
        ({"first_name": ""}, {"first_name"}),
        ({"last_name": "   "}, {"last_name"}),
        ({"email": "dallen"}, {"email"}),
        ({"email": "dallen@law georgetown.example"}, {"email"}),
        ({"law_school": ""}, {"law_school"}),
        ({"class_year": "5L"}, {"class_year"}),
        ({"first_name": 42, "email": None}, {"first_name", "email"}),
        ({"first_name": "x" * 81}, {"first_name"}),
    ):
        data = _form("Diana", "Allen", "d@x.example") | changes
        refused = _refused(
            Invalid,
            lambda data=data: register_via_link(session=session, slug=slug, data=data, now=NOW),
            changes,
        )
        assert set(refused.field_errors) == fields, changes
    with pytest.raises(Invalid):
        register_via_link(session=session, slug=slug, data=["Diana"], now=NOW)  # type: ignore[arg-type]
    assert _snapshot(session) == before


def test_registering_twice_registers_once_and_confirms_once(session: Session, firm: Firm) -> None:
    event_id = _create_event(session, firm)
    slug = _event(session, event_id).registration_slug
    form = _form("Diana", "Allen", "diana.allen@law.georgetown.example")

    first = register_via_link(session=session, slug=slug, data=form, now=NOW)
    before = _snapshot(session)
    again = register_via_link(
        session=session, slug=slug, data=form | {"email": form["email"].upper()}, now=NOW
    )

    assert (first.already_registered, first.pending_review) == (False, False)
    assert again.already_registered and "already registered" in again.message
    assert _snapshot(session) == before
    [registration] = _registrations(session, event_id).values()
    assert registration.joined_via == "link" and registration.review_state == "approved"
    assert _sent_kinds(session, event_id, CONFIRMATION) == Counter({registration.candidate_id: 1})


def test_an_existing_candidate_is_matched_by_email_and_keeps_what_is_known(
    session: Session, firm: Firm
) -> None:
    event_id = _create_event(session, firm, WEBINAR, invite_only=True)
    slug = _event(session, event_id).registration_slug
    diana = Candidate(
        first_name="Diana", last_name="Allen", email="Diana.Allen@Law.Georgetown.example",
        law_school="Georgetown University Law Center", class_year="3L",
        source=CandidateSource.AGENCY.value,
    )  # fmt: skip
    ben = Candidate(
        first_name="Benjamin", last_name="Cho", email="bcho@law.columbia.example",
        law_school=None, class_year=None, source=CandidateSource.DIRECT.value,
    )  # fmt: skip
    session.add_all([diana, ben])
    session.commit()
    candidates = _count(session, Candidate)

    outcome = register_via_link(
        session=session,
        slug=slug,
        data=_form("Di", "Allen-Smith", "diana.allen@LAW.georgetown.example",
                   law_school="Some Other Law School", class_year="1L"),
        now=NOW,
    )  # fmt: skip
    register_via_link(
        session=session, slug=slug, data=_form("Ben", "Cho", "BCHO@law.columbia.example"), now=NOW
    )

    assert outcome.pending_review and not outcome.already_registered
    assert _count(session, Candidate) == candidates
    session.expire_all()
    kept = session.get(Candidate, diana.id)
    assert (kept.first_name, kept.last_name, kept.email, kept.law_school, kept.class_year) == (
        "Diana", "Allen", "Diana.Allen@Law.Georgetown.example",
        "Georgetown University Law Center", "3L",
    )  # fmt: skip
    filled = session.get(Candidate, ben.id)
    assert (filled.law_school, filled.class_year) == ("Howard University School of Law", "2L")
    registrations = _registrations(session, event_id)
    assert set(registrations) == {diana.id, ben.id}
    assert registrations[diana.id].review_state == "pending"
    assert _sent_kinds(session, event_id, CONFIRMATION) == Counter({diana.id: 1, ben.id: 1})


def test_registration_closes_when_the_event_ends(session: Session, firm: Firm) -> None:
    event_id = _create_event(session, firm)
    slug = _event(session, event_id).registration_slug
    assert public_event(
        session=session, slug=slug, now=ENDS - timedelta(minutes=1)
    ).is_open_for_registration
    page = public_event(session=session, slug=slug, now=ENDS)
    assert not page.is_open_for_registration and "closed" in page.closed_reason

    before = _snapshot(session)
    with pytest.raises(Invalid, match="registration is closed"):
        register_via_link(
            session=session, slug=slug, data=_form("Di", "Allen", "d@x.example"), now=ENDS
        )
    assert _snapshot(session) == before


def test_an_unknown_registration_link_is_not_found(session: Session, firm: Firm) -> None:
    _create_event(session, firm)
    before = _snapshot(session)
    for slug in ("no-such-event", "", "x" * 65, 1234, None):
        _refused(NotFound, lambda slug=slug: public_event(session=session, slug=slug), slug)
        _refused(
            NotFound,
            lambda slug=slug: register_via_link(
                session=session, slug=slug, data=_form("Di", "Allen", "d@x.example"), now=NOW
            ),
            slug,
        )
    assert _snapshot(session) == before


def test_a_deleted_events_link_is_not_found(session: Session, firm: Firm) -> None:
    event_id = _create_event(session, firm)
    slug = _event(session, event_id).registration_slug
    delete_event(session=session, actor_id=firm.cynthia, event_id=event_id, now=NOW)
    before = _snapshot(session)
    with pytest.raises(NotFound):
        public_event(session=session, slug=slug, now=NOW)
    with pytest.raises(NotFound):
        register_via_link(
            session=session, slug=slug, data=_form("Di", "Allen", "d@x.example"), now=NOW
        )
    assert _snapshot(session) == before


# --- who may act ------------------------------------------------------------------------------


def test_only_active_admins_may_run_events(session: Session, firm: Firm) -> None:
    # An invite-only virtual chat with one approved registrant in a slot, one pending, and an
    # unfinished final schedule: something for every action to change.
    event_id = _create_event(session, firm, VIRTUAL_CHAT, invite_only=True)
    ann, bo, cy = _candidates(session, "Ann Approved", "Bo Pending", "Cy Outside")
    add_registrants(
        session=session, actor_id=firm.cynthia, event_id=event_id, candidate_ids=[ann, bo], now=NOW
    )
    registrations = _registrations(session, event_id)
    approved, pending = registrations[ann].id, registrations[bo].id
    review_registrations(
        session=session, actor_id=firm.cynthia, event_id=event_id, registration_ids=[approved],
        decision="approve", now=NOW,
    )  # fmt: skip
    create_slot(
        session=session, actor_id=firm.cynthia, event_id=event_id, starts_at=STARTS,
        ends_at=STARTS + timedelta(minutes=20), capacity=2, now=NOW,
    )  # fmt: skip
    create_slot(
        session=session, actor_id=firm.cynthia, event_id=event_id,
        starts_at=STARTS + timedelta(minutes=20), ends_at=STARTS + timedelta(minutes=40), now=NOW,
    )  # fmt: skip
    slot, other_slot = sorted(
        s.id for s in get_event(session=session, viewer_id=firm.cynthia, event_id=event_id).slots
    )
    assign_slot(
        session=session, actor_id=firm.cynthia, registration_id=approved, slot_id=slot, now=NOW
    )
    batch = start_batch(
        session=session, actor_id=firm.cynthia, event_id=event_id, kind=FINAL_SCHEDULE, now=NOW
    ).batch_id
    before = _snapshot(session)

    def actions(actor: Any) -> dict[str, Callable[[], object]]:
        return {
            "create an event": lambda: save_event(
                session=session, actor_id=actor, event_id=None, data=_event_data(WEBINAR, False),
                now=NOW,
            ),
            "edit an event": lambda: save_event(
                session=session, actor_id=actor, event_id=event_id,
                data=_event_data(VIRTUAL_CHAT, True, name="Renamed"), now=NOW,
            ),
            "delete an event": lambda: delete_event(
                session=session, actor_id=actor, event_id=event_id, now=NOW
            ),
            "add registrants": lambda: add_registrants(
                session=session, actor_id=actor, event_id=event_id, candidate_ids=[cy], now=NOW
            ),
            "add a new candidate": lambda: add_new_candidate(
                session=session, actor_id=actor, event_id=event_id,
                data=_form("New", "Person", "new.person@law.example"), now=NOW,
            ),
            "approve": lambda: review_registrations(
                session=session, actor_id=actor, event_id=event_id, registration_ids=[pending],
                decision="approve", now=NOW,
            ),
            "deny": lambda: review_registrations(
                session=session, actor_id=actor, event_id=event_id, registration_ids=[pending],
                decision="deny", now=NOW,
            ),
            "create a slot": lambda: create_slot(
                session=session, actor_id=actor, event_id=event_id,
                starts_at=STARTS + timedelta(minutes=40), ends_at=STARTS + timedelta(minutes=60),
                now=NOW,
            ),
            "delete a slot": lambda: delete_slot(
                session=session, actor_id=actor, slot_id=slot, now=NOW
            ),
            "assign a slot": lambda: assign_slot(
                session=session, actor_id=actor, registration_id=approved, slot_id=other_slot,
                now=NOW,
            ),
            "unassign a slot": lambda: unassign_slot(
                session=session, actor_id=actor, registration_id=approved, now=NOW
            ),
            "remove a registrant": lambda: remove_registrant(
                session=session, actor_id=actor, registration_id=approved, now=NOW
            ),
            "start a send": lambda: start_batch(
                session=session, actor_id=actor, event_id=event_id, kind=REMINDER, now=NOW
            ),
            "send a chunk": lambda: send_batch_chunk(
                session=session, actor_id=actor, batch_id=batch, now=NOW
            ),
            "run a send": lambda: run_batch(
                session=session, actor_id=actor, batch_id=batch, now=NOW
            ),
            "search candidates": lambda: candidate_choices(
                session=session, actor_id=actor, event_id=event_id, search="Cy"
            ),
        }  # fmt: skip

    for who, actor in (
        ("member", firm.marcus),
        ("inactive admin", firm.olivia),
        ("stranger", 999_999),
        ("string id", str(firm.cynthia)),
        ("no one", None),
    ):
        for action, call in actions(actor).items():
            _refused(NotAllowed, call, f"{who} could {action}")
        assert _snapshot(session) == before, who
        # Reading the event page takes an active member, admin or not.
        if who == "member":
            page = get_event(session=session, viewer_id=actor, event_id=event_id, now=NOW)
            assert [r.candidate_id for r in page.registrants] == [ann, bo]
        else:
            _refused(
                NotAllowed,
                lambda actor=actor: get_event(
                    session=session, viewer_id=actor, event_id=event_id, now=NOW
                ),
                f"{who} could see the event",
            )


# --- creating and editing events ----------------------------------------------------------------


def test_bad_event_details_give_field_errors_and_write_nothing(
    session: Session, firm: Firm
) -> None:
    events = {t: _create_event(session, firm, t) for t in (IN_PERSON, WEBINAR, VIRTUAL_CHAT)}
    before = _snapshot(session)
    for event_type, changes, fields in (
        (IN_PERSON, {"name": ""}, {"name"}),
        (IN_PERSON, {"name": "   "}, {"name"}),
        (IN_PERSON, {"name": "x" * 201}, {"name"}),
        (IN_PERSON, {"ends_at": STARTS - timedelta(hours=1)}, {"ends_at"}),
        (IN_PERSON, {"ends_at": STARTS}, {"ends_at"}),
        (IN_PERSON, {"ends_at": STARTS + timedelta(days=15)}, {"ends_at"}),
        (IN_PERSON, {"starts_at": datetime(2027, 3, 10, 21, 0)}, {"starts_at"}),  # naive
        (IN_PERSON, {"starts_at": "2027-03-10T21:00"}, {"starts_at"}),
        (IN_PERSON, {"location": ""}, {"location"}),
        (WEBINAR, {"meeting_link": ""}, {"meeting_link"}),
        (VIRTUAL_CHAT, {"meeting_link": ""}, {"meeting_link"}),
        (WEBINAR, {"meeting_link": "meet.example/spring"}, {"meeting_link"}),
        (WEBINAR, {"meeting_link": "javascript:alert(1)"}, {"meeting_link"}),
        (VIRTUAL_CHAT, {"meeting_link": "https://meet.example/a b"}, {"meeting_link"}),
        (IN_PERSON, {"type": "gala"}, {"type"}),
        (IN_PERSON, {"invite_only": "yes"}, {"invite_only"}),
    ):
        data = _event_data(event_type, False) | changes
        for target in (None, events[event_type]):  # creating, and editing
            refused = _refused(
                Invalid,
                lambda data=data, target=target: save_event(
                    session=session, actor_id=firm.cynthia, event_id=target, data=data, now=NOW
                ),
                (changes, target),
            )
            assert set(refused.field_errors) == fields, (changes, target)
    with pytest.raises(Invalid):
        save_event(session=session, actor_id=firm.cynthia, event_id=None, data="x", now=NOW)  # type: ignore[arg-type]
    assert _snapshot(session) == before


def test_type_and_access_are_fixed_once_someone_registered(session: Session, firm: Firm) -> None:
    event_id = _create_event(session, firm, WEBINAR)

    def edit(event_type: str, invite_only: bool) -> Any:
        return save_event(
            session=session,
            actor_id=firm.cynthia,
            event_id=event_id,
            data=_event_data(event_type, invite_only, meeting_link="https://meet.example/spring"),
            now=NOW,
        )

    edit(VIRTUAL_CHAT, True)  # nobody has registered yet
    assert (_event(session, event_id).type, _event(session, event_id).invite_only) == (
        VIRTUAL_CHAT,
        True,
    )
    slug = _event(session, event_id).registration_slug
    register_via_link(session=session, slug=slug, data=_form("Di", "Allen", "d@x.example"), now=NOW)
    before = _snapshot(session)
    for event_type, invite_only in ((WEBINAR, True), (VIRTUAL_CHAT, False), (WEBINAR, False)):
        with pytest.raises(Invalid, match="type and access can no longer change") as refused:
            edit(event_type, invite_only)
        assert "type" in refused.value.field_errors
    assert _snapshot(session) == before


def test_an_edit_that_changes_nothing_the_emails_show_sends_no_update(
    session: Session, firm: Firm
) -> None:
    event_id, _ = _event_with_registrants(session, firm, 2)
    saved = save_event(
        session=session,
        actor_id=firm.cynthia,
        event_id=event_id,
        data=_event_data(IN_PERSON, False, description="Now with a panel discussion."),
        now=NOW,
    )
    assert saved.update_batch_id is None and "No email" in saved.message
    assert _event(session, event_id).description == "Now with a panel discussion."
    assert _count(session, EventEmailBatch) == 0


def test_an_edit_made_from_an_older_version_is_refused_and_changes_nothing(
    session: Session, firm: Firm
) -> None:
    """Two admins edit one event: the second save, made from what was there before, is refused."""
    event_id, _ = _event_with_registrants(session, firm, 2)

    def rename(name: str, version: datetime | None, minutes: int) -> Any:
        return save_event(
            session=session,
            actor_id=firm.cynthia,
            event_id=event_id,
            data=_event_data(IN_PERSON, False, name=name),
            expected_updated_at=version,
            now=NOW + timedelta(minutes=minutes),
        )

    opened = load_event(session, event_id).updated_at  # both forms are filled from this
    assert opened is not None
    first = rename("Spring Reception, moved", opened, 5)
    assert first.update_batch_id is not None  # the name changed: an update goes out
    before = _snapshot(session)
    with pytest.raises(Conflict, match="Someone else saved this event"):
        rename("Spring Reception, renamed", opened, 6)
    assert _snapshot(session) == before  # no edit, no second update send
    assert _event(session, event_id).name == "Spring Reception, moved"
    # Made from the current version, the same edit saves.
    again = rename("Spring Reception, renamed", load_event(session, event_id).updated_at, 7)
    assert again.update_batch_id is not None
    assert _event(session, event_id).name == "Spring Reception, renamed"


def test_a_deleted_or_unknown_event_cannot_be_edited_or_deleted(
    session: Session, firm: Firm
) -> None:
    event_id = _create_event(session, firm)
    delete_event(session=session, actor_id=firm.cynthia, event_id=event_id, now=NOW)
    before = _snapshot(session)
    with pytest.raises(Invalid, match="deleted"):
        save_event(
            session=session, actor_id=firm.cynthia, event_id=event_id,
            data=_event_data(IN_PERSON, False), now=NOW,
        )  # fmt: skip
    with pytest.raises(Invalid, match="already deleted"):
        delete_event(session=session, actor_id=firm.cynthia, event_id=event_id, now=NOW)
    for unknown in (999_999, 0, "1", None):
        with pytest.raises(NotFound):
            delete_event(session=session, actor_id=firm.cynthia, event_id=unknown, now=NOW)
    with pytest.raises(NotFound):
        save_event(
            session=session, actor_id=firm.cynthia, event_id=999_999,
            data=_event_data(IN_PERSON, False), now=NOW,
        )  # fmt: skip
    assert _snapshot(session) == before


# --- time slots ---------------------------------------------------------------------------------


def test_time_slots_are_checked(session: Session, firm: Firm) -> None:
    event_id = _create_event(session, firm, VIRTUAL_CHAT)
    other_id = _create_event(session, firm, VIRTUAL_CHAT)
    ann, bo = _candidates(session, "Ann Early", "Bo Late")
    add_registrants(
        session=session, actor_id=firm.cynthia, event_id=event_id, candidate_ids=[ann, bo], now=NOW
    )
    registrations = _registrations(session, event_id)

    def slot(event: int, minutes: int, length: int = 20, capacity: Any = 1) -> str:
        return create_slot(
            session=session, actor_id=firm.cynthia, event_id=event,
            starts_at=STARTS + timedelta(minutes=minutes),
            ends_at=STARTS + timedelta(minutes=minutes + length), capacity=capacity, now=NOW,
        )  # fmt: skip

    slot(event_id, 0)
    slot(other_id, 0)
    before = _snapshot(session)
    for minutes, length, capacity, field_error in (
        (-10, 20, 1, ("starts_at", "within the event")),
        (140, 20, 1, ("starts_at", "within the event")),
        (0, 0, 1, ("ends_at", "end after it starts")),
        (0, 20, 0, ("capacity", "1 to 50")),
        (0, 20, 51, ("capacity", "1 to 50")),
        (0, 20, True, ("capacity", "1 to 50")),
    ):
        with pytest.raises(Invalid, match="Check the time slot") as refused:
            slot(event_id, minutes, length, capacity)
        [(key, message)] = refused.value.field_errors.items()
        assert key == field_error[0] and field_error[1] in message
    assert _snapshot(session) == before

    [mine] = get_event(session=session, viewer_id=firm.cynthia, event_id=event_id).slots
    [theirs] = get_event(session=session, viewer_id=firm.cynthia, event_id=other_id).slots
    ann_reg, bo_reg = registrations[ann].id, registrations[bo].id
    assign_slot(session=session, actor_id=firm.cynthia, registration_id=ann_reg, slot_id=mine.id)
    before = _snapshot(session)
    with pytest.raises(Invalid, match="full"):
        assign_slot(session=session, actor_id=firm.cynthia, registration_id=bo_reg, slot_id=mine.id)
    with pytest.raises(Invalid, match="another event"):
        assign_slot(
            session=session, actor_id=firm.cynthia, registration_id=bo_reg, slot_id=theirs.id
        )
    assert _snapshot(session) == before


def test_no_time_slot_for_an_event_that_stopped_being_a_virtual_chat(
    session: Session, firm: Firm
) -> None:
    # A virtual chat with a slot becomes a webinar before anyone registers; its old slot
    # must not give a webinar registrant a time slot (webinars have none).
    event_id = _create_event(session, firm, VIRTUAL_CHAT)
    create_slot(
        session=session, actor_id=firm.cynthia, event_id=event_id, starts_at=STARTS,
        ends_at=STARTS + timedelta(minutes=20), now=NOW,
    )  # fmt: skip
    [old_slot] = get_event(session=session, viewer_id=firm.cynthia, event_id=event_id).slots
    save_event(
        session=session, actor_id=firm.cynthia, event_id=event_id,
        data=_event_data(WEBINAR, False), now=NOW,
    )  # fmt: skip
    [ann] = _candidates(session, "Ann Webinar")
    add_registrants(
        session=session, actor_id=firm.cynthia, event_id=event_id, candidate_ids=[ann], now=NOW
    )
    registration = _registrations(session, event_id)[ann].id
    before = _snapshot(session)
    with pytest.raises(Invalid, match="Only virtual chats have time slots"):
        assign_slot(
            session=session, actor_id=firm.cynthia, registration_id=registration,
            slot_id=old_slot.id, now=NOW,
        )  # fmt: skip
    assert _snapshot(session) == before


# --- adding people ------------------------------------------------------------------------------


def test_an_admin_adds_a_new_candidate_who_gets_a_profile_request(
    session: Session, firm: Firm
) -> None:
    event_id = _create_event(session, firm, WEBINAR, invite_only=True)
    [existing] = _candidates(session, "Diana Allen")
    mark = _mark(session)

    message = add_new_candidate(
        session=session,
        actor_id=firm.isabel,
        event_id=event_id,
        data=_form("Camila", "Reyes", "CReyes@law.nyu.example"),
        now=NOW,
    )

    assert "Camila Reyes was added" in message
    [(candidate_id, registration)] = _registrations(session, event_id).items()
    assert (registration.joined_via, registration.review_state) == ("manual", "pending")
    effects = _effects(session, mark, event_id)
    assert (effects.sent, effects.held) == ([(candidate_id, PROFILE_REQUEST)], [])
    session.expire_all()
    camila = session.get(Candidate, candidate_id)
    assert (camila.email, camila.source) == ("creyes@law.nyu.example", CandidateSource.EVENT.value)

    before = _snapshot(session)
    with pytest.raises(Invalid) as refused:
        add_new_candidate(
            session=session,
            actor_id=firm.isabel,
            event_id=event_id,
            data=_form("Di", "Allen", "DIANA.allen@law.example"),
            now=NOW,
        )
    assert set(refused.value.field_errors) == {"email"}
    assert _snapshot(session) == before
    choices = candidate_choices(
        session=session, actor_id=firm.isabel, event_id=event_id, search="law"
    )
    assert [c.id for c in choices] == [existing]  # Camila is on the event already


def test_adding_someone_twice_is_skipped_and_someone_taken_off_can_come_back(
    session: Session, firm: Firm
) -> None:
    event_id, [registration_id] = _event_with_registrants(session, firm, 1, invite_only=True)
    [candidate_id] = _registrations(session, event_id)

    def add() -> Any:
        return add_registrants(
            session=session, actor_id=firm.cynthia, event_id=event_id,
            candidate_ids=[candidate_id, candidate_id], now=AFTER,
        )  # fmt: skip

    before = _snapshot(session)
    again = add()
    assert (again.done, again.skipped, again.emails) == (0, 1, 0)
    assert _snapshot(session) == before

    remove_registrant(
        session=session, actor_id=firm.cynthia, registration_id=registration_id, now=NOW
    )
    page = get_event(session=session, viewer_id=firm.marcus, event_id=event_id, now=NOW)
    assert (page.registrant_total, page.approved, page.pending) == (0, 0, 0)
    mark = _mark(session)
    back = add()
    assert (back.done, back.emails) == (1, 1)
    effects = _effects(session, mark, event_id)
    assert effects.sent == [(candidate_id, PROFILE_REQUEST)]
    registration = _registrations(session, event_id)[candidate_id]
    # Back on the list as a new registrant: waiting in Quick Review again.
    assert (registration.id, registration.review_state, registration.removed_at) == (
        registration_id,
        "pending",
        None,
    )
    [row] = list_events(session=session)
    assert (row.registrants, row.pending, row.approved) == (1, 1, 0)


def test_names_that_need_quoting_get_their_emails(session: Session, firm: Firm) -> None:
    """A name with "." or "," is quoted in the To header, not refused (which stopped a batch)."""
    event_id = _create_event(session, firm, IN_PERSON, invite_only=False)
    names = [("Martin", "King Jr."), ("Smith,", "Jordan"), ("Dana", "(Dee) Lee")]
    people = [
        Candidate(first_name=first, last_name=last, email=f"guest{i}@law.example",
                  law_school="Howard University School of Law", class_year="2L",
                  source=CandidateSource.DIRECT.value)
        for i, (first, last) in enumerate(names)
    ]  # fmt: skip
    session.add_all(people)
    session.commit()
    report = add_registrants(
        session=session, actor_id=firm.cynthia, event_id=event_id,
        candidate_ids=[p.id for p in people], now=NOW,
    )  # fmt: skip
    assert (report.done, report.emails, report.failed) == (3, 3, 0)
    progress = start_batch(
        session=session, actor_id=firm.cynthia, event_id=event_id, kind=REMINDER, now=NOW
    )
    done = run_batch(session=session, actor_id=firm.cynthia, batch_id=progress.batch_id, now=NOW)
    assert (done.queued, done.held_back, done.finished) == (3, 0, True)
    session.expire_all()
    to = sorted(
        row.to_addresses[0]
        for row in session.exec(select(EmailOutbox).where(EmailOutbox.subject.like("Reminder%")))
    )
    assert to == [
        '"Dana (Dee) Lee" <guest2@law.example>',
        '"Martin King Jr." <guest0@law.example>',
        '"Smith, Jordan" <guest1@law.example>',
    ]
    for address in to:  # what the dispatcher reads back parses to the same person
        assert parse_one_address(address).addr_spec.startswith("guest")


def test_bulk_emails_join_the_candidates_event_thread(session: Session, firm: Firm) -> None:
    """A reminder written in bulk is on the timeline and in the event's thread like any email."""
    event_id, registrations = _event_with_registrants(session, firm, 2)
    progress = start_batch(
        session=session, actor_id=firm.cynthia, event_id=event_id, kind=REMINDER, now=NOW
    )
    run_batch(session=session, actor_id=firm.cynthia, batch_id=progress.batch_id, now=NOW)
    candidate_id = _registrations_by_id(session, event_id)[registrations[0]].candidate_id
    page = list_timeline(
        session=session,
        candidate_id=candidate_id,
        filters=TimelineFilters(),
        viewer_id=firm.marcus,
    )
    assert [(i.email_kind, i.event_id, i.thread_count) for i in page.items] == [
        (REMINDER, event_id, 2),
        (PROFILE_REQUEST, event_id, 2),
    ]
    thread = list_event_thread(
        session=session, candidate_id=candidate_id, event_id=event_id, viewer_id=firm.marcus
    )
    assert [entry.label for entry in thread] == ["Profile Request", "Reminder"]


def _registrations_by_id(session: Session, event_id: int) -> dict[int, EventRegistration]:
    return {r.id: r for r in _registrations(session, event_id).values()}
