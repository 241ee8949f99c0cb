"""The Mailbox page: the local SMTP server's inbox, shown like an email client."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, local_datetime
from flo_comms.components.layout import page_shell
from flo_comms.services.mail_server import MailboxMessage
from flo_comms.state.mailbox import MailboxState as S

ROUTE = "/mailbox"


def _addresses(values: rx.Var) -> rx.Component:
    return rx.text(values.to(list[str]).join(", "), size="2")


def _list_item(message: MailboxMessage) -> rx.Component:
    is_open = S.open_key == message.key
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(
                    message.from_, size="2", weight="bold", trim="both", class_name="mail-from"
                ),
                rx.spacer(),
                rx.text(
                    local_datetime(message.date_iso, "MMM D, h:mm A"),
                    size="1",
                    color="var(--gray-10)",
                    white_space="nowrap",
                ),
                width="100%",
            ),
            rx.text(message.subject, size="2", class_name="mail-subject"),
            rx.text("To ", _addresses(message["to"]), size="1", color="var(--gray-10)"),
            spacing="1",
            width="100%",
        ),
        padding="0.75rem 1rem",
        border_bottom="1px solid var(--gray-4)",
        background=rx.cond(is_open, "var(--indigo-3)", "transparent"),
        cursor="pointer",
        on_click=S.open_message(message.key),
        class_name="mail-item",
        role="button",
        aria_label="Open " + message.subject,
    )


def _header_line(label: str, value: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", weight="bold", width="4rem", color="var(--gray-11)"),
        value,
        align="start",
    )


def _reader() -> rx.Component:
    message = S.open_message_view
    return rx.cond(
        message,
        rx.vstack(
            rx.heading(message.subject, size="4", as_="h2", id="mail-subject"),
            _header_line("From", rx.text(message.from_, size="2")),
            _header_line("To", _addresses(message["to"])),
            rx.cond(message.cc.length() > 0, _header_line("CC", _addresses(message.cc))),
            rx.cond(
                message.bcc.length() > 0,
                _header_line("BCC", _addresses(message.bcc)),
            ),
            _header_line("Date", rx.text(local_datetime(message.date_iso), size="2")),
            rx.divider(),
            rx.text(message.body, size="2", white_space="pre-wrap", id="mail-body"),
            spacing="2",
            width="100%",
            align="start",
            padding="1.25rem",
        ),
        empty_state("mail", "No message selected.", "Pick a message on the left."),
    )


def mailbox_page() -> rx.Component:
    """What the app delivered to its own SMTP server (demo mode)."""
    return page_shell(
        rx.cond(
            S.enabled,
            rx.vstack(
                rx.hstack(
                    rx.text(
                        "Email the app sent through its local SMTP server: ",
                        S.total,
                        rx.cond(S.total == 1, " message", " messages"),
                        ". Nothing left this machine.",
                        size="2",
                        color="var(--gray-11)",
                    ),
                    rx.spacer(),
                    rx.button(
                        rx.icon("refresh-cw", size=14),
                        "Refresh",
                        variant="soft",
                        on_click=S.refresh,
                    ),
                    width="100%",
                    align="center",
                ),
                rx.cond(
                    S.messages.length() > 0,
                    rx.card(
                        rx.grid(
                            rx.scroll_area(
                                rx.foreach(S.messages, _list_item),
                                max_height="70vh",
                                border_right="1px solid var(--gray-4)",
                                id="mail-list",
                            ),
                            rx.scroll_area(_reader(), max_height="70vh"),
                            columns="minmax(18rem, 2fr) 3fr",
                            width="100%",
                        ),
                        width="100%",
                        padding="0",
                    ),
                    empty_state(
                        "inbox", "The mailbox is empty.", "Email the app sends appears here."
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            empty_state(
                "mail-x",
                "The mailbox is only in demo mode.",
                "With a real SMTP server configured, mail goes out to real inboxes.",
            ),
        ),
        title="Mailbox",
        active="Mailbox",
    )
