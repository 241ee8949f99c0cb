"""State of the sign-in page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError, Invalid
from flo_comms.schemas import DemoAccount
from flo_comms.services.auth import (
    active_member_emails,
    authenticate,
    demo_sign_in,
    start_session,
)
from flo_comms.services.demo import DEMO_ACCOUNTS
from flo_comms.settings import settings
from flo_comms.state.session import SessionState, navigate, safe_next_path


def _demo_accounts() -> list[DemoAccount]:
    """The seeded demo accounts that exist here, in demo mode; none otherwise."""
    if not settings.demo_mode:
        return []
    with session_scope() as session:
        present = active_member_emails(session=session, emails={a.email for a in DEMO_ACCOUNTS})
    return [account for account in DEMO_ACCOUNTS if account.email in present]


class SignInState(SessionState):
    """Email and password, the error shown, and the demo accounts in demo mode."""

    error: str = ""
    email_error: str = ""
    password_error: str = ""
    notice: str = ""
    busy: bool = False
    demo_accounts: list[DemoAccount] = []

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Sends a signed-in member on; otherwise shows the form (and demo accounts)."""
        self.error = self.email_error = self.password_error = ""
        self.busy = False
        self.notice = (
            "That sign-in link has expired. Please sign in again."
            if self.router.url.query_parameters.get("expired")
            else ""
        )
        self.demo_accounts = _demo_accounts()
        if self._signed_in() is not None:
            return rx.redirect(self._next_path())
        return None

    def _next_path(self) -> str:
        return safe_next_path(self.router.url.query_parameters.get("next"))

    def _handoff(self, code: str) -> rx.event.EventSpec:
        return navigate("/auth/session?" + urlencode({"code": code, "next": self._next_path()}))

    @rx.event
    async def sign_in(self, form_data: dict) -> AsyncIterator[rx.event.EventSpec | None]:
        """Checks the email and password (off the event loop) and starts a session."""
        if not isinstance(form_data, dict):
            return
        email, password = form_data.get("email"), form_data.get("password")
        self.error = self.email_error = self.password_error = self.notice = ""
        self.busy = True
        yield

        def work() -> str:
            with session_scope() as session:
                member = authenticate(session=session, email=email, password=password)
                return start_session(
                    session=session, member_id=member.id, days=settings.session_days
                )

        try:
            code = await asyncio.to_thread(work)
        except Invalid as exc:
            self.busy = False
            self.email_error = exc.field_errors.get("email", "")
            self.password_error = exc.field_errors.get("password", "")
            self.error = "" if exc.field_errors else str(exc)
            return
        except DomainError as exc:
            self.busy = False
            self.error = str(exc)
            return
        yield self._handoff(code)

    @rx.event
    async def sign_in_as_demo(self, email: str) -> rx.event.EventSpec | None:
        """Demo mode's one-click sign-in, for the seeded demo accounts only."""
        demo_emails = {a.email for a in DEMO_ACCOUNTS}

        def work() -> str:
            with session_scope() as session:
                member = demo_sign_in(
                    session=session,
                    email=email,
                    demo_mode=settings.demo_mode,
                    demo_emails=demo_emails,
                )
                return start_session(
                    session=session, member_id=member.id, days=settings.session_days
                )

        try:
            code = await asyncio.to_thread(work)
        except DomainError as exc:
            self.error = str(exc)
            return None
        return self._handoff(code)
