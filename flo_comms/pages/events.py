"""The outreach events list page."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, local_datetime, table_card
from flo_comms.components.event_form import event_form_dialog
from flo_comms.components.layout import page_shell
from flo_comms.schemas import EventRow
from flo_comms.state.event_form import EventFormState
from flo_comms.state.events import EventsState

ROUTE = "/events"


def _row(event: EventRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(event.name, href="/events/" + event.id.to_string(), weight="medium")
        ),
        rx.table.cell(rx.badge(event.type_label, variant="soft")),
        rx.table.cell(
            rx.badge(
                event.access_label,
                variant="outline",
                color_scheme=rx.cond(event.access_label == "Open", "green", "amber"),
            )
        ),
        rx.table.cell(local_datetime(event.starts_at_iso)),
        rx.table.cell(
            rx.vstack(
                rx.text(event.registrants, " registered", size="2"),
                rx.cond(
                    event.access_label == "Open",
                    rx.fragment(),
                    rx.text(
                        event.approved,
                        " approved · ",
                        event.pending,
                        " pending · ",
                        event.denied,
                        " denied",
                        size="1",
                        color="var(--gray-10)",
                    ),
                ),
                spacing="0",
            )
        ),
        align="center",
    )


def events_page() -> rx.Component:
    """Events: name, type, open or invite-only, date, registrants by state."""
    return page_shell(
        table_card(
            table_id="events-table",
            headers=["Event", "Type", "Access", "Starts", "Registrants"],
            rows=EventsState.events,
            render_row=_row,
            loaded=EventsState.loaded,
            empty=empty_state("calendar-days", "No events yet.", "Outreach events appear here."),
        ),
        event_form_dialog(),
        title="Events",
        active="Events",
        actions=(
            rx.cond(
                EventsState.viewer_is_admin,
                rx.button(
                    rx.icon("plus", size=14), "New event", on_click=EventFormState.open_new,
                    id="new-event",
                ),
            ),
        ),
    )  # fmt: skip
