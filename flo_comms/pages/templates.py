"""The email templates page (admins only)."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import table_card
from flo_comms.components.forms import field
from flo_comms.components.layout import page_shell
from flo_comms.schemas import TemplateView
from flo_comms.state.templates import MERGE_FIELDS
from flo_comms.state.templates import TemplatesState as S

ROUTE = "/templates"


def _row(template: TemplateView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(template.name, weight="medium"),
                rx.text(template.subject, size="1", color="var(--gray-10)"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.match(
                template.kind,
                ("status", rx.badge("Status email", variant="soft")),
                ("event", rx.badge("Event email", variant="soft", color_scheme="green")),
                rx.badge("Update request", variant="soft", color_scheme="amber"),
            )
        ),
        rx.table.cell(rx.text(template.used_by.join(", "), size="2")),
        rx.table.cell(
            rx.button(
                "Edit",
                variant="soft",
                size="1",
                on_click=S.edit(template.key),
                aria_label="Edit " + template.name,
            )
        ),
        align="center",
    )


def _editor() -> rx.Component:
    errors = S.form_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(S.editing_name),
            rx.dialog.description(
                "Merge fields go in double braces, for example {{ candidate_first_name }}.",
                size="2",
                color="var(--gray-10)",
            ),
            rx.vstack(
                field(
                    "Subject",
                    rx.input(
                        id="template-subject", value=S.form_subject, on_change=S.set_form_subject
                    ),
                    errors.get("subject", ""),
                    control_id="template-subject",
                ),
                rx.grid(
                    field(
                        "CC",
                        rx.input(
                            id="template-cc",
                            value=S.form_cc,
                            on_change=S.set_form_cc,
                            placeholder="name@firm.com, …",
                        ),
                        errors.get("cc", ""),
                        control_id="template-cc",
                    ),
                    field(
                        "BCC",
                        rx.input(id="template-bcc", value=S.form_bcc, on_change=S.set_form_bcc),
                        errors.get("bcc", ""),
                        control_id="template-bcc",
                    ),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                field(
                    "Body",
                    rx.text_area(
                        id="template-body",
                        value=S.form_body,
                        on_change=S.set_form_body,
                        rows="12",
                        font_family="var(--code-font-family)",
                    ),
                    errors.get("body", ""),
                    control_id="template-body",
                ),
                rx.text(
                    "Merge fields: ",
                    ", ".join(MERGE_FIELDS),
                    size="1",
                    color="var(--gray-10)",
                ),
                rx.cond(
                    S.form_error != "",
                    rx.callout(
                        S.form_error,
                        icon="circle-alert",
                        color_scheme="red",
                        width="100%",
                        role="alert",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button("Save template", on_click=S.save),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                padding_top="1rem",
                width="100%",
            ),
            max_width="48rem",
        ),
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def templates_page() -> rx.Component:
    """Every email the system sends, editable by admins."""
    return page_shell(
        table_card(
            table_id="templates-table",
            headers=["Template", "Kind", "Used by", ""],
            rows=S.templates,
            render_row=_row,
            loaded=S.viewer_is_admin,
            empty=rx.text("No templates."),
        ),
        _editor(),
        title="Email templates",
        active="Templates",
    )
