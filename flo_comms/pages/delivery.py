"""The Delivery page (admins): the outbox at a glance, failed emails, the dropbox's quarantine."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, local_datetime
from flo_comms.components.layout import page_shell
from flo_comms.schemas import FailedEmailView
from flo_comms.services.dropbox import QuarantinedEmailView
from flo_comms.state.delivery import DeliveryState as S

ROUTE = "/delivery"
_MUTED = "var(--gray-10)"


def _count(item: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="2", color=_MUTED),
            rx.text(item["count"], size="6", weight="bold"),
            spacing="1",
        ),
        class_name="outbox-count",
        id="outbox-count-" + item["key"],
    )


def _failed_row(email: FailedEmailView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(email.subject, weight="medium", size="2"),
                rx.text(email.recipients, size="1", color=_MUTED),
                spacing="0",
            )
        ),
        rx.table.cell(local_datetime(email.created_at_iso, "MMM D, h:mm A")),
        rx.table.cell(rx.text(email.attempts, rx.cond(email.gave_up, " (gave up)", ""), size="2")),
        rx.table.cell(rx.text(email.last_error, size="1", color="var(--red-11)")),
        rx.table.cell(
            rx.cond(
                email.gave_up,
                rx.button("Retry", size="1", on_click=S.retry(email.id)),
                rx.text(
                    "next try ",
                    local_datetime(email.next_attempt_at_iso, "h:mm A"),
                    size="1",
                    color=_MUTED,
                ),
            )
        ),
        align="center",
        class_name="failed-email-row",
    )


def _quarantine_row(message: QuarantinedEmailView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(message.subject, weight="medium", size="2")),
        rx.table.cell(rx.text(message.mail_from, size="2")),
        rx.table.cell(local_datetime(message.received_at_iso, "MMM D, h:mm A")),
        rx.table.cell(rx.text(message.error, size="1", color=_MUTED)),
        rx.table.cell(rx.button("Try again", size="1", variant="soft",
                                on_click=S.release(message.id))),
        align="center",
        class_name="quarantine-row",
    )  # fmt: skip


def _table(headers: list[str], rows: rx.Component, table_id: str) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
        rx.table.body(rows),
        variant="ghost",
        width="100%",
        id=table_id,
    )


def delivery_page() -> rx.Component:
    """Counts by state; failed emails with Retry; quarantined dropbox mail with Try again."""
    return page_shell(
        rx.vstack(
            rx.grid(
                rx.foreach(S.counts, _count),
                columns=rx.breakpoints(initial="2", md="5"),
                spacing="3",
                width="100%",
            ),
            rx.heading("Failed emails", size="3", as_="h2"),
            rx.text(
                "The dispatcher retries with growing delays; after the last attempt it gives up "
                "and the email waits here for a Retry.",
                size="2",
                color="var(--gray-11)",
            ),
            rx.card(
                rx.cond(
                    S.failed.length() > 0,
                    _table(
                        ["Email", "Queued", "Attempts", "Last error", ""],
                        rx.foreach(S.failed, _failed_row),
                        "failed-emails",
                    ),
                    rx.cond(
                        S.loaded,
                        empty_state("mail-check", "Nothing has failed.", "Every email went out."),
                    ),
                ),
                width="100%",
            ),
            rx.heading("Dropbox quarantine", size="3", as_="h2"),
            rx.text(
                "Messages the BCC dropbox could not log (unreadable, or naming no candidate): "
                "add the candidate, then Try again. ",
                rx.cond(
                    S.quarantine_total > S.quarantine.length(),
                    rx.text.span(
                        "The newest ",
                        S.quarantine.length(),
                        " of ",
                        S.quarantine_total,
                        " are shown.",
                    ),
                ),
                size="2",
                color="var(--gray-11)",
            ),
            rx.card(
                rx.cond(
                    S.quarantine.length() > 0,
                    _table(
                        ["Subject", "From", "Received", "Why", ""],
                        rx.foreach(S.quarantine, _quarantine_row),
                        "quarantine",
                    ),
                    rx.cond(
                        S.loaded,
                        empty_state("shield-check", "The quarantine is empty.", ""),
                    ),
                ),
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        title="Delivery",
        active="Delivery",
    )
