"""Views that cross from the services into the UI: frozen, plain data.

ORM objects never reach Reflex state; these do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

_View = TypeVar("_View")


def _quick_frozen(cls: type[_View]) -> type[_View]:
    """`@dataclass(frozen=True)`, with an `__init__` that fills the instance dict directly.

    A frozen dataclass's own `__init__` sets each field through
    `object.__setattr__` (its `__setattr__` refuses): 11 microseconds for a
    28-field `TimelineItem`, against 3 for this one, and a timeline page
    builds 25 items and their participants. For the views built by the
    hundred; the instances are the same (equal, frozen, same repr). Only
    plain defaults are allowed, no `default_factory`.
    """
    view = dataclass(frozen=True)(cls)
    names: list[str] = []
    defaults: dict[str, Any] = {}
    for spec in fields(view):
        if spec.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{spec.name}: no default_factory in a quick view")
        if spec.default is not MISSING:
            defaults[spec.name] = spec.default
        names.append(spec.name)
    arguments = ", ".join(f"{name}=_d_{name}" if name in defaults else name for name in names)
    assignments = "".join(f"    own[{name!r}] = {name}\n" for name in names)
    namespace: dict[str, Callable[..., None]] = {}
    # Generated from the field names, as `dataclasses` writes its own `__init__`.
    exec(
        f"def __init__(self, {arguments}):\n    own = self.__dict__\n{assignments}",
        {f"_d_{name}": value for name, value in defaults.items()},
        namespace,
    )
    init = namespace["__init__"]
    init.__qualname__ = f"{view.__qualname__}.__init__"
    view.__init__ = init  # type: ignore[misc]
    return view


@dataclass(frozen=True)
class CandidateRow:
    """A line of the candidates table."""

    id: int
    name: str
    email: str
    phone: str
    law_school: str


@dataclass(frozen=True)
class CandidatePage:
    """One page of candidates, with the cursors to the pages around it."""

    rows: list[CandidateRow]
    next_cursor: str | None
    prev_cursor: str | None
    total: int


@dataclass(frozen=True)
class StatusCount:
    """How many of a job's applications are in one status."""

    status: str
    count: int


@dataclass(frozen=True)
class JobRow:
    """A line of the jobs list."""

    id: int
    name: str
    office: str
    department: str
    position_type: str
    process_year: int
    applications: int
    by_status: list[StatusCount]


@dataclass(frozen=True)
class EventRow:
    """A line of the events list."""

    id: int
    name: str
    type_label: str
    access_label: str
    starts_at_iso: str
    registrants: int
    pending: int
    approved: int
    denied: int


@dataclass(frozen=True)
class MemberView:
    """A signed-in member, or a line of the members page."""

    id: int
    name: str
    email: str
    role: str
    is_active: bool

    @property
    def is_admin(self) -> bool:
        """Whether the member may log, edit, send and configure."""
        return self.role == "admin" and self.is_active


@dataclass(frozen=True)
class DemoAccount:
    """A demo account offered for one-click sign-in in demo mode."""

    name: str
    email: str
    role: str
    title: str


@dataclass(frozen=True)
class ApplicationSummary:
    """One of a candidate's applications, on their profile."""

    id: int
    job_name: str
    office: str
    status: str
    source: str
    agency_contact_name: str
    updated_at_iso: str


@dataclass(frozen=True)
class RegistrationSummary:
    """One of a candidate's outreach events, on their profile."""

    id: int
    event_name: str
    type_label: str
    invite_only: bool
    starts_at_iso: str
    joined_via: str
    review_state: str


@dataclass(frozen=True)
class CandidateProfile:
    """A candidate's profile header and overview."""

    id: int
    name: str
    email: str
    phone: str
    law_school: str
    class_year: str
    graduation_year: str
    source: str
    agency_name: str
    agency_contact_name: str
    agency_contact_email: str
    applications: list[ApplicationSummary]
    registrations: list[RegistrationSummary]
    communications: int
    last_contact_iso: str


# --- the Communications tab -------------------------------------------------


@dataclass(frozen=True)
class PersonRef:
    """A person picked in the modal: `kind` is "candidate" or "member"."""

    kind: str
    id: int


@dataclass(frozen=True)
class CommunicationInput:
    """What the New/Edit Communication modal submits.

    The fields are untrusted (they come from an event handler's arguments):
    the service checks every one, types included.
    """

    type: str
    occurred_at: datetime
    sent_by_member_ids: list[int]
    sent_to: list[PersonRef]
    subject: str
    description: str


@_quick_frozen
class ParticipantView:
    """A sender or recipient as shown on the timeline.

    `kind` is "member", "candidate", "agency_contact" or "address" (a bare
    email address); `id` is that person's id, 0 for a bare address. `role`
    is "from", "to", "cc" or "bcc".
    """

    name: str
    email: str
    role: str
    kind: str
    id: int


@_quick_frozen
class TimelineItem:
    """One communication on a candidate's timeline, ready to show.

    `event_id` is its outreach event (0 for none). `thread_count` is how many
    communications on the same candidate's timeline share that event (this
    one included); it is counted for the items of a timeline page, and is 0
    elsewhere and for an item without an event.
    """

    id: int
    version: int
    type: str
    type_label: str
    type_icon: str
    origin: str
    is_system: bool
    email_kind: str
    email_kind_label: str
    occurred_at_iso: str
    subject: str
    body: str
    sent_by: list[ParticipantView]
    to: list[ParticipantView]
    cc: list[ParticipantView]
    bcc: list[ParticipantView]
    context_label: str
    context_kind: str
    logged_by_id: int
    logged_by_name: str
    triggered_by_name: str
    trigger: str
    delivery_status: str
    is_edited: bool
    can_edit: bool
    event_id: int = 0
    thread_count: int = 0


@dataclass(frozen=True)
class EventThreadEntry:
    """One communication in a candidate's thread for an outreach event.

    `label` is the email kind ("Approval"), or the type ("Phone Call") of an
    entry that has none; `delivery_status` is the outbox status of a system
    email, "" otherwise; `origin` is "logged" or "system".
    """

    id: int
    label: str
    subject: str
    occurred_at_iso: str
    delivery_status: str
    origin: str


@dataclass(frozen=True)
class TimelineFilters:
    """What the Communications tab is narrowed to; the defaults show everything.

    Attributes:
        types: Communication type values to show; empty shows every type.
        origin: "logged", "system", or "" for both.
        date_from: Earliest `occurred_at` shown (inclusive, aware), or None.
        date_to: Latest `occurred_at` shown (inclusive, aware), or None.
        person: Only entries this member or candidate took part in (or this
            member logged).
        search: Words that must each appear in the subject or the body.
    """

    types: list[str] = field(default_factory=list)
    origin: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None
    person: PersonRef | None = None
    search: str = ""


@dataclass(frozen=True)
class TypeCount:
    """How many entries of one type match the filters (all but the type filter)."""

    type: str
    label: str
    count: int


@dataclass(frozen=True)
class TimelineCounts:
    """The filter chips' numbers: every type with its count, and the total under all filters."""

    type_counts: list[TypeCount]
    total: int


@dataclass(frozen=True)
class TimelinePage:
    """A page of a candidate's timeline, newest first.

    `type_counts` lists every type with its count under all filters but the
    type filter; `total` counts under all filters. A page asked for without
    counts ("Load more") has empty `type_counts` and `total` None.
    """

    items: list[TimelineItem]
    next_cursor: str | None
    type_counts: list[TypeCount]
    total: int | None


@dataclass(frozen=True)
class RevisionView:
    """One edit or delete in a communication's history."""

    id: int
    action: str
    action_label: str
    actor_id: int
    actor_name: str
    created_at_iso: str
    changes: list[str]


@dataclass(frozen=True)
class PersonOption:
    """A member or candidate offered by the modal's searchable pickers."""

    kind: str
    id: int
    name: str
    email: str


# --- jobs, status changes, job emails and email templates --------------------
# Appended by the job emails service (`flo_comms.services.job_emails`,
# `flo_comms.services.templates`).


@dataclass(frozen=True)
class JobApplicationRow:
    """One application on a job's page.

    `agency_name` and `agency_contact_name` are empty unless the application
    came through an agency.
    """

    id: int
    candidate_id: int
    candidate_name: str
    candidate_email: str
    status_id: int
    status_name: str
    source: str
    agency_name: str
    agency_contact_name: str
    updated_at_iso: str


@dataclass(frozen=True)
class StatusOption:
    """A status the picker offers; `has_template` says whether reaching it sends an email."""

    id: int
    name: str
    has_template: bool


@dataclass(frozen=True)
class JobDetail:
    """A job, its applications (by candidate name) and the statuses they can move to."""

    id: int
    name: str
    office: str
    department: str
    position_type: str
    process_year: int
    applications: list[JobApplicationRow]
    statuses: list[StatusOption]


@dataclass(frozen=True)
class EmailPreview:
    """The email a status change would send for one application.

    `recipient_kind` is "candidate", or "agency_contact" for an application
    submitted by an agency (the email goes to its recruiter). `cc` and `bcc`
    are bare addresses.
    """

    application_id: int
    candidate_id: int
    candidate_name: str
    recipient_kind: str
    recipient_name: str
    recipient_email: str
    cc: list[str]
    bcc: list[str]
    subject: str
    body: str


@dataclass(frozen=True)
class StatusChangeResult:
    """What happened to one application of a status change.

    `outcome` is "changed", "skipped" (it already had that status) or
    "failed" (nothing of it was kept; `message` says why).
    `communication_id` is set when an email was logged and queued.
    """

    application_id: int
    candidate_name: str
    outcome: str
    message: str
    status_change_id: int | None
    communication_id: int | None


@dataclass(frozen=True)
class StatusChangeReport:
    """The result of changing the status of one or more applications."""

    status_id: int
    status_name: str
    results: list[StatusChangeResult]
    communication_ids: list[int]
    changed: int
    skipped: int
    failed: int


@dataclass(frozen=True)
class UpdateRequestResult:
    """What happened to one application of an update-application request.

    `outcome` is "sent" (logged and queued) or "failed" (nothing kept;
    `message` says why).
    """

    application_id: int
    candidate_name: str
    outcome: str
    message: str
    communication_id: int | None


@dataclass(frozen=True)
class UpdateRequestReport:
    """The result of sending update-application requests."""

    results: list[UpdateRequestResult]
    communication_ids: list[int]
    sent: int
    failed: int


@dataclass(frozen=True)
class UpdateRequestView:
    """What the public update page shows: whose application, and the current values.

    Values the candidate has not given are "". `class_year_options` lists the
    class years the form offers.
    """

    job_name: str
    candidate_first_name: str
    phone: str
    law_school: str
    class_year: str
    graduation_year: str
    expires_at_iso: str
    class_year_options: list[str]


@dataclass(frozen=True)
class ApplicationUpdateInput:
    """What a candidate submits on the public update page (untrusted).

    A blank field keeps the current value. `graduation_year` may be an int,
    None, or the digits the form sent.
    """

    phone: str = ""
    law_school: str = ""
    class_year: str = ""
    graduation_year: int | str | None = None
    note: str = ""


@dataclass(frozen=True)
class TemplateView:
    """An email template as the templates page shows it.

    `used_by` names the statuses whose email it is; `kind` is "status",
    "update_application_request" or "event".
    """

    key: str
    name: str
    kind: str
    subject: str
    body: str
    cc: str
    bcc: str
    used_by: list[str]
    updated_at_iso: str
    updated_by_name: str


# --- outreach events ---------------------------------------------------------


@dataclass(frozen=True)
class CandidateChoice:
    """A candidate offered in a picker."""

    id: int
    name: str
    email: str


@dataclass(frozen=True)
class RegistrantRow:
    """One candidate on an event's list.

    `review_state` is "pending", "approved" or "denied" ("approved" for
    everyone on an open event); `slot_id` is 0 outside a time slot.
    """

    id: int
    candidate_id: int
    name: str
    email: str
    law_school: str
    class_year: str
    joined_via: str
    joined_via_label: str
    review_state: str
    registered_at_iso: str
    slot_id: int
    slot_label: str


@dataclass(frozen=True)
class SlotRow:
    """A virtual-chat time slot and who is in it."""

    id: int
    starts_at_iso: str
    ends_at_iso: str
    label: str
    time_label: str
    capacity: int
    taken: int
    people: list[str]


@dataclass(frozen=True)
class HeldBackRow:
    """An event email a rule kept from a registrant, and why."""

    id: int
    candidate_id: int
    candidate_name: str
    email_kind_label: str
    reason: str
    created_at_iso: str


@dataclass(frozen=True)
class BatchRow:
    """A bulk send of an event email and how far it got."""

    id: int
    email_kind: str
    email_kind_label: str
    trigger: str
    requested_by_name: str
    created_at_iso: str
    eligible: int
    queued: int
    held_back: int
    finished: bool


@dataclass(frozen=True)
class EventDetail:
    """An event page: the event, its registrants, slots, sends and held-back emails.

    `registrants` holds at most `registrants_shown` rows of `registrant_total`.
    The `can_send_*` flags say which bulk sends make sense now; `send_notes`
    says why the others do not.
    """

    id: int
    name: str
    type: str
    type_label: str
    invite_only: bool
    description: str
    starts_at_iso: str
    ends_at_iso: str
    location: str
    meeting_link: str
    registration_link: str
    final_schedule_sent_at_iso: str
    deleted_at_iso: str
    is_deleted: bool
    has_slots: bool
    registrants: list[RegistrantRow]
    registrant_total: int
    pending: int
    approved: int
    denied: int
    slots: list[SlotRow]
    batches: list[BatchRow]
    held_back: list[HeldBackRow]
    held_back_total: int
    can_send: dict[str, bool]
    send_notes: dict[str, str]


@dataclass(frozen=True)
class EventActionResult:
    """What happened to one registrant in an event action.

    `outcome` is "done", "skipped" or "failed" (nothing of it was kept).
    `email` says which email was logged and queued, or why none was.
    """

    registration_id: int
    candidate_name: str
    outcome: str
    message: str
    communication_id: int | None = None


@dataclass(frozen=True)
class EventActionReport:
    """The results of an action on several registrants."""

    results: list[EventActionResult]
    done: int
    skipped: int
    failed: int
    emails: int


@dataclass(frozen=True)
class BatchProgress:
    """How far a bulk send has got."""

    batch_id: int
    email_kind_label: str
    eligible: int
    queued: int
    held_back: int
    finished: bool


@dataclass(frozen=True)
class PublicEventView:
    """What the public registration page shows about an event."""

    name: str
    type_label: str
    invite_only: bool
    description: str
    starts_at_iso: str
    ends_at_iso: str
    when_text: str
    location: str
    is_open_for_registration: bool
    closed_reason: str


@dataclass(frozen=True)
class RegistrationOutcome:
    """What the public registration page says after a registration."""

    already_registered: bool
    pending_review: bool
    message: str


@dataclass(frozen=True)
class FailedEmailView:
    """An email the outbox could not deliver (yet), for the admins' Delivery page.

    `gave_up` is True once every attempt is used; until then the dispatcher
    tries again at `next_attempt_at_iso`.
    """

    id: int
    subject: str
    recipients: str
    attempts: int
    last_error: str
    created_at_iso: str
    next_attempt_at_iso: str
    gave_up: bool
