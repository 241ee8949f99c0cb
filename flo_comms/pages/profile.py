"""A candidate's profile: header, and tabs for overview, applications, events, communications."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, local_datetime
from flo_comms.components.layout import page_shell
from flo_comms.pages.communications import communications_tab
from flo_comms.schemas import ApplicationSummary, RegistrationSummary
from flo_comms.state.profile import ProfileState

ROUTE = "/candidates/[candidate_id]"

DATE_FORMAT = "MMM D, YYYY"


def _detail(label: str, value: rx.Var[str], icon: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=15, color="var(--gray-10)"),
        rx.text(label, size="2", color="var(--gray-10)"),
        rx.text(rx.cond(value != "", value, "—"), size="2", weight="medium"),
        spacing="2",
        align="center",
    )


def _header() -> rx.Component:
    profile = ProfileState.profile
    return rx.card(
        rx.hstack(
            rx.avatar(fallback=profile.name[:1], size="6", radius="full", color_scheme="indigo"),
            rx.vstack(
                rx.hstack(
                    rx.heading(profile.name, size="6", as_="h2", id="candidate-name"),
                    rx.badge(profile.source, variant="soft", color_scheme="gray", size="2"),
                    align="center",
                    spacing="3",
                ),
                rx.flex(
                    _detail("Email", profile.email, "mail"),
                    _detail("Phone", profile.phone, "phone"),
                    _detail("Law school", profile.law_school, "graduation-cap"),
                    _detail("Class year", profile.class_year, "calendar"),
                    _detail("Graduation", profile.graduation_year, "calendar-check"),
                    wrap="wrap",
                    gap="1rem 1.5rem",
                ),
                rx.cond(
                    profile.agency_name != "",
                    rx.hstack(
                        rx.icon("building-2", size=15, color="var(--amber-10)"),
                        rx.text(
                            "Submitted by ",
                            rx.text.strong(profile.agency_contact_name),
                            " of ",
                            rx.text.strong(profile.agency_name),
                            " (",
                            profile.agency_contact_email,
                            ")",
                            size="2",
                        ),
                        align="center",
                        spacing="2",
                        id="candidate-agency",
                    ),
                ),
                spacing="3",
                align="start",
            ),
            spacing="5",
            align="start",
        ),
        width="100%",
        size="3",
    )


def _stat(label: str, value: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color="var(--gray-10)", weight="medium"),
            rx.text(value, size="5", weight="bold"),
            spacing="1",
        ),
        width="100%",
    )


def _overview() -> rx.Component:
    profile = ProfileState.profile
    return rx.grid(
        _stat("Applications", profile.applications.length()),
        _stat("Outreach events", profile.registrations.length()),
        _stat("Communications", profile.communications),
        _stat(
            "Last contact",
            rx.cond(
                profile.last_contact_iso != "",
                local_datetime(profile.last_contact_iso, DATE_FORMAT),
                "Never",
            ),
        ),
        columns="4",
        spacing="4",
        width="100%",
    )


def _application_row(application: ApplicationSummary) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(application.job_name, weight="medium"),
                rx.text(application.office, size="1", color="var(--gray-10)"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.badge(application.status, variant="soft")),
        rx.table.cell(
            application.source,
            rx.cond(
                application.agency_contact_name != "",
                rx.text(" via ", application.agency_contact_name, size="1", color="var(--gray-10)"),
            ),
        ),
        rx.table.cell(local_datetime(application.updated_at_iso, DATE_FORMAT)),
        align="center",
    )


def _applications() -> rx.Component:
    return rx.cond(
        ProfileState.profile.applications.length() > 0,
        rx.card(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Job"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Source"),
                        rx.table.column_header_cell("Last change"),
                    )
                ),
                rx.table.body(rx.foreach(ProfileState.profile.applications, _application_row)),
                variant="ghost",
                width="100%",
                id="applications-table",
            ),
            width="100%",
        ),
        empty_state("briefcase", "No applications.", "Applications to jobs appear here."),
    )


def _registration_row(registration: RegistrationSummary) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(registration.event_name, weight="medium")),
        rx.table.cell(rx.badge(registration.type_label, variant="soft")),
        rx.table.cell(local_datetime(registration.starts_at_iso)),
        rx.table.cell(registration.joined_via),
        rx.table.cell(
            rx.cond(registration.invite_only, registration.review_state, "Registered"),
        ),
        align="center",
    )


def _events() -> rx.Component:
    return rx.cond(
        ProfileState.profile.registrations.length() > 0,
        rx.card(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Event"),
                        rx.table.column_header_cell("Type"),
                        rx.table.column_header_cell("Starts"),
                        rx.table.column_header_cell("Joined"),
                        rx.table.column_header_cell("Quick Review"),
                    )
                ),
                rx.table.body(rx.foreach(ProfileState.profile.registrations, _registration_row)),
                variant="ghost",
                width="100%",
                id="registrations-table",
            ),
            width="100%",
        ),
        empty_state("calendar-days", "No outreach events.", "Events they join appear here."),
    )


def profile_page() -> rx.Component:
    """The profile page."""
    return _profile_page(communications_tab())


def _profile_page(communications: rx.Component) -> rx.Component:
    return page_shell(
        rx.cond(
            ProfileState.not_found,
            empty_state(
                "user-x",
                "This candidate does not exist.",
                "They may have been removed. Go back to the candidates list.",
            ),
            rx.vstack(
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=14), "All candidates", spacing="1"),
                    href="/candidates",
                    size="2",
                ),
                _header(),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("Overview", value="overview"),
                        rx.tabs.trigger("Applications", value="applications"),
                        rx.tabs.trigger("Events", value="events"),
                        rx.tabs.trigger("Communications", value="communications"),
                        size="2",
                    ),
                    rx.box(
                        rx.tabs.content(_overview(), value="overview"),
                        rx.tabs.content(_applications(), value="applications"),
                        rx.tabs.content(_events(), value="events"),
                        rx.tabs.content(communications, value="communications"),
                        padding_top="1.25rem",
                    ),
                    value=ProfileState.tab,
                    on_change=ProfileState.set_tab,
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
        ),
        title="Candidate profile",
        active="Candidates",
    )
