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
