"""State of a job's page: its applications, status changes and update requests."""

from __future__ import annotations

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError, NotFound
from flo_comms.schemas import EmailPreview, JobDetail
from flo_comms.services.job_emails import (
    change_status,
    get_job,
    preview_status_change,
    send_update_requests,
)
from flo_comms.services.outbox import notify_dispatchers
from flo_comms.state.session import SessionState

MAX_SELECTED = 100

EMPTY_JOB = JobDetail(
    id=0,
    name="",
    office="",
    department="",
    position_type="",
    process_year=0,
    applications=[],
    statuses=[],
)


def _job_id_from_path(path: str) -> int | None:
    raw = path.rstrip("/").rsplit("/", 1)[-1]
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


class JobState(SessionState):
    """One job: the applications table, the selection, the dialogs."""

    job: JobDetail = EMPTY_JOB
    not_found: bool = False
    selected: list[int] = []
    status_dialog_open: bool = False
    target_status: str = ""
    previews: list[EmailPreview] = []
    preview_error: str = ""
    update_dialog_open: bool = False
    working: bool = False

    def _reload(self) -> None:
        job_id = _job_id_from_path(self.router.url.path)
        try:
            with session_scope() as session:
                self.job = get_job(session=session, job_id=job_id)
        except NotFound:
            self.job = EMPTY_JOB
            self.not_found = True
            return
        self.not_found = False
        present = {a.id for a in self.job.applications}
        self.selected = [i for i in self.selected if i in present]

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the job named in the URL."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        self.selected = []
        self.status_dialog_open = self.update_dialog_open = False
        self._reload()
        return None

    @rx.event
    def toggle_selected(self, application_id: int) -> None:
        """Selects or unselects one application."""
        if not isinstance(application_id, int):
            return
        if application_id in self.selected:
            self.selected = [i for i in self.selected if i != application_id]
        elif len(self.selected) < MAX_SELECTED:
            self.selected = [*self.selected, application_id]

    @rx.event
    def toggle_all(self) -> None:
        """Selects every application (up to 100), or none."""
        if self.selected:
            self.selected = []
        else:
            self.selected = [a.id for a in self.job.applications][:MAX_SELECTED]

    @rx.event
    def open_status_dialog(self, application_id: int = 0) -> rx.event.EventSpec | None:
        """Opens "Change status" for one application, or for the selection."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.toast.error("Only admins can change statuses.")
        if isinstance(application_id, int) and application_id:
            self.selected = [application_id]
        if not self.selected:
            return rx.toast.error("Select at least one application.")
        self.target_status = ""
        self.previews = []
        self.preview_error = ""
        self.status_dialog_open = True
        return None

    @rx.event
    def set_status_dialog_open(self, is_open: bool) -> None:
        """Closes the status dialog."""
        self.status_dialog_open = bool(is_open) and self.status_dialog_open

    @rx.event
    def set_target_status(self, status_id: str) -> rx.event.EventSpec | None:
        """Picks the new status and previews the email(s) it sends."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not isinstance(status_id, str) or not status_id.isdigit():
            return None
        self.target_status = status_id
        try:
            with session_scope() as session:
                self.previews = preview_status_change(
                    session=session,
                    actor_id=viewer.id,
                    application_ids=list(self.selected),
                    status_id=int(status_id),
                )
        except DomainError as exc:
            self.previews = []
            self.preview_error = str(exc)
            return None
        self.preview_error = ""
        return None

    @rx.event
    def apply_status(self) -> rx.event.EventSpec | None:
        """Changes the status of the selected applications; sends and logs their emails."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not self.target_status.isdigit():
            self.preview_error = "Choose the new status."
            return None
        try:
            with session_scope() as session:
                report = change_status(
                    session=session,
                    actor_id=viewer.id,
                    application_ids=list(self.selected),
                    status_id=int(self.target_status),
                )
        except DomainError as exc:
            self.preview_error = str(exc)
            return None
        notify_dispatchers()
        self.status_dialog_open = False
        self.selected = []
        self._reload()
        emails = len(report.communication_ids)
        message = (
            f"{report.changed} moved to {report.status_name}"
            + (f", {emails} email{'s' if emails != 1 else ''} sent" if emails else "")
            + (f", {report.skipped} already there" if report.skipped else "")
            + "."
        )
        if report.failed:
            failures = "; ".join(
                f"{r.candidate_name}: {r.message}" for r in report.results if r.outcome == "failed"
            )
            return rx.toast.error(f"{message} {report.failed} failed: {failures}")
        return rx.toast.success(message)

    @rx.event
    def open_update_dialog(self, application_id: int = 0) -> rx.event.EventSpec | None:
        """Asks to confirm sending update-application requests."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.toast.error("Only admins can send update requests.")
        if isinstance(application_id, int) and application_id:
            self.selected = [application_id]
        if not self.selected:
            return rx.toast.error("Select at least one application.")
        self.update_dialog_open = True
        return None

    @rx.event
    def set_update_dialog_open(self, is_open: bool) -> None:
        """Closes the update-request dialog."""
        self.update_dialog_open = bool(is_open) and self.update_dialog_open

    @rx.event
    def send_updates(self) -> rx.event.EventSpec | None:
        """Sends an update-application request to each selected candidate."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                report = send_update_requests(
                    session=session, actor_id=viewer.id, application_ids=list(self.selected)
                )
        except DomainError as exc:
            self.update_dialog_open = False
            return rx.toast.error(str(exc))
        notify_dispatchers()
        self.update_dialog_open = False
        self.selected = []
        self._reload()
        if report.failed:
            return rx.toast.error(f"{report.sent} sent, {report.failed} failed.")
        return rx.toast.success(
            f"{report.sent} update request{'s' if report.sent != 1 else ''} sent."
        )
