"""State of the jobs list."""

from __future__ import annotations

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.schemas import JobRow
from flo_comms.services.jobs import list_jobs
from flo_comms.state.session import SessionState


class JobsState(SessionState):
    """The jobs list."""

    jobs: list[JobRow] = []
    loaded: bool = False

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the jobs (page load)."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            self.jobs = list_jobs(session=session)
        self.loaded = True
        return None
