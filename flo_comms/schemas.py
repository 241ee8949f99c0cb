"""Views that cross from the services into the UI: frozen, plain data.

ORM objects never reach Reflex state; these do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CandidateRow:
    """A line of the candidates table."""

    id: int
    name: str
    email: str
    phone: str
    law_school: str


@dataclass(frozen=True)
class CandidatePage:
    """One page of candidates, with the cursors to the pages around it."""

    rows: list[CandidateRow]
    next_cursor: str | None
    prev_cursor: str | None
    total: int


@dataclass(frozen=True)
class StatusCount:
    """How many of a job's applications are in one status."""

    status: str
    count: int


@dataclass(frozen=True)
class JobRow:
    """A line of the jobs list."""

    id: int
    name: str
    office: str
    department: str
    position_type: str
    process_year: int
    applications: int
    by_status: list[StatusCount]


@dataclass(frozen=True)
class EventRow:
    """A line of the events list."""

    id: int
    name: str
    type_label: str
    access_label: str
    starts_at_iso: str
    registrants: int
    pending: int
    approved: int
    denied: int


@dataclass(frozen=True)
class MemberView:
    """A signed-in member, or a line of the members page."""

    id: int
    name: str
    email: str
    role: str
    is_active: bool

    @property
    def is_admin(self) -> bool:
        """Whether the member may log, edit, send and configure."""
        return self.role == "admin" and self.is_active


@dataclass(frozen=True)
class DemoAccount:
    """A demo account offered for one-click sign-in in demo mode."""

    name: str
    email: str
    role: str
    title: str


@dataclass(frozen=True)
class ApplicationSummary:
    """One of a candidate's applications, on their profile."""

    id: int
    job_name: str
    office: str
    status: str
    source: str
    agency_contact_name: str
    updated_at_iso: str


@dataclass(frozen=True)
class RegistrationSummary:
    """One of a candidate's outreach events, on their profile."""

    id: int
    event_name: str
    type_label: str
    invite_only: bool
    starts_at_iso: str
    joined_via: str
    review_state: str


@dataclass(frozen=True)
class CandidateProfile:
    """A candidate's profile header and overview."""

    id: int
    name: str
    email: str
    phone: str
    law_school: str
    class_year: str
    graduation_year: str
    source: str
    agency_name: str
    agency_contact_name: str
    agency_contact_email: str
    applications: list[ApplicationSummary]
    registrations: list[RegistrationSummary]
    communications: int
    last_contact_iso: str
