"""A job's page: its applications, with status changes and update requests."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, local_datetime
from flo_comms.components.layout import page_shell
from flo_comms.schemas import EmailPreview, JobApplicationRow, StatusOption
from flo_comms.state.job import JobState as S

ROUTE = "/jobs/[job_id]"


def _row(application: JobApplicationRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                S.viewer_is_admin,
                rx.checkbox(
                    checked=S.selected.contains(application.id),
                    on_change=lambda _checked: S.toggle_selected(application.id),
                    aria_label="Select " + application.candidate_name,
                ),
            ),
        ),
        rx.table.row_header_cell(
            rx.vstack(
                rx.link(
                    application.candidate_name,
                    href="/candidates/" + application.candidate_id.to_string(),
                    weight="medium",
                ),
                rx.text(application.candidate_email, size="1", color="var(--gray-10)"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.badge(application.status_name, variant="soft", class_name="app-status")),
        rx.table.cell(
            rx.vstack(
                rx.text(application.source, size="2"),
                rx.cond(
                    application.agency_name != "",
                    rx.text(
                        application.agency_contact_name,
                        " · ",
                        application.agency_name,
                        size="1",
                        color="var(--gray-10)",
                    ),
                ),
                spacing="0",
            )
        ),
        rx.table.cell(local_datetime(application.updated_at_iso, "MMM D, YYYY")),
        rx.table.cell(
            rx.cond(
                S.viewer_is_admin,
                rx.menu.root(
                    rx.menu.trigger(
                        rx.icon_button(
                            rx.icon("ellipsis-vertical", size=16),
                            variant="ghost",
                            color_scheme="gray",
                            aria_label="Actions for " + application.candidate_name,
                        )
                    ),
                    rx.menu.content(
                        rx.menu.item(
                            "Change status…", on_select=S.open_status_dialog(application.id)
                        ),
                        rx.menu.item(
                            "Send update request…",
                            on_select=S.open_update_dialog(application.id),
                        ),
                        align="end",
                    ),
                ),
            )
        ),
        align="center",
        class_name="application-row",
    )


def _status_item(status: StatusOption) -> rx.Component:
    return rx.select.item(
        rx.cond(status.has_template, status.name + "  ✉", status.name),
        value=status.id.to_string(),
    )


def _preview(preview: EmailPreview) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("To", weight="bold", size="2", width="4rem"),
                rx.text(preview.recipient_name, " <", preview.recipient_email, ">", size="2"),
                rx.cond(
                    preview.recipient_kind == "agency_contact",
                    rx.badge("Agency recruiter", color_scheme="amber", variant="soft"),
                ),
                align="center",
                spacing="2",
            ),
            rx.cond(
                preview.cc.length() > 0,
                rx.hstack(
                    rx.text("CC", weight="bold", size="2", width="4rem"),
                    rx.text(preview.cc.join(", "), size="2"),
                ),
            ),
            rx.cond(
                preview.bcc.length() > 0,
                rx.hstack(
                    rx.text("BCC", weight="bold", size="2", width="4rem"),
                    rx.text(preview.bcc.join(", "), size="2"),
                ),
            ),
            rx.hstack(
                rx.text("Subject", weight="bold", size="2", width="4rem", flex_shrink="0"),
                rx.text(preview.subject, size="2"),
            ),
            rx.box(
                rx.text(preview.body, size="2", white_space="pre-wrap"),
                background="var(--gray-2)",
                padding="0.75rem",
                border_radius="var(--radius-2)",
                max_height="14rem",
                overflow_y="auto",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="email-preview",
    )


def _status_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Change status"),
            rx.dialog.description(
                S.selected.length(),
                rx.cond(S.selected.length() == 1, " application", " applications"),
                ". Statuses marked ✉ send an email, logged on the candidate's timeline.",
                size="2",
                color="var(--gray-10)",
            ),
            rx.vstack(
                rx.select.root(
                    rx.select.trigger(placeholder="New status", aria_label="New status"),
                    rx.select.content(rx.foreach(S.job.statuses, _status_item)),
                    value=S.target_status,
                    on_change=S.set_target_status,
                ),
                rx.cond(
                    S.previews.length() > 0,
                    rx.vstack(
                        rx.text(
                            "Email preview",
                            rx.cond(
                                S.previews.length() > 1,
                                rx.text.span(
                                    " (first of ",
                                    S.previews.length(),
                                    ")",
                                    color="var(--gray-10)",
                                ),
                            ),
                            weight="bold",
                            size="2",
                        ),
                        _preview(S.previews[0]),
                        width="100%",
                        spacing="2",
                    ),
                    rx.cond(
                        S.target_status != "",
                        rx.text("This status sends no email.", size="2", color="var(--gray-10)"),
                    ),
                ),
                rx.cond(
                    S.preview_error != "",
                    rx.callout(
                        S.preview_error, icon="circle-alert", color_scheme="red", width="100%"
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        rx.cond(S.previews.length() > 0, "Change and send", "Change status"),
                        on_click=S.apply_status,
                        disabled=S.target_status == "",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="4",
                padding_top="1rem",
                width="100%",
            ),
            max_width="40rem",
        ),
        open=S.status_dialog_open,
        on_open_change=S.set_status_dialog_open,
    )


def _update_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Send update request"),
            rx.alert_dialog.description(
                "Each selected candidate gets an email with a personal link, valid for 14 days "
                "and usable once, to update their application. The email is logged on their "
                "timeline.",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Send", on_click=S.send_updates)),
                justify="end",
                spacing="3",
                padding_top="1rem",
            ),
        ),
        open=S.update_dialog_open,
        on_open_change=S.set_update_dialog_open,
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.text(
            S.job.applications.length(),
            " applications",
            rx.cond(
                S.selected.length() > 0,
                rx.text.span(" · ", S.selected.length(), " selected", weight="bold"),
            ),
            size="2",
            color="var(--gray-11)",
        ),
        rx.spacer(),
        rx.cond(
            S.viewer_is_admin,
            rx.hstack(
                rx.button(
                    rx.icon("send", size=14),
                    "Send update request",
                    variant="soft",
                    disabled=S.selected.length() == 0,
                    on_click=S.open_update_dialog(0),
                ),
                rx.button(
                    rx.icon("arrow-right-left", size=14),
                    "Change status",
                    disabled=S.selected.length() == 0,
                    on_click=S.open_status_dialog(0),
                ),
                spacing="2",
            ),
        ),
        width="100%",
        align="center",
    )


def job_page() -> rx.Component:
    """Job header, applications, and the admin actions on them."""
    return page_shell(
        rx.cond(
            S.not_found,
            empty_state("briefcase", "This job does not exist.", "Go back to the jobs list."),
            rx.vstack(
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=14), "All jobs", spacing="1"),
                    href="/jobs",
                    size="2",
                ),
                rx.card(
                    rx.vstack(
                        rx.heading(S.job.name, size="5", as_="h2", id="job-name"),
                        rx.text(
                            S.job.office,
                            " · ",
                            S.job.department,
                            " · ",
                            S.job.position_type,
                            " · process year ",
                            S.job.process_year,
                            size="2",
                            color="var(--gray-11)",
                        ),
                        spacing="1",
                    ),
                    width="100%",
                    size="3",
                ),
                _toolbar(),
                rx.card(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell(
                                    rx.cond(
                                        S.viewer_is_admin,
                                        rx.checkbox(
                                            checked=S.selected.length() > 0,
                                            on_change=lambda _checked: S.toggle_all(),
                                            aria_label="Select all",
                                        ),
                                    ),
                                    width="2.5rem",
                                ),
                                rx.table.column_header_cell("Candidate"),
                                rx.table.column_header_cell("Status"),
                                rx.table.column_header_cell("Source"),
                                rx.table.column_header_cell("Last change"),
                                rx.table.column_header_cell("", width="3rem"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.job.applications, _row)),
                        variant="ghost",
                        width="100%",
                        id="applications-table",
                    ),
                    width="100%",
                ),
                _status_dialog(),
                _update_dialog(),
                spacing="4",
                width="100%",
            ),
        ),
        title="Job",
        active="Jobs",
    )
