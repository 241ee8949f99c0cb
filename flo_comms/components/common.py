"""Small building blocks shared by the pages."""

from __future__ import annotations

import reflex as rx

DATE_TIME_FORMAT = "ddd, MMM D, YYYY · h:mm A"


def local_datetime(iso: rx.Var[str], fmt: str = DATE_TIME_FORMAT) -> rx.Component:
    """A UTC ISO timestamp shown in the viewer's own time zone."""
    return rx.moment(iso, format=fmt, local=True)


def empty_state(icon: str, title: str, hint: str) -> rx.Component:
    """The friendly block shown where a list has nothing to show."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=32, color="var(--gray-9)"),
            rx.text(title, size="3", weight="medium"),
            rx.text(hint, size="2", color="var(--gray-10)"),
            align="center",
            spacing="2",
        ),
        padding="3rem",
    )
