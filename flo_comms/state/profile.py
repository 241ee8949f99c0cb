"""State of a candidate's profile page."""

from __future__ import annotations

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.errors import NotFound
from flo_comms.schemas import CandidateProfile
from flo_comms.services.profiles import get_candidate_profile
from flo_comms.state.session import SessionState

TABS = ("overview", "applications", "events", "communications")

EMPTY_PROFILE = CandidateProfile(
    id=0,
    name="",
    email="",
    phone="",
    law_school="",
    class_year="",
    graduation_year="",
    source="",
    agency_name="",
    agency_contact_name="",
    agency_contact_email="",
    applications=[],
    registrations=[],
    communications=0,
    last_contact_iso="",
)


def parse_candidate_id(raw: object) -> int | None:
    """The candidate id from the URL, or None if it is not a positive integer."""
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 12:
        return int(raw)
    return None


class ProfileState(SessionState):
    """The candidate shown, and the open tab (kept in the URL as `?tab=`)."""

    profile: CandidateProfile = EMPTY_PROFILE
    tab: str = "overview"
    not_found: bool = False

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        """Loads the candidate named in the URL, on the tab the URL names."""
        if self._signed_in() is None:
            return self._sign_in_redirect()
        tab = self.router.url.query_parameters.get("tab", "overview")
        self.tab = tab if tab in TABS else "overview"
        candidate_id = parse_candidate_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])
        try:
            with session_scope() as session:
                self.profile = get_candidate_profile(session=session, candidate_id=candidate_id)
        except NotFound:
            self.profile = EMPTY_PROFILE
            self.not_found = True
            return None
        self.not_found = False
        return None

    @rx.event
    def set_tab(self, tab: str) -> rx.event.EventSpec | None:
        """Opens a tab and puts it in the URL, so the link opens the same tab."""
        if tab not in TABS:
            return None
        self.tab = tab
        return rx.call_script(f"window.history.replaceState(null, '', '?tab={tab}')")
