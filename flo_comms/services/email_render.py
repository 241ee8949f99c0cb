"""Building emails from templates: pure functions, no database.

Templates are Jinja2, rendered in a sandbox as plain text (no HTML escaping),
with `StrictUndefined`, so a misspelt merge field is an error instead of a
silent blank. An admin edits templates, so every template is checked with
`validate_template` before it is saved.

Merge fields (every one is a string; a field that does not apply to an email,
such as `event_name` in a job status email, renders empty):

- `candidate_first_name`, `candidate_last_name`, `candidate_name`: the
  candidate the email is about.
- `recipient_name`, `recipient_first_name`: whom the email is addressed to:
  the candidate, or the agency contact for an agency-submitted application.
- `agency_name`, `agency_contact_name`: the submitting agency and recruiter;
  empty unless the application came through an agency (so templates can say
  `{% if agency_name %}...{% endif %}`).
- `job_name`, `job_office`: the job.
- `status`: the application's new status.
- `firm_name`: the firm's name.
- `sender_name`, `sender_email`: the member whose action sent the email.
- `update_link`: where the candidate updates their application.
- `event_name`, `event_type`, `event_date`, `event_time`, `event_location`,
  `meeting_link`: the outreach event.
- `registration_link`: the event's public registration page.
- `profile_link`: where a manually added registrant completes their profile.
- `time_slot`: the virtual-chat time slot concerned.
- `invite_only`: "yes" for an invite-only event, empty otherwise (for
  `{% if invite_only %}`).

`SAMPLE_CONTEXT` holds one example value for each; it is the list of fields.
"""

from __future__ import annotations

import difflib
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from flo_comms.errors import Invalid

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 20_000
MAX_ADDRESS_LENGTH = 254
MAX_ADDRESSES = 50

SAMPLE_CONTEXT: dict[str, str] = {
    "candidate_first_name": "Jordan",
    "candidate_last_name": "Ellis",
    "candidate_name": "Jordan Ellis",
    "recipient_name": "Jordan Ellis",
    "recipient_first_name": "Jordan",
    "agency_name": "",
    "agency_contact_name": "",
    "job_name": "2027 Summer Associate Program - New York",
    "job_office": "New York",
    "status": "Interview Scheduled",
    "firm_name": "Hale & Whitmore LLP",
    "sender_name": "Cynthia Park",
    "sender_email": "cynthia@halewhitmore.example",
    "update_link": "https://careers.halewhitmore.example/applications/update/sample-token",
    "event_name": "Diversity in the Law Evening Reception",
    "event_type": "in-person event",
    "event_date": "Thursday, March 12, 2027",
    "event_time": "6:00 PM - 8:30 PM ET",
    "event_location": "1200 Avenue of the Americas, 38th Floor, New York, NY 10036",
    "meeting_link": "https://zoom.example/j/5550100",
    "registration_link": "https://careers.halewhitmore.example/events/sample-event",
    "profile_link": "https://careers.halewhitmore.example/events/sample-event/profile",
    "time_slot": "Tuesday, March 10, 2027, 4:00 PM - 4:20 PM ET",
    "invite_only": "",
}
"""Every supported merge field, with an example value (used for previews and validation)."""

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_NAMED_ADDRESS = re.compile(r"[^<>@,;\"]*<\s*([^<>\s]+)\s*>")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


@dataclass(frozen=True)
class RenderedEmail:
    """A subject and plain-text body with the merge fields filled in."""

    subject: str
    body: str


def _finalize(value: Any) -> Any:
    # A missing optional value (no location for a webinar) prints as nothing,
    # not as "None".
    return "" if value is None else value


_environment = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    finalize=_finalize,
)
# No globals (range, cycler, namespace, ...): an email needs only its merge
# fields, and every name a template uses must be one of them.
_environment.globals.clear()


class _TemplateProblem(Exception):
    """What is wrong with a template source, before we know which field it is."""

    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def _template_line(exc: BaseException) -> int | None:
    # Jinja rewrites the traceback so the template's own frames carry its
    # line numbers; the innermost one is where rendering failed.
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _line_of(source: str, name: str) -> int:
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for number, text in enumerate(source.splitlines(), start=1):
        if pattern.search(text):
            return number
    return 1


def _refuse(field: str, line: int | None, problem: str) -> Invalid:
    where = f"{field.capitalize()}, line {line}" if line else field.capitalize()
    message = f"{where}: {problem}"
    return Invalid(message, field_errors={field: message})


def _unknown_field_problem(name: str) -> str:
    problem = f"unknown merge field '{name}'."
    close = difflib.get_close_matches(name, SAMPLE_CONTEXT, n=1)
    if close:
        problem += f" Did you mean '{close[0]}'?"
    else:
        problem += f" Available fields: {', '.join(sorted(SAMPLE_CONTEXT))}."
    return problem


@lru_cache(maxsize=256)
def _checked_template(source: str) -> jinja2.Template:
    """Parses and compiles a template that names only known merge fields.

    Cached: the same templates are rendered again and again. Failures are
    not cached; they raise `_TemplateProblem`.
    """
    try:
        # A static look finds unknown names even in branches the sample would not take.
        names = meta.find_undeclared_variables(_environment.parse(source))
    except jinja2.TemplateSyntaxError as exc:  # also an unknown filter or test
        raise _TemplateProblem(exc.lineno, f"template syntax error: {exc.message}") from None
    unknown = sorted(names - SAMPLE_CONTEXT.keys())
    if unknown:
        name = min(unknown, key=lambda n: (_line_of(source, n), n))
        raise _TemplateProblem(_line_of(source, name), _unknown_field_problem(name))
    return _environment.from_string(source)


def _check_source(field: str, source: str) -> jinja2.Template:
    try:
        return _checked_template(source)
    except _TemplateProblem as exc:
        raise _refuse(field, exc.line, exc.problem) from None


def _render_one(field: str, template: jinja2.Template, context: Mapping[str, Any]) -> str:
    try:
        return template.render(context)
    except jinja2.exceptions.SecurityError as exc:
        raise _refuse(field, _template_line(exc), f"not allowed in a template: {exc}") from None
    except jinja2.UndefinedError as exc:
        raise _refuse(field, _template_line(exc), f"{exc}.") from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise _refuse(field, _template_line(exc), f"cannot be filled in: {exc}") from None


def _clean_subject(text: str) -> str:
    # A subject is one header line: line breaks in a merged value must not
    # start a new header.
    subject = _LINE_BREAKS.sub(" ", text).strip()
    if len(subject) > MAX_SUBJECT_LENGTH:
        subject = subject[: MAX_SUBJECT_LENGTH - 1].rstrip() + "\u2026"
    return subject


def validate_template(subject: str, body: str) -> None:
    """Checks an email template before it is saved.

    Refuses syntax errors, unknown merge fields, and anything that fails when
    rendered against `SAMPLE_CONTEXT` (attribute tricks the sandbox blocks,
    misuse of a field's value).

    Args:
        subject: The subject template (one line).
        body: The body template.

    Raises:
        Invalid: Naming the field ("subject" or "body"), the line and the problem.
    """
    if not subject.strip():
        raise _refuse("subject", None, "a subject is required.")
    if "\n" in subject or "\r" in subject:
        raise _refuse("subject", None, "the subject must be a single line.")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise _refuse(
            "subject", None, f"at most {MAX_SUBJECT_LENGTH} characters (it has {len(subject)})."
        )
    if not body.strip():
        raise _refuse("body", None, "a body is required.")
    if len(body) > MAX_BODY_LENGTH:
        raise _refuse("body", None, f"at most {MAX_BODY_LENGTH} characters (it has {len(body)}).")
    for field, source in (("subject", subject), ("body", body)):
        template = _check_source(field, source)
        _render_one(field, template, SAMPLE_CONTEXT)


def render_template(*, subject: str, body: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Fills in a template's merge fields.

    Known fields missing from `context` render empty; unknown fields are an
    error. The subject comes back on one line, at most `MAX_SUBJECT_LENGTH`
    characters.

    Args:
        subject: The subject template.
        body: The body template.
        context: Merge field values (see `SAMPLE_CONTEXT` for the names).

    Returns:
        The rendered subject and body.

    Raises:
        Invalid: The template is broken (see `validate_template`).
    """
    values = dict.fromkeys(SAMPLE_CONTEXT, "") | dict(context)
    rendered_subject = _render_one("subject", _check_source("subject", subject), values)
    rendered_body = _render_one("body", _check_source("body", body), values)
    return RenderedEmail(subject=_clean_subject(rendered_subject), body=rendered_body.strip("\n"))


def _one_address(item: str) -> str:
    named = _NAMED_ADDRESS.fullmatch(item)
    address = named.group(1) if named else item
    if len(address) > MAX_ADDRESS_LENGTH or not _ADDRESS.fullmatch(address):
        raise Invalid(
            f"'{item}' is not an email address.", field_errors={"addresses": f"Check '{item}'."}
        )
    return address


def parse_address_list(text: str) -> list[str]:
    """Splits a CC or BCC field into addresses.

    Addresses are separated by commas or semicolons; `Name <address>` is
    accepted and kept as the bare address. Blanks and repeats (ignoring case)
    are dropped.

    Args:
        text: What the admin typed, e.g. "a@firm.example; b@firm.example".

    Returns:
        The addresses, in the order given.

    Raises:
        Invalid: An entry is not an address, or there are too many.
    """
    addresses: list[str] = []
    seen: set[str] = set()
    for raw in re.split(r"[,;]", text or ""):
        item = raw.strip()
        if not item:
            continue
        address = _one_address(item)
        if address.lower() not in seen:
            seen.add(address.lower())
            addresses.append(address)
    if len(addresses) > MAX_ADDRESSES:
        raise Invalid(
            f"At most {MAX_ADDRESSES} addresses (there are {len(addresses)}).",
            field_errors={"addresses": "Too many addresses."},
        )
    return addresses
