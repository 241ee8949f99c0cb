"""The public page a candidate reaches from an update-application request."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.forms import field
from flo_comms.components.layout import public_page
from flo_comms.state.update_application import UpdateApplicationState as S

ROUTE = "/update/[token]"


def _form() -> rx.Component:
    errors = S.form_errors
    view = S.view
    return rx.form(
        rx.vstack(
            field(
                "Phone",
                rx.input(id="phone", name="phone", default_value=view.phone, max_length=40),
                errors.get("phone", ""),
                control_id="phone",
            ),
            field(
                "Law school",
                rx.input(
                    id="law_school",
                    name="law_school",
                    default_value=view.law_school,
                    max_length=160,
                ),
                errors.get("law_school", ""),
                control_id="law_school",
            ),
            rx.grid(
                field(
                    "Class year",
                    rx.select.root(
                        rx.select.trigger(id="class_year", width="100%"),
                        rx.select.content(
                            rx.foreach(
                                view.class_year_options, lambda y: rx.select.item(y, value=y)
                            )
                        ),
                        name="class_year",
                        default_value=view.class_year,
                    ),
                    errors.get("class_year", ""),
                    control_id="class_year",
                ),
                field(
                    "Graduation year",
                    rx.input(
                        id="graduation_year",
                        name="graduation_year",
                        default_value=view.graduation_year,
                        max_length=4,
                        input_mode="numeric",
                    ),
                    errors.get("graduation_year", ""),
                    control_id="graduation_year",
                ),
                columns="2",
                spacing="3",
                width="100%",
            ),
            field(
                "Anything else we should know?",
                rx.text_area(id="note", name="note", rows="4", max_length=2000),
                errors.get("note", ""),
                control_id="note",
            ),
            rx.button(
                "Update my application", type="submit", size="3", width="100%", loading=S.saving
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=S.submit,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def update_application_page() -> rx.Component:
    """Checks the link; shows the form, the thanks, or why the link does not work."""
    return public_page(
        rx.cond(
            S.problem != "",
            rx.vstack(
                rx.heading("This link cannot be used", size="5", as_="h1"),
                rx.callout(
                    S.problem,
                    icon="circle-alert",
                    color_scheme="amber",
                    width="100%",
                    id="update-problem",
                ),
                rx.text("Ask your recruiting contact for a new link.", size="2"),
                spacing="3",
            ),
            rx.cond(
                S.done,
                rx.vstack(
                    rx.heading("Thank you", size="5", as_="h1"),
                    rx.text(
                        "Your application for ",
                        rx.text.strong(S.view.job_name),
                        " has been updated.",
                        id="update-done",
                    ),
                    spacing="3",
                ),
                rx.vstack(
                    rx.heading("Update your application", size="5", as_="h1"),
                    rx.text(
                        "Hi ",
                        S.view.candidate_first_name,
                        ", please check your details for ",
                        rx.text.strong(S.view.job_name),
                        ".",
                        size="2",
                    ),
                    _form(),
                    spacing="4",
                    width="100%",
                ),
            ),
        ),
        width="30rem",
    )
