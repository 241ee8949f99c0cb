"""An event's page: details, registrants, Quick Review, time slots, and its emails."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, local_datetime
from flo_comms.components.event_form import event_form_dialog
from flo_comms.components.forms import field
from flo_comms.components.layout import page_shell
from flo_comms.schemas import BatchRow, CandidateChoice, HeldBackRow, RegistrantRow, SlotRow
from flo_comms.state.event import EventState as S

ROUTE = "/events/[event_id]"

_STATE_COLORS = {"pending": "amber", "approved": "green", "denied": "red"}
_MUTED = "var(--gray-10)"


def _state_badge(state: rx.Var[str]) -> rx.Component:
    return rx.badge(
        state.capitalize(),
        color_scheme=rx.match(state, ("pending", "amber"), ("approved", "green"), "red"),
        variant="soft",
        class_name="review-state",
    )


def _when() -> rx.Component:
    return rx.hstack(
        rx.icon("calendar-days", size=15, color=_MUTED),
        local_datetime(S.event.starts_at_iso),
        rx.text("to", color=_MUTED, size="2"),
        local_datetime(S.event.ends_at_iso, "h:mm A"),
        spacing="2",
        align="center",
    )


def _header() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading(S.event.name, size="5", as_="h2", id="event-title"),
                    rx.hstack(
                        rx.badge(S.event.type_label, variant="soft"),
                        rx.badge(
                            rx.cond(S.event.invite_only, "Invite-only", "Open"),
                            variant="outline",
                            color_scheme=rx.cond(S.event.invite_only, "amber", "green"),
                        ),
                        rx.cond(
                            S.event.is_deleted,
                            rx.badge("Deleted", color_scheme="red", variant="solid"),
                        ),
                        spacing="2",
                    ),
                    spacing="2",
                ),
                rx.spacer(),
                rx.cond(
                    S.viewer_is_admin & ~S.event.is_deleted,
                    rx.hstack(
                        rx.button(
                            rx.icon("pencil", size=14),
                            "Edit",
                            variant="soft",
                            on_click=S.open_edit,
                            id="edit-event",
                        ),
                        rx.button(
                            rx.icon("trash-2", size=14),
                            "Delete",
                            variant="soft",
                            color_scheme="red",
                            on_click=S.ask("delete_event", 0),
                            id="delete-event",
                        ),
                        spacing="2",
                    ),
                ),
                width="100%",
                align="start",
            ),
            _when(),
            rx.cond(
                S.event.location != "",
                rx.hstack(
                    rx.icon("map-pin", size=15, color=_MUTED),
                    rx.text(S.event.location, size="2"),
                    spacing="2",
                    align="center",
                ),
            ),
            rx.cond(
                S.event.meeting_link != "",
                rx.hstack(
                    rx.icon("video", size=15, color=_MUTED),
                    rx.link(
                        S.event.meeting_link, href=S.event.meeting_link, size="2", is_external=True
                    ),
                    spacing="2",
                    align="center",
                ),
            ),
            rx.cond(
                S.event.description != "",
                rx.text(
                    S.event.description, size="2", color="var(--gray-11)", white_space="pre-wrap"
                ),
            ),
            rx.cond(
                ~S.event.is_deleted,
                rx.hstack(
                    rx.icon("link", size=15, color=_MUTED),
                    rx.text("Registration link", size="2", weight="medium"),
                    rx.code(S.event.registration_link, size="2", id="registration-link"),
                    rx.icon_button(
                        rx.icon("copy", size=14),
                        variant="ghost",
                        size="1",
                        aria_label="Copy the registration link",
                        on_click=[
                            rx.set_clipboard(S.event.registration_link),
                            rx.toast.info("Registration link copied."),
                        ],
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.callout(
                    "This event was deleted. It sends no more email; deleting it sent none.",
                    icon="info",
                    color_scheme="red",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        size="3",
    )


# --- registrants ---------------------------------------------------------------------------------


def _slot_cell(registrant: RegistrantRow) -> rx.Component:
    can_assign = (
        S.viewer_is_admin
        & ~S.event.is_deleted
        & (~S.event.invite_only | (registrant.review_state == "approved"))
    )
    return rx.hstack(
        rx.cond(
            can_assign & (S.slot_options.length() > 0),
            rx.select.root(
                rx.select.trigger(
                    placeholder="Assign a slot",
                    variant="soft",
                    aria_label="Time slot for " + registrant.name,
                ),
                rx.select.content(
                    rx.foreach(
                        S.slot_options,
                        lambda option: rx.select.item(option["label"], value=option["id"]),
                    )
                ),
                value=rx.cond(registrant.slot_id > 0, registrant.slot_id.to_string(), ""),
                on_change=lambda value: S.assign(registrant.id, value),
                size="1",
            ),
            rx.text(rx.cond(registrant.slot_label != "", registrant.slot_label, "—"), size="2"),
        ),
        rx.cond(
            can_assign & (registrant.slot_id > 0),
            rx.tooltip(
                rx.icon_button(
                    rx.icon("calendar-x", size=14),
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    aria_label="Take " + registrant.name + " out of their slot",
                    on_click=S.ask("unassign", registrant.id),
                ),
                content="Take out of the slot (sends a cancellation)",
            ),
        ),
        spacing="2",
        align="center",
    )


def _registrant_row(registrant: RegistrantRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.link(
                    registrant.name,
                    href="/candidates/"
                    + registrant.candidate_id.to_string()
                    + "?tab=communications",
                    weight="medium",
                ),
                rx.text(registrant.email, size="1", color=_MUTED),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.text(registrant.law_school, size="2"),
            rx.text(registrant.class_year, size="1", color=_MUTED),
        ),
        rx.table.cell(
            rx.text(registrant.joined_via_label, size="2"),
            rx.text(
                local_datetime(registrant.registered_at_iso, "MMM D, YYYY"), size="1", color=_MUTED
            ),
        ),
        rx.cond(S.event.invite_only, rx.table.cell(_state_badge(registrant.review_state))),
        rx.cond(S.event.has_slots, rx.table.cell(_slot_cell(registrant))),
        rx.table.cell(
            rx.cond(
                S.viewer_is_admin & ~S.event.is_deleted,
                rx.tooltip(
                    rx.icon_button(
                        rx.icon("user-minus", size=14),
                        variant="ghost",
                        color_scheme="gray",
                        aria_label="Take " + registrant.name + " off the event",
                        on_click=S.ask("remove", registrant.id),
                    ),
                    content="Take off the event",
                ),
            )
        ),
        align="center",
        class_name="registrant-row",
    )


def _registrants_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(S.event.registrant_total, " registrants", size="2", color="var(--gray-11)"),
            rx.cond(
                S.event.invite_only,
                rx.segmented_control.root(
                    rx.segmented_control.item("All", value="all"),
                    rx.segmented_control.item("Pending ", S.event.pending, value="pending"),
                    rx.segmented_control.item("Approved ", S.event.approved, value="approved"),
                    rx.segmented_control.item("Denied ", S.event.denied, value="denied"),
                    value=S.state_filter,
                    on_change=S.set_state_filter,
                    size="1",
                ),
            ),
            rx.spacer(),
            rx.cond(
                S.viewer_is_admin & ~S.event.is_deleted,
                rx.button(
                    rx.icon("user-plus", size=14),
                    "Add people",
                    on_click=S.open_add,
                    id="add-people",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.card(
            rx.cond(
                S.shown_registrants.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Candidate"),
                            rx.table.column_header_cell("School"),
                            rx.table.column_header_cell("Joined"),
                            rx.cond(
                                S.event.invite_only, rx.table.column_header_cell("Quick Review")
                            ),
                            rx.cond(S.event.has_slots, rx.table.column_header_cell("Time slot")),
                            rx.table.column_header_cell("", width="3rem"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.shown_registrants, _registrant_row)),
                    variant="ghost",
                    width="100%",
                    id="registrants-table",
                ),
                empty_state(
                    "users",
                    "Nobody here yet.",
                    "Share the registration link, or add people yourself.",
                ),
            ),
            width="100%",
        ),
        rx.cond(
            S.event.registrant_total > S.event.registrants.length(),
            rx.text(
                "Showing the first ",
                S.event.registrants.length(),
                " of ",
                S.event.registrant_total,
                " registrants, by last name.",
                size="1",
                color=_MUTED,
            ),
        ),
        spacing="3",
        width="100%",
    )


# --- Quick Review --------------------------------------------------------------------------------


def _review_row(registrant: RegistrantRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                S.viewer_is_admin & ~S.event.is_deleted,
                rx.checkbox(
                    checked=S.selected.contains(registrant.id),
                    on_change=lambda _checked: S.toggle_selected(registrant.id),
                    aria_label="Select " + registrant.name,
                ),
            )
        ),
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(registrant.name, weight="medium"),
                rx.text(registrant.email, size="1", color=_MUTED),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.text(registrant.law_school, " · ", registrant.class_year, size="2"),
        ),
        rx.table.cell(local_datetime(registrant.registered_at_iso, "MMM D, h:mm A")),
        rx.table.cell(
            rx.cond(
                S.viewer_is_admin & ~S.event.is_deleted,
                _decision_buttons(registrant),
                rx.text("Waiting for an admin", size="2", color=_MUTED),
            )
        ),
        align="center",
        class_name="review-row",
    )


def _decision_buttons(registrant: RegistrantRow) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("check", size=14),
            "Approve",
            size="1",
            color_scheme="green",
            variant="soft",
            on_click=S.review("approve", registrant.id),
            aria_label="Approve " + registrant.name,
        ),
        rx.button(
            rx.icon("x", size=14),
            "Deny",
            size="1",
            color_scheme="red",
            variant="soft",
            on_click=S.review("deny", registrant.id),
            aria_label="Deny " + registrant.name,
        ),
        spacing="2",
    )


def _review_tab() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(
                S.pending_registrants.length(),
                " waiting for review. Approved registrants get an Approval and every later "
                "email; denied ones get a Denial and nothing more.",
                size="2",
                color="var(--gray-11)",
            ),
            rx.spacer(),
            rx.cond(
                S.viewer_is_admin & (S.selected.length() > 0),
                rx.hstack(
                    rx.button(
                        "Approve ",
                        S.selected.length(),
                        color_scheme="green",
                        on_click=S.review("approve", 0),
                        id="approve-selected",
                    ),
                    rx.button(
                        "Deny ",
                        S.selected.length(),
                        color_scheme="red",
                        variant="soft",
                        on_click=S.review("deny", 0),
                        id="deny-selected",
                    ),
                    spacing="2",
                ),
            ),
            width="100%",
            align="center",
        ),
        rx.card(
            rx.cond(
                S.pending_registrants.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(
                                rx.cond(
                                    S.viewer_is_admin & ~S.event.is_deleted,
                                    rx.checkbox(
                                        checked=S.selected.length() > 0,
                                        on_change=lambda _checked: S.toggle_all_pending(),
                                        aria_label="Select all pending",
                                    ),
                                ),
                                width="2.5rem",
                            ),
                            rx.table.column_header_cell("Candidate"),
                            rx.table.column_header_cell("School"),
                            rx.table.column_header_cell("Registered"),
                            rx.table.column_header_cell("Decision"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.pending_registrants, _review_row)),
                    variant="ghost",
                    width="100%",
                    id="review-table",
                ),
                empty_state("list-checks", "Nobody is waiting for review.", "All caught up."),
            ),
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


# --- time slots ----------------------------------------------------------------------------------


def _slot_card(slot: SlotRow) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(slot.label, weight="medium", size="2"),
                rx.text(
                    slot.taken,
                    " of ",
                    slot.capacity,
                    " taken",
                    rx.cond(slot.people.length() > 0, ": " + slot.people.join(", "), ""),
                    size="1",
                    color=_MUTED,
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                S.viewer_is_admin & ~S.event.is_deleted,
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    variant="ghost",
                    color_scheme="red",
                    aria_label="Delete the slot " + slot.label,
                    on_click=S.ask("delete_slot", slot.id),
                ),
            ),
            align="center",
            width="100%",
        ),
        width="100%",
        class_name="slot-card",
    )


def _slot_field(
    label: str, name: str, error_key: str, value: rx.Var[str], width: str, **props
) -> rx.Component:
    """One input of the new time slot form."""
    control_id = f"slot-{name}"
    return rx.box(
        field(
            label,
            rx.input(
                id=control_id,
                value=value,
                on_change=lambda v: S.set_slot_field(name, v),
                **props,
            ),
            S.slot_errors.get(error_key, ""),
            control_id=control_id,
        ),
        width=width,
    )


def _slots_tab() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Registrants are put in a slot from the Registrants tab. Taking someone out of a "
            "slot, or deleting their slot, sends them a Cancellation.",
            size="2",
            color="var(--gray-11)",
        ),
        rx.cond(
            S.viewer_is_admin & ~S.event.is_deleted,
            rx.card(
                rx.hstack(
                    _slot_field(
                        "Slot starts",
                        "start",
                        "starts_at",
                        S.slot_start,
                        "15rem",
                        type="datetime-local",
                    ),
                    _slot_field(
                        "Slot ends", "end", "ends_at", S.slot_end, "15rem", type="datetime-local"
                    ),
                    _slot_field(
                        "People",
                        "capacity",
                        "capacity",
                        S.slot_capacity,
                        "6rem",
                        type="number",
                        min="1",
                        max="50",
                    ),
                    rx.button(
                        rx.icon("plus", size=14),
                        "Add slot",
                        on_click=S.add_slot,
                        id="add-slot",
                        margin_top="1.6rem",
                    ),
                    spacing="3",
                    align="start",
                    width="100%",
                    wrap="wrap",
                ),
                width="100%",
            ),
        ),
        rx.cond(
            S.event.slots.length() > 0,
            rx.grid(
                rx.foreach(S.event.slots, _slot_card),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            rx.card(
                empty_state("clock", "No time slots yet.", "Add the first one above."), width="100%"
            ),
        ),
        spacing="3",
        width="100%",
    )


# --- emails --------------------------------------------------------------------------------------


def _send_button(kind: str, label: str, icon: str) -> rx.Component:
    return rx.tooltip(
        rx.button(
            rx.icon(icon, size=14),
            label,
            variant="soft",
            disabled=~S.event.can_send[kind].bool() | S.sending,
            on_click=S.ask_send(kind),
            id="send-" + kind.replace("_", "-"),
        ),
        content=rx.cond(
            S.event.send_notes[kind].to(str) != "",
            S.event.send_notes[kind].to(str),
            "Goes to every eligible registrant; nobody gets it twice.",
        ),
    )


def _batch_row(batch: BatchRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(batch.email_kind_label, weight="medium")),
        rx.table.cell(rx.text(batch.trigger, size="2")),
        rx.table.cell(
            rx.text(local_datetime(batch.created_at_iso, "MMM D, h:mm A"), size="2"),
            rx.text(batch.requested_by_name, size="1", color=_MUTED),
        ),
        rx.table.cell(
            rx.text(
                batch.queued,
                " sent",
                rx.cond(batch.held_back > 0, ", " + batch.held_back.to_string() + " held back", ""),
                size="2",
            ),
        ),
        rx.table.cell(
            rx.cond(
                batch.finished,
                rx.badge("Done", color_scheme="green", variant="soft"),
                rx.cond(
                    S.viewer_is_admin & ~S.sending,
                    rx.button("Resume", size="1", on_click=S.run_send(batch.id)),
                    rx.badge("In progress", color_scheme="amber", variant="soft"),
                ),
            )
        ),
        align="center",
        class_name="batch-row",
    )


def _held_row(held: HeldBackRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(
                held.candidate_name,
                href="/candidates/" + held.candidate_id.to_string(),
                weight="medium",
            ),
        ),
        rx.table.cell(rx.badge(held.email_kind_label, variant="soft", color_scheme="gray")),
        rx.table.cell(rx.text(held.reason, size="2")),
        rx.table.cell(local_datetime(held.created_at_iso, "MMM D, h:mm A")),
        align="center",
        class_name="held-back-row",
    )


def _progress() -> rx.Component:
    """The send in progress, above the tabs (an update starts from the Edit dialog)."""
    return rx.cond(
        S.sending,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(
                        "Sending ", S.progress_label, ": ", S.progress_done, " of ",
                        S.progress_eligible, " sent",
                        rx.cond(S.progress_held > 0, ", " + S.progress_held.to_string()
                                + " held back", ""),
                        size="2", weight="medium", id="send-progress-text",
                    ),
                    spacing="2",
                    align="center",
                ),
                rx.progress(value=S.progress_percent, width="100%"),
                rx.text(
                    "Each email is logged and queued as it goes. If sending stops, Resume (under "
                    "Emails) finishes the rest; nobody gets an email twice.",
                    size="1", color=_MUTED,
                ),
                width="100%",
                spacing="2",
            ),
            width="100%",
        ),
    )  # fmt: skip


def _emails_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.viewer_is_admin & ~S.event.is_deleted,
            rx.card(
                rx.vstack(
                    rx.text("Send to registrants", weight="bold", size="2"),
                    rx.text(
                        rx.cond(
                            S.event.invite_only,
                            "Invite-only: these go to approved registrants only.",
                            "Open event: these go to every registrant.",
                        ),
                        " Each email is logged on the candidate's timeline.",
                        size="2",
                        color="var(--gray-11)",
                    ),
                    rx.hstack(
                        _send_button("event_final_schedule", "Final schedule", "calendar-check"),
                        _send_button("event_reminder", "Reminder", "bell"),
                        _send_button("event_follow_up", "Follow-up", "mail-check"),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        rx.heading("Sends", size="3", as_="h3"),
        rx.card(
            rx.cond(
                S.event.batches.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *(
                                rx.table.column_header_cell(h)
                                for h in ("Email", "Why", "When", "Result", "")
                            )
                        )
                    ),
                    rx.table.body(rx.foreach(S.event.batches, _batch_row)),
                    variant="ghost",
                    width="100%",
                    id="batches-table",
                ),
                empty_state(
                    "send",
                    "Nothing sent to everyone yet.",
                    "Final schedules, reminders, follow-ups and updates appear here.",
                ),
            ),
            width="100%",
        ),
        rx.heading("Held back", size="3", as_="h3"),
        rx.text(
            "Emails a rule kept from someone, and why: nothing is skipped silently.",
            size="2",
            color="var(--gray-11)",
        ),
        rx.card(
            rx.cond(
                S.event.held_back.length() > 0,
                rx.vstack(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *(
                                    rx.table.column_header_cell(h)
                                    for h in ("Candidate", "Email", "Reason", "When")
                                )
                            )
                        ),
                        rx.table.body(rx.foreach(S.event.held_back, _held_row)),
                        variant="ghost",
                        width="100%",
                        id="held-back-table",
                    ),
                    rx.cond(
                        S.event.held_back_total > S.event.held_back.length(),
                        rx.text(
                            "The latest ",
                            S.event.held_back.length(),
                            " of ",
                            S.event.held_back_total,
                            ".",
                            size="1",
                            color=_MUTED,
                        ),
                    ),
                    width="100%",
                ),
                empty_state(
                    "shield-check",
                    "No email has been held back.",
                    "Pending and denied registrants of invite-only events appear here.",
                ),
            ),
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


# --- dialogs -------------------------------------------------------------------------------------


def _choice(choice: CandidateChoice) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(choice.name, size="2", weight="medium"),
            rx.text(choice.email, size="1", color=_MUTED),
            spacing="0",
        ),
        rx.spacer(),
        rx.button("Add", size="1", variant="soft", on_click=S.choose(choice.id),
                  aria_label="Choose " + choice.name),
        width="100%",
        align="center",
        class_name="candidate-choice",
    )  # fmt: skip


def _chosen(choice: CandidateChoice) -> rx.Component:
    return rx.badge(
        choice.name,
        rx.icon("x", size=12, cursor="pointer", on_click=S.unchoose(choice.id)),
        variant="soft",
        size="2",
    )


def _new_person_field(name: str, label: str, control_id: str) -> rx.Component:
    return field(
        label,
        rx.input(
            id=control_id,
            value=S.new_person.get(name, ""),
            on_change=lambda value: S.set_new_person(name, value),
            width="100%",
        ),
        S.new_person_errors.get(name, ""),
        control_id=control_id,
    )


def _add_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Add people"),
            rx.dialog.description(
                "Everyone you add gets a Profile Request email",
                rx.cond(S.event.invite_only, " and waits in Quick Review", ""),
                ".",
                size="2",
                color=_MUTED,
            ),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger("Existing candidates", value="existing"),
                    rx.tabs.trigger("New candidate", value="new"),
                ),
                rx.tabs.content(
                    rx.vstack(
                        rx.input(
                            placeholder="Search by name or email",
                            value=S.add_search,
                            on_change=S.set_add_search.debounce(250),
                            id="add-search",
                            width="100%",
                        ),
                        rx.cond(
                            S.chosen.length() > 0,
                            rx.flex(rx.foreach(S.chosen, _chosen), wrap="wrap", gap="2"),
                        ),
                        rx.scroll_area(
                            rx.vstack(rx.foreach(S.choices, _choice), spacing="2", width="100%"),
                            max_height="16rem",
                            type="auto",
                        ),
                        rx.hstack(
                            rx.dialog.close(
                                rx.button("Cancel", variant="soft", color_scheme="gray")
                            ),
                            rx.button(
                                "Add ",
                                S.chosen.length(),
                                disabled=S.chosen.length() == 0,
                                on_click=S.add_chosen,
                                id="add-chosen",
                            ),
                            justify="end",
                            spacing="3",
                            width="100%",
                        ),
                        spacing="3",
                        padding_top="1rem",
                        width="100%",
                    ),
                    value="existing",
                ),
                rx.tabs.content(
                    rx.vstack(
                        rx.hstack(
                            _new_person_field("first_name", "First name", "new-first"),
                            _new_person_field("last_name", "Last name", "new-last"),
                            spacing="3",
                            width="100%",
                        ),
                        _new_person_field("email", "Email", "new-email"),
                        rx.hstack(
                            _new_person_field("law_school", "Law school", "new-school"),
                            field(
                                "Class year",
                                rx.select.root(
                                    rx.select.trigger(
                                        placeholder="Choose a year", id="new-year", width="100%"
                                    ),
                                    rx.select.content(
                                        *[
                                            rx.select.item(year, value=year)
                                            for year in ("1L", "2L", "3L", "LLM", "Graduate")
                                        ]
                                    ),
                                    value=S.new_person.get("class_year", ""),
                                    on_change=lambda value: S.set_new_person("class_year", value),
                                ),
                                S.new_person_errors.get("class_year", ""),
                                control_id="new-year",
                            ),
                            spacing="3",
                            width="100%",
                        ),
                        rx.hstack(
                            rx.dialog.close(
                                rx.button("Cancel", variant="soft", color_scheme="gray")
                            ),
                            rx.button("Add candidate", on_click=S.add_new_person, id="add-new"),
                            justify="end",
                            spacing="3",
                            width="100%",
                        ),
                        spacing="3",
                        padding_top="1rem",
                        width="100%",
                    ),
                    value="new",
                ),
                default_value="existing",
            ),
            max_width="34rem",
        ),
        open=S.add_open,
        on_open_change=S.set_add_open,
    )


def _confirm_dialog() -> rx.Component:
    text = rx.match(
        S.confirm_kind,
        ("unassign", "Take them out of their time slot? They get a Cancellation email."),
        (
            "remove",
            rx.cond(
                S.event.has_slots,
                "Take them off the event? If they have a time slot, they get a Cancellation.",
                "Take them off the event? " + S.event.type_label + " events send no "
                "cancellation emails; this is recorded under Held back.",
            ),
        ),
        ("delete_slot", "Delete this time slot? Everyone in it gets a Cancellation email."),
        (
            "delete_event",
            "Delete this event? Deleting an event sends no email at all, to anyone.",
        ),
        "",
    )
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Are you sure?"),
            rx.alert_dialog.description(text),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Yes, go ahead", color_scheme="red", on_click=S.confirm, id="confirm-action"
                    ),
                ),
                justify="end",
                spacing="3",
                padding_top="1rem",
            ),
        ),
        open=S.confirm_kind != "",
        on_open_change=S.set_confirm_open,
    )


def _send_dialog() -> rx.Component:
    label = rx.match(
        S.send_kind,
        ("event_final_schedule", "final schedule"),
        ("event_reminder", "reminder"),
        ("event_follow_up", "follow-up"),
        "email",
    )
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Send the ", label, "?"),
            rx.alert_dialog.description(
                rx.cond(
                    S.event.invite_only,
                    "It goes to the " + S.event.approved.to_string() + " approved registrants;"
                    " pending and denied ones are held back and listed.",
                    "It goes to all " + S.event.registrant_total.to_string() + " registrants.",
                ),
                rx.cond(S.send_repeat_note != "", " " + S.send_repeat_note, ""),
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Send", on_click=S.send, id="confirm-send")),
                justify="end",
                spacing="3",
                padding_top="1rem",
            ),
        ),
        open=S.send_kind != "",
        on_open_change=S.set_send_open,
    )


def event_page() -> rx.Component:
    """The event, and tabs for its registrants, Quick Review, slots and emails."""
    return page_shell(
        rx.cond(
            S.not_found,
            empty_state("calendar-x", "This event does not exist.", "Go back to the events list."),
            rx.vstack(
                rx.link(
                    rx.hstack(rx.icon("arrow-left", size=14), "All events", spacing="1"),
                    href="/events",
                    size="2",
                ),
                _header(),
                _progress(),
                rx.tabs.root(
                    rx.tabs.list(
                        rx.tabs.trigger("Registrants", value="registrants"),
                        rx.cond(
                            S.event.invite_only,
                            rx.tabs.trigger(
                                "Quick Review",
                                rx.cond(
                                    S.event.pending > 0,
                                    rx.badge(
                                        S.event.pending, color_scheme="amber", margin_left="0.4rem"
                                    ),
                                ),
                                value="review",
                            ),
                        ),
                        rx.cond(S.event.has_slots, rx.tabs.trigger("Time slots", value="slots")),
                        rx.tabs.trigger("Emails", value="emails"),
                    ),
                    rx.box(
                        rx.tabs.content(_registrants_tab(), value="registrants"),
                        rx.tabs.content(_review_tab(), value="review"),
                        rx.tabs.content(_slots_tab(), value="slots"),
                        rx.tabs.content(_emails_tab(), value="emails"),
                        padding_top="1rem",
                    ),
                    value=S.tab,
                    on_change=S.set_tab,
                    width="100%",
                ),
                _add_dialog(),
                _confirm_dialog(),
                _send_dialog(),
                event_form_dialog(),
                spacing="4",
                width="100%",
            ),
        ),
        title="Event",
        active="Events",
    )
