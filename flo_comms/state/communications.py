"""State of a candidate's Communications tab: the timeline, its filters and threads, the modal."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from flo_comms.models import CommunicationType
from flo_comms.schemas import (
    CommunicationInput,
    EventThreadEntry,
    MemberView,
    PersonOption,
    PersonRef,
    RevisionView,
    TimelineFilters,
    TimelineItem,
    TypeCount,
)
from flo_comms.services.communications import (
    TYPE_LABELS,
    count_timeline,
    delete_communication,
    edit_communication,
    export_timeline_csv,
    get_communication,
    list_event_thread,
    list_revisions,
    list_timeline,
    log_communication,
    member_and_candidate_options,
)
from flo_comms.state.local_time import (
    BROWSER_ZONE_SCRIPT,
    checked_zone_name,
    local_input,
    parse_local,
    zone,
)
from flo_comms.state.profile import ProfileState

PAGE_SIZE = 25
PICKER_LIMIT = 8
MAX_OPEN_THREADS = 10
"""Event threads open at once; opening one more closes the one opened first."""
FIELDS = ("type", "occurred_at", "sent_by", "sent_to", "subject", "description")


def _parse_day(value: str, zone_name: str, *, end: bool) -> datetime | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    moment = datetime.combine(day, time.max if end else time.min)
    return moment.replace(tzinfo=zone(zone_name))


def _person_option_key(option: PersonOption) -> str:
    return f"{option.kind}:{option.id}"


class CommunicationsState(ProfileState):
    """The Communications tab of the candidate the profile shows."""

    items: list[TimelineItem] = []
    next_cursor: str = ""
    type_counts: list[TypeCount] = []
    total: int = 0
    loading: bool = False
    error: str = ""
    viewer_id: int = 0
    time_zone: str = ""

    # Event threads open under timeline entries, keyed by the entry's id (as
    # text: the browser's object keys are strings). Only open ones are kept.
    threads: dict[str, list[EventThreadEntry]] = {}

    # Filters.
    filter_types: list[str] = []
    filter_origin: str = "all"
    filter_from: str = ""
    filter_to: str = ""
    filter_person: str = "anyone"
    search: str = ""
    people_options: list[PersonOption] = []

    # The New / Edit Communication modal.
    modal_open: bool = False
    editing_id: int = 0
    editing_version: int = 0
    form_type: str = CommunicationType.EMAIL.value
    form_date: str = ""
    form_subject: str = ""
    form_description: str = ""
    form_sent_by: list[PersonOption] = []
    form_sent_to: list[PersonOption] = []
    sent_by_query: str = ""
    sent_to_query: str = ""
    sent_by_options: list[PersonOption] = []
    sent_to_options: list[PersonOption] = []
    form_errors: dict[str, str] = {}
    form_error: str = ""
    saving: bool = False

    # Delete confirmation and history.
    delete_open: bool = False
    delete_id: int = 0
    delete_version: int = 0
    delete_subject: str = ""
    history_open: bool = False
    history_subject: str = ""
    history: list[RevisionView] = []

    # --- helpers -------------------------------------------------------------

    def _filters(self) -> TimelineFilters:
        person = None
        if ":" in self.filter_person:
            kind, _, raw = self.filter_person.partition(":")
            if raw.isdigit():
                person = PersonRef(kind=kind, id=int(raw))
        tz = self.time_zone
        return TimelineFilters(
            types=list(self.filter_types),
            origin="" if self.filter_origin == "all" else self.filter_origin,
            date_from=_parse_day(self.filter_from, tz, end=False) if self.filter_from else None,
            date_to=_parse_day(self.filter_to, tz, end=True) if self.filter_to else None,
            person=person,
            search=self.search,
        )

    def _reload(self, viewer: MemberView) -> rx.event.EventSpec:
        """The first page under the current filters; returns `load_counts`, to run after it.

        The counts read every entry of the candidate's (tens of milliseconds
        for a long timeline, against about one for the page), so the page
        goes to the browser first and the chips' numbers follow.
        """
        self.viewer_id = viewer.id
        self.threads = {}
        try:
            with session_scope() as session:
                page = list_timeline(
                    session=session,
                    candidate_id=self.profile.id,
                    filters=self._filters(),
                    limit=PAGE_SIZE,
                    viewer_id=viewer.id,
                    with_counts=False,
                )
        except DomainError as exc:
            self.error = str(exc)
            return CommunicationsState.load_counts()
        self.error = ""
        self.items = page.items
        self.next_cursor = page.next_cursor or ""
        return CommunicationsState.load_counts()

    @rx.event
    def load_counts(self) -> rx.event.EventSpec | None:
        """The filter chips' numbers and the total, under the current filters."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        if self.error or self.not_found or not self.profile.id:
            return None
        try:
            with session_scope() as session:
                counts = count_timeline(
                    session=session,
                    candidate_id=self.profile.id,
                    filters=self._filters(),
                    viewer_id=viewer.id,
                )
        except DomainError as exc:
            self.error = str(exc)
            return None
        self.type_counts = counts.type_counts
        self.total = counts.total
        return None

    def _viewer_or_redirect(self) -> tuple[MemberView | None, rx.event.EventSpec | None]:
        viewer = self._signed_in()
        if viewer is None:
            return None, self._sign_in_redirect()
        return viewer, None

    # --- loading and filtering -------------------------------------------------

    @rx.event
    def load_timeline(
        self,
    ) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        """Loads the timeline (page load, after the profile)."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        if self.not_found or not self.profile.id:
            return None
        self.modal_open = self.delete_open = self.history_open = False
        with session_scope() as session:
            self.people_options = member_and_candidate_options(
                session=session, query="", limit=50, kinds=("member",)
            )
        return [
            self._reload(viewer),
            rx.call_script(BROWSER_ZONE_SCRIPT, callback=CommunicationsState.set_time_zone),
        ]

    @rx.event
    def set_time_zone(self, zone_name: str) -> None:
        """Remembers the browser's time zone, to read dates typed in the forms."""
        if isinstance(zone_name, str) and len(zone_name) < 64:
            self.time_zone = checked_zone_name(zone_name)

    @rx.event
    def load_more(self) -> rx.event.EventSpec | None:
        """Appends the next page of entries."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        if not self.next_cursor:
            return None
        try:
            with session_scope() as session:
                page = list_timeline(
                    session=session,
                    candidate_id=self.profile.id,
                    filters=self._filters(),
                    after=self.next_cursor,
                    limit=PAGE_SIZE,
                    viewer_id=viewer.id,
                    with_counts=False,
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.items = [*self.items, *page.items]
        self.next_cursor = page.next_cursor or ""
        return None

    @rx.event
    def toggle_thread(self, communication_id: int) -> rx.event.EventSpec | None:
        """Opens or closes, under a timeline entry, the candidate's emails about its event."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        if not isinstance(communication_id, int) or isinstance(communication_id, bool):
            return None
        key = str(communication_id)
        if key in self.threads:
            self.threads = {k: v for k, v in self.threads.items() if k != key}
            return None
        # The event comes from the entry the server loaded, not from the browser.
        item = next((i for i in self.items if i.id == communication_id), None)
        if item is None or not item.event_id:
            return None
        try:
            with session_scope() as session:
                thread = list_event_thread(
                    session=session,
                    candidate_id=self.profile.id,
                    event_id=item.event_id,
                    viewer_id=viewer.id,
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        kept = list(self.threads.items())[-(MAX_OPEN_THREADS - 1) :]
        self.threads = {**dict(kept), key: thread}
        return None

    def _refilter(self) -> rx.event.EventSpec | None:
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        return self._reload(viewer)

    @rx.event
    def toggle_type(self, type_value: str) -> rx.event.EventSpec | None:
        """Shows or hides one communication type."""
        if type_value not in TYPE_LABELS:
            return None
        if type_value in self.filter_types:
            self.filter_types = [t for t in self.filter_types if t != type_value]
        else:
            self.filter_types = [*self.filter_types, type_value]
        return self._refilter()

    @rx.event
    def set_filter_origin(self, origin: str) -> rx.event.EventSpec | None:
        """Logged entries, system emails, or both."""
        self.filter_origin = origin if origin in ("all", "logged", "system") else "all"
        return self._refilter()

    @rx.event
    def set_filter_from(self, value: str) -> rx.event.EventSpec | None:
        """The first day shown."""
        self.filter_from = value if isinstance(value, str) and len(value) <= 10 else ""
        return self._refilter()

    @rx.event
    def set_filter_to(self, value: str) -> rx.event.EventSpec | None:
        """The last day shown."""
        self.filter_to = value if isinstance(value, str) and len(value) <= 10 else ""
        return self._refilter()

    @rx.event
    def set_filter_person(self, value: str) -> rx.event.EventSpec | None:
        """Only entries a member took part in (or logged)."""
        self.filter_person = value if isinstance(value, str) and len(value) <= 40 else "anyone"
        return self._refilter()

    @rx.event
    def set_search(self, value: str) -> rx.event.EventSpec | None:
        """Free-text search over subject and body."""
        self.search = value[:100] if isinstance(value, str) else ""
        return self._refilter()

    @rx.event
    def clear_filters(self) -> rx.event.EventSpec | None:
        """Shows everything again."""
        self.filter_types = []
        self.filter_origin = "all"
        self.filter_from = self.filter_to = self.search = ""
        self.filter_person = "anyone"
        return self._refilter()

    @rx.event
    def export_csv(self) -> rx.event.EventSpec | None:
        """Downloads the entries under the current filters as CSV."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        try:
            with session_scope() as session:
                data = export_timeline_csv(
                    session=session,
                    candidate_id=self.profile.id,
                    filters=self._filters(),
                    viewer_id=viewer.id,
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        slug = "-".join(self.profile.name.lower().split()) or "candidate"
        return rx.download(data=data, filename=f"communications-{slug}.csv")

    # --- the modal ----------------------------------------------------------------

    def _reset_form(self) -> None:
        self.form_errors = {}
        self.form_error = ""
        self.sent_by_query = self.sent_to_query = ""
        self.sent_by_options = []
        self.sent_to_options = []
        self.saving = False

    @rx.event
    def open_new(self) -> rx.event.EventSpec | None:
        """Opens an empty modal: now, sent by me, sent to this candidate."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        if not viewer.is_admin:
            return rx.toast.error("Only admins can log communications.")
        self._reset_form()
        self.editing_id = self.editing_version = 0
        self.form_type = CommunicationType.EMAIL.value
        self.form_date = local_input(datetime.now(UTC), self.time_zone)
        self.form_subject = self.form_description = ""
        self.form_sent_by = [
            PersonOption(kind="member", id=viewer.id, name=viewer.name, email=viewer.email)
        ]
        self.form_sent_to = [
            PersonOption(
                kind="candidate",
                id=self.profile.id,
                name=self.profile.name,
                email=self.profile.email,
            )
        ]
        self.modal_open = True
        return None

    @rx.event
    def open_edit(self, communication_id: int) -> rx.event.EventSpec | None:
        """Opens the modal filled with an entry the viewer logged."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        if not isinstance(communication_id, int):
            return None
        try:
            with session_scope() as session:
                item = get_communication(
                    session=session, communication_id=communication_id, viewer_id=viewer.id
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        if not item.can_edit:
            return rx.toast.error("Only the member who logged this communication can edit it.")
        self._reset_form()
        self.editing_id = item.id
        self.editing_version = item.version
        self.form_type = item.type
        self.form_date = local_input(datetime.fromisoformat(item.occurred_at_iso), self.time_zone)
        self.form_subject = item.subject
        self.form_description = item.body
        self.form_sent_by = [
            PersonOption(kind=p.kind, id=p.id, name=p.name, email=p.email) for p in item.sent_by
        ]
        self.form_sent_to = [
            PersonOption(kind=p.kind, id=p.id, name=p.name, email=p.email)
            for p in item.to
            if p.kind in ("member", "candidate")
        ]
        self.modal_open = True
        return None

    @rx.event
    def set_modal_open(self, is_open: bool) -> None:
        """Closes the modal (Cancel, Escape, a click outside)."""
        self.modal_open = bool(is_open) and self.modal_open

    @rx.event
    def set_form_type(self, value: str) -> None:
        """Communication Type."""
        self.form_type = value if value in TYPE_LABELS else self.form_type
        self.form_errors = {k: v for k, v in self.form_errors.items() if k != "type"}

    @rx.event
    def set_form_date(self, value: str) -> None:
        """Date (date and time, in the viewer's zone)."""
        self.form_date = value[:20] if isinstance(value, str) else ""

    @rx.event
    def set_form_subject(self, value: str) -> None:
        """Subject."""
        self.form_subject = value[:1000] if isinstance(value, str) else ""

    @rx.event
    def set_form_description(self, value: str) -> None:
        """Description."""
        self.form_description = value[:40_000] if isinstance(value, str) else ""

    def _options(self, query: str, kinds: tuple[str, ...], chosen: list[PersonOption]) -> list:
        if not query.strip():
            return []
        taken = {_person_option_key(o) for o in chosen}
        with session_scope() as session:
            found = member_and_candidate_options(
                session=session, query=query, limit=min(50, PICKER_LIMIT + len(taken)), kinds=kinds
            )
        return [o for o in found if _person_option_key(o) not in taken][:PICKER_LIMIT]

    @rx.event
    def search_sent_by(self, query: str) -> rx.event.EventSpec | None:
        """Members matching what is typed in Sent By."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        self.sent_by_query = query[:100] if isinstance(query, str) else ""
        try:
            self.sent_by_options = self._options(self.sent_by_query, ("member",), self.form_sent_by)
        except DomainError:
            self.sent_by_options = []
        return None

    @rx.event
    def search_sent_to(self, query: str) -> rx.event.EventSpec | None:
        """Candidates and members matching what is typed in Sent To."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        self.sent_to_query = query[:100] if isinstance(query, str) else ""
        try:
            self.sent_to_options = self._options(
                self.sent_to_query, ("candidate", "member"), self.form_sent_to
            )
        except DomainError:
            self.sent_to_options = []
        return None

    @rx.event
    def add_sent_by(self, option: dict) -> None:
        """Adds a member to Sent By (from the picker's list)."""
        picked = self._picked(option, self.sent_by_options)
        if picked is not None:
            self.form_sent_by = [*self.form_sent_by, picked]
        self.sent_by_query = ""
        self.sent_by_options = []

    @rx.event
    def add_sent_to(self, option: dict) -> None:
        """Adds a candidate or member to Sent To (from the picker's list)."""
        picked = self._picked(option, self.sent_to_options)
        if picked is not None:
            self.form_sent_to = [*self.form_sent_to, picked]
        self.sent_to_query = ""
        self.sent_to_options = []

    @staticmethod
    def _picked(option: object, offered: list[PersonOption]) -> PersonOption | None:
        # Only what the server itself offered can be picked; the service
        # checks the ids again on save.
        if not isinstance(option, dict):
            return None
        key = f"{option.get('kind')}:{option.get('id')}"
        return next((o for o in offered if _person_option_key(o) == key), None)

    @rx.event
    def remove_sent_by(self, key: str) -> None:
        """Removes a member from Sent By."""
        self.form_sent_by = [o for o in self.form_sent_by if _person_option_key(o) != key]

    @rx.event
    def remove_sent_to(self, key: str) -> None:
        """Removes a person from Sent To."""
        self.form_sent_to = [o for o in self.form_sent_to if _person_option_key(o) != key]

    def _input(self) -> CommunicationInput | None:
        occurred_at = parse_local(self.form_date, self.time_zone)
        if occurred_at is None:
            self.form_errors = {"occurred_at": "Enter the date and time it happened."}
            return None
        return CommunicationInput(
            type=self.form_type,
            occurred_at=occurred_at,
            sent_by_member_ids=[o.id for o in self.form_sent_by if o.kind == "member"],
            sent_to=[PersonRef(kind=o.kind, id=o.id) for o in self.form_sent_to],
            subject=self.form_subject,
            description=self.form_description,
        )

    @rx.event
    def save(self) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        """Logs the communication, or saves the edit; shows errors beside the fields."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        self.form_errors = {}
        self.form_error = ""
        data = self._input()
        if data is None:
            return None
        try:
            with session_scope() as session:
                if self.editing_id:
                    edit_communication(
                        session=session,
                        actor_id=viewer.id,
                        communication_id=self.editing_id,
                        expected_version=self.editing_version,
                        data=data,
                    )
                else:
                    log_communication(session=session, actor_id=viewer.id, data=data)
        except Invalid as exc:
            self.form_errors = {k: v for k, v in exc.field_errors.items() if k in FIELDS}
            self.form_error = "" if self.form_errors else str(exc)
            return None
        except (Conflict, NotAllowed, NotFound) as exc:
            self.form_error = str(exc)
            return None
        edited = bool(self.editing_id)
        self.modal_open = False
        return [
            self._reload(viewer),
            rx.toast.success("Changes saved." if edited else "Communication logged."),
        ]

    # --- delete and history -----------------------------------------------------

    @rx.event
    def ask_delete(self, communication_id: int) -> rx.event.EventSpec | None:
        """Asks to confirm deleting an entry the viewer logged."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        item = next((i for i in self.items if i.id == communication_id), None)
        if item is None or not item.can_edit:
            return rx.toast.error("Only the member who logged this communication can delete it.")
        self.delete_id = item.id
        self.delete_version = item.version
        self.delete_subject = item.subject
        self.delete_open = True
        return None

    @rx.event
    def set_delete_open(self, is_open: bool) -> None:
        """Closes the delete confirmation."""
        self.delete_open = bool(is_open) and self.delete_open

    @rx.event
    def confirm_delete(
        self,
    ) -> list[rx.event.EventSpec] | rx.event.EventSpec | None:
        """Deletes the entry asked about, from every timeline."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        self.delete_open = False
        try:
            with session_scope() as session:
                delete_communication(
                    session=session,
                    actor_id=viewer.id,
                    communication_id=self.delete_id,
                    expected_version=self.delete_version,
                )
        except DomainError as exc:
            return [self._reload(viewer), rx.toast.error(str(exc))]
        return [self._reload(viewer), rx.toast.success("Communication deleted.")]

    @rx.event
    def open_history(self, communication_id: int) -> rx.event.EventSpec | None:
        """Shows who changed an entry, when, and what."""
        viewer, redirect = self._viewer_or_redirect()
        if viewer is None:
            return redirect
        try:
            with session_scope() as session:
                self.history = list_revisions(
                    session=session, communication_id=communication_id, viewer_id=viewer.id
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        item = next((i for i in self.items if i.id == communication_id), None)
        self.history_subject = item.subject if item else ""
        self.history_open = True
        return None

    @rx.event
    def set_history_open(self, is_open: bool) -> None:
        """Closes the history."""
        self.history_open = bool(is_open) and self.history_open
