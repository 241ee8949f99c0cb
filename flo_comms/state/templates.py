"""State of the email templates page (admins only)."""

from __future__ import annotations

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError, Invalid
from flo_comms.schemas import TemplateView
from flo_comms.services.email_render import SAMPLE_CONTEXT
from flo_comms.services.templates import list_templates, save_template
from flo_comms.state.session import SessionState

MERGE_FIELDS = sorted(SAMPLE_CONTEXT)


class TemplatesState(SessionState):
    """The templates and the one being edited."""

    templates: list[TemplateView] = []
    editing_key: str = ""
    editing_name: str = ""
    form_subject: str = ""
    form_body: str = ""
    form_cc: str = ""
    form_bcc: str = ""
    form_errors: dict[str, str] = {}
    form_error: str = ""
    dialog_open: bool = False

    def _refresh(self, actor_id: int) -> None:
        with session_scope() as session:
            self.templates = list_templates(session=session, actor_id=actor_id)

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the templates (admins only)."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.redirect("/candidates")
        self._refresh(viewer.id)
        return None

    @rx.event
    def edit(self, key: str) -> None:
        """Opens a template in the editor."""
        template = next((t for t in self.templates if t.key == key), None)
        if template is None:
            return
        self.editing_key = template.key
        self.editing_name = template.name
        self.form_subject = template.subject
        self.form_body = template.body
        self.form_cc = template.cc
        self.form_bcc = template.bcc
        self.form_errors = {}
        self.form_error = ""
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, is_open: bool) -> None:
        """Closes the editor."""
        self.dialog_open = bool(is_open) and self.dialog_open

    @rx.event
    def set_form_subject(self, value: str) -> None:
        """Subject."""
        self.form_subject = value[:1000] if isinstance(value, str) else ""

    @rx.event
    def set_form_body(self, value: str) -> None:
        """Body."""
        self.form_body = value[:40_000] if isinstance(value, str) else ""

    @rx.event
    def set_form_cc(self, value: str) -> None:
        """CC addresses."""
        self.form_cc = value[:2000] if isinstance(value, str) else ""

    @rx.event
    def set_form_bcc(self, value: str) -> None:
        """BCC addresses."""
        self.form_bcc = value[:2000] if isinstance(value, str) else ""

    @rx.event
    def save(self) -> rx.event.EventSpec | None:
        """Saves the template; a template with an error is refused with the reason."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                save_template(
                    session=session,
                    actor_id=viewer.id,
                    key=self.editing_key,
                    subject=self.form_subject,
                    body=self.form_body,
                    cc=self.form_cc,
                    bcc=self.form_bcc,
                )
        except Invalid as exc:
            self.form_errors = dict(exc.field_errors)
            self.form_error = "" if exc.field_errors else str(exc)
            return None
        except DomainError as exc:
            self.form_error = str(exc)
            return None
        self.dialog_open = False
        self._refresh(viewer.id)
        return rx.toast.success(f"“{self.editing_name}” saved.")
