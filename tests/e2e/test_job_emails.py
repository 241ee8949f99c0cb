"""System emails: a status change emails the agency and is logged on the candidate."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_communications import open_communications

JOB = "2027 Summer Associate Program - New York"


def open_job(page: Page) -> None:
    """Opens the New York summer program's page from the jobs list."""
    page.goto("/jobs")
    page.get_by_role("link", name=JOB).click()
    expect(page.locator("#job-name")).to_have_text(JOB)


def test_status_change_emails_the_agency_and_logs_it_on_diana(
    page: Page, screenshots_dir: Path
) -> None:
    sign_in_as(page, "Cynthia Park", path="/jobs")
    open_job(page)
    diana = page.locator(".application-row").filter(has_text="Diana Allen")
    diana.get_by_role("button", name="Actions for Diana Allen").click()
    page.get_by_role("menuitem", name="Change status…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox", name="New status").click()
    page.get_by_role("option", name=re.compile("^Interview Scheduled")).click()
    preview = dialog.locator(".email-preview")
    expect(preview).to_contain_text("Bill Walter <bill.walter@momentumsearch.example>")
    expect(preview).to_contain_text("Agency recruiter")
    expect(preview).to_contain_text("Dear Bill")
    page.screenshot(path=screenshots_dir / "status-change-preview.png")
    dialog.get_by_role("button", name="Change and send").click()
    expect(dialog).to_be_hidden()
    expect(diana.locator(".app-status")).to_have_text("Interview Scheduled")

    open_communications(page, "Diana Allen")
    email = page.locator(".timeline-entry").filter(has_text="Interview invitation").first
    expect(email).to_contain_text("System generated")
    expect(email).to_contain_text("Job status")
    expect(email).to_contain_text(JOB)
    expect(email).to_contain_text("to Bill Walter")
    expect(email).to_contain_text("Sent by Cynthia Park · status changed to Interview Scheduled")
    email.get_by_text("Details").click()
    expect(email).to_contain_text("interviews@halewhitmore.example")  # CC
    expect(email).to_contain_text("records@halewhitmore.example")  # BCC
    # The dispatcher delivers it within moments; the entry shows it as sent.
    for _ in range(20):
        if "sent" in email.locator(".delivery-status").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
        email = page.locator(".timeline-entry").filter(has_text="Interview invitation").first
    expect(email.locator(".delivery-status")).to_have_text(re.compile("sent"))
    page.screenshot(path=screenshots_dir / "status-email-on-timeline.png", full_page=True)

    page.goto("/mailbox")
    message = page.locator(".mail-item").filter(has_text="Interview invitation").first
    message.click()
    expect(page.locator("#mail-subject")).to_contain_text("Interview invitation")
    expect(page.locator("#mail-body")).to_contain_text("Dear Bill")
    expect(page.get_by_text("bill.walter@momentumsearch.example").first).to_be_visible()
    page.screenshot(path=screenshots_dir / "mailbox.png", full_page=True)


def test_update_request_link_updates_the_application_once(
    page: Page, screenshots_dir: Path
) -> None:
    sign_in_as(page, "Isabel Moreno", path="/jobs")
    open_job(page)
    row = page.locator(".application-row").filter(has_text="Jamal Carter")
    row.get_by_role("button", name="Actions for Jamal Carter").click()
    page.get_by_role("menuitem", name="Send update request…").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Send").click()
    expect(page.get_by_text("1 update request sent.")).to_be_visible()

    page.goto("/mailbox")
    message = page.locator(".mail-item").filter(has_text="update").first
    expect(message).to_be_visible()
    link = None
    for _ in range(20):
        page.get_by_role("button", name="Refresh").click()
        page.locator(".mail-item").filter(has_text="jcarter").first.click()
        body = page.locator("#mail-body").inner_text()
        match = re.search(r"https?://\S+/update/\S+", body)
        if match:
            link = match.group(0)
            break
        page.wait_for_timeout(500)
    assert link, "the update request email carries a link"
    path = re.sub(r"^https?://[^/]+", "", link)

    candidate = page.context.new_page()
    candidate.context.clear_cookies()
    candidate.goto(path)
    expect(candidate.get_by_role("heading", name="Update your application")).to_be_visible()
    candidate.get_by_label("Graduation year").fill("20x7")
    candidate.get_by_role("button", name="Update my application").click()
    expect(candidate.get_by_text(re.compile("Enter a year"))).to_be_visible()
    candidate.get_by_label("Graduation year").fill("2027")
    candidate.get_by_label("Phone").fill("(646) 555-0199")
    candidate.get_by_role("button", name="Update my application").click()
    expect(candidate.locator("#update-done")).to_contain_text(JOB)
    candidate.screenshot(path=screenshots_dir / "update-application-done.png", full_page=True)
    candidate.reload()
    expect(candidate.locator("#update-problem")).to_contain_text("already been used")
    candidate.close()
