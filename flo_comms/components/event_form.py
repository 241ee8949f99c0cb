"""The New / Edit event dialog."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.forms import field
from flo_comms.state.event_form import EventFormState as F


def _input(name: str, control_id: str, **props) -> rx.Component:
    return rx.input(
        id=control_id,
        value=F.form.get(name, ""),
        on_change=lambda value: F.set_field(name, value),
        width="100%",
        **props,
    )


def event_form_dialog() -> rx.Component:
    """Name, type, access, start and end, location or link, description."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(F.editing_id == 0, "New event", "Edit event")),
            rx.dialog.description(
                rx.cond(
                    F.editing_id == 0,
                    "Registrants join through the event's link, or you add them.",
                    "Changing the name, time, location or link emails the registrants an update.",
                ),
                size="2",
                color="var(--gray-10)",
            ),
            rx.vstack(
                field(
                    "Name",
                    _input("name", "event-name", placeholder="Diversity in the Law Reception"),
                    F.form_errors.get("name", ""),
                    control_id="event-name",
                ),
                rx.hstack(
                    field(
                        "Type",
                        rx.select.root(
                            rx.select.trigger(id="event-type", width="100%"),
                            rx.select.content(
                                rx.select.item("In-Person", value="in_person"),
                                rx.select.item("Webinar", value="webinar"),
                                rx.select.item("Virtual Chat", value="virtual_chat"),
                            ),
                            value=F.form.get("type", "in_person"),
                            on_change=lambda value: F.set_field("type", value),
                        ),
                        F.form_errors.get("type", ""),
                        control_id="event-type",
                    ),
                    field(
                        "Access",
                        rx.select.root(
                            rx.select.trigger(id="event-access", width="100%"),
                            rx.select.content(
                                rx.select.item("Open: everyone who registers", value="open"),
                                rx.select.item("Invite-only: Quick Review", value="invite"),
                            ),
                            value=F.form.get("access", "open"),
                            on_change=lambda value: F.set_field("access", value),
                        ),
                        F.form_errors.get("invite_only", ""),
                        control_id="event-access",
                    ),
                    width="100%",
                    spacing="3",
                ),
                rx.hstack(
                    field(
                        "Starts",
                        _input("starts_at", "event-starts", type="datetime-local"),
                        F.form_errors.get("starts_at", ""),
                        control_id="event-starts",
                    ),
                    field(
                        "Ends",
                        _input("ends_at", "event-ends", type="datetime-local"),
                        F.form_errors.get("ends_at", ""),
                        control_id="event-ends",
                    ),
                    width="100%",
                    spacing="3",
                ),
                field(
                    "Location",
                    _input("location", "event-location", placeholder="Street, floor, city"),
                    F.form_errors.get("location", ""),
                    "Required for in-person events.",
                    control_id="event-location",
                ),
                field(
                    "Meeting link",
                    _input("meeting_link", "event-link", placeholder="https://"),
                    F.form_errors.get("meeting_link", ""),
                    "Required for webinars and virtual chats.",
                    control_id="event-link",
                ),
                field(
                    "Description",
                    rx.text_area(
                        id="event-description",
                        value=F.form.get("description", ""),
                        on_change=lambda value: F.set_field("description", value),
                        rows="4",
                        width="100%",
                    ),
                    F.form_errors.get("description", ""),
                    control_id="event-description",
                ),
                rx.cond(
                    F.form_problem != "",
                    rx.callout(
                        F.form_problem, icon="circle-alert", color_scheme="red", width="100%"
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        rx.cond(F.editing_id == 0, "Create event", "Save"),
                        on_click=F.save,
                        id="event-save",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                padding_top="1rem",
                width="100%",
            ),
            max_width="36rem",
        ),
        open=F.form_open,
        on_open_change=F.set_form_open,
    )
