"""The jobs list page."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state, table_card
from flo_comms.components.layout import page_shell
from flo_comms.schemas import JobRow, StatusCount
from flo_comms.state.jobs import JobsState

ROUTE = "/jobs"


def _status_badge(count: StatusCount) -> rx.Component:
    return rx.badge(
        count.status, " ", count.count, variant="soft", color_scheme="gray", radius="full"
    )


def _row(job: JobRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.link(job.name, href="/jobs/" + job.id.to_string(), weight="medium"),
                rx.text(job.position_type, size="1", color="var(--gray-10)"),
                spacing="0",
            )
        ),
        rx.table.cell(job.office),
        rx.table.cell(job.department),
        rx.table.cell(job.process_year),
        rx.table.cell(
            rx.vstack(
                rx.text(job.applications, " applications", size="2"),
                rx.flex(rx.foreach(job.by_status, _status_badge), wrap="wrap", gap="1"),
                spacing="1",
            )
        ),
        align="center",
    )


def jobs_page() -> rx.Component:
    """Jobs: name, office, department, process year, applications by status."""
    return page_shell(
        table_card(
            table_id="jobs-table",
            headers=["Job", "Office", "Department", "Process year", "Applications"],
            rows=JobsState.jobs,
            render_row=_row,
            loaded=JobsState.loaded,
            empty=empty_state("briefcase", "No jobs yet.", "Jobs appear here once created."),
        ),
        title="Jobs",
        active="Jobs",
    )
