"""State of the public event registration page (no sign-in)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError, Invalid
from flo_comms.schemas import PublicEventView
from flo_comms.services.events import public_event, register_via_link
from flo_comms.services.outbox import notify_dispatchers

EMPTY_VIEW = PublicEventView(
    name="", type_label="", invite_only=False, description="", starts_at_iso="", ends_at_iso="",
    when_text="", location="", is_open_for_registration=False, closed_reason="",
)  # fmt: skip
FIELDS = ("first_name", "last_name", "email", "law_school", "class_year")


class RegisterState(rx.State):
    """The event's slug in the URL is all the page knows; it is read on every event."""

    view: PublicEventView = EMPTY_VIEW
    problem: str = ""
    done_message: str = ""
    form_errors: dict[str, str] = {}
    saving: bool = False

    @rx.var
    def is_profile_page(self) -> bool:
        """Whether this is the "complete your profile" link of a Profile Request."""
        return self.router.url.path.rstrip("/").endswith("/profile")

    def _slug(self) -> str:
        parts = self.router.url.path.strip("/").split("/")
        return parts[1] if len(parts) >= 2 and parts[0] == "register" else ""

    @rx.event
    def load(self) -> None:
        """Shows the event and the form, or why registration is not possible."""
        self.done_message = ""
        self.form_errors = {}
        self.saving = False
        try:
            with session_scope() as session:
                self.view = public_event(session=session, slug=self._slug())
        except DomainError as exc:
            self.view = EMPTY_VIEW
            self.problem = str(exc)
            return
        self.problem = ""

    @rx.event
    async def submit(self, form_data: dict) -> AsyncIterator[None]:
        """Registers (once); an existing candidate is matched by email."""
        if not isinstance(form_data, dict) or self.saving:
            return
        self.saving = True
        yield
        data = {key: form_data.get(key, "") for key in FIELDS}
        slug = self._slug()

        profile = self.is_profile_page

        def work() -> str:
            with session_scope() as session:
                outcome = register_via_link(session=session, slug=slug, data=data)
            if profile and outcome.already_registered:
                return "Thank you: your details are saved. We look forward to seeing you."
            return outcome.message

        try:
            message = await asyncio.to_thread(work)
        except Invalid as exc:
            self.saving = False
            if exc.field_errors:
                self.form_errors = dict(exc.field_errors)
            else:
                self.problem = str(exc)
            return
        except DomainError as exc:
            self.saving = False
            self.problem = str(exc)
            return
        notify_dispatchers()
        self.saving = False
        self.form_errors = {}
        self.done_message = message
