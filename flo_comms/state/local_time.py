"""Dates typed in forms: `datetime-local` values in the viewer's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BROWSER_ZONE_SCRIPT = "Intl.DateTimeFormat().resolvedOptions().timeZone"
"""Run with `rx.call_script` to learn the browser's time zone name."""


def zone(name: str) -> timezone | ZoneInfo:
    """The named IANA zone; UTC for an empty or unknown name."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def checked_zone_name(name: object) -> str:
    """A zone name from the browser if it is a real zone, else ""."""
    if isinstance(name, str) and len(name) < 64 and zone(name) is not UTC:
        return name
    return ""


def local_input(moment: datetime, zone_name: str) -> str:
    """A datetime as a `datetime-local` input value in the viewer's zone."""
    return moment.astimezone(zone(zone_name)).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: object, zone_name: str) -> datetime | None:
    """A `datetime-local` value in the viewer's zone, as an aware datetime (None if bad)."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return None
    return naive.replace(tzinfo=zone(zone_name))
