"""The public page where a candidate registers for an outreach event."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.forms import field
from flo_comms.components.layout import public_page
from flo_comms.state.register import RegisterState as S

ROUTE = "/register/[slug]"
PROFILE_ROUTE = "/register/[slug]/profile"
CLASS_YEARS = ("1L", "2L", "3L", "LLM", "Graduate")


def _text_field(name: str, label: str, limit: int, **props) -> rx.Component:
    return field(
        label,
        rx.input(id=name, name=name, max_length=limit, width="100%", **props),
        S.form_errors.get(name, ""),
        control_id=name,
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _text_field("first_name", "First name", 80, auto_complete="given-name"),
                _text_field("last_name", "Last name", 80, auto_complete="family-name"),
                columns="2",
                spacing="3",
                width="100%",
            ),
            _text_field("email", "Email", 254, type="email", auto_complete="email"),
            rx.grid(
                _text_field("law_school", "Law school", 160),
                field(
                    "Class year",
                    rx.select.root(
                        rx.select.trigger(id="class_year", width="100%", placeholder="Choose"),
                        rx.select.content(
                            *(rx.select.item(year, value=year) for year in CLASS_YEARS)
                        ),
                        name="class_year",
                    ),
                    S.form_errors.get("class_year", ""),
                    control_id="class_year",
                ),
                columns="2",
                spacing="3",
                width="100%",
            ),
            rx.button(
                rx.cond(
                    S.is_profile_page,
                    "Save my details",
                    rx.cond(S.view.invite_only, "Request a place", "Register"),
                ),
                type="submit",
                size="3",
                width="100%",
                loading=S.saving,
                id="register-submit",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=S.submit,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def _event_summary() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(S.view.type_label, variant="soft"),
            rx.cond(S.view.invite_only, rx.badge("Invite-only", color_scheme="amber")),
            spacing="2",
        ),
        rx.heading(S.view.name, size="6", as_="h1", id="register-event-name"),
        rx.hstack(
            rx.icon("calendar-days", size=16, color="var(--gray-10)"),
            rx.text(S.view.when_text, size="2"),
            spacing="2",
            align="center",
        ),
        rx.cond(
            S.view.location != "",
            rx.hstack(
                rx.icon("map-pin", size=16, color="var(--gray-10)"),
                rx.text(S.view.location, size="2"),
                spacing="2",
                align="center",
            ),
        ),
        rx.cond(
            S.view.description != "",
            rx.text(S.view.description, size="2", color="var(--gray-11)", white_space="pre-wrap"),
        ),
        spacing="2",
        width="100%",
    )


def register_page() -> rx.Component:
    """The event, and the form; or the thanks; or why registration is closed."""
    return public_page(
        rx.cond(
            S.problem != "",
            rx.vstack(
                rx.heading("Registration is not available", size="5", as_="h1"),
                rx.callout(
                    S.problem,
                    icon="circle-alert",
                    color_scheme="amber",
                    width="100%",
                    id="register-problem",
                ),
                spacing="3",
            ),
            rx.vstack(
                _event_summary(),
                rx.separator(size="4"),
                rx.cond(
                    S.done_message != "",
                    rx.callout(
                        S.done_message,
                        icon="circle-check",
                        color_scheme="green",
                        width="100%",
                        id="register-done",
                    ),
                    rx.cond(
                        S.view.is_open_for_registration,
                        rx.vstack(
                            rx.cond(
                                S.is_profile_page,
                                rx.text(
                                    "You have been added to this event. Please "
                                    "complete your details below.",
                                    size="2",
                                    color="var(--gray-11)",
                                ),
                            ),
                            rx.cond(
                                S.view.invite_only & ~S.is_profile_page,
                                rx.text(
                                    "Places are limited: our team reviews every "
                                    "registration and emails you with the outcome.",
                                    size="2",
                                    color="var(--gray-11)",
                                ),
                            ),
                            _form(),
                            spacing="3",
                            width="100%",
                        ),
                        rx.callout(S.view.closed_reason, icon="info", width="100%"),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        width="32rem",
    )
