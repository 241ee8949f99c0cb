"""The jobs list page."""

from __future__ import annotations

import reflex as rx

from flo_comms.components.common import empty_state
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
                rx.text(job.name, weight="medium"),
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
        rx.card(
            rx.cond(
                JobsState.jobs.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Job"),
                            rx.table.column_header_cell("Office"),
                            rx.table.column_header_cell("Department"),
                            rx.table.column_header_cell("Process year"),
                            rx.table.column_header_cell("Applications"),
                        )
                    ),
                    rx.table.body(rx.foreach(JobsState.jobs, _row)),
                    variant="ghost",
                    width="100%",
                    id="jobs-table",
                ),
                rx.cond(
                    JobsState.loaded,
                    empty_state("briefcase", "No jobs yet.", "Jobs appear here once created."),
                ),
            ),
            width="100%",
        ),
        title="Jobs",
        active="Jobs",
    )
