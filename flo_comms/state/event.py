"""State of an event's page: registrants, Quick Review, time slots, and event emails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import Conflict, DomainError, Invalid, NotFound
from flo_comms.schemas import (
    BatchProgress,
    CandidateChoice,
    EventActionReport,
    EventDetail,
    RegistrantRow,
)
from flo_comms.services.event_emails import send_batch_chunk, start_batch
from flo_comms.services.events import (
    add_new_candidate,
    add_registrants,
    assign_slot,
    candidate_choices,
    create_slot,
    delete_event,
    delete_slot,
    get_event,
    remove_registrant,
    review_registrations,
    unassign_slot,
)
from flo_comms.services.outbox import notify_dispatchers
from flo_comms.state.event_form import EventFormState, event_id_from_path
from flo_comms.state.local_time import parse_local

MAX_SELECTED = 500
SEND_KINDS = ("event_final_schedule", "event_reminder", "event_follow_up")
SEND_LABELS = {
    "event_final_schedule": "final schedule",
    "event_reminder": "reminder",
    "event_follow_up": "follow-up",
}
NEW_PERSON_FIELDS = ("first_name", "last_name", "email", "law_school", "class_year")

EMPTY_EVENT = EventDetail(
    id=0, name="", type="", type_label="", invite_only=False, description="", starts_at_iso="",
    ends_at_iso="", location="", meeting_link="", registration_link="",
    final_schedule_sent_at_iso="", deleted_at_iso="", is_deleted=False, has_slots=False,
    registrants=[], registrant_total=0, pending=0, approved=0, denied=0, slots=[], batches=[],
    held_back=[], held_back_total=0, can_send={}, send_notes={},
)  # fmt: skip


def _summary(report: EventActionReport, verb: str) -> tuple[str, bool]:
    """A toast for an action on several people, and whether it is an error."""
    parts = [f"{report.done} {verb}"]
    if report.emails:
        parts.append(f"{report.emails} email{'s' if report.emails != 1 else ''} sent")
    if report.skipped:
        parts.append(f"{report.skipped} skipped")
    message = ", ".join(parts) + "."
    failures = [f"{r.candidate_name or 'someone'}: {r.message}" for r in report.results
                if r.outcome == "failed"]  # fmt: skip
    if failures:
        return f"{message} {len(failures)} failed: " + "; ".join(failures), True
    return message, False


class EventState(EventFormState):
    """One event and what admins do on its page (the edit form is the parent state)."""

    event: EventDetail = EMPTY_EVENT
    not_found: bool = False
    tab: str = "registrants"
    selected: list[int] = []
    state_filter: str = "all"
    # Add people
    add_open: bool = False
    add_search: str = ""
    choices: list[CandidateChoice] = []
    chosen: list[CandidateChoice] = []
    new_person: dict[str, str] = {}
    new_person_errors: dict[str, str] = {}
    # Time slots
    slot_start: str = ""
    slot_end: str = ""
    slot_capacity: str = "1"
    slot_errors: dict[str, str] = {}
    # Confirmations
    confirm_kind: str = ""
    confirm_target: int = 0
    send_kind: str = ""
    send_repeat_note: str = ""
    # A send in progress
    sending: bool = False
    progress_label: str = ""
    progress_eligible: int = 0
    progress_done: int = 0
    progress_held: int = 0

    @rx.var
    def progress_percent(self) -> int:
        """How far the current send has got, 0 to 100."""
        if not self.progress_eligible:
            return 100 if not self.sending else 0
        return min(100, round(100 * self.progress_done / self.progress_eligible))

    @rx.var
    def shown_registrants(self) -> list[RegistrantRow]:
        """The registrants the state filter lets through."""
        if self.state_filter == "all":
            return list(self.event.registrants)
        return [r for r in self.event.registrants if r.review_state == self.state_filter]

    @rx.var
    def pending_registrants(self) -> list[RegistrantRow]:
        """Quick Review's queue."""
        return [r for r in self.event.registrants if r.review_state == "pending"]

    @rx.var
    def slot_options(self) -> list[dict[str, str]]:
        """The time slots, with how full each is, for the assign menus."""
        return [
            {"id": str(s.id), "label": f"{s.time_label} · {s.taken} of {s.capacity}"}
            for s in self.event.slots
        ]

    def _reload(self) -> bool:
        viewer = self._viewer()
        if viewer is None:
            return False
        try:
            with session_scope() as session:
                self.event = get_event(
                    session=session,
                    viewer_id=viewer.id,
                    event_id=event_id_from_path(self.router.url.path),
                )
        except NotFound:
            self.event = EMPTY_EVENT
            self.not_found = True
            return True
        self.not_found = False
        present = {r.id for r in self.event.registrants}
        self.selected = [i for i in self.selected if i in present]
        return True

    @rx.event
    def load(self) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        """Loads the event named in the URL (page load)."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        self.selected = []
        self.add_open = False
        self.confirm_kind = ""
        self.send_kind = ""
        self.state_filter = "all"
        self.tab = "registrants"
        self._reload()
        if self.sending:
            return None
        return EventFormState.learn_time_zone

    @rx.event
    def refresh(self) -> rx.event.EventSpec | None:
        """Reloads the event after a change made elsewhere."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        self._reload()
        return None

    @rx.event
    def set_tab(self, tab: str) -> None:
        """Switches tabs."""
        if tab in ("registrants", "review", "slots", "emails"):
            self.tab = tab

    @rx.event
    def set_state_filter(self, value: str | list[str]) -> None:
        """Shows all registrants, or those in one Quick Review state."""
        if isinstance(value, str) and value in ("all", "pending", "approved", "denied"):
            self.state_filter = value

    @rx.event
    def toggle_selected(self, registration_id: int) -> None:
        """Selects or unselects one pending registrant in Quick Review."""
        if not isinstance(registration_id, int):
            return
        if registration_id in self.selected:
            self.selected = [i for i in self.selected if i != registration_id]
        elif len(self.selected) < MAX_SELECTED:
            self.selected = [*self.selected, registration_id]

    @rx.event
    def toggle_all_pending(self) -> None:
        """Selects every pending registrant, or none."""
        if self.selected:
            self.selected = []
        else:
            self.selected = [r.id for r in self.event.registrants if r.review_state == "pending"][
                :MAX_SELECTED
            ]

    # -- admin actions ---------------------------------------------------------------------

    def _admin_action(
        self, work: Callable[[Any, int], Any]
    ) -> tuple[Any, rx.event.EventSpec | None]:
        """Runs `work(session, actor_id)` for the signed-in admin.

        Returns:
            The result (None on failure) and the event to return (a redirect or
            an error toast) when there is one.
        """
        viewer = self._signed_in()
        if viewer is None:
            return None, self._sign_in_redirect()
        try:
            with session_scope() as session:
                result = work(session, viewer.id)
        except DomainError as exc:
            return None, rx.toast.error(str(exc))
        notify_dispatchers()
        return result, None

    @rx.event
    def review(self, decision: str, registration_id: int = 0) -> rx.event.EventSpec | None:
        """Approves or denies one pending registrant, or the selected ones."""
        if isinstance(registration_id, int) and registration_id:
            ids = [registration_id]
        else:
            ids = list(self.selected)
        if not ids:
            return rx.toast.error("Select at least one registrant.")
        event_id = self.event.id
        report, problem = self._admin_action(
            lambda session, actor: review_registrations(
                session=session,
                actor_id=actor,
                event_id=event_id,
                registration_ids=ids,
                decision=decision,
            )
        )
        if problem is not None:
            return problem
        self.selected = []
        self._reload()
        verb = "approved" if decision == "approve" else "denied"
        message, failed = _summary(report, verb)
        return rx.toast.error(message) if failed else rx.toast.success(message)

    # Add people ------------------------------------------------------------------------------

    @rx.event
    def open_add(self) -> rx.event.EventSpec | None:
        """Opens "Add people"."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.toast.error("Only admins can add people to an event.")
        self.add_search = ""
        self.chosen = []
        self.new_person = dict.fromkeys(NEW_PERSON_FIELDS, "")
        self.new_person_errors = {}
        self.add_open = True
        return self._search()

    @rx.event
    def set_add_open(self, is_open: bool) -> None:
        """Closes "Add people"."""
        self.add_open = bool(is_open) and self.add_open

    def _search(self) -> rx.event.EventSpec | None:
        event_id = self.event.id
        search = self.add_search
        found, problem = self._admin_action(
            lambda session, actor: candidate_choices(
                session=session, actor_id=actor, event_id=event_id, search=search
            )
        )
        if problem is not None:
            return problem
        chosen = {c.id for c in self.chosen}
        self.choices = [c for c in found if c.id not in chosen]
        return None

    @rx.event
    def set_add_search(self, value: str) -> rx.event.EventSpec | None:
        """Searches candidates by name or email as the admin types."""
        if not isinstance(value, str):
            return None
        self.add_search = value[:100]
        return self._search()

    @rx.event
    def choose(self, candidate_id: int) -> None:
        """Adds a candidate from the search results to the list to add."""
        picked = [c for c in self.choices if c.id == candidate_id]
        if picked and len(self.chosen) < MAX_SELECTED:
            self.chosen = [*self.chosen, picked[0]]
            self.choices = [c for c in self.choices if c.id != candidate_id]

    @rx.event
    def unchoose(self, candidate_id: int) -> None:
        """Takes a candidate off the list to add."""
        self.chosen = [c for c in self.chosen if c.id != candidate_id]

    @rx.event
    def add_chosen(self) -> rx.event.EventSpec | None:
        """Adds the chosen candidates; each gets a Profile Request."""
        ids = [c.id for c in self.chosen]
        if not ids:
            return rx.toast.error("Choose at least one candidate.")
        event_id = self.event.id
        report, problem = self._admin_action(
            lambda session, actor: add_registrants(
                session=session, actor_id=actor, event_id=event_id, candidate_ids=ids
            )
        )
        if problem is not None:
            return problem
        self.add_open = False
        self._reload()
        message, failed = _summary(report, "added")
        return rx.toast.error(message) if failed else rx.toast.success(message)

    @rx.event
    def set_new_person(self, name: str, value: str) -> None:
        """Keeps what is typed in the new candidate form."""
        if name in NEW_PERSON_FIELDS and isinstance(value, str):
            self.new_person = {**self.new_person, name: value[:255]}
            self.new_person_errors = {k: v for k, v in self.new_person_errors.items() if k != name}

    @rx.event
    def add_new_person(self) -> rx.event.EventSpec | None:
        """Creates a candidate and adds them; they get a Profile Request."""
        event_id = self.event.id
        data = dict(self.new_person)
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                message = add_new_candidate(
                    session=session, actor_id=viewer.id, event_id=event_id, data=data
                )
        except Invalid as exc:
            self.new_person_errors = dict(exc.field_errors)
            if not exc.field_errors:
                return rx.toast.error(str(exc))
            return None
        except DomainError as exc:
            return rx.toast.error(str(exc))
        notify_dispatchers()
        self.add_open = False
        self._reload()
        return rx.toast.success(message)

    # Time slots ------------------------------------------------------------------------------

    @rx.event
    def set_slot_field(self, name: str, value: str) -> None:
        """Keeps what is typed in the new time slot form."""
        if not isinstance(value, str):
            return
        if name == "start":
            self.slot_start = value[:40]
        elif name == "end":
            self.slot_end = value[:40]
        elif name == "capacity":
            self.slot_capacity = value[:4]
        self.slot_errors = {}

    @rx.event
    def add_slot(self) -> rx.event.EventSpec | None:
        """Adds a time slot (virtual chats)."""
        zone_name = self.time_zone
        starts_at = parse_local(self.slot_start, zone_name)
        ends_at = parse_local(self.slot_end, zone_name)
        errors = {}
        if starts_at is None:
            errors["starts_at"] = "Enter the start."
        if ends_at is None:
            errors["ends_at"] = "Enter the end."
        capacity = int(self.slot_capacity) if self.slot_capacity.isdigit() else 0
        if errors:
            self.slot_errors = errors
            return None
        event_id = self.event.id
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                message = create_slot(
                    session=session,
                    actor_id=viewer.id,
                    event_id=event_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=capacity,
                )
        except Invalid as exc:
            self.slot_errors = dict(exc.field_errors) or {"starts_at": str(exc)}
            return None
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.slot_errors = {}
        self._reload()
        return rx.toast.success(message)

    @rx.event
    def assign(self, registration_id: int, slot_id: str) -> rx.event.EventSpec | None:
        """Puts a registrant in a time slot (or moves them)."""
        if not isinstance(slot_id, str) or not slot_id.isdigit():
            return None
        message, problem = self._admin_action(
            lambda session, actor: assign_slot(
                session=session,
                actor_id=actor,
                registration_id=registration_id,
                slot_id=int(slot_id),
            )
        )
        if problem is not None:
            return problem
        self._reload()
        return rx.toast.success(message)

    # Confirmed actions -------------------------------------------------------------------------

    @rx.event
    def ask(self, kind: str, target: int = 0) -> rx.event.EventSpec | None:
        """Asks to confirm an action that emails someone or cannot be undone."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.toast.error("Only admins can do this.")
        if kind not in ("unassign", "remove", "delete_slot", "delete_event"):
            return None
        self.confirm_kind = kind
        self.confirm_target = target if isinstance(target, int) else 0
        return None

    @rx.event
    def set_confirm_open(self, is_open: bool) -> None:
        """Closes the confirmation."""
        if not is_open:
            self.confirm_kind = ""

    @rx.event
    def confirm(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        """Does the confirmed action."""
        kind, target, event_id = self.confirm_kind, self.confirm_target, self.event.id
        self.confirm_kind = ""
        work = {
            "unassign": lambda session, actor: unassign_slot(
                session=session, actor_id=actor, registration_id=target
            ),
            "remove": lambda session, actor: remove_registrant(
                session=session, actor_id=actor, registration_id=target
            ),
            "delete_slot": lambda session, actor: delete_slot(
                session=session, actor_id=actor, slot_id=target
            ),
            "delete_event": lambda session, actor: delete_event(
                session=session, actor_id=actor, event_id=event_id
            ),
        }.get(kind)
        if work is None:
            return None
        result, problem = self._admin_action(work)
        if problem is not None:
            return problem
        self._reload()
        if kind == "delete_slot":
            cancelled = sum(r.communication_id is not None for r in result.results)
            return rx.toast.success(
                f"Time slot deleted; {cancelled} cancellation{'s' if cancelled != 1 else ''} sent."
            )
        if kind == "delete_event":
            return [rx.toast.success(result), rx.redirect("/events")]
        return rx.toast.success(result)

    # Bulk sends ---------------------------------------------------------------------------------

    @rx.event
    def ask_send(self, kind: str) -> rx.event.EventSpec | None:
        """Asks to confirm a final schedule, reminder or follow-up."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.toast.error("Only admins can send event emails.")
        if kind not in SEND_KINDS:
            return None
        done = [b for b in self.event.batches if b.email_kind == kind and b.finished]
        self.send_repeat_note = (
            f"A {SEND_LABELS[kind]} already went to {done[0].queued} registrants. "
            "Sending again emails them again."
            if done
            else ""
        )
        self.send_kind = kind
        return None

    @rx.event
    def set_send_open(self, is_open: bool) -> None:
        """Closes the send confirmation."""
        if not is_open:
            self.send_kind = ""

    @rx.event
    def send(self) -> rx.event.EventSpec | None:
        """Starts the confirmed send, then runs it with progress."""
        kind, event_id = self.send_kind, self.event.id
        repeat = bool(self.send_repeat_note)
        self.send_kind = ""
        progress, problem = self._admin_action(
            lambda session, actor: start_batch(
                session=session,
                actor_id=actor,
                event_id=event_id,
                kind=kind,
                confirm_repeat=repeat,
            )
        )
        if problem is not None:
            return problem
        return EventState.run_send(progress.batch_id)

    @rx.event(background=True)
    async def run_send(self, batch_id: int) -> AsyncIterator[rx.event.EventSpec | None]:
        """Sends a batch chunk by chunk, showing progress; resumes an interrupted one."""
        async with self:
            viewer = self._signed_in()
            if viewer is None or not viewer.is_admin or self.sending:
                return
            if not isinstance(batch_id, int) or isinstance(batch_id, bool):
                return
            self.sending = True
            self.progress_label = "Sending"
            self.progress_eligible = self.progress_done = self.progress_held = 0
        actor_id = viewer.id

        def chunk() -> BatchProgress:
            with session_scope() as session:
                return send_batch_chunk(session=session, actor_id=actor_id, batch_id=batch_id)

        problem = ""
        while True:
            try:
                progress = await asyncio.to_thread(chunk)
            except (DomainError, Conflict) as exc:
                problem = str(exc)
                break
            except Exception:  # the database went away, say: the batch resumes later
                problem = "Sending stopped; nothing was lost. Use Resume to finish it."
                break
            async with self:
                self.progress_label = progress.email_kind_label
                self.progress_eligible = progress.eligible
                self.progress_done = progress.queued
                self.progress_held = progress.held_back
            if progress.finished:
                break
        async with self:
            self.sending = False
            self._reload()
        if problem:
            yield rx.toast.error(problem)
            return
        held = f", {progress.held_back} held back" if progress.held_back else ""
        yield rx.toast.success(f"{progress.email_kind_label}: {progress.queued} sent{held}.")
