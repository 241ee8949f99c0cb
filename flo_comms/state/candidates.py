"""State of the candidates directory."""

from __future__ import annotations

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import DomainError
from flo_comms.schemas import CandidateRow
from flo_comms.services.candidates import MAX_SEARCH_LENGTH, list_candidates
from flo_comms.state.session import SessionState

PAGE_SIZE = 25


class CandidatesState(SessionState):
    """The candidates table: search box, one page of rows, paging cursors."""

    search: str = ""
    rows: list[CandidateRow] = []
    total: int = 0
    next_cursor: str = ""
    prev_cursor: str = ""
    page_number: int = 1
    error: str = ""
    loaded: bool = False

    def _load(self, *, after: str | None = None, before: str | None = None) -> bool:
        try:
            with session_scope() as session:
                page = list_candidates(
                    session=session,
                    search=self.search,
                    after=after,
                    before=before,
                    limit=PAGE_SIZE,
                )
        except DomainError as exc:
            self.error = str(exc)
            return False
        self.rows = page.rows
        self.total = page.total
        self.next_cursor = page.next_cursor or ""
        self.prev_cursor = page.prev_cursor or ""
        self.error = ""
        self.loaded = True
        return True

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the first page (page load)."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        self.page_number = 1
        self._load()
        return None

    @rx.event
    def set_search(self, value: str) -> rx.event.EventSpec | None:
        """Filters by name or email as the user types."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        if not isinstance(value, str):
            return None
        self.search = value[:MAX_SEARCH_LENGTH]
        self.page_number = 1
        self._load()
        return None

    @rx.event
    def next_page(self) -> rx.event.EventSpec | None:
        """Shows the page after this one."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        if self.next_cursor and self._load(after=self.next_cursor):
            self.page_number += 1
        return None

    @rx.event
    def prev_page(self) -> rx.event.EventSpec | None:
        """Shows the page before this one."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        if self.prev_cursor and self._load(before=self.prev_cursor):
            self.page_number = max(1, self.page_number - 1)
        return None
