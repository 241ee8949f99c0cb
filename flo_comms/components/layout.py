"""The app shell: sidebar, header and the page frame around every screen."""

from __future__ import annotations

import reflex as rx

from flo_comms.settings import settings
from flo_comms.state.session import SessionState, post_sign_out

NAV_ITEMS: list[tuple[str, str, str]] = [
    ("Candidates", "/candidates", "users"),
    ("Jobs", "/jobs", "briefcase"),
    ("Events", "/events", "calendar-days"),
]

SIDEBAR_WIDTH = "15rem"


def _nav_link(label: str, href: str, icon: str, active: bool) -> rx.Component:
    link = rx.link(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.text(label, size="3", weight="medium"),
            spacing="3",
            align="center",
            padding_x="0.75rem",
            padding_y="0.5rem",
            border_radius="var(--radius-3)",
            background=rx.cond(active, "var(--indigo-4)", "transparent"),
            color=rx.cond(active, "var(--indigo-12)", "var(--gray-11)"),
            _hover={"background": "var(--indigo-3)", "color": "var(--indigo-12)"},
            width="100%",
        ),
        href=href,
        underline="none",
        id=f"nav-{label.lower()}",
        aria_current="page" if active else None,
        width="100%",
    )
    return link


def sidebar(active: str) -> rx.Component:
    """The navigation column; `active` is the label of the current section."""
    return rx.vstack(
        rx.hstack(
            rx.image(src="/logo.png", width="2rem", height="2rem", alt=""),
            rx.vstack(
                rx.text("flo comms", size="4", weight="bold", color="var(--gray-12)"),
                rx.text("Candidate communications", size="1", color="var(--gray-10)"),
                spacing="0",
            ),
            align="center",
            spacing="3",
            padding_x="0.75rem",
            padding_bottom="1.5rem",
        ),
        rx.el.nav(
            rx.vstack(
                *(_nav_link(label, href, icon, label == active) for label, href, icon in NAV_ITEMS),
                rx.cond(
                    SessionState.viewer_is_admin,
                    rx.vstack(
                        rx.divider(margin_y="0.75rem"),
                        _nav_link("Members", "/members", "user-cog", active == "Members"),
                        _nav_link("Templates", "/templates", "mail-plus", active == "Templates"),
                        _nav_link("Delivery", "/delivery", "send", active == "Delivery"),
                        *(
                            [_nav_link("Mailbox", "/mailbox", "inbox", active == "Mailbox")]
                            if settings.demo_mode
                            else []
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            aria_label="Main",
            width="100%",
        ),
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        padding="1.25rem 0.75rem",
        border_right="1px solid var(--gray-5)",
        background="var(--gray-1)",
    )


def user_menu() -> rx.Component:
    """The signed-in member's name and role, with sign-out."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(
                    fallback=SessionState.viewer_name[:1],
                    size="2",
                    radius="full",
                    color_scheme="indigo",
                ),
                rx.vstack(
                    rx.text(SessionState.viewer_name, size="2", weight="medium"),
                    rx.text(
                        rx.cond(SessionState.viewer_is_admin, "Admin", "Member"),
                        size="1",
                        color="var(--gray-10)",
                    ),
                    spacing="0",
                    align="start",
                ),
                rx.icon("chevron-down", size=16, color="var(--gray-10)"),
                variant="ghost",
                color_scheme="gray",
                size="3",
                aria_label="Account menu",
                id="user-menu",
            ),
        ),
        rx.menu.content(
            rx.menu.item(
                rx.icon("log-out", size=16),
                "Sign out",
                on_select=post_sign_out(),
            ),
            align="end",
        ),
    )


def header(title: str | rx.Var[str], *actions: rx.Component) -> rx.Component:
    """The bar across the top of the content: page title, page actions, account menu."""
    return rx.hstack(
        rx.heading(title, size="6", weight="bold", as_="h1"),
        rx.spacer(),
        *actions,
        user_menu(),
        align="center",
        width="100%",
        padding_x="2rem",
        height="4rem",
        border_bottom="1px solid var(--gray-5)",
        background="var(--color-background)",
        position="sticky",
        top="0",
        z_index="10",
    )


def page_shell(
    *children: rx.Component,
    title: str | rx.Var[str],
    active: str,
    actions: tuple[rx.Component, ...] = (),
) -> rx.Component:
    """A signed-in page: sidebar on the left, header and content on the right."""
    return rx.cond(
        SessionState.viewer_name != "",
        _signed_in_frame(*children, title=title, active=active, actions=actions),
        rx.center(rx.spinner(size="3"), height="100vh", width="100%", aria_label="Loading"),
    )


def _signed_in_frame(
    *children: rx.Component,
    title: str | rx.Var[str],
    active: str,
    actions: tuple[rx.Component, ...],
) -> rx.Component:
    return rx.hstack(
        sidebar(active),
        rx.vstack(
            header(title, *actions),
            rx.box(
                *children,
                width="100%",
                max_width="80rem",
                padding="1.5rem 2rem 3rem",
            ),
            spacing="0",
            width="100%",
            min_height="100vh",
            background="var(--gray-2)",
        ),
        spacing="0",
        width="100%",
        align="start",
    )


def public_page(body: rx.Component, *, width: str = "32rem") -> rx.Component:
    """A page for people who do not sign in: the firm's name over one card."""
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.image(src="/logo.png", width="2rem", height="2rem", alt=""),
                rx.text(settings.firm_name, size="5", weight="bold"),
                align="center",
                spacing="3",
            ),
            rx.card(body, size="4", width="100%"),
            spacing="5",
            width=width,
            max_width="100%",
            align="center",
        ),
        min_height="100vh",
        background="var(--gray-2)",
        padding="2rem",
    )
