"""Form fields with their label and error message."""

from __future__ import annotations

import reflex as rx


def field(
    label: str,
    control: rx.Component,
    error: rx.Var[str] | str = "",
    hint: str = "",
    *,
    control_id: str,
) -> rx.Component:
    """A labelled form control with its error (shown in red under it) or hint.

    `control_id` is the control's `id`, so the label names it for assistive
    technology and tests.
    """
    return rx.vstack(
        rx.el.label(
            rx.text(label, size="2", weight="medium"),
            html_for=control_id,
        ),
        control,
        rx.cond(
            error != "",
            rx.text(error, size="1", color="var(--red-11)", role="alert"),
            rx.text(hint, size="1", color="var(--gray-10)") if hint else rx.fragment(),
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )
