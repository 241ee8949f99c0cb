"""State of the members page (admins only)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError, Invalid
from flo_comms.schemas import MemberView
from flo_comms.services.auth import add_member, list_members, set_member_active, set_member_role
from flo_comms.state.session import SessionState


class MembersState(SessionState):
    """The members table and the "Add member" dialog."""

    members: list[MemberView] = []
    viewer_id: int = 0
    error: str = ""
    dialog_open: bool = False
    form_errors: dict[str, str] = {}
    saving: bool = False

    def _refresh(self, actor_id: int) -> None:
        with session_scope() as session:
            self.members = list_members(session=session, actor_id=actor_id)

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the members (page load); non-admins are sent to the candidates."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.redirect("/candidates")
        self.viewer_id = viewer.id
        self.error = ""
        self._refresh(viewer.id)
        return None

    @rx.event
    def set_dialog_open(self, is_open: bool) -> None:
        """Opens or closes the "Add member" dialog."""
        self.dialog_open = bool(is_open)
        self.form_errors = {}

    @rx.event
    async def add(self, form_data: dict) -> AsyncIterator[rx.event.EventSpec | None]:
        """Adds a member from the dialog's form."""
        viewer = self._signed_in()
        if viewer is None:
            yield self._sign_in_redirect()
            return
        if not isinstance(form_data, dict):
            return
        self.saving = True
        self.form_errors = {}
        yield

        def work() -> MemberView:
            with session_scope() as session:
                return add_member(
                    session=session,
                    actor_id=viewer.id,
                    name=form_data.get("name"),
                    email=form_data.get("email"),
                    role=form_data.get("role"),
                    password=form_data.get("password"),
                )

        try:
            member = await asyncio.to_thread(work)
        except Invalid as exc:
            self.saving = False
            self.form_errors = exc.field_errors or {"form": str(exc)}
            return
        except DomainError as exc:
            self.saving = False
            self.form_errors = {"form": str(exc)}
            return
        self.saving = False
        self.dialog_open = False
        self._refresh(viewer.id)
        yield rx.toast.success(f"{member.name} can now sign in.")

    @rx.event
    def change_role(self, member_id: int, role: str) -> rx.event.EventSpec | None:
        """Makes a member an admin or a member."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                member = set_member_role(
                    session=session, actor_id=viewer.id, member_id=member_id, role=role
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self._refresh(viewer.id)
        return rx.toast.success(
            f"{member.name} is now {'an admin' if role == 'admin' else 'a member'}."
        )

    @rx.event
    def set_active(self, member_id: int, active: bool) -> rx.event.EventSpec | None:
        """Deactivates (ending their sessions at once) or reactivates a member."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        try:
            with session_scope() as session:
                member = set_member_active(
                    session=session, actor_id=viewer.id, member_id=member_id, active=active
                )
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self._refresh(viewer.id)
        verb = "reactivated" if member.is_active else "deactivated; their sessions have ended"
        return rx.toast.success(f"{member.name} was {verb}.")
