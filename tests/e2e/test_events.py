"""Outreach events: public registration, Quick Review, slot cancellations, deletion."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_communications import open_communications

WEBINAR = "E2E Invite-only Webinar on Appellate Practice"
REGISTRANT = ("Noor", "Haddad", "noor.haddad@law.e2e.example")


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _timeline_subjects(page: Page) -> list[str]:
    expect(page.locator(".timeline-entry").first).to_be_visible()
    return page.locator(".timeline-entry").all_inner_texts()


def test_register_approve_and_delete_an_invite_only_webinar(
    page: Page, browser: Browser, base_url: str, screenshots_dir: Path
) -> None:
    sign_in_as(page, "Cynthia Park", path="/events")
    page.get_by_role("button", name="New event").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Create event").click()
    expect(dialog.get_by_text("Give the event a name.")).to_be_visible()  # nothing is created

    starts = (datetime.now() + timedelta(days=20)).replace(hour=12, minute=0)
    dialog.get_by_label("Name").fill(WEBINAR)
    dialog.get_by_role("combobox", name="Type").click()
    page.get_by_role("option", name="Webinar").click()
    dialog.get_by_role("combobox", name="Access").click()
    page.get_by_role("option", name=re.compile("^Invite-only")).click()
    dialog.get_by_label("Starts").fill(_local(starts))
    dialog.get_by_label("Ends").fill(_local(starts - timedelta(hours=1)))
    dialog.get_by_role("button", name="Create event").click()
    expect(dialog.get_by_text("The event must end after it starts.")).to_be_visible()
    expect(dialog.get_by_text("An online event needs a meeting link.")).to_be_visible()
    dialog.get_by_label("Ends").fill(_local(starts + timedelta(hours=1)))
    dialog.get_by_label("Meeting link").fill("https://zoom.example/j/5550199")
    dialog.get_by_role("button", name="Create event").click()
    expect(page.locator("#event-title")).to_have_text(WEBINAR)
    link = page.locator("#registration-link").inner_text()
    assert link.startswith("http") and "/register/" in link

    # A candidate registers through the public link, in a browser of their own.
    visitor = browser.new_context(base_url=base_url, timezone_id="America/New_York")
    public = visitor.new_page()
    public.goto("/register/" + link.rsplit("/", 1)[-1])
    expect(public.locator("#register-event-name")).to_have_text(WEBINAR)
    public.get_by_role("button", name="Request a place").click()
    expect(public.get_by_text("Enter a first name.")).to_be_visible()
    expect(public.get_by_text("Choose a class year.")).to_be_visible()
    first, last, email = REGISTRANT
    public.get_by_label("First name").fill(first)
    public.get_by_label("Last name").fill(last)
    public.get_by_label("Email").fill(email)
    public.get_by_label("Law school").fill("Georgetown University Law Center")
    public.get_by_role("combobox", name="Class year").click()
    public.get_by_role("option", name="2L").click()
    public.get_by_role("button", name="Request a place").click()
    expect(public.locator("#register-done")).to_contain_text("registration for " + WEBINAR)
    public.screenshot(path=screenshots_dir / "event-registration-done.png")
    public.reload()  # registering twice registers once
    public.get_by_label("First name").fill(first)
    public.get_by_label("Last name").fill(last)
    public.get_by_label("Email").fill(email.upper())
    public.get_by_label("Law school").fill("Georgetown University Law Center")
    public.get_by_role("combobox", name="Class year").click()
    public.get_by_role("option", name="2L").click()
    public.get_by_role("button", name="Request a place").click()
    expect(public.locator("#register-done")).to_contain_text("already registered")
    visitor.close()

    # Quick Review: the registrant waits, Cynthia approves.
    page.reload()
    page.get_by_role("tab", name=re.compile("Quick Review")).click()
    row = page.locator(".review-row").filter(has_text=f"{first} {last}")
    expect(row).to_have_count(1)
    page.screenshot(path=screenshots_dir / "event-quick-review.png", full_page=True)
    row.get_by_role("button", name=f"Approve {first} {last}").click()
    expect(page.get_by_text("1 approved, 1 email sent.")).to_be_visible()
    expect(page.locator(".review-row")).to_have_count(0)

    # Both emails are on the candidate's timeline, with the event as context.
    page.get_by_role("tab", name="Registrants").click()
    page.get_by_role("link", name=f"{first} {last}").click()
    expect(page.locator("#candidate-name")).to_have_text(f"{first} {last}")
    confirmation = page.locator(".timeline-entry").filter(has_text="Registration received")
    approval = page.locator(".timeline-entry").filter(has_text="You're confirmed")
    expect(confirmation).to_contain_text("Registration Confirmation")
    expect(confirmation).to_contain_text(WEBINAR)
    expect(approval).to_contain_text("Approval")
    expect(approval).to_contain_text("Sent by Cynthia Park · approved in Quick Review")
    before = _timeline_subjects(page)
    assert len(before) == 2
    profile_url = page.url

    # Deleting the event sends nothing and logs nothing.
    page.go_back()
    expect(page.locator("#event-title")).to_have_text(WEBINAR)
    event_url = page.url
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name="Yes, go ahead").click()
    expect(page).to_have_url(re.compile(r"/events$"))
    expect(page.get_by_role("link", name=WEBINAR)).to_have_count(0)
    page.goto(event_url)
    expect(page.get_by_text("This event was deleted.")).to_be_visible()
    page.get_by_role("tab", name="Emails").click()
    held = page.locator(".held-back-row").filter(has_text=f"{first} {last}")
    expect(held).to_contain_text("deleting an event sends no email")
    page.goto(profile_url)
    assert _timeline_subjects(page) == before


def test_taking_someone_out_of_a_virtual_chat_slot_sends_a_cancellation(
    page: Page, screenshots_dir: Path
) -> None:
    sign_in_as(page, "Isabel Moreno", path="/events")
    page.get_by_role("link", name="Virtual Coffee Chats with Our Summer Associates").click()
    expect(page.locator("#event-title")).to_contain_text("Virtual Coffee Chats")
    row = page.locator(".registrant-row").filter(has_text="William Zhang")
    expect(row.get_by_role("combobox", name="Time slot for William Zhang")).to_contain_text("PM")
    page.get_by_role("button", name="Take William Zhang out of their slot").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Cancellation")
    page.get_by_role("button", name="Yes, go ahead").click()
    expect(page.get_by_text(re.compile("William Zhang was taken out of the slot"))).to_be_visible()
    expect(row.get_by_role("combobox", name="Time slot for William Zhang")).to_contain_text(
        "Assign a slot"
    )
    page.screenshot(path=screenshots_dir / "event-slots.png", full_page=True)

    open_communications(page, "William Zhang")
    cancellation = page.locator(".timeline-entry").filter(has_text="has been cancelled").first
    expect(cancellation).to_contain_text("Cancellation")
    expect(cancellation).to_contain_text("Virtual Coffee Chats with Our Summer Associates")
    expect(cancellation).to_contain_text("Sent by Isabel Moreno · removed from a time slot")


def test_an_edit_from_a_form_opened_before_someone_else_saved_is_refused(
    page: Page, screenshots_dir: Path
) -> None:
    """Two tabs edit one event: the tab that saves second is told, and overwrites nothing."""
    event = "Virtual Coffee Chats with Our Summer Associates"
    sign_in_as(page, "Isabel Moreno", path="/events")
    page.get_by_role("link", name=event).click()
    expect(page.locator("#event-title")).to_contain_text("Virtual Coffee Chats")
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("#event-title")).to_contain_text("Virtual Coffee Chats")

    page.get_by_role("button", name="Edit").click()
    first = page.get_by_role("dialog")
    first.get_by_label("Description").fill("Edited in the first tab.")

    other.get_by_role("button", name="Edit").click()
    second = other.get_by_role("dialog")
    second.get_by_label("Description").fill("Edited in the second tab.")
    second.get_by_role("button", name="Save").click()
    expect(other.get_by_text(re.compile("No email: nothing the emails show"))).to_be_visible()
    other.close()

    first.get_by_role("button", name="Save").click()
    expect(first.get_by_text(re.compile("Someone else saved this event"))).to_be_visible()
    expect(page.get_by_text("Edited in the second tab.")).to_be_visible()  # the page behind
    page.screenshot(path=screenshots_dir / "event-edit-conflict.png")
    first.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Edit").click()
    expect(page.get_by_role("dialog").get_by_label("Description")).to_have_value(
        "Edited in the second tab."
    )


def test_an_admin_adds_a_new_candidate_to_an_event(page: Page, screenshots_dir: Path) -> None:
    sign_in_as(page, "Isabel Moreno", path="/events")
    page.get_by_role("link", name="Virtual Coffee Chats with Our Summer Associates").click()
    page.get_by_role("button", name="Add people").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("tab", name="New candidate").click()
    dialog.get_by_role("button", name="Add candidate").click()
    expect(dialog.get_by_text("Enter a first name.")).to_be_visible()  # nothing is added
    expect(dialog.get_by_text("Choose a class year.")).to_be_visible()
    dialog.get_by_label("First name").fill("Ravi")
    dialog.get_by_label("Last name").fill("Menon")
    dialog.get_by_label("Email").fill("ravi.menon@law.e2e.example")
    dialog.get_by_label("Law school").fill("Cornell Law School")
    dialog.get_by_role("combobox", name="Class year").click()
    page.get_by_role("option", name="2L", exact=True).click()
    expect(dialog.get_by_role("combobox", name="Class year")).to_have_text("2L")
    expect(dialog.get_by_text("Choose a class year.")).to_have_count(0)
    page.screenshot(path=screenshots_dir / "event-add-new-candidate.png")
    dialog.get_by_role("button", name="Add candidate").click()
    expect(page.get_by_text(re.compile("Ravi Menon was added; a Profile Request"))).to_be_visible()
    expect(page.locator(".registrant-row").filter(has_text="Ravi Menon")).to_contain_text(
        "Cornell Law School"
    )
