"""Reading jobs and their applications."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, func, select

from flo_comms.models import Application, ApplicationStatus, Job
from flo_comms.schemas import JobRow, StatusCount


def list_jobs(*, session: Session) -> list[JobRow]:
    """Every job, newest process year first, with its applications counted by status.

    Jobs are few (tens per firm), so the list is not paged; the counts come
    from one grouped query, not a query per job.
    """
    jobs = session.exec(select(Job).order_by(col(Job.process_year).desc(), col(Job.name))).all()
    counts = session.exec(
        select(Application.job_id, ApplicationStatus.name, func.count())
        .join(ApplicationStatus, col(ApplicationStatus.id) == col(Application.status_id))
        .group_by(Application.job_id, ApplicationStatus.name, ApplicationStatus.position)
        .order_by(Application.job_id, ApplicationStatus.position)
    ).all()
    by_job: dict[int, list[StatusCount]] = defaultdict(list)
    for job_id, status_name, count in counts:
        by_job[job_id].append(StatusCount(status=status_name, count=count))
    return [
        JobRow(
            id=job.id,
            name=job.name,
            office=job.office,
            department=job.department,
            position_type=job.position_type,
            process_year=job.process_year,
            applications=sum(c.count for c in by_job[job.id]),
            by_status=by_job[job.id],
        )
        for job in jobs
    ]
