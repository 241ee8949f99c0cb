"""The members page: who can sign in, with which role (admins only)."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.forms import field
from flo_comms.components.layout import page_shell
from flo_comms.schemas import MemberView
from flo_comms.state.members import MembersState

ROUTE = "/members"


def _role_select(member: MemberView) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(variant="soft", aria_label="Role of " + member.name),
        rx.select.content(
            rx.select.item("Admin", value="admin"),
            rx.select.item("Member", value="member"),
        ),
        value=member.role,
        on_change=lambda role: MembersState.change_role(member.id, role),
        disabled=(member.id == MembersState.viewer_id) | ~member.is_active,
        size="2",
    )


def _row(member: MemberView) -> rx.Component:
    is_self = member.id == MembersState.viewer_id
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(member.name, weight="medium"),
                rx.cond(is_self, rx.badge("You", variant="soft", color_scheme="gray")),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(member.email),
        rx.table.cell(_role_select(member)),
        rx.table.cell(
            rx.cond(
                member.is_active,
                rx.badge("Active", color_scheme="green", variant="soft"),
                rx.badge("Deactivated", color_scheme="red", variant="soft"),
            )
        ),
        rx.table.cell(
            rx.cond(
                is_self,
                rx.fragment(),
                rx.cond(
                    member.is_active,
                    rx.button(
                        "Deactivate",
                        variant="soft",
                        color_scheme="red",
                        size="1",
                        on_click=MembersState.set_active(member.id, False),
                        aria_label="Deactivate " + member.name,
                    ),
                    rx.button(
                        "Reactivate",
                        variant="soft",
                        size="1",
                        on_click=MembersState.set_active(member.id, True),
                        aria_label="Reactivate " + member.name,
                    ),
                ),
            )
        ),
        align="center",
    )


def _add_dialog() -> rx.Component:
    errors = MembersState.form_errors
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("user-plus", size=16), "Add member")),
        rx.dialog.content(
            rx.dialog.title("Add member"),
            rx.dialog.description(
                "They sign in with this email and the initial password you give them.",
                size="2",
                color="var(--gray-10)",
            ),
            rx.form(
                rx.vstack(
                    field(
                        "Name",
                        rx.input(id="member-name", name="name", max_length=120),
                        errors.get("name", ""),
                        control_id="member-name",
                    ),
                    field(
                        "Email",
                        rx.input(id="member-email", name="email", type="email", max_length=254),
                        errors.get("email", ""),
                        control_id="member-email",
                    ),
                    field(
                        "Role",
                        rx.select.root(
                            rx.select.trigger(id="member-role", width="100%"),
                            rx.select.content(
                                rx.select.item("Member", value="member"),
                                rx.select.item("Admin", value="admin"),
                            ),
                            name="role",
                            default_value="member",
                        ),
                        errors.get("role", ""),
                        hint="Admins log, edit and send; members only view.",
                        control_id="member-role",
                    ),
                    field(
                        "Initial password",
                        rx.input(
                            id="member-password",
                            name="password",
                            type="password",
                            auto_complete="new-password",
                            max_length=256,
                        ),
                        errors.get("password", ""),
                        hint="At least 10 characters.",
                        control_id="member-password",
                    ),
                    rx.cond(
                        errors.contains("form"),
                        rx.callout(errors.get("form", ""), icon="circle-alert", color_scheme="red"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                        rx.button("Add member", type="submit", loading=MembersState.saving),
                        justify="end",
                        width="100%",
                        spacing="3",
                    ),
                    spacing="4",
                    padding_top="1rem",
                ),
                on_submit=MembersState.add,
                reset_on_submit=False,
                no_validate=True,
            ),
            max_width="28rem",
        ),
        open=MembersState.dialog_open,
        on_open_change=MembersState.set_dialog_open,
    )


def members_page() -> rx.Component:
    """Members: add, change role, deactivate and reactivate."""
    return page_shell(
        rx.card(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Name"),
                        rx.table.column_header_cell("Email"),
                        rx.table.column_header_cell("Role"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(MembersState.members, _row)),
                variant="ghost",
                width="100%",
                id="members-table",
            ),
            width="100%",
        ),
        title="Members",
        active="Members",
        actions=(_add_dialog(),),
    )
