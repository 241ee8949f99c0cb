"""The Delivery page: an email that failed for good is retried from it."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import Session

from flo_comms.db import make_engine
from flo_comms.models import EmailOutbox
from flo_comms.services.outbox import MAX_ATTEMPTS, queue_email
from tests.e2e.conftest import AppServer, sign_in_as

SUBJECT = "E2E: an email that could not be delivered"


def _given_up_email(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            row = queue_email(
                session,
                communication_id=None,
                idempotency_key="e2e:given-up",
                to=["Jordan Ellis <jordan@unreachable.example>"],
                cc=[],
                bcc=[],
                subject=SUBJECT,
                body="Hello",
            )
            session.flush()
            row.status = "failed"
            row.attempts = MAX_ATTEMPTS
            row.last_error = "550 mailbox unavailable"
            session.commit()
            return row.id
    finally:
        engine.dispose()


def test_an_admin_retries_a_failed_email(
    page: Page, app_server: AppServer, screenshots_dir: Path
) -> None:
    row_id = _given_up_email(app_server.database_url)
    sign_in_as(page, "Marcus Reed")
    page.goto("/delivery")
    expect(page).to_have_url(re.compile(r"/candidates$"))  # members are sent away

    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/?$"))
    sign_in_as(page, "Isabel Moreno", path="/delivery")
    page.get_by_role("link", name="Delivery").click()
    row = page.locator(".failed-email-row").filter(has_text=SUBJECT)
    expect(row).to_contain_text("550 mailbox unavailable")
    expect(row).to_contain_text("(gave up)")
    expect(page.locator("#outbox-count-failed")).to_have_text(re.compile(r"^Failed[1-9]"))
    page.screenshot(path=screenshots_dir / "delivery.png", full_page=True)
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Queued again")).to_be_visible()
    expect(row).to_have_count(0)
    engine = make_engine(app_server.database_url)
    try:
        with engine.connect() as conn:
            status = conn.execute(
                sa.select(EmailOutbox.__table__.c.status).where(
                    EmailOutbox.__table__.c.id == row_id
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert status in ("queued", "sending", "sent")  # the dispatcher has it again
