"""The Communications tab of a candidate's profile."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, local_datetime
from flo_comms.components.forms import field
from flo_comms.schemas import (
    EventThreadEntry,
    ParticipantView,
    PersonOption,
    RevisionView,
    TimelineItem,
    TypeCount,
)
from flo_comms.services.communications import (
    MAX_DESCRIPTION_LENGTH,
    MAX_SUBJECT_LENGTH,
    TYPE_ICONS,
    TYPE_LABELS,
)
from flo_comms.state.communications import CommunicationsState as S

# --- one entry ------------------------------------------------------------------


_PREVIEW_STYLE = {
    # The body's first lines, its whitespace folded, cut by the browser at
    # the width it has; Details shows it whole with its line breaks.
    "white_space": "normal",
    "overflow_wrap": "anywhere",
    "display": "-webkit-box",
    "WebkitBoxOrient": "vertical",
    "WebkitLineClamp": "2",
    "overflow": "hidden",
}


def _type_icon(type_value: rx.Var[str]) -> rx.Component:
    return rx.match(
        type_value,
        *((value, rx.icon(icon, size=18)) for value, icon in TYPE_ICONS.items()),
        rx.icon("circle-help", size=18),
    )


def _to(item: TimelineItem) -> rx.Var[list[ParticipantView]]:
    # `to` is also the name of Var's cast method, so reach the field by key.
    return item["to"].to(list[ParticipantView])


def _names(people: rx.Var[list[ParticipantView]]) -> rx.Component:
    return rx.foreach(
        people,
        lambda person, i: rx.text.span(rx.cond(i > 0, ", ", ""), person.name),
    )


def _recipient_row(label: str, people: rx.Var[list[ParticipantView]]) -> rx.Component:
    return rx.cond(
        people.length() > 0,
        rx.hstack(
            rx.text(label, size="2", weight="bold", width="3.5rem", flex_shrink="0"),
            rx.flex(
                rx.foreach(
                    people,
                    lambda person: rx.badge(
                        person.name,
                        rx.cond(person.email != "", rx.text.span(" <", person.email, ">"), ""),
                        variant="soft",
                        color_scheme="gray",
                        size="2",
                    ),
                ),
                wrap="wrap",
                gap="1",
            ),
            align="start",
            spacing="2",
        ),
    )


def _entry_menu(item: TimelineItem) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis-vertical", size=16),
                variant="ghost",
                color_scheme="gray",
                aria_label="Actions for " + item.subject,
            )
        ),
        rx.menu.content(
            rx.menu.item(rx.icon("pencil", size=14), "Edit", on_select=S.open_edit(item.id)),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("trash-2", size=14),
                "Delete",
                color="red",
                on_select=S.ask_delete(item.id),
            ),
            align="end",
        ),
    )


def _delivery_badge(status: rx.Var[str]) -> rx.Component:
    return rx.badge(
        rx.icon("send", size=12),
        status,
        color_scheme=rx.match(status, ("sent", "green"), ("failed", "red"), "amber"),
        variant="soft",
        class_name="delivery-status",
    )


def _footer(item: TimelineItem) -> rx.Component:
    return rx.cond(
        item.is_system,
        rx.hstack(
            rx.icon("cpu", size=14, color="var(--gray-10)"),
            rx.text(
                "Sent by ",
                rx.text.strong(
                    rx.cond(item.triggered_by_name != "", item.triggered_by_name, "the system")
                ),
                rx.cond(item.trigger != "", rx.text.span(" · ", item.trigger), ""),
                size="2",
                color="var(--gray-11)",
            ),
            rx.cond(item.delivery_status != "", _delivery_badge(item.delivery_status)),
            spacing="2",
            align="center",
        ),
        rx.hstack(
            rx.icon("notebook-pen", size=14, color="var(--gray-10)"),
            rx.text(
                "This communication was logged by ",
                item.logged_by_name,
                ".",
                size="2",
                color="var(--gray-11)",
                class_name="logged-by",
            ),
            spacing="2",
            align="center",
        ),
    )


def _thread_entry(entry: EventThreadEntry, current_id: rx.Var[int]) -> rx.Component:
    is_current = entry.id == current_id
    return rx.el.li(
        rx.box(
            rx.badge(
                entry.label,
                variant=rx.cond(is_current, "solid", "soft"),
                color_scheme=rx.cond(is_current, "indigo", "gray"),
                class_name="thread-kind",
            ),
        ),
        rx.text(
            entry.subject,
            size="2",
            weight=rx.cond(is_current, "medium", "regular"),
            white_space="nowrap",
            overflow="hidden",
            text_overflow="ellipsis",
            title=entry.subject,
            class_name="thread-subject",
        ),
        rx.text(
            local_datetime(entry.occurred_at_iso),
            size="1",
            color="var(--gray-11)",
            white_space="nowrap",
        ),
        rx.box(rx.cond(entry.delivery_status != "", _delivery_badge(entry.delivery_status))),
        # Each row spans the list's grid, so kind, subject, date and status line up.
        grid_column="1 / -1",
        display="grid",
        grid_template_columns="subgrid",
        align_items="center",
        row_gap="0.125rem",
        padding="0.3rem 0.5rem",
        border_radius="var(--radius-2)",
        background=rx.cond(is_current, "var(--indigo-3)", "transparent"),
        aria_current=rx.cond(is_current, "true", "false"),
        class_name="thread-entry",
    )


def _thread(item: TimelineItem) -> rx.Component:
    """The toggle under an entry with event siblings, and the thread once opened."""
    key = item.id.to_string()
    is_open = S.threads.contains(key)
    event_name = rx.cond(item.context_kind == "event", item.context_label, "this event")
    return rx.vstack(
        rx.button(
            rx.icon(
                "chevron-right",
                size=14,
                transform=rx.cond(is_open, "rotate(90deg)", "none"),
                transition="transform 120ms",
            ),
            rx.icon("messages-square", size=14),
            rx.text.span("Thread: ", item.thread_count, " emails for ", event_name),
            variant="ghost",
            size="1",
            color_scheme="indigo",
            on_click=S.toggle_thread(item.id),
            aria_expanded=is_open,
            aria_controls="thread-" + key,
            class_name="thread-toggle",
            type="button",
        ),
        rx.cond(
            is_open,
            rx.el.ol(
                rx.foreach(S.threads[key], lambda entry: _thread_entry(entry, item.id)),
                id="thread-" + key,
                aria_label="Emails about " + event_name,
                list_style="none",
                margin="0",
                padding="0.25rem",
                width="100%",
                background="var(--gray-2)",
                border="1px solid var(--gray-4)",
                border_radius="var(--radius-3)",
                display="grid",
                # Narrow: kind and subject, then date and status, on two lines.
                grid_template_columns=rx.breakpoints(
                    initial="auto minmax(0, 1fr)", md="auto minmax(0, 1fr) auto auto"
                ),
                column_gap="0.75rem",
                row_gap="0.125rem",
            ),
        ),
        spacing="2",
        width="100%",
        align="start",
    )


def _entry(item: TimelineItem) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.center(
                _type_icon(item.type),
                width="2.25rem",
                height="2.25rem",
                border_radius="50%",
                background=rx.cond(item.is_system, "var(--gray-3)", "var(--indigo-3)"),
                color=rx.cond(item.is_system, "var(--gray-11)", "var(--indigo-11)"),
                flex_shrink="0",
            ),
            rx.vstack(
                rx.hstack(
                    rx.vstack(
                        rx.hstack(
                            rx.text(
                                item.type_label,
                                size="1",
                                weight="bold",
                                color="var(--gray-10)",
                                text_transform="uppercase",
                                letter_spacing="0.04em",
                            ),
                            rx.cond(
                                item.is_system,
                                rx.badge("System generated", color_scheme="blue", variant="soft"),
                            ),
                            rx.cond(
                                item.email_kind_label != "",
                                rx.badge(
                                    item.email_kind_label, color_scheme="gray", variant="outline"
                                ),
                            ),
                            rx.cond(
                                item.is_edited,
                                rx.button(
                                    rx.icon("history", size=12),
                                    "Edited",
                                    size="1",
                                    variant="soft",
                                    color_scheme="amber",
                                    on_click=S.open_history(item.id),
                                    aria_label="History of " + item.subject,
                                    type="button",
                                ),
                            ),
                            spacing="2",
                            align="center",
                            wrap="wrap",
                        ),
                        rx.heading(item.subject, size="3", as_="h3", class_name="entry-subject"),
                        spacing="1",
                    ),
                    rx.spacer(),
                    rx.text(
                        local_datetime(item.occurred_at_iso),
                        size="2",
                        color="var(--gray-10)",
                        white_space="nowrap",
                    ),
                    rx.cond(item.can_edit & S.viewer_is_admin, _entry_menu(item)),
                    width="100%",
                    align="start",
                ),
                rx.text(
                    rx.text.span("From ", color="var(--gray-10)"),
                    _names(item.sent_by),
                    rx.text.span(" to ", color="var(--gray-10)"),
                    _names(_to(item)),
                    size="2",
                ),
                rx.cond(
                    item.context_label != "",
                    rx.hstack(
                        rx.cond(
                            item.context_kind == "event",
                            rx.icon("calendar-days", size=14, color="var(--gray-10)"),
                            rx.icon("briefcase", size=14, color="var(--gray-10)"),
                        ),
                        rx.text(item.context_label, size="2", color="var(--gray-11)"),
                        spacing="1",
                        align="center",
                        class_name="entry-context",
                    ),
                ),
                rx.text(
                    item.body,
                    size="2",
                    color="var(--gray-11)",
                    class_name="entry-preview",
                    style=_PREVIEW_STYLE,
                ),
                rx.el.details(
                    rx.el.summary(
                        rx.text.span(
                            "Details", size="2", weight="medium", color="var(--indigo-11)"
                        ),
                        cursor="pointer",
                    ),
                    rx.vstack(
                        rx.box(
                            rx.text(
                                item.body, size="2", white_space="pre-wrap", class_name="entry-body"
                            ),
                            padding="0.75rem 1rem",
                            background="var(--gray-2)",
                            border_radius="var(--radius-3)",
                            width="100%",
                        ),
                        _recipient_row("From", item.sent_by),
                        _recipient_row("To", _to(item)),
                        _recipient_row("CC", item.cc),
                        _recipient_row("BCC", item.bcc),
                        spacing="2",
                        padding_top="0.5rem",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.divider(),
                _footer(item),
                rx.cond(item.thread_count > 1, _thread(item)),
                spacing="2",
                width="100%",
                align="start",
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
        class_name="timeline-entry",
    )


# --- filters ----------------------------------------------------------------------


def _type_chip(count: TypeCount) -> rx.Component:
    on = S.filter_types.contains(count.type)
    return rx.button(
        count.label,
        rx.badge(
            count.count,
            variant="solid",
            color_scheme=rx.cond(on, "indigo", "gray"),
            radius="full",
            size="1",
        ),
        size="1",
        variant=rx.cond(on, "solid", "outline"),
        color_scheme=rx.cond(on, "indigo", "gray"),
        radius="full",
        on_click=S.toggle_type(count.type),
        aria_pressed=on,
        aria_label=count.label,
    )


def _filters() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder="Search subject and description",
                value=S.search,
                on_change=S.set_search.debounce(300),
                aria_label="Search communications",
                max_length=100,
                width="18rem",
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Origin"),
                rx.select.content(
                    rx.select.item("Logged and system", value="all"),
                    rx.select.item("Logged by a member", value="logged"),
                    rx.select.item("System generated", value="system"),
                ),
                value=S.filter_origin,
                on_change=S.set_filter_origin,
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Person"),
                rx.select.content(
                    rx.select.item("Anyone", value="anyone"),
                    rx.foreach(
                        S.people_options,
                        lambda p: rx.select.item(p.name, value=p.kind + ":" + p.id.to_string()),
                    ),
                ),
                value=S.filter_person,
                on_change=S.set_filter_person,
            ),
            rx.hstack(
                rx.input(
                    type="date",
                    value=S.filter_from,
                    on_change=S.set_filter_from,
                    aria_label="From date",
                    width="9.5rem",
                ),
                rx.text("to", size="2", color="var(--gray-10)"),
                rx.input(
                    type="date",
                    value=S.filter_to,
                    on_change=S.set_filter_to,
                    aria_label="To date",
                    width="9.5rem",
                ),
                spacing="1",
                align="center",
            ),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        rx.flex(
            rx.foreach(S.type_counts, _type_chip),
            rx.spacer(),
            rx.text(
                S.total,
                rx.cond(S.total == 1, " entry", " entries"),
                size="2",
                color="var(--gray-10)",
                id="timeline-total",
            ),
            gap="2",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


# --- the modal ---------------------------------------------------------------------


def _chip(option: PersonOption, on_remove: rx.EventHandler) -> rx.Component:
    return rx.badge(
        rx.cond(option.kind == "member", rx.icon("user-cog", size=12), rx.icon("user", size=12)),
        option.name,
        rx.icon_button(
            rx.icon("x", size=12),
            size="1",
            variant="ghost",
            color_scheme="gray",
            on_click=on_remove(option.kind + ":" + option.id.to_string()),
            aria_label="Remove " + option.name,
            type="button",
        ),
        variant="soft",
        size="2",
        radius="full",
    )


def _picker(
    *,
    picker_id: str,
    chosen: rx.Var[list[PersonOption]],
    query: rx.Var[str],
    options: rx.Var[list[PersonOption]],
    on_search: rx.EventHandler,
    on_pick: rx.EventHandler,
    on_remove: rx.EventHandler,
    placeholder: str,
) -> rx.Component:
    return rx.vstack(
        rx.flex(rx.foreach(chosen, lambda o: _chip(o, on_remove)), wrap="wrap", gap="1"),
        rx.box(
            rx.input(
                value=query,
                on_change=on_search.debounce(200),
                placeholder=placeholder,
                id=picker_id,
                auto_complete="off",
                width="100%",
            ),
            rx.cond(
                options.length() > 0,
                rx.card(
                    rx.vstack(
                        rx.foreach(
                            options,
                            lambda o: rx.button(
                                rx.cond(
                                    o.kind == "member",
                                    rx.icon("user-cog", size=14),
                                    rx.icon("user", size=14),
                                ),
                                rx.text(o.name, weight="medium"),
                                rx.text(o.email, size="1", color="var(--gray-10)"),
                                variant="ghost",
                                color_scheme="gray",
                                width="100%",
                                justify="start",
                                type="button",
                                on_click=on_pick(o),
                                role="option",
                            ),
                        ),
                        spacing="0",
                        width="100%",
                        role="listbox",
                    ),
                    position="absolute",
                    z_index="50",
                    width="100%",
                    margin_top="0.25rem",
                    size="1",
                ),
            ),
            position="relative",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _modal() -> rx.Component:
    errors = S.form_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.editing_id > 0, "Edit Communication", "New Communication")),
            rx.dialog.description(
                "Record a conversation that happened outside flo comms.",
                size="2",
                color="var(--gray-10)",
            ),
            rx.vstack(
                rx.grid(
                    field(
                        "Communication Type",
                        rx.select.root(
                            rx.select.trigger(id="form-type", width="100%"),
                            rx.select.content(
                                *(
                                    rx.select.item(label, value=value)
                                    for value, label in TYPE_LABELS.items()
                                )
                            ),
                            value=S.form_type,
                            on_change=S.set_form_type,
                        ),
                        errors.get("type", ""),
                        control_id="form-type",
                    ),
                    field(
                        "Date",
                        rx.input(
                            type="datetime-local",
                            id="form-date",
                            value=S.form_date,
                            on_change=S.set_form_date,
                        ),
                        errors.get("occurred_at", ""),
                        control_id="form-date",
                    ),
                    columns="2",
                    spacing="4",
                    width="100%",
                ),
                field(
                    "Sent By",
                    _picker(
                        picker_id="form-sent-by",
                        chosen=S.form_sent_by,
                        query=S.sent_by_query,
                        options=S.sent_by_options,
                        on_search=S.search_sent_by,
                        on_pick=S.add_sent_by,
                        on_remove=S.remove_sent_by,
                        placeholder="Add a member by name or email",
                    ),
                    errors.get("sent_by", ""),
                    control_id="form-sent-by",
                ),
                field(
                    "Sent To",
                    _picker(
                        picker_id="form-sent-to",
                        chosen=S.form_sent_to,
                        query=S.sent_to_query,
                        options=S.sent_to_options,
                        on_search=S.search_sent_to,
                        on_pick=S.add_sent_to,
                        on_remove=S.remove_sent_to,
                        placeholder="Add a candidate or member by name or email",
                    ),
                    errors.get("sent_to", ""),
                    control_id="form-sent-to",
                ),
                field(
                    "Subject",
                    rx.input(
                        id="form-subject",
                        value=S.form_subject,
                        on_change=S.set_form_subject,
                        max_length=MAX_SUBJECT_LENGTH + 50,
                    ),
                    errors.get("subject", ""),
                    hint=f"Up to {MAX_SUBJECT_LENGTH} characters.",
                    control_id="form-subject",
                ),
                field(
                    "Description",
                    rx.text_area(
                        id="form-description",
                        value=S.form_description,
                        on_change=S.set_form_description,
                        rows="7",
                        resize="vertical",
                    ),
                    errors.get("description", ""),
                    hint=f"Up to {MAX_DESCRIPTION_LENGTH:,} characters.",
                    control_id="form-description",
                ),
                rx.cond(
                    S.form_error != "",
                    rx.callout(
                        S.form_error,
                        icon="circle-alert",
                        color_scheme="red",
                        width="100%",
                        role="alert",
                        id="form-error",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.button(
                        rx.cond(S.editing_id > 0, "Save changes", "Save"),
                        on_click=S.save,
                        loading=S.saving,
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
        open=S.modal_open,
        on_open_change=S.set_modal_open,
    )


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this communication?"),
            rx.alert_dialog.description(
                rx.text(
                    "“",
                    S.delete_subject,
                    "” will be removed from every candidate's timeline. Its history is kept.",
                ),
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Delete", color_scheme="red", on_click=S.confirm_delete)
                ),
                justify="end",
                spacing="3",
                padding_top="1rem",
            ),
        ),
        open=S.delete_open,
        on_open_change=S.set_delete_open,
    )


def _revision(revision: RevisionView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(
                revision.action_label,
                color_scheme=rx.cond(revision.action == "delete", "red", "amber"),
            ),
            rx.text(revision.actor_name, weight="medium", size="2"),
            rx.spacer(),
            rx.text(local_datetime(revision.created_at_iso), size="1", color="var(--gray-10)"),
            width="100%",
            align="center",
        ),
        rx.foreach(revision.changes, lambda change: rx.text("• ", change, size="2")),
        spacing="1",
        width="100%",
        padding_y="0.5rem",
        border_bottom="1px solid var(--gray-4)",
    )


def _history_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("History"),
            rx.dialog.description(S.history_subject, size="2", color="var(--gray-10)"),
            rx.vstack(
                rx.foreach(S.history, _revision), spacing="0", width="100%", padding_top="0.5rem"
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                padding_top="1rem",
            ),
            max_width="36rem",
        ),
        open=S.history_open,
        on_open_change=S.set_history_open,
    )


# --- the tab -------------------------------------------------------------------------


def communications_tab() -> rx.Component:
    """Filters, the timeline (newest first, "Load more"), and the dialogs."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Communications", size="4", as_="h2"),
            rx.spacer(),
            rx.button(
                rx.icon("download", size=14),
                "Export CSV",
                variant="soft",
                color_scheme="gray",
                on_click=S.export_csv,
            ),
            rx.cond(
                S.viewer_is_admin,
                rx.button(rx.icon("plus", size=16), "New Communication", on_click=S.open_new),
            ),
            width="100%",
            align="center",
        ),
        _filters(),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="red", width="100%"),
        ),
        rx.cond(
            S.items.length() > 0,
            rx.vstack(rx.foreach(S.items, _entry), spacing="3", width="100%", id="timeline"),
            empty_state(
                "messages-square",
                rx.cond(
                    (S.search != "")
                    | (S.filter_types.length() > 0)
                    | (S.filter_origin != "all")
                    | (S.filter_from != "")
                    | (S.filter_to != "")
                    | (S.filter_person != "anyone"),
                    "No communication matches these filters.",
                    "No communications with this candidate yet.",
                ),
                "Emails the system sends and conversations logged by the team appear here.",
            ),
        ),
        rx.cond(
            S.next_cursor != "",
            rx.center(
                rx.button("Load more", variant="soft", on_click=S.load_more),
                width="100%",
            ),
        ),
        _modal(),
        _delete_dialog(),
        _history_dialog(),
        spacing="4",
        width="100%",
    )
