"""State of the Delivery page: the outbox's state, failed emails, and the dropbox's quarantine."""

from __future__ import annotations

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError
from flo_comms.schemas import FailedEmailView
from flo_comms.services.dropbox import (
    QuarantinedEmailView,
    count_quarantine,
    list_quarantine,
    release_quarantined,
)
from flo_comms.services.outbox import (
    list_failed,
    notify_dispatchers,
    outbox_status_counts,
    retry_failed,
)
from flo_comms.state.session import SessionState

COUNT_LABELS = (
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("retrying", "Retrying"),
    ("failed", "Failed"),
)


class DeliveryState(SessionState):
    """What the outbox and the dropbox hold (admins)."""

    counts: list[dict[str, str]] = []
    failed: list[FailedEmailView] = []
    quarantine: list[QuarantinedEmailView] = []
    quarantine_total: int = 0
    loaded: bool = False

    def _refresh(self, actor_id: int) -> None:
        with session_scope() as session:
            counts = outbox_status_counts(session)
            self.failed = list_failed(session=session, actor_id=actor_id)
            self.quarantine = list_quarantine(session=session, actor_id=actor_id)
            self.quarantine_total = count_quarantine(session=session, actor_id=actor_id)
        self.counts = [
            {"key": key, "label": label, "count": f"{counts.get(key, 0):,}"}
            for key, label in COUNT_LABELS
        ]
        self.loaded = True

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the page (admins only)."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.redirect("/candidates")
        self._refresh(viewer.id)
        return None

    @rx.event
    def retry(self, outbox_id: int) -> rx.event.EventSpec | None:
        """Queues a failed email again with fresh attempts."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                retry_failed(session=session, outbox_id=outbox_id, actor_id=viewer.id)
        except DomainError as exc:
            return rx.toast.error(str(exc))
        notify_dispatchers()
        self._refresh(viewer.id)
        return rx.toast.success("Queued again; the dispatcher sends it shortly.")

    @rx.event
    def release(self, inbound_id: int) -> rx.event.EventSpec | None:
        """Tries a quarantined dropbox message again (after adding its candidate, say)."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                result = release_quarantined(
                    session=session, inbound_id=inbound_id, actor_id=viewer.id
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self._refresh(viewer.id)
        if result.communication_id is None:
            return rx.toast.error(f"Still not logged: {result.reason}")
        return rx.toast.success("Logged on the timeline.")
