"""State of the public page where a candidate updates an application (no sign-in)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError, Invalid
from flo_comms.schemas import ApplicationUpdateInput, UpdateRequestView
from flo_comms.services.job_emails import get_update_request, submit_update

EMPTY_VIEW = UpdateRequestView(
    job_name="",
    candidate_first_name="",
    phone="",
    law_school="",
    class_year="",
    graduation_year="",
    expires_at_iso="",
    class_year_options=[],
)


class UpdateApplicationState(rx.State):
    """The link's token is the only credential: it is read from the URL on every event."""

    view: UpdateRequestView = EMPTY_VIEW
    problem: str = ""
    done: bool = False
    form_errors: dict[str, str] = {}
    saving: bool = False

    def _token(self) -> str:
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1]

    @rx.event
    def load(self) -> None:
        """Checks the link and shows the form with the current values."""
        self.done = False
        self.form_errors = {}
        try:
            with session_scope() as session:
                self.view = get_update_request(session=session, token=self._token())
        except DomainError as exc:
            self.view = EMPTY_VIEW
            self.problem = str(exc)
            return
        self.problem = ""

    @rx.event
    async def submit(self, form_data: dict) -> AsyncIterator[None]:
        """Records the update (once)."""
        if not isinstance(form_data, dict):
            return
        self.saving = True
        yield
        data = ApplicationUpdateInput(
            phone=form_data.get("phone", ""),
            law_school=form_data.get("law_school", ""),
            class_year=form_data.get("class_year", ""),
            graduation_year=form_data.get("graduation_year"),
            note=form_data.get("note", ""),
        )
        token = self._token()

        def work() -> None:
            with session_scope() as session:
                submit_update(session=session, token=token, data=data)

        try:
            await asyncio.to_thread(work)
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
        self.saving = False
        self.done = True
