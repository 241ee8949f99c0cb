"""Small building blocks shared by the pages."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

DATE_TIME_FORMAT = "ddd, MMM D, YYYY · h:mm A"


def local_datetime(iso: rx.Var[str], fmt: str = DATE_TIME_FORMAT) -> rx.Component:
    """A UTC ISO timestamp shown in the viewer's own time zone."""
    return rx.moment(iso, format=fmt, local=True)


def empty_state(icon: str, title: str | rx.Var[str], hint: str) -> rx.Component:
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


def table_card(
    *,
    table_id: str,
    headers: list[str],
    rows: rx.Var[list],
    render_row: Callable[[rx.Var], rx.Component],
    loaded: rx.Var[bool],
    empty: rx.Component,
) -> rx.Component:
    """A card holding a table of `rows`, or `empty` once loaded with nothing to show."""
    return rx.card(
        rx.cond(
            rows.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
                rx.table.body(rx.foreach(rows, render_row)),
                variant="ghost",
                size="2",
                width="100%",
                id=table_id,
            ),
            rx.cond(loaded, empty),
        ),
        width="100%",
    )
