"""Email templates: the admins' page for reading, editing and assigning them.

A template is refused when saved if it would fail to render (syntax errors,
unknown merge fields, sandbox violations: `email_render.validate_template`
says which field, which line and why), or if its CC or BCC is not a list of
addresses. Every argument is checked here, types included.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from flo_comms.errors import Invalid, NotAllowed, NotFound
from flo_comms.models import ApplicationStatus, EmailTemplate, Member, utcnow
from flo_comms.schemas import StatusOption, TemplateView
from flo_comms.services.auth import require_admin
from flo_comms.services.defaults import UPDATE_APPLICATION_REQUEST_KEY, status_template_key
from flo_comms.services.email_render import parse_address_list, validate_template

MAX_KEY_LENGTH = 80
MAX_COPY_LENGTH = 1000
"""Characters a template's CC or BCC field may hold."""

_MAX_ID = 2**31 - 1
_TEMPLATE = EmailTemplate.__table__
_STATUS = ApplicationStatus.__table__
_MEMBER = Member.__table__
_GONE = "This template does not exist."


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_ID


def _require_admin(session: Session, actor_id: object) -> None:
    if not _is_id(actor_id):
        raise NotAllowed("Only admins can do this.")
    require_admin(session=session, actor_id=actor_id)


def template_kind(key: str) -> str:
    """What a template is for: "status", "update_application_request" or "event"."""
    if key.startswith("status:"):
        return "status"
    if key == UPDATE_APPLICATION_REQUEST_KEY:
        return UPDATE_APPLICATION_REQUEST_KEY
    return "event"


_KIND_ORDER = {"status": 0, UPDATE_APPLICATION_REQUEST_KEY: 1, "event": 2}

_VIEWS = (
    sa.select(
        _TEMPLATE.c.id,
        _TEMPLATE.c.key,
        _TEMPLATE.c.name,
        _TEMPLATE.c.subject,
        _TEMPLATE.c.body,
        _TEMPLATE.c.cc,
        _TEMPLATE.c.bcc,
        _TEMPLATE.c.updated_at,
        _MEMBER.c.name.label("updated_by_name"),
    )
    .select_from(_TEMPLATE)
    .outerjoin(_MEMBER, _MEMBER.c.id == _TEMPLATE.c.updated_by_id)
)
_USERS = (
    sa.select(_STATUS.c.email_template_id, _STATUS.c.name)
    .where(_STATUS.c.email_template_id.is_not(None))
    .order_by(_STATUS.c.position, _STATUS.c.id)
)


def _views(session: Session, key: str | None = None) -> list[TemplateView]:
    statement = _VIEWS if key is None else _VIEWS.where(_TEMPLATE.c.key == key)
    connection = session.connection()
    rows = connection.execute(statement).all()
    used_by: dict[int, list[str]] = {}
    position: dict[int, int] = {}
    for template_id, status_name in connection.execute(_USERS):
        used_by.setdefault(template_id, []).append(status_name)
        position.setdefault(template_id, len(position))
    rows.sort(
        key=lambda r: (_KIND_ORDER[template_kind(r.key)], position.get(r.id, 1_000_000), r.name)
    )
    return [
        TemplateView(
            key=row.key,
            name=row.name,
            kind=template_kind(row.key),
            subject=row.subject,
            body=row.body,
            cc=row.cc,
            bcc=row.bcc,
            used_by=used_by.get(row.id, []),
            updated_at_iso=row.updated_at.astimezone(UTC).isoformat(),
            updated_by_name=row.updated_by_name or "",
        )
        for row in rows
    ]


def list_templates(*, session: Session, actor_id: int) -> list[TemplateView]:
    """Every email template with the statuses that use it (admins only).

    Status emails come first (in hiring order), then the update-application
    request, then the event emails. Two queries.

    Raises:
        NotAllowed: The actor is not an active admin.
    """
    _require_admin(session, actor_id)
    return _views(session)


def _copies(value: object, field: str, label: str, errors: dict[str, str]) -> str:
    """A CC or BCC field as stored: the addresses, comma-separated ("" when none)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = f"{label}: enter email addresses separated by commas."
        return ""
    if len(value) > MAX_COPY_LENGTH or "\x00" in value:
        errors[field] = f"{label}: use at most {MAX_COPY_LENGTH} characters."
        return ""
    try:
        addresses = parse_address_list(value)
    except Invalid as exc:
        errors[field] = f"{label}: {exc}"
        return ""
    text = ", ".join(addresses)
    if len(text) > MAX_COPY_LENGTH:
        errors[field] = f"{label}: use at most {MAX_COPY_LENGTH} characters."
    return text


def _new_status_template_name(session: Session, key: str) -> str | None:
    """The name of a template that may be created under `key`: a status's email, or None."""
    for (name,) in session.connection().execute(sa.select(_STATUS.c.name)):
        if status_template_key(name) == key:
            return f"Status email: {name}"
    return None


def save_template(
    *,
    session: Session,
    actor_id: int,
    key: str,
    subject: str,
    body: str,
    cc: str,
    bcc: str,
    now: datetime | None = None,
) -> TemplateView:
    """Saves an email template after checking it (admins only).

    An existing template is updated. A missing one is created only for the
    key of an existing status's email (`defaults.status_template_key`), so a
    status without an email can get one; link it with `set_status_template`.
    Commits.

    Args:
        session: An open session.
        actor_id: The signed-in member (from the server's session).
        key: Which template.
        subject: The subject template (one line).
        body: The body template.
        cc: Addresses to copy, separated by commas or semicolons ("" for none).
        bcc: Addresses to blind-copy, likewise.
        now: The time of the change (aware); the clock by default.

    Returns:
        The template as saved.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No such template (and not a status's email key).
        Invalid: The template would not render, or a CC/BCC entry is not an
            address: the message gives the reason, `field_errors` names every
            wrong field ("subject", "body", "cc", "bcc").
    """
    if now is None:
        now = utcnow()
    elif not isinstance(now, datetime) or now.utcoffset() is None:
        raise Invalid("`now` must be a timezone-aware datetime.")
    try:
        _require_admin(session, actor_id)
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise NotFound(_GONE)
        errors: dict[str, str] = {}
        texts = {}
        for field, value in (("subject", subject), ("body", body)):
            if not isinstance(value, str):
                errors[field] = f"{field.capitalize()}: enter the text of the email."
            elif "\x00" in value:
                errors[field] = f"{field.capitalize()}: contains a character that cannot be saved."
            else:
                texts[field] = value.replace("\r\n", "\n").replace("\r", "\n")
        if len(texts) == 2:
            texts["subject"] = texts["subject"].strip()
            texts["body"] = texts["body"].strip("\n")
            try:
                validate_template(texts["subject"], texts["body"])
            except Invalid as exc:
                errors.update(exc.field_errors or {"body": str(exc)})
        clean_cc = _copies(cc, "cc", "CC", errors)
        clean_bcc = _copies(bcc, "bcc", "BCC", errors)
        if errors:
            reason = next(iter(errors.values()))
            raise Invalid(reason, errors)
        values = {
            "subject": texts["subject"],
            "body": texts["body"],
            "cc": clean_cc,
            "bcc": clean_bcc,
            "updated_at": now,
            "updated_by_id": actor_id,
        }
        connection = session.connection()
        updated = connection.execute(
            sa.update(_TEMPLATE).where(_TEMPLATE.c.key == key).values(**values)
        )
        if updated.rowcount != 1:
            name = _new_status_template_name(session, key)
            if name is None:
                raise NotFound(_GONE)
            connection.execute(sa.insert(_TEMPLATE).values(key=key, name=name, **values))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return _views(session, key)[0]


def set_status_template(
    *, session: Session, actor_id: int, status_id: int, template_key: str | None
) -> StatusOption:
    """Chooses the email a status sends (a status email template), or none (admins only).

    Commits.

    Raises:
        NotAllowed: The actor is not an active admin.
        NotFound: No such status, or no such status email template.
    """
    try:
        _require_admin(session, actor_id)
        if not _is_id(status_id):
            raise NotFound("This status does not exist.")
        template_id = None
        if template_key is not None:
            if not isinstance(template_key, str) or not re.fullmatch(
                r"status:\S{1,73}", template_key
            ):
                raise NotFound("Choose one of the status email templates.")
            template_id = (
                session.connection()
                .execute(sa.select(_TEMPLATE.c.id).where(_TEMPLATE.c.key == template_key))
                .scalar()
            )
            if template_id is None:
                raise NotFound("Choose one of the status email templates.")
        row = (
            session.connection()
            .execute(
                sa.update(_STATUS)
                .where(_STATUS.c.id == status_id)
                .values(email_template_id=template_id)
                .returning(_STATUS.c.name)
            )
            .first()
        )
        if row is None:
            raise NotFound("This status does not exist.")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return StatusOption(id=status_id, name=row.name, has_template=template_id is not None)
