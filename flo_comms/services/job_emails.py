"""Job emails: status changes, update-application requests, and the public update page.

What the job page calls:

- `get_job`: a job, its applications and the status picker, in two queries.
- `preview_status_change` and `change_status` (admins): the email a status
  change sends, and the change itself. Each application changes in a
  transaction of its own, holding together the new status, the history row
  and, when the status has a template, the logged communication and its
  outbox row: a failure keeps none of them, and does not stop the rest of
  the batch.
- `send_update_requests` (admins): asks candidates to update their
  application through a single-use, expiring link.
- `get_update_request` and `submit_update`: the public page behind that link.

Who gets a job email. A status email goes to the candidate, or, for an
application an agency submitted, to the agency's recruiter; either way it is
on the candidate's timeline. An update-application request asks the
*candidate* to act, so it always goes to the candidate, with the agency's
recruiter in CC when an agency submitted the application (they represent the
candidate and should know).

The merge-field context, the recipient and the participant list are built by
the pure functions `job_email_context`, `job_email_recipient` and
`system_email_participants` (the demo data builds its status emails with the
first two). Emails are queued with `outbox.queue_email`, in the same
transaction as their communication.

Every argument is checked here, types included: they arrive from event
handlers, which any websocket client can call with anything.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from flo_comms.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from flo_comms.models import (
    Agency,
    AgencyContact,
    Application,
    ApplicationStatus,
    ApplicationStatusChange,
    ApplicationUpdate,
    ApplicationUpdateToken,
    Candidate,
    CandidateSource,
    ClassYear,
    CommunicationOrigin,
    CommunicationType,
    EmailKind,
    EmailTemplate,
    Job,
    ParticipantRole,
    utcnow,
)
from flo_comms.schemas import (
    ApplicationUpdateInput,
    EmailPreview,
    JobApplicationRow,
    JobDetail,
    StatusChangeReport,
    StatusChangeResult,
    StatusOption,
    UpdateRequestReport,
    UpdateRequestResult,
    UpdateRequestView,
)
from flo_comms.services.auth import require_admin
from flo_comms.services.communications import ParticipantSpec, write_communication
from flo_comms.services.defaults import UPDATE_APPLICATION_REQUEST_KEY
from flo_comms.services.email_render import parse_address_list, render_template
from flo_comms.services.outbox import queue_email
from flo_comms.settings import settings

logger = logging.getLogger(__name__)

MAX_APPLICATIONS = 100
"""Applications one status change or update request may cover."""

UPDATE_REQUEST_TRIGGER = "update application request"
DEFAULT_VALID_FOR = timedelta(days=14)
MIN_VALID_FOR = timedelta(hours=1)
MAX_VALID_FOR = timedelta(days=90)
MAX_PHONE_LENGTH = 40
MAX_LAW_SCHOOL_LENGTH = 160
MAX_NOTE_LENGTH = 2000
EARLIEST_GRADUATION_YEAR = 1990
LATEST_GRADUATION_YEAR = 2100

LINK_EXPIRED = "This link has expired"
LINK_USED = "This link has already been used"
LINK_UNKNOWN = "This link is not valid. Check that you copied the whole link from the email."

_MAX_ID = 2**31 - 1  # PostgreSQL `integer`: a larger bound parameter is an error, not a miss
_TOKEN_BYTES = 32  # 256 bits
_TOKEN_LENGTH = (20, 100)
_UNEXPECTED = "Something went wrong, so nothing was changed for this application. Try again."
_UNEXPECTED_REQUEST = "Something went wrong, so this request was not sent. Try again."
_CHANGED_MEANWHILE = (
    "Someone else changed this application's status meanwhile; reload the page and try again."
)
_GONE = "This application no longer exists."

_APP = Application.__table__
_CANDIDATE = Candidate.__table__
_JOB = Job.__table__
_CONTACT = AgencyContact.__table__
_AGENCY = Agency.__table__
_STATUS = ApplicationStatus.__table__
_TEMPLATE = EmailTemplate.__table__
_CHANGE = ApplicationStatusChange.__table__
_TOKEN = ApplicationUpdateToken.__table__
_UPDATE = ApplicationUpdate.__table__


# --- building job emails: pure functions ----------------------------------------------


def update_link(token: str) -> str:
    """The public page where a candidate updates an application with this token."""
    return f"{settings.public_url}/update/{token}"


def job_email_context(
    *,
    candidate_first_name: str,
    candidate_last_name: str,
    job_name: str,
    job_office: str,
    sender_name: str,
    sender_email: str,
    status: str = "",
    agency_name: str = "",
    agency_contact_name: str = "",
    to_agency: bool = False,
    update_link: str = "",
) -> dict[str, str]:
    """The merge fields of a job email (see `email_render` for what each means).

    Args:
        candidate_first_name: The candidate the email is about.
        candidate_last_name: Their last name.
        job_name: The job applied to.
        job_office: Its office.
        sender_name: The member whose action sends the email.
        sender_email: Their address.
        status: The application's (new) status.
        agency_name: The submitting agency, "" for a direct application.
        agency_contact_name: Its recruiter, "" for a direct application.
        to_agency: Whether the email is addressed to the agency's recruiter
            (then `recipient_name` is theirs, not the candidate's).
        update_link: The update page's link (update-application requests).

    Returns:
        Every field a job email can use, as strings.
    """
    candidate_name = f"{candidate_first_name} {candidate_last_name}"
    recipient = agency_contact_name if to_agency and agency_contact_name else candidate_name
    recipient_first = recipient.split()[0] if recipient.split() else recipient
    return {
        "candidate_first_name": candidate_first_name,
        "candidate_last_name": candidate_last_name,
        "candidate_name": candidate_name,
        "recipient_name": recipient,
        "recipient_first_name": recipient_first,
        "agency_name": agency_name,
        "agency_contact_name": agency_contact_name,
        "job_name": job_name,
        "job_office": job_office,
        "status": status,
        "firm_name": settings.firm_name,
        "sender_name": sender_name,
        "sender_email": sender_email,
        "update_link": update_link,
    }


def job_email_recipient(
    *,
    candidate_id: int,
    candidate_name: str,
    candidate_email: str,
    agency_contact_id: int | None = None,
    agency_contact_name: str = "",
    agency_contact_email: str = "",
    role: ParticipantRole = ParticipantRole.TO,
) -> ParticipantSpec:
    """Whom a status email goes to: the agency's recruiter when there is one, else the candidate."""
    if agency_contact_id is not None:
        return ParticipantSpec(
            role=role,
            display_name=agency_contact_name,
            email=agency_contact_email,
            agency_contact_id=agency_contact_id,
        )
    return ParticipantSpec(
        role=role, display_name=candidate_name, email=candidate_email, candidate_id=candidate_id
    )


def system_email_participants(
    *,
    sender_id: int,
    sender_name: str,
    sender_email: str,
    to: Sequence[ParticipantSpec],
    cc: Sequence[ParticipantSpec | str] = (),
    bcc: Sequence[str] = (),
) -> list[ParticipantSpec]:
    """The participants of a system email: FROM the member who acted, then To, CC and BCC.

    CC and BCC given as strings are bare addresses (from a template).
    """
    participants = [
        ParticipantSpec(
            role=ParticipantRole.FROM,
            display_name=sender_name,
            email=sender_email,
            member_id=sender_id,
        ),
        *to,
    ]
    for role, people in ((ParticipantRole.CC, cc), (ParticipantRole.BCC, bcc)):
        for person in people:
            if isinstance(person, str):
                participants.append(ParticipantSpec(role=role, display_name=person, email=person))
            else:
                participants.append(person)
    return participants


# --- checks -------------------------------------------------------------------------------


def is_id(value: object) -> bool:
    """Whether a value is a usable row id (an int, not a bool, within `integer`)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_ID


def checked_now(now: object) -> datetime:
    if now is None:
        return utcnow()
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise Invalid("`now` must be a timezone-aware datetime.")
    return now.astimezone(UTC)


def _checked_application_ids(application_ids: object) -> list[int]:
    """The ids, without repeats, in order; 1 to `MAX_APPLICATIONS` of them."""
    if not isinstance(application_ids, list | tuple):
        raise Invalid("Select the applications from the list.")
    if len(application_ids) > MAX_APPLICATIONS:
        raise Invalid(
            f"Select at most {MAX_APPLICATIONS} applications at a time"
            f" ({len(application_ids)} are selected)."
        )
    if not all(is_id(i) for i in application_ids):
        raise Invalid("Select the applications from the list.")
    if not application_ids:
        raise Invalid("Select at least one application.")
    return list(dict.fromkeys(application_ids))


@dataclass(frozen=True)
class Actor:
    id: int
    name: str
    email: str


def admin_actor(session: Session, actor_id: object) -> Actor:
    """The acting member if they are an active admin, as plain data.

    Copied out of the ORM object at once: after the first commit of a batch
    an expired object would be read again.

    Raises:
        NotAllowed: Anyone else.
    """
    if not is_id(actor_id):
        raise NotAllowed("Only admins can do this.")
    member = require_admin(session=session, actor_id=actor_id)
    return Actor(id=actor_id, name=member.name, email=member.email)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _AppFacts:
    """What a job email needs to know about one application, read in bulk."""

    id: int
    candidate_id: int
    first_name: str
    last_name: str
    candidate_email: str
    job_id: int
    job_name: str
    job_office: str
    status_id: int
    status_name: str
    source: str
    contact_id: int | None
    contact_name: str
    contact_email: str
    agency_name: str

    @property
    def candidate_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def via_agency(self) -> bool:
        """Whether an agency submitted it (and so its recruiter gets the status emails)."""
        return self.contact_id is not None and self.source == CandidateSource.AGENCY.value


_FACTS = (
    sa.select(
        _APP.c.id,
        _APP.c.candidate_id,
        _CANDIDATE.c.first_name,
        _CANDIDATE.c.last_name,
        _CANDIDATE.c.email.label("candidate_email"),
        _APP.c.job_id,
        _JOB.c.name.label("job_name"),
        _JOB.c.office.label("job_office"),
        _APP.c.status_id,
        _STATUS.c.name.label("status_name"),
        _APP.c.source,
        _APP.c.agency_contact_id.label("contact_id"),
        _CONTACT.c.name.label("contact_name"),
        _CONTACT.c.email.label("contact_email"),
        _AGENCY.c.name.label("agency_name"),
    )
    .select_from(_APP)
    .join(_CANDIDATE, _CANDIDATE.c.id == _APP.c.candidate_id)
    .join(_JOB, _JOB.c.id == _APP.c.job_id)
    .join(_STATUS, _STATUS.c.id == _APP.c.status_id)
    .outerjoin(_CONTACT, _CONTACT.c.id == _APP.c.agency_contact_id)
    .outerjoin(_AGENCY, _AGENCY.c.id == _CONTACT.c.agency_id)
    .where(_APP.c.id.in_(sa.bindparam("ids", expanding=True)))
)


def _facts(session: Session, ids: Sequence[int]) -> dict[int, _AppFacts]:
    """The applications among `ids` that exist, with their candidate, job and agency."""
    rows = session.connection().execute(_FACTS, {"ids": list(ids)})
    return {
        row.id: _AppFacts(
            id=row.id,
            candidate_id=row.candidate_id,
            first_name=row.first_name,
            last_name=row.last_name,
            candidate_email=row.candidate_email,
            job_id=row.job_id,
            job_name=row.job_name,
            job_office=row.job_office,
            status_id=row.status_id,
            status_name=row.status_name,
            source=row.source,
            contact_id=row.contact_id,
            contact_name=row.contact_name or "",
            contact_email=row.contact_email or "",
            agency_name=row.agency_name or "",
        )
        for row in rows
    }


@dataclass(frozen=True)
class SystemTemplate:
    key: str
    subject: str
    body: str
    cc: list[str]
    bcc: list[str]


@dataclass(frozen=True)
class _Status:
    id: int
    name: str
    template: SystemTemplate | None


def _template_of(row: Any) -> SystemTemplate:
    """A template row as plain data; its stored CC and BCC must still be addresses."""
    try:
        cc, bcc = parse_address_list(row.cc), parse_address_list(row.bcc)
    except Invalid as exc:
        raise Invalid(f"The email template's CC or BCC needs fixing: {exc}") from None
    return SystemTemplate(key=row.key, subject=row.subject, body=row.body, cc=cc, bcc=bcc)


def _target_status(session: Session, status_id: object) -> _Status:
    """The status to change to, with its template (one query).

    Raises:
        NotFound: No such status.
        Invalid: Not a status id, an archived status, or its template's CC/BCC is broken.
    """
    if not is_id(status_id):
        raise Invalid("Choose a status from the list.")
    row = (
        session.connection()
        .execute(
            sa.select(
                _STATUS.c.name,
                _STATUS.c.is_archived,
                _TEMPLATE.c.key,
                _TEMPLATE.c.subject,
                _TEMPLATE.c.body,
                _TEMPLATE.c.cc,
                _TEMPLATE.c.bcc,
            )
            .select_from(_STATUS)
            .outerjoin(_TEMPLATE, _TEMPLATE.c.id == _STATUS.c.email_template_id)
            .where(_STATUS.c.id == status_id)
        )
        .first()
    )
    if row is None:
        raise NotFound("This status does not exist.")
    if row.is_archived:
        raise Invalid(f"The status {row.name} is archived; choose another one.")
    template = _template_of(row) if row.key is not None else None
    return _Status(id=status_id, name=row.name, template=template)


def template_by_key(session: Session, key: str) -> SystemTemplate:
    row = (
        session.connection()
        .execute(
            sa.select(
                _TEMPLATE.c.key,
                _TEMPLATE.c.subject,
                _TEMPLATE.c.body,
                _TEMPLATE.c.cc,
                _TEMPLATE.c.bcc,
            ).where(_TEMPLATE.c.key == key)
        )
        .first()
    )
    if row is None:
        raise NotFound("The email template for this email is missing; ask an admin to restore it.")
    return _template_of(row)


_JOB_PAGE = (
    sa.select(
        _JOB.c.name,
        _JOB.c.office,
        _JOB.c.department,
        _JOB.c.position_type,
        _JOB.c.process_year,
        _APP.c.id.label("application_id"),
        _APP.c.candidate_id,
        _CANDIDATE.c.first_name,
        _CANDIDATE.c.last_name,
        _CANDIDATE.c.email,
        _APP.c.status_id,
        _STATUS.c.name.label("status_name"),
        _APP.c.source,
        _AGENCY.c.name.label("agency_name"),
        _CONTACT.c.name.label("contact_name"),
        _APP.c.updated_at,
    )
    .select_from(_JOB)
    .outerjoin(_APP, _APP.c.job_id == _JOB.c.id)
    .outerjoin(_CANDIDATE, _CANDIDATE.c.id == _APP.c.candidate_id)
    .outerjoin(_STATUS, _STATUS.c.id == _APP.c.status_id)
    .outerjoin(_CONTACT, _CONTACT.c.id == _APP.c.agency_contact_id)
    .outerjoin(_AGENCY, _AGENCY.c.id == _CONTACT.c.agency_id)
    .where(_JOB.c.id == sa.bindparam("job_id"))
    .order_by(_CANDIDATE.c.last_name, _CANDIDATE.c.first_name, _APP.c.id)
)

_STATUS_OPTIONS = (
    sa.select(_STATUS.c.id, _STATUS.c.name, _STATUS.c.email_template_id.is_not(None))
    .where(_STATUS.c.is_archived.is_(False))
    .order_by(_STATUS.c.position, _STATUS.c.id)
)


def list_status_options(*, session: Session) -> list[StatusOption]:
    """The statuses an application can be moved to, in hiring order (archived ones left out)."""
    rows = session.connection().execute(_STATUS_OPTIONS)
    return [StatusOption(id=i, name=name, has_template=bool(has)) for i, name, has in rows]


def get_job(*, session: Session, job_id: int) -> JobDetail:
    """A job with its applications, by candidate name, and the status picker's options.

    Two queries: the job joined with its applications, candidates, statuses
    and agencies; and the statuses.

    Raises:
        NotFound: No such job.
    """
    if not is_id(job_id):
        raise NotFound("This job does not exist.")
    rows = session.connection().execute(_JOB_PAGE, {"job_id": job_id}).all()
    if not rows:
        raise NotFound("This job does not exist.")
    job = rows[0]
    applications = [
        JobApplicationRow(
            id=row.application_id,
            candidate_id=row.candidate_id,
            candidate_name=f"{row.first_name} {row.last_name}",
            candidate_email=row.email,
            status_id=row.status_id,
            status_name=row.status_name,
            source=row.source,
            agency_name=row.agency_name or "",
            agency_contact_name=row.contact_name or "",
            updated_at_iso=_iso(row.updated_at),
        )
        for row in rows
        if row.application_id is not None
    ]
    return JobDetail(
        id=job_id,
        name=job.name,
        office=job.office,
        department=job.department,
        position_type=job.position_type,
        process_year=job.process_year,
        applications=applications,
        statuses=list_status_options(session=session),
    )


# --- status changes ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Email:
    """A job email ready to log and queue."""

    to: ParticipantSpec
    cc: list[ParticipantSpec | str]
    bcc: list[str]
    subject: str
    body: str

    def cc_addresses(self) -> list[str]:
        return unique_addresses(p if isinstance(p, str) else p.email or "" for p in self.cc)


def unique_addresses(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def _application_context(
    facts: _AppFacts, actor: Actor, *, status: str, to_agency: bool = False, update_link: str = ""
) -> dict[str, str]:
    """The merge fields of an email about one application, sent by `actor`."""
    agency = facts.via_agency
    return job_email_context(
        candidate_first_name=facts.first_name,
        candidate_last_name=facts.last_name,
        job_name=facts.job_name,
        job_office=facts.job_office,
        sender_name=actor.name,
        sender_email=actor.email,
        status=status,
        agency_name=facts.agency_name if agency else "",
        agency_contact_name=facts.contact_name if agency else "",
        to_agency=to_agency,
        update_link=update_link,
    )


def _status_email(facts: _AppFacts, status: _Status, actor: Actor) -> _Email | None:
    """The status email for one application, or None when the status sends none."""
    template = status.template
    if template is None:
        return None
    agency = facts.via_agency
    context = _application_context(facts, actor, status=status.name, to_agency=agency)
    rendered = render_template(subject=template.subject, body=template.body, context=context)
    to = job_email_recipient(
        candidate_id=facts.candidate_id,
        candidate_name=facts.candidate_name,
        candidate_email=facts.candidate_email,
        agency_contact_id=facts.contact_id if agency else None,
        agency_contact_name=facts.contact_name,
        agency_contact_email=facts.contact_email,
    )
    return _Email(
        to=to, cc=list(template.cc), bcc=list(template.bcc), subject=rendered.subject,
        body=rendered.body,
    )  # fmt: skip


def _preview(facts: _AppFacts, email: _Email) -> EmailPreview:
    return EmailPreview(
        application_id=facts.id,
        candidate_id=facts.candidate_id,
        candidate_name=facts.candidate_name,
        recipient_kind="agency_contact" if email.to.agency_contact_id else "candidate",
        recipient_name=email.to.display_name,
        recipient_email=email.to.email or "",
        cc=email.cc_addresses(),
        bcc=list(email.bcc),
        subject=email.subject,
        body=email.body,
    )


def preview_status_change(
    *, session: Session, actor_id: int, application_ids: list[int], status_id: int
) -> list[EmailPreview]:
    """The emails a status change would send, one per application; nothing is written.

    Applications already in that status (the change would skip them) and
    applications that no longer exist are left out; so is everything when
    the status has no email template.

    Args:
        session: An open session.
        actor_id: The signed-in member (from the server's session).
        application_ids: 1 to 100 applications.
        status_id: The new status.

    Returns:
        The previews, in the order of `application_ids`.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No such status.
        Invalid: Bad arguments, an archived status, or a template that cannot be filled in.
    """
    actor = admin_actor(session, actor_id)
    ids = _checked_application_ids(application_ids)
    status = _target_status(session, status_id)
    if status.template is None:
        return []
    facts = _facts(session, ids)
    previews = []
    for application_id in ids:
        app = facts.get(application_id)
        if app is None or app.status_id == status.id:
            continue
        email = _status_email(app, status, actor)
        if email is not None:
            previews.append(_preview(app, email))
    return previews


_MOVE = (
    sa.update(_APP)
    .where(_APP.c.id == sa.bindparam("app_id"), _APP.c.status_id == sa.bindparam("from_id"))
    .values(status_id=sa.bindparam("to_id"), updated_at=sa.bindparam("now"))
)
_ADD_CHANGE = sa.insert(_CHANGE).returning(_CHANGE.c.id)


def _log_and_queue(
    session: Session,
    email: _Email,
    *,
    actor: Actor,
    about_candidate_id: int,
    now: datetime,
    email_kind: EmailKind,
    trigger: str,
    job_id: int,
    application_id: int,
) -> int:
    """Writes the communication of a job email (flushed); returns its id."""
    participants = system_email_participants(
        sender_id=actor.id,
        sender_name=actor.name,
        sender_email=actor.email,
        to=[email.to],
        cc=email.cc,
        bcc=email.bcc,
    )
    communication = write_communication(
        session,
        type=CommunicationType.EMAIL,
        origin=CommunicationOrigin.SYSTEM,
        occurred_at=now,
        subject=email.subject,
        body=email.body,
        participants=participants,
        about_candidate_ids=[about_candidate_id],
        triggered_by_id=actor.id,
        email_kind=email_kind.value,
        trigger=trigger,
        job_id=job_id,
        application_id=application_id,
    )
    return communication.id


def _change_one(
    session: Session, app: _AppFacts, status: _Status, actor: Actor, now: datetime
) -> tuple[int, int | None]:
    """Changes one application's status, in the session's current transaction (not committed).

    Returns:
        The status change's id, and the communication's (None without an email).
    """
    email = _status_email(app, status, actor)  # rendered first: a broken template writes nothing
    connection = session.connection()
    moved = connection.execute(
        _MOVE, {"app_id": app.id, "from_id": app.status_id, "to_id": status.id, "now": now}
    )
    if moved.rowcount != 1:
        raise Conflict(_CHANGED_MEANWHILE)
    communication_id = None
    if email is not None:
        communication_id = _log_and_queue(
            session,
            email,
            actor=actor,
            about_candidate_id=app.candidate_id,
            now=now,
            email_kind=EmailKind.JOB_STATUS,
            trigger=f"status changed to {status.name}",
            job_id=app.job_id,
            application_id=app.id,
        )
    change_id = connection.execute(
        _ADD_CHANGE,
        {
            "application_id": app.id,
            "from_status_id": app.status_id,
            "to_status_id": status.id,
            "changed_by_id": actor.id,
            "changed_at": now,
            "communication_id": communication_id,
        },
    ).scalar_one()
    if email is not None:
        queue_email(
            session,
            communication_id=communication_id,
            idempotency_key=f"status-change:{change_id}",
            to=[email.to.email or ""],
            cc=email.cc_addresses(),
            bcc=email.bcc,
            subject=email.subject,
            body=email.body,
            reply_to=actor.email,
            now=now,
        )
    return change_id, communication_id


def _failure_message(exc: Exception, unexpected: str) -> str:
    """What to tell the admin about one application that failed."""
    if isinstance(exc, Invalid) and exc.field_errors:
        return f"The email could not be written from its template: {exc}"
    if isinstance(exc, DomainError):
        return str(exc)
    return unexpected


def change_status(
    *,
    session: Session,
    actor_id: int,
    application_ids: list[int],
    status_id: int,
    now: datetime | None = None,
) -> StatusChangeReport:
    """Moves applications to a status, sending and logging its email when it has a template.

    Each application changes in a transaction of its own (committed before
    the next one starts) that holds its new status and `updated_at`, the
    status history row, and, when the status has a template, the
    communication (on the candidate's timeline; to the agency's recruiter for
    an agency-submitted application) and exactly one outbox row. When
    anything fails, that transaction is rolled back whole and the
    application is reported as failed; the others go on. An application that
    already has the status is skipped; one whose status someone else changed
    since it was read fails (nothing is overwritten).

    Args:
        session: An open session; this commits (once per application).
        actor_id: The signed-in member (from the server's session).
        application_ids: 1 to 100 applications (repeats are ignored).
        status_id: The new status.
        now: The time of the change (aware); the clock by default.

    Returns:
        One result per application, in the order given, and the ids of the
        communications logged.

    Raises:
        NotAllowed: The actor is not an active admin (nothing changes).
        NotFound: No such status.
        Invalid: Bad arguments, or an archived status.
    """
    now = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        ids = _checked_application_ids(application_ids)
        status = _target_status(session, status_id)
        facts = _facts(session, ids)
    except BaseException:
        session.rollback()
        raise
    results: list[StatusChangeResult] = []
    for application_id in ids:
        app = facts.get(application_id)
        if app is None:
            results.append(_result(application_id, "", "failed", _GONE))
            continue
        if app.status_id == status.id:
            results.append(
                _result(app.id, app.candidate_name, "skipped", f"Already {status.name}.")
            )
            continue
        try:
            change_id, communication_id = _change_one(session, app, status, actor, now)
            session.commit()
        except Exception as exc:
            session.rollback()
            if not isinstance(exc, DomainError):
                logger.exception("status change of application %s failed", app.id)
            message = _failure_message(exc, _UNEXPECTED)
            results.append(_result(app.id, app.candidate_name, "failed", message))
            continue
        except BaseException:
            session.rollback()
            raise
        message = f"Moved to {status.name}" + (
            "; email logged and queued." if communication_id else "."
        )
        results.append(
            _result(app.id, app.candidate_name, "changed", message, change_id, communication_id)
        )
    return StatusChangeReport(
        status_id=status.id,
        status_name=status.name,
        results=results,
        communication_ids=[r.communication_id for r in results if r.communication_id],
        changed=sum(r.outcome == "changed" for r in results),
        skipped=sum(r.outcome == "skipped" for r in results),
        failed=sum(r.outcome == "failed" for r in results),
    )


def _result(
    application_id: int,
    candidate_name: str,
    outcome: str,
    message: str,
    status_change_id: int | None = None,
    communication_id: int | None = None,
) -> StatusChangeResult:
    return StatusChangeResult(
        application_id=application_id,
        candidate_name=candidate_name,
        outcome=outcome,
        message=message,
        status_change_id=status_change_id,
        communication_id=communication_id,
    )


# --- update-application requests ---------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _update_request_email(
    facts: _AppFacts, template: SystemTemplate, actor: Actor, link: str
) -> _Email:
    """The request goes to the candidate; an agency's recruiter is copied."""
    agency = facts.via_agency
    context = _application_context(facts, actor, status=facts.status_name, update_link=link)
    rendered = render_template(subject=template.subject, body=template.body, context=context)
    to = job_email_recipient(
        candidate_id=facts.candidate_id,
        candidate_name=facts.candidate_name,
        candidate_email=facts.candidate_email,
    )
    cc: list[ParticipantSpec | str] = []
    if agency:
        cc.append(
            job_email_recipient(
                candidate_id=facts.candidate_id,
                candidate_name=facts.candidate_name,
                candidate_email=facts.candidate_email,
                agency_contact_id=facts.contact_id,
                agency_contact_name=facts.contact_name,
                agency_contact_email=facts.contact_email,
                role=ParticipantRole.CC,
            )
        )
    known = {facts.contact_email.lower()} if agency else set()
    cc += [a for a in template.cc if a.lower() not in known]
    return _Email(
        to=to, cc=cc, bcc=list(template.bcc), subject=rendered.subject, body=rendered.body
    )


_ADD_TOKEN = sa.insert(_TOKEN).returning(_TOKEN.c.id)


def _request_one(
    session: Session,
    app: _AppFacts,
    template: SystemTemplate,
    actor: Actor,
    now: datetime,
    valid_for: timedelta,
) -> int:
    """Creates one token and its email, in the session's transaction; returns the communication."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    email = _update_request_email(app, template, actor, update_link(token))
    communication_id = _log_and_queue(
        session,
        email,
        actor=actor,
        about_candidate_id=app.candidate_id,
        now=now,
        email_kind=EmailKind.UPDATE_APPLICATION_REQUEST,
        trigger=UPDATE_REQUEST_TRIGGER,
        job_id=app.job_id,
        application_id=app.id,
    )
    token_id = (
        session.connection()
        .execute(
            _ADD_TOKEN,
            {
                "application_id": app.id,
                "token_hash": _token_hash(token),
                "created_at": now,
                "expires_at": now + valid_for,
                "used_at": None,
                "communication_id": communication_id,
            },
        )
        .scalar_one()
    )
    queue_email(
        session,
        communication_id=communication_id,
        idempotency_key=f"update-request:{token_id}",
        to=[email.to.email or ""],
        cc=email.cc_addresses(),
        bcc=email.bcc,
        subject=email.subject,
        body=email.body,
        reply_to=actor.email,
        now=now,
    )
    return communication_id


def send_update_requests(
    *,
    session: Session,
    actor_id: int,
    application_ids: list[int],
    now: datetime | None = None,
    valid_for: timedelta = DEFAULT_VALID_FOR,
) -> UpdateRequestReport:
    """Asks candidates to update their applications, through a personal single-use link.

    For each application, in a transaction of its own: a random 256-bit
    token (only its SHA-256 is stored) valid for `valid_for`, the "Update
    application request" email with the link, logged on the candidate's
    timeline (to the candidate; the agency's recruiter in CC for an
    agency-submitted application), and its outbox row. A failure keeps
    nothing of that application's request; the others go on.

    Args:
        session: An open session; this commits (once per application).
        actor_id: The signed-in member (from the server's session).
        application_ids: 1 to 100 applications (repeats are ignored).
        now: The time of sending (aware); the clock by default.
        valid_for: How long the link works: 1 hour to 90 days.

    Returns:
        One result per application, in the order given.

    Raises:
        NotAllowed: The actor is not an active admin (nothing is sent).
        NotFound: The update-request template is missing.
        Invalid: Bad arguments.
    """
    now = checked_now(now)
    try:
        actor = admin_actor(session, actor_id)
        ids = _checked_application_ids(application_ids)
        if not isinstance(valid_for, timedelta) or not (
            MIN_VALID_FOR <= valid_for <= MAX_VALID_FOR
        ):
            raise Invalid("A link must stay valid for between 1 hour and 90 days.")
        template = template_by_key(session, UPDATE_APPLICATION_REQUEST_KEY)
        facts = _facts(session, ids)
    except BaseException:
        session.rollback()
        raise
    results: list[UpdateRequestResult] = []
    for application_id in ids:
        app = facts.get(application_id)
        if app is None:
            results.append(UpdateRequestResult(application_id, "", "failed", _GONE, None))
            continue
        try:
            communication_id = _request_one(session, app, template, actor, now, valid_for)
            session.commit()
        except Exception as exc:
            session.rollback()
            if not isinstance(exc, DomainError):
                logger.exception("update request for application %s failed", app.id)
            message = _failure_message(exc, _UNEXPECTED_REQUEST)
            results.append(UpdateRequestResult(app.id, app.candidate_name, "failed", message, None))
            continue
        except BaseException:
            session.rollback()
            raise
        results.append(
            UpdateRequestResult(
                app.id,
                app.candidate_name,
                "sent",
                f"Update request sent to {app.candidate_name}.",
                communication_id,
            )
        )
    return UpdateRequestReport(
        results=results,
        communication_ids=[r.communication_id for r in results if r.communication_id],
        sent=sum(r.outcome == "sent" for r in results),
        failed=sum(r.outcome == "failed" for r in results),
    )


# --- the public update page --------------------------------------------------------------


def _checked_token(token: object) -> str:
    if (
        not isinstance(token, str)
        or not _TOKEN_LENGTH[0] <= len(token) <= _TOKEN_LENGTH[1]
        or not re.fullmatch(r"[A-Za-z0-9_-]+", token)
    ):
        raise NotFound(LINK_UNKNOWN)
    return _token_hash(token)


def _refuse_token(used_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    if used_at is not None:
        raise Invalid(LINK_USED)
    if expires_at <= now:
        raise Invalid(LINK_EXPIRED)


def get_update_request(
    *, session: Session, token: str, now: datetime | None = None
) -> UpdateRequestView:
    """What the public update page shows for a link (no sign-in: the token is the key).

    Raises:
        NotFound: Unknown token.
        Invalid: "This link has expired" or "This link has already been used".
    """
    now = checked_now(now)
    digest = _checked_token(token)
    row = (
        session.connection()
        .execute(
            sa.select(
                _TOKEN.c.used_at,
                _TOKEN.c.expires_at,
                _JOB.c.name.label("job_name"),
                _CANDIDATE.c.first_name,
                _CANDIDATE.c.phone,
                _CANDIDATE.c.law_school,
                _CANDIDATE.c.class_year,
                _CANDIDATE.c.graduation_year,
            )
            .select_from(_TOKEN)
            .join(_APP, _APP.c.id == _TOKEN.c.application_id)
            .join(_JOB, _JOB.c.id == _APP.c.job_id)
            .join(_CANDIDATE, _CANDIDATE.c.id == _APP.c.candidate_id)
            .where(_TOKEN.c.token_hash == digest)
        )
        .first()
    )
    if row is None:
        raise NotFound(LINK_UNKNOWN)
    _refuse_token(row.used_at, row.expires_at, now)
    return UpdateRequestView(
        job_name=row.job_name,
        candidate_first_name=row.first_name,
        phone=row.phone or "",
        law_school=row.law_school or "",
        class_year=row.class_year or "",
        graduation_year=str(row.graduation_year) if row.graduation_year is not None else "",
        expires_at_iso=_iso(row.expires_at),
        class_year_options=[year.value for year in ClassYear],
    )


@dataclass(frozen=True)
class _CleanUpdate:
    phone: str | None
    law_school: str | None
    class_year: str | None
    graduation_year: int | None
    note: str | None


def _text_field(value: object, limit: int, label: str, errors: dict[str, str], key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = f"Enter a {label}."
        return ""
    text = " ".join(value.split()) if key != "note" else value.replace("\r\n", "\n").strip()
    if "\x00" in text:
        errors[key] = f"The {label} contains a character that cannot be saved."
    elif len(text) > limit:
        errors[key] = f"Use at most {limit:,} characters (this one has {len(text):,})."
    return text


def _clean_update(data: object) -> _CleanUpdate:
    """Checks the update form, reporting every problem at once.

    Raises:
        Invalid: With `field_errors` keyed "phone", "law_school", "class_year",
            "graduation_year" and "note".
    """
    if not isinstance(data, ApplicationUpdateInput):
        raise Invalid("The form could not be read. Reload the page and try again.")
    errors: dict[str, str] = {}
    phone = _text_field(data.phone, MAX_PHONE_LENGTH, "phone number", errors, "phone")
    school = _text_field(data.law_school, MAX_LAW_SCHOOL_LENGTH, "law school", errors, "law_school")
    note = _text_field(data.note, MAX_NOTE_LENGTH, "note", errors, "note")
    class_year = data.class_year if data.class_year is not None else ""
    if not isinstance(class_year, str) or (
        class_year and class_year not in {y.value for y in ClassYear}
    ):
        errors["class_year"] = "Choose a class year from the list."
        class_year = ""
    year: object = data.graduation_year
    if isinstance(year, str):
        year = year.strip()
        if not year:
            year = None
        elif year.isascii() and year.isdigit() and len(year) <= 4:
            year = int(year)
    graduation_year: int | None = None
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int):
            errors["graduation_year"] = "Enter a year, such as 2027."
        elif not EARLIEST_GRADUATION_YEAR <= year <= LATEST_GRADUATION_YEAR:
            errors["graduation_year"] = (
                f"Enter a year between {EARLIEST_GRADUATION_YEAR} and {LATEST_GRADUATION_YEAR}."
            )
        else:
            graduation_year = year
    if errors:
        raise Invalid("Check the highlighted fields.", errors)
    return _CleanUpdate(
        phone=phone or None,
        law_school=school or None,
        class_year=class_year or None,
        graduation_year=graduation_year,
        note=note or None,
    )


_USE_TOKEN = (
    sa.update(_TOKEN)
    .where(
        _TOKEN.c.token_hash == sa.bindparam("digest"),
        _TOKEN.c.used_at.is_(None),
        _TOKEN.c.expires_at > sa.bindparam("now"),
    )
    .values(used_at=sa.bindparam("now"))
    .returning(_TOKEN.c.id, _TOKEN.c.application_id)
)


def submit_update(
    *, session: Session, token: str, data: ApplicationUpdateInput, now: datetime | None = None
) -> None:
    """Records what a candidate submitted through an update link, once.

    In one transaction: the token is spent by a conditional UPDATE (only
    while unused and unexpired, so of two submissions, even at the same
    moment, exactly one gets through), the submission is recorded, the
    candidate's phone, law school, class year and graduation year take the
    values given (a blank field keeps the current value), and the
    application's `updated_at` moves. Commits. The form is checked before the
    token is spent, so a mistake does not use up the link.

    Raises:
        NotFound: Unknown token.
        Invalid: A bad field (`field_errors`), or "This link has expired" or
            "This link has already been used".
    """
    now = checked_now(now)
    digest = _checked_token(token)
    clean = _clean_update(data)
    try:
        connection = session.connection()
        spent = connection.execute(_USE_TOKEN, {"digest": digest, "now": now}).first()
        if spent is None:
            row = connection.execute(
                sa.select(_TOKEN.c.used_at, _TOKEN.c.expires_at).where(
                    _TOKEN.c.token_hash == digest
                )
            ).first()
            if row is None:
                raise NotFound(LINK_UNKNOWN)
            _refuse_token(row.used_at, row.expires_at, now)
            raise Invalid(LINK_USED)  # spent by someone else between the two statements
        connection.execute(
            sa.insert(_UPDATE).values(
                application_id=spent.application_id,
                token_id=spent.id,
                submitted_at=now,
                phone=clean.phone,
                law_school=clean.law_school,
                class_year=clean.class_year,
                graduation_year=clean.graduation_year,
                note=clean.note,
            )
        )
        changes = {
            name: value
            for name, value in (
                ("phone", clean.phone),
                ("law_school", clean.law_school),
                ("class_year", clean.class_year),
                ("graduation_year", clean.graduation_year),
            )
            if value is not None
        }
        if changes:
            candidate_id = (
                sa.select(_APP.c.candidate_id)
                .where(_APP.c.id == spent.application_id)
                .scalar_subquery()
            )
            connection.execute(
                sa.update(_CANDIDATE).where(_CANDIDATE.c.id == candidate_id).values(**changes)
            )
        connection.execute(
            sa.update(_APP).where(_APP.c.id == spent.application_id).values(updated_at=now)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
