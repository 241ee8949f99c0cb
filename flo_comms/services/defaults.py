"""The firm's starting configuration: application statuses and email templates.

`ensure_defaults` is safe to run at every start and from every process at
once: it only ever adds what is missing. It never changes a template an
admin has edited, and it leaves the statuses alone once the firm has any
(they are the firm's to rename, reorder or archive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from flo_comms.models import ApplicationStatus, EmailKind, EmailTemplate, utcnow

UPDATE_APPLICATION_REQUEST_KEY = "update_application_request"

DEFAULT_STATUSES: tuple[str, ...] = (
    "Applied",
    "Under Review",
    "Interview Scheduled",
    "Callback",
    "Offer Extended",
    "Offer Accepted",
    "Offer Declined",
    "Rejected",
    "Withdrawn",
)
"""The default hiring steps, in order."""

EVENT_EMAIL_KINDS: tuple[EmailKind, ...] = tuple(
    kind for kind in EmailKind if kind.value.startswith("event_")
)


def status_template_key(status_name: str) -> str:
    """The template key of a status's email ("Callback" -> "status:callback")."""
    return "status:" + "-".join(status_name.lower().split())


def event_template_key(kind: EmailKind | str) -> str:
    """The template key of an event email: "event:event_reminder"."""
    return f"event:{EmailKind(kind).value}"


@dataclass(frozen=True)
class DefaultTemplate:
    """A template the product ships with."""

    key: str
    name: str
    subject: str
    body: str


_SIGNATURE = """
Best regards,

{{ sender_name }}
Legal Recruiting
{{ firm_name }}"""

_EVENT_DETAILS = """Date: {{ event_date }}
Time: {{ event_time }}
{% if event_location %}
Location: {{ event_location }}
{% endif %}
{% if meeting_link %}
Join online: {{ meeting_link }}
{% endif %}
"""


def _status(status_name: str, subject: str, body: str) -> DefaultTemplate:
    return DefaultTemplate(
        key=status_template_key(status_name),
        name=f"Status email: {status_name}",
        subject=subject,
        body=body.strip("\n") + "\n" + _SIGNATURE,
    )


def _event(kind: EmailKind, name: str, subject: str, body: str) -> DefaultTemplate:
    return DefaultTemplate(
        key=event_template_key(kind),
        name=f"Event email: {name}",
        subject=subject,
        body=body.strip("\n") + "\n" + _SIGNATURE,
    )


STATUS_TEMPLATES: tuple[DefaultTemplate, ...] = (
    _status(
        "Under Review",
        "Application under review: {{ job_name }}{% if agency_name %}"
        " - {{ candidate_name }}{% endif %}",
        """
Dear {{ recipient_first_name }},

{% if agency_name %}
Thank you for submitting {{ candidate_name }} for the {{ job_name }}. \
{{ candidate_first_name }}'s application is now under review by our hiring committee.
{% else %}
Thank you for applying to the {{ job_name }} at {{ firm_name }}. Your application is now \
under review by our hiring committee.
{% endif %}

We give every application careful consideration and expect to be in touch within the next \
two to three weeks. In the meantime, please do not hesitate to contact me with any questions.
""",
    ),
    _status(
        "Interview Scheduled",
        "Interview invitation: {{ job_name }}{% if agency_name %}"
        " - {{ candidate_name }}{% endif %}",
        """
Dear {{ recipient_first_name }},

{% if agency_name %}
Thank you for submitting {{ candidate_name }} for the {{ job_name }}. We were impressed by \
{{ candidate_first_name }}'s background and would like to invite {{ candidate_first_name }} \
to interview with {{ firm_name }}.
{% else %}
Thank you for your interest in the {{ job_name }}. We were impressed by your background and \
would like to invite you to interview with {{ firm_name }}.
{% endif %}

Interviews take place in our {{ job_office }} office and consist of conversations with two \
partners and two associates, about 30 minutes each. A member of our team will follow up \
shortly with available dates and times{% if agency_name %}; please let us know \
{{ candidate_first_name }}'s availability{% endif %}.

Should you need any accommodation for the interview, just let us know.
""",
    ),
    _status(
        "Callback",
        "Callback interview invitation: {{ job_name }}{% if agency_name %}"
        " - {{ candidate_name }}{% endif %}",
        """
Dear {{ recipient_first_name }},

{% if agency_name %}
Our interviewers very much enjoyed meeting {{ candidate_name }}, and we are pleased to invite \
{{ candidate_first_name }} back for a callback interview for the {{ job_name }}.
{% else %}
Our interviewers very much enjoyed meeting you, and we are pleased to invite you back for a \
callback interview for the {{ job_name }}.
{% endif %}

Callback interviews are held in our {{ job_office }} office over half a day: four interviews \
with partners and associates, followed by lunch with members of our associate class. \
Reasonable travel expenses are reimbursed under our candidate travel policy.

Our recruiting coordinator will be in touch in the next few days to find a date that works.
""",
    ),
    _status(
        "Offer Extended",
        "Offer of employment: {{ job_name }}{% if agency_name %} - {{ candidate_name }}{% endif %}",
        """
Dear {{ recipient_first_name }},

{% if agency_name %}
On behalf of {{ firm_name }}, I am delighted to let you know that we are extending an offer \
to {{ candidate_name }} to join the {{ job_name }}. The formal offer letter, including \
compensation details, will follow under separate cover.
{% else %}
On behalf of {{ firm_name }}, I am delighted to offer you a position in the {{ job_name }}. \
Your formal offer letter, including compensation details, will follow under separate cover.
{% endif %}

We would be glad to arrange conversations with partners and associates in any of our \
practice groups while the offer is under consideration. Please let us know the decision by \
the date stated in the offer letter.

Congratulations, and welcome!
""",
    ),
    _status(
        "Rejected",
        "Your application to {{ firm_name }}: {{ job_name }}{% if agency_name %}"
        " - {{ candidate_name }}{% endif %}",
        """
Dear {{ recipient_first_name }},

{% if agency_name %}
Thank you for submitting {{ candidate_name }} for the {{ job_name }}. After careful \
consideration, we have decided not to move forward with {{ candidate_first_name }}'s \
candidacy at this time.
{% else %}
Thank you for your interest in the {{ job_name }} and for the time you spent with us. After \
careful consideration, we are unable to offer you a position at this time.
{% endif %}

We received applications from many highly qualified candidates this year, and this decision \
was not an easy one. We appreciate the time invested in the process and wish \
{% if agency_name %}{{ candidate_first_name }}{% else %}you{% endif %} every success.
""",
    ),
)
"""Default status emails; the rest of the default statuses send nothing."""

UPDATE_APPLICATION_REQUEST_TEMPLATE = DefaultTemplate(
    key=UPDATE_APPLICATION_REQUEST_KEY,
    name="Update application request",
    subject="Please update your application: {{ job_name }}",
    body="""Dear {{ recipient_first_name }},

As our hiring committee continues its review of applications for the {{ job_name }}, we would \
be grateful if you could update your application with your most recent information, such as \
your current transcript, class year and contact details.

You can update your application here:
{{ update_link }}

The link is personal to you and expires in 14 days. If you have any trouble with it, simply \
reply to this email.
"""
    + _SIGNATURE,
)

EVENT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    _event(
        EmailKind.EVENT_REGISTRATION_CONFIRMATION,
        "Registration confirmation",
        "Registration received: {{ event_name }}",
        """
Dear {{ candidate_first_name }},

Thank you for registering for our {{ event_type }}, {{ event_name }}.

"""
        + _EVENT_DETAILS
        + """
{% if invite_only %}
Space at this event is limited. Our team reviews every registration and will email you \
shortly to let you know whether we are able to confirm your place.
{% else %}
Your place is confirmed. We will send the final schedule and a reminder closer to the date.
{% endif %}
""",
    ),
    _event(
        EmailKind.EVENT_PROFILE_REQUEST,
        "Profile request",
        "Complete your profile for {{ event_name }}",
        """
Dear {{ candidate_first_name }},

You have been added to the guest list for our {{ event_type }}, {{ event_name }}.

"""
        + _EVENT_DETAILS
        + """
To complete your registration, please fill in your candidate profile (law school, class \
year, résumé and areas of interest):
{{ profile_link }}

It takes about five minutes and helps us match you with the right attorneys at the event.
""",
    ),
    _event(
        EmailKind.EVENT_APPROVAL,
        "Approval",
        "You're confirmed: {{ event_name }}",
        """
Dear {{ candidate_first_name }},

We are delighted to confirm your place at {{ event_name }}.

"""
        + _EVENT_DETAILS
        + """
We will send the final schedule and a reminder closer to the date. We look forward to \
meeting you.
""",
    ),
    _event(
        EmailKind.EVENT_DENIAL,
        "Denial",
        "Your registration for {{ event_name }}",
        """
Dear {{ candidate_first_name }},

Thank you for your interest in {{ event_name }}. We received far more registrations than we \
have places, and unfortunately we are not able to offer you a place at this event.

We hope you will join us at a future event, and we encourage you to stay in touch with our \
recruiting team about opportunities at {{ firm_name }}.
""",
    ),
    _event(
        EmailKind.EVENT_UPDATE,
        "Update",
        "Updated details: {{ event_name }}",
        """
Dear {{ candidate_first_name }},

Please note that the details of {{ event_name }} have changed. The updated details are:

"""
        + _EVENT_DETAILS
        + """
{% if time_slot %}
Your time slot: {{ time_slot }}

{% endif %}
No action is needed if you can still attend. If you can no longer join us, please reply to \
let us know.
""",
    ),
    _event(
        EmailKind.EVENT_FINAL_SCHEDULE,
        "Final schedule",
        "Final schedule: {{ event_name }}",
        """
Dear {{ candidate_first_name }},

We look forward to seeing you at {{ event_name }}. Here is the final schedule:

"""
        + _EVENT_DETAILS
        + """
{% if time_slot %}
Your time slot: {{ time_slot }}

{% endif %}
Business casual attire is appropriate. If anything changes on your side, please reply to \
this email.
""",
    ),
    _event(
        EmailKind.EVENT_REMINDER,
        "Reminder",
        "Reminder: {{ event_name }} on {{ event_date }}",
        """
Dear {{ candidate_first_name }},

This is a friendly reminder that {{ event_name }} is coming up.

"""
        + _EVENT_DETAILS
        + """
{% if time_slot %}
Your time slot: {{ time_slot }}

{% endif %}
We look forward to seeing you there.
""",
    ),
    _event(
        EmailKind.EVENT_FOLLOW_UP,
        "Follow-up",
        "Thank you for joining us at {{ event_name }}",
        """
Dear {{ candidate_first_name }},

Thank you for joining us at {{ event_name }}. We hope you enjoyed meeting our attorneys and \
learning more about {{ firm_name }}.

If you would like to continue the conversation, or have questions about our summer and \
associate programs, please reply to this email. We would be glad to connect you with \
attorneys in the practice areas that interest you.
""",
    ),
    _event(
        EmailKind.EVENT_CANCELLATION,
        "Cancellation",
        "Your time slot has been cancelled: {{ event_name }}",
        """
Dear {{ candidate_first_name }},

We are writing to let you know that your time slot for {{ event_name }} \
({{ time_slot }}) has been cancelled. We apologize for the inconvenience.

If you would still like to speak with one of our attorneys, please reply to this email and \
we will do our best to find another time.
""",
    ),
)
"""One default template per event email kind."""

DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    *STATUS_TEMPLATES,
    UPDATE_APPLICATION_REQUEST_TEMPLATE,
    *EVENT_TEMPLATES,
)
"""Every template the product ships with."""


def _insert_missing(
    session: Session, table: sa.Table, rows: Sequence[dict[str, Any]], unique_column: str
) -> None:
    """Inserts the rows whose unique column is not taken yet; never updates."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect in {"postgresql", "sqlite"}:
        # ON CONFLICT DO NOTHING: two processes starting at once both succeed.
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(
            insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=[unique_column])
        )
        return
    column = table.c[unique_column]
    taken = set(
        session.execute(
            sa.select(column).where(column.in_([row[unique_column] for row in rows]))
        ).scalars()
    )
    missing = [row for row in rows if row[unique_column] not in taken]
    if missing:
        session.execute(sa.insert(table), missing)


def ensure_defaults(*, session: Session) -> None:
    """Creates the default statuses and email templates that are missing.

    Templates are created by key when missing and never overwritten. The
    default statuses (linked to their templates) are created only while the
    firm has no statuses at all. Nothing is committed here.

    Args:
        session: The open session.
    """
    now = utcnow()
    _insert_missing(
        session,
        EmailTemplate.__table__,
        [
            {
                "key": template.key,
                "name": template.name,
                "subject": template.subject,
                "body": template.body,
                "cc": "",
                "bcc": "",
                "updated_at": now,
            }
            for template in DEFAULT_TEMPLATES
        ],
        "key",
    )
    if session.exec(select(func.count()).select_from(ApplicationStatus)).one():
        return
    template_ids = dict(
        session.exec(
            select(EmailTemplate.key, EmailTemplate.id).where(
                col(EmailTemplate.key).startswith("status:")
            )
        ).all()
    )
    _insert_missing(
        session,
        ApplicationStatus.__table__,
        [
            {
                "name": name,
                "position": position,
                "is_archived": False,
                "email_template_id": template_ids.get(status_template_key(name)),
            }
            for position, name in enumerate(DEFAULT_STATUSES, start=1)
        ],
        "name",
    )
