"""The candidates directory page."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, table_card
from flo_comms.components.layout import page_shell
from flo_comms.schemas import CandidateRow
from flo_comms.state.candidates import CandidatesState

ROUTE = "/candidates"


def _row(candidate: CandidateRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(candidate.name, href=f"/candidates/{candidate.id}", weight="medium")
        ),
        rx.table.cell(candidate.email),
        rx.table.cell(candidate.phone),
        rx.table.cell(candidate.law_school),
        align="center",
    )


def _search_box() -> rx.Component:
    return rx.input(
        rx.input.slot(rx.icon("search", size=16)),
        placeholder="Search by name or email",
        value=CandidatesState.search,
        on_change=CandidatesState.set_search.debounce(250),
        aria_label="Search candidates",
        id="candidate-search",
        max_length=100,
        size="3",
        width="22rem",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.text(
            CandidatesState.total,
            rx.cond(CandidatesState.total == 1, " candidate", " candidates"),
            size="2",
            color="var(--gray-11)",
            id="candidate-count",
        ),
        rx.spacer(),
        rx.text("Page ", CandidatesState.page_number, size="2", color="var(--gray-11)"),
        rx.button(
            rx.icon("chevron-left", size=16),
            "Previous",
            variant="soft",
            color_scheme="gray",
            disabled=CandidatesState.prev_cursor == "",
            on_click=CandidatesState.prev_page,
        ),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            variant="soft",
            color_scheme="gray",
            disabled=CandidatesState.next_cursor == "",
            on_click=CandidatesState.next_page,
        ),
        align="center",
        spacing="3",
        width="100%",
        padding_top="0.75rem",
    )


def candidates_page() -> rx.Component:
    """Candidates: name, email, phone, law school; search as you type; paged."""
    return page_shell(
        rx.vstack(
            rx.hstack(_search_box(), width="100%"),
            rx.cond(
                CandidatesState.error != "",
                rx.callout(CandidatesState.error, icon="triangle-alert", color_scheme="red"),
            ),
            table_card(
                table_id="candidates-table",
                headers=["Name", "Email", "Phone", "Law school"],
                rows=CandidatesState.rows,
                render_row=_row,
                loaded=CandidatesState.loaded,
                empty=empty_state(
                    "user-search",
                    rx.cond(
                        CandidatesState.search != "",
                        "No candidate matches this search.",
                        "No candidates yet.",
                    ),
                    "Try part of a name or an email address.",
                ),
            ),
            _pager(),
            spacing="4",
            width="100%",
        ),
        title="Candidates",
        active="Candidates",
    )
