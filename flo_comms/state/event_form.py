"""The New / Edit event dialog, on the events list and on an event's page."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import Conflict, DomainError, Invalid
from flo_comms.models import EventType
from flo_comms.services.event_emails import load_event
from flo_comms.services.events import SavedEvent, save_event
from flo_comms.state.local_time import (
    BROWSER_ZONE_SCRIPT,
    checked_zone_name,
    local_input,
    parse_local,
)
from flo_comms.state.session import SessionState

FIELDS = ("type", "access", "name", "starts_at", "ends_at", "location", "meeting_link",
          "description")  # fmt: skip
_LIMITS = {"name": 200, "location": 300, "meeting_link": 500, "description": 5000}


def event_id_from_path(path: str) -> int | None:
    """The event id in `/events/<id>`, or None."""
    parts = path.rstrip("/").split("/")
    raw = parts[2] if len(parts) > 2 and parts[1] == "events" else ""
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


class EventFormState(SessionState):
    """Create or edit an event; dates are typed in the viewer's time zone."""

    form_open: bool = False
    editing_id: int = 0
    _editing_version: str = ""  # the edited event's updated_at when the form was filled
    form: dict[str, str] = {}
    form_errors: dict[str, str] = {}
    form_problem: str = ""
    saving: bool = False
    time_zone: str = ""

    @rx.event
    def set_time_zone(self, zone_name: str) -> None:
        """Remembers the browser's time zone, to read the dates typed in the form."""
        self.time_zone = checked_zone_name(zone_name)

    def _blank(self) -> dict[str, str]:
        return {
            "type": EventType.IN_PERSON.value,
            "access": "open",
            "name": "",
            "starts_at": "",
            "ends_at": "",
            "location": "",
            "meeting_link": "",
            "description": "",
        }

    @rx.event
    def open_new(self) -> rx.event.EventSpec | None:
        """Opens an empty form (admins)."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.toast.error("Only admins can create events.")
        self.editing_id = 0
        self._editing_version = ""
        self.form = self._blank()
        self.form_errors = {}
        self.form_problem = ""
        self.form_open = True
        return None

    @rx.event
    def open_edit(self) -> rx.event.EventSpec | None:
        """Opens the form filled with the event of this page (admins)."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.toast.error("Only admins can edit events.")
        zone_name = self.time_zone
        event_id = event_id_from_path(self.router.url.path)
        try:
            with session_scope() as session:
                event = load_event(session, event_id)
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.editing_id = event.id
        self._editing_version = event.updated_at.isoformat() if event.updated_at else ""
        self.form = {
            "type": event.type,
            "access": "invite" if event.invite_only else "open",
            "name": event.name,
            "starts_at": local_input(event.starts_at, zone_name),
            "ends_at": local_input(event.ends_at, zone_name),
            "location": event.location,
            "meeting_link": event.meeting_link,
            "description": event.description,
        }
        self.form_errors = {}
        self.form_problem = ""
        self.form_open = True
        return None

    @rx.event
    def learn_time_zone(self) -> rx.event.EventSpec:
        """Asks the browser for its time zone (page load)."""
        return rx.call_script(BROWSER_ZONE_SCRIPT, callback=EventFormState.set_time_zone)

    @rx.event
    def set_form_open(self, is_open: bool) -> None:
        """Closes the dialog."""
        self.form_open = bool(is_open) and self.form_open

    @rx.event
    def set_field(self, name: str, value: str) -> None:
        """Keeps what is typed in one field."""
        if name not in FIELDS or not isinstance(value, str):
            return
        limit = _LIMITS.get(name, 40)
        self.form = {**self.form, name: value[: limit + 1]}
        if name in self.form_errors:
            self.form_errors = {k: v for k, v in self.form_errors.items() if k != name}

    @rx.event
    def save(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        """Creates or saves the event; an edit of its details emails the registrants."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        form = self.form
        errors: dict[str, str] = {}
        starts_at = parse_local(form.get("starts_at", ""), self.time_zone)
        ends_at = parse_local(form.get("ends_at", ""), self.time_zone)
        data = {
            "type": form.get("type", ""),
            "invite_only": form.get("access") == "invite",
            "name": form.get("name", ""),
            "description": form.get("description", ""),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "location": form.get("location", ""),
            "meeting_link": form.get("meeting_link", ""),
        }
        try:
            with session_scope() as session:
                saved: SavedEvent = save_event(
                    session=session,
                    actor_id=viewer.id,
                    event_id=self.editing_id or None,
                    data=data,
                    expected_updated_at=(
                        datetime.fromisoformat(self._editing_version)
                        if self.editing_id and self._editing_version
                        else None
                    ),
                )
        except Invalid as exc:
            errors = dict(exc.field_errors)
            self.form_errors = errors
            self.form_problem = "" if errors else str(exc)
            return None
        except Conflict as exc:
            # Saved elsewhere since the form was filled: the page shows what is there now.
            self.form_problem = str(exc)
            from flo_comms.state.event import EventState

            return EventState.refresh
        except DomainError as exc:
            self.form_problem = str(exc)
            return None
        self.form_open = False
        if not self.editing_id:
            return [rx.toast.success(saved.message), rx.redirect(f"/events/{saved.event_id}")]
        from flo_comms.state.event import EventState  # the page state reloads itself

        events: list[rx.event.EventSpec] = [rx.toast.success(saved.message), EventState.refresh]
        if saved.update_batch_id:
            events.append(EventState.run_send(saved.update_batch_id))
        return events
