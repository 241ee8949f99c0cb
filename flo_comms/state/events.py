"""State of the events list."""

from __future__ import annotations

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.schemas import EventRow
from flo_comms.services.events import list_events
from flo_comms.state.event_form import EventFormState
from flo_comms.state.session import SessionState


class EventsState(SessionState):
    """The outreach events list."""

    events: list[EventRow] = []
    loaded: bool = False

    @rx.event
    def load(self) -> rx.event.EventSpec | rx.event.EventHandler | None:
        """Loads the events (page load)."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            self.events = list_events(session=session)
        self.loaded = True
        return EventFormState.learn_time_zone
