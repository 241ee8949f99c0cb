"""The Communications tab, as recruiters use it."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import sign_in_as


def open_communications(page: Page, candidate: str) -> None:
    """Opens a candidate's profile on the Communications tab, from the candidates list."""
    page.goto("/candidates")
    page.get_by_role("textbox", name="Search candidates").fill(candidate)
    page.get_by_role("link", name=candidate, exact=True).click()
    expect(page.locator("#candidate-name")).to_have_text(candidate)
    page.get_by_role("tab", name="Communications").click()
    expect(page).to_have_url(re.compile(r"\?tab=communications$"))


def entry(page: Page, subject: str) -> Locator:
    """The timeline entry with this subject."""
    return page.locator(".timeline-entry").filter(
        has=page.locator(".entry-subject", has_text=subject)
    )


def pick(page: Page, picker_id: str, query: str, name: str) -> None:
    """Types into one of the modal's people pickers and picks a person."""
    page.locator(f"#{picker_id}").fill(query)
    page.get_by_role("option", name=re.compile(name)).click()


def test_log_edit_delete_across_profiles_and_viewers(
    page: Page, browser: Browser, browser_context_args: dict, screenshots_dir: Path
) -> None:
    subject = f"Follow-up on callback timing {uuid.uuid4().hex[:6]}"
    sign_in_as(page, "Cynthia Park")
    open_communications(page, "Diana Allen")

    page.get_by_role("button", name="New Communication").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Cynthia Park")).to_be_visible()  # Sent By defaults to me
    expect(dialog.get_by_role("button", name="Remove Diana Allen")).to_be_visible()
    pick(page, "form-sent-to", "Yasmin", "Yasmin Ali")
    dialog.get_by_label("Subject").fill(subject)
    dialog.get_by_label("Description").fill(
        "Emailed Diana and Yasmin about callback timing.\n\nBoth prefer the week of the 14th."
    )
    page.screenshot(path=screenshots_dir / "communication-modal.png")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Communication logged.")).to_be_visible()

    logged = entry(page, subject)
    expect(logged).to_contain_text("This communication was logged by Cynthia Park.")
    expect(logged).to_contain_text("Yasmin Ali")
    expect(logged.get_by_role("button", name=f"Actions for {subject}")).to_be_visible()

    # It is on the other candidate's profile too.
    open_communications(page, "Yasmin Ali")
    expect(entry(page, subject)).to_contain_text("This communication was logged by Cynthia Park.")

    # Isabel, another admin, sees it but has no 3-dot menu on it.
    isabel_context = browser.new_context(**browser_context_args)
    isabel = isabel_context.new_page()
    sign_in_as(isabel, "Isabel Moreno")
    open_communications(isabel, "Diana Allen")
    expect(entry(isabel, subject)).to_contain_text("logged by Cynthia Park")
    expect(
        entry(isabel, subject).get_by_role("button", name=re.compile("Actions for"))
    ).to_have_count(0)
    isabel.screenshot(path=screenshots_dir / "communications-isabel.png", full_page=True)

    # Cynthia edits it: "Edited" appears, and the history says what changed.
    open_communications(page, "Diana Allen")
    logged = entry(page, subject)
    logged.get_by_role("button", name=f"Actions for {subject}").click()
    page.get_by_role("menuitem", name="Edit").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Subject")).to_have_value(subject)
    edited_subject = f"{subject} (rescheduled)"
    dialog.get_by_label("Subject").fill(edited_subject)
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    edited = entry(page, edited_subject)
    expect(edited.get_by_text("Edited")).to_be_visible()
    edited.get_by_role("button", name=f"History of {edited_subject}").click()
    history = page.get_by_role("dialog")
    expect(history).to_contain_text("Cynthia Park")
    expect(history).to_contain_text("(rescheduled)")
    page.screenshot(path=screenshots_dir / "communication-history.png")
    history.get_by_role("button", name="Close").click()

    # Isabel's stale tab cannot overwrite it silently either: she has no edit at all,
    # and Cynthia deleting it removes it from both profiles.
    edited.get_by_role("button", name=f"Actions for {edited_subject}").click()
    page.get_by_role("menuitem", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Communication deleted.")).to_be_visible()
    expect(entry(page, edited_subject)).to_have_count(0)
    open_communications(page, "Yasmin Ali")
    expect(page.locator(".timeline-entry").first).to_be_visible()
    expect(entry(page, edited_subject)).to_have_count(0)
    isabel.reload()
    expect(isabel.locator(".timeline-entry").first).to_be_visible()
    expect(entry(isabel, subject)).to_have_count(0)
    isabel_context.close()


def test_modal_validation_messages(page: Page, screenshots_dir: Path) -> None:
    sign_in_as(page, "Cynthia Park")
    open_communications(page, "Diana Allen")
    page.get_by_role("button", name="New Communication").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Remove Diana Allen").click()
    dialog.get_by_label("Subject").fill("x" * 201)
    dialog.get_by_label("Date").fill("2099-01-01T10:00")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.get_by_text("Enter a description.")).to_be_visible()
    expect(dialog.get_by_text(re.compile("200 characters"))).to_be_visible()
    expect(dialog.get_by_text(re.compile("future"))).to_be_visible()
    expect(dialog.get_by_text(re.compile("Choose at least one"))).to_be_visible()
    page.screenshot(path=screenshots_dir / "communication-modal-errors.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("x" * 201)).to_have_count(0)


def test_details_toggle_search_and_type_filter(page: Page, screenshots_dir: Path) -> None:
    sign_in_as(page, "Marcus Reed")
    open_communications(page, "Diana Allen")
    # A member can read but not log.
    expect(page.get_by_role("button", name="New Communication")).to_have_count(0)

    first = page.locator(".timeline-entry").first
    body = first.locator(".entry-body")
    expect(body).to_be_hidden()
    # The preview: the body's first lines, whitespace folded, at most two lines high.
    preview = first.locator(".entry-preview")
    expect(preview).to_be_visible()
    assert "\n" not in preview.inner_text()
    line_height = preview.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    box = preview.bounding_box()
    assert box is not None and box["height"] <= 2 * line_height + 1
    first.get_by_text("Details").click()
    expect(body).to_be_visible()
    expect(first.get_by_text("To", exact=True)).to_be_visible()
    page.screenshot(path=screenshots_dir / "communications-details.png", full_page=True)
    first.get_by_text("Details").click()
    expect(body).to_be_hidden()

    total = page.locator("#timeline-total")
    all_entries = page.locator(".timeline-entry").count()
    expect(total).to_have_text(re.compile(rf"^{all_entries} entr"))

    # The system emails to Bill Walter show who got them and that they were sent.
    system = page.locator(".timeline-entry").filter(has_text="System generated").first
    expect(system).to_contain_text("Bill Walter")
    expect(system.locator(".delivery-status")).to_have_text(re.compile("sent"))

    page.get_by_role("button", name="Phone Call").click()
    expect(page.locator(".timeline-entry")).to_have_count(1)
    expect(page.locator(".timeline-entry")).to_contain_text("Phone Call", ignore_case=True)
    page.get_by_role("button", name="Phone Call").click()
    expect(page.locator(".timeline-entry")).to_have_count(all_entries)

    page.get_by_role("textbox", name="Search communications").fill("under review")
    expect(page.locator(".timeline-entry")).to_have_count(1)
    expect(page.locator(".timeline-entry .entry-subject")).to_contain_text("under review")
    page.get_by_role("textbox", name="Search communications").fill("no such words anywhere")
    expect(page.get_by_text("No communication matches these filters.")).to_be_visible()


def test_event_emails_open_as_a_thread(page: Page, screenshots_dir: Path) -> None:
    """Olivia Grant's emails about an invite-only webinar she attended, as one thread."""
    event = "Women in Litigation: A Conversation with Our Trial Team"
    sign_in_as(page, "Marcus Reed")
    open_communications(page, "Olivia Grant")
    # Five emails about the webinar, each with the toggle; her other entry has none.
    expect(page.locator(".thread-toggle")).to_have_count(5)
    expect(page.locator(".timeline-entry")).to_have_count(6)

    follow_up = entry(page, "Thank you for joining us")
    toggle = follow_up.get_by_role("button", name=f"Thread: 5 emails for {event}")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    thread = follow_up.get_by_role("list", name=f"Emails about {event}")
    expect(thread.locator(".thread-kind")).to_have_text(
        ["Registration Confirmation", "Approval", "Final Schedule", "Reminder", "Follow-Up"]
    )
    expect(thread.locator(".delivery-status")).to_have_text(["sent"] * 5)
    expect(thread.locator("[aria-current=true]")).to_have_count(1)
    expect(thread.locator("[aria-current=true]")).to_contain_text("Thank you for joining us")

    # Opened from the approval, the same thread marks the approval.
    approval = entry(page, "You're confirmed")
    approval.get_by_role("button", name=re.compile("^Thread: 5 emails")).click()
    current = approval.get_by_role("list").locator("[aria-current=true]")
    expect(current.locator(".thread-kind")).to_have_text("Approval")
    page.screenshot(path=screenshots_dir / "communications-thread.png", full_page=True)

    toggle.click()
    expect(thread).to_have_count(0)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(approval.get_by_role("list")).to_be_visible()
