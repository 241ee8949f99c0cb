"""State of the Mailbox page: what the app's local SMTP server received (demo mode)."""

from __future__ import annotations

import reflex as rx

from flo_comms.services.mail_server import MailboxMessage, default_mailbox
from flo_comms.settings import settings
from flo_comms.state.session import SessionState

PAGE_SIZE = 50


class MailboxState(SessionState):
    """The delivered messages, newest first, and the one open."""

    messages: list[MailboxMessage] = []
    open_key: str = ""
    total: int = 0
    enabled: bool = False

    def _refresh(self) -> None:
        mailbox = default_mailbox()
        self.messages = mailbox.list_messages(limit=PAGE_SIZE)
        self.total = mailbox.count()
        if self.messages and self.open_key not in {m.key for m in self.messages}:
            self.open_key = self.messages[0].key

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the mailbox (admins, demo mode only)."""
        viewer = self._signed_in()
        if viewer is None:
            return self._sign_in_redirect()
        if not viewer.is_admin:
            return rx.redirect("/candidates")
        self.enabled = settings.demo_mode and settings.smtp_start_local
        if self.enabled:
            self._refresh()
        return None

    @rx.event
    def refresh(self) -> rx.event.EventSpec | None:
        """Looks for newly delivered messages."""
        return self.load()

    @rx.event
    def open_message(self, key: str) -> None:
        """Shows one message."""
        if isinstance(key, str) and any(m.key == key for m in self.messages):
            self.open_key = key

    @rx.var
    def open_message_view(self) -> MailboxMessage | None:
        """The message shown on the right."""
        return next((m for m in self.messages if m.key == self.open_key), None)
