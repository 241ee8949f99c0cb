"""The sign-in page."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.forms import field
from flo_comms.schemas import DemoAccount
from flo_comms.state.session import SIGN_IN_ROUTE
from flo_comms.state.sign_in import SignInState

ROUTE = SIGN_IN_ROUTE


def _demo_account(account: DemoAccount) -> rx.Component:
    return rx.hstack(
        rx.avatar(fallback=account.name[:1], size="3", radius="full", color_scheme="indigo"),
        rx.vstack(
            rx.text(account.name, weight="medium", size="2"),
            rx.text(account.title, size="1", color="var(--gray-10)"),
            spacing="0",
        ),
        rx.spacer(),
        rx.badge(
            rx.cond(account.role == "admin", "Admin", "Member"),
            color_scheme=rx.cond(account.role == "admin", "indigo", "gray"),
            variant="soft",
        ),
        rx.button(
            "Sign in",
            variant="outline",
            size="2",
            on_click=SignInState.sign_in_as_demo(account.email),
            aria_label="Sign in as " + account.name,
        ),
        align="center",
        spacing="3",
        width="100%",
    )


def _demo_panel() -> rx.Component:
    return rx.cond(
        SignInState.demo_accounts.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("sparkles", size=16, color="var(--amber-10)"),
                    rx.text("Demo accounts", weight="bold", size="2"),
                    align="center",
                    spacing="2",
                ),
                rx.text(
                    "This is a demo. Pick an account to sign in without a password.",
                    size="1",
                    color="var(--gray-10)",
                ),
                rx.foreach(SignInState.demo_accounts, _demo_account),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="demo-accounts",
        ),
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Email",
                rx.input(
                    id="email",
                    name="email",
                    type="email",
                    placeholder="you@firm.com",
                    auto_complete="username",
                    size="3",
                    max_length=254,
                    auto_focus=True,
                ),
                SignInState.email_error,
                control_id="email",
            ),
            field(
                "Password",
                rx.input(
                    id="password",
                    name="password",
                    type="password",
                    auto_complete="current-password",
                    size="3",
                    max_length=256,
                ),
                SignInState.password_error,
                control_id="password",
            ),
            rx.cond(
                SignInState.error != "",
                rx.callout(
                    SignInState.error,
                    icon="circle-alert",
                    color_scheme="red",
                    role="alert",
                    width="100%",
                    id="sign-in-error",
                ),
            ),
            rx.button(
                "Sign in",
                type="submit",
                size="3",
                width="100%",
                loading=SignInState.busy,
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=SignInState.sign_in,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def sign_in_page() -> rx.Component:
    """Email and password; in demo mode, the demo accounts too."""
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.image(src="/logo.png", width="2.5rem", height="2.5rem", alt=""),
                rx.text("flo comms", size="6", weight="bold"),
                align="center",
                spacing="3",
            ),
            rx.card(
                rx.vstack(
                    rx.heading("Sign in", size="5", as_="h1"),
                    rx.text(
                        "Candidate communications for your recruiting team.",
                        size="2",
                        color="var(--gray-10)",
                    ),
                    rx.cond(
                        SignInState.notice != "",
                        rx.callout(SignInState.notice, icon="info", width="100%"),
                    ),
                    _form(),
                    spacing="4",
                    width="100%",
                ),
                size="4",
                width="100%",
            ),
            _demo_panel(),
            spacing="5",
            width="26rem",
            align="center",
        ),
        min_height="100vh",
        background="var(--gray-2)",
        padding="2rem",
    )
