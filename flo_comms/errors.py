"""Domain errors raised by the services and shown to the user by the UI."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a service raises on purpose; the message is for the user."""


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class NotAllowed(DomainError):
    """The caller may not do this."""


class Invalid(DomainError):
    """The input is wrong. `field_errors` maps a form field to its message."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = dict(field_errors or {})


class Conflict(DomainError):
    """The record changed since the caller read it."""
