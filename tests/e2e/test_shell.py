"""The app shell and the list pages, in a real browser."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in_as


def test_candidates_page_lists_seeded_candidates(page: Page, screenshots_dir: Path) -> None:
    sign_in_as(page, "Isabel Moreno")
    expect(page).to_have_title("Candidates · flo comms")
    expect(page.get_by_role("heading", name="Candidates")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for section in ("Candidates", "Jobs", "Events", "Members"):
        expect(nav.get_by_role("link", name=section)).to_be_visible()

    table = page.locator("#candidates-table").get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(["Name", "Email", "Phone", "Law school"])
    expect(table.get_by_role("row")).to_have_count(26)  # header + a page of 25
    expect(page.locator("#candidate-count")).to_contain_text("candidates")
    page.screenshot(path=screenshots_dir / "candidates.png", full_page=True)

    search = page.get_by_role("textbox", name="Search candidates")
    search.fill("diana allen")
    diana = table.get_by_role("row").filter(has_text="Diana Allen")
    expect(diana).to_have_count(1)
    expect(table.get_by_role("row")).to_have_count(2)
    expect(page.locator("#candidate-count")).to_have_text("1 candidate")

    search.fill("no such person")
    expect(page.get_by_text("No candidate matches this search.")).to_be_visible()

    search.fill("")
    expect(table.get_by_role("row")).to_have_count(26)
    first_page_names = table.get_by_role("rowheader").all_inner_texts()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(table.get_by_role("rowheader").first).not_to_have_text(first_page_names[0])
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_text("Page 1")).to_be_visible()
    expect(table.get_by_role("rowheader")).to_have_text(first_page_names)


def test_jobs_and_events_pages_show_seeded_data(page: Page, screenshots_dir: Path) -> None:
    sign_in_as(page, "Marcus Reed", path="/jobs")
    expect(page).to_have_title("Jobs · flo comms")
    jobs = page.locator("#jobs-table").get_by_role("table")
    expect(jobs.get_by_role("row")).to_have_count(7)  # header + 6 jobs
    expect(jobs).to_contain_text("2027 Summer Associate Program - New York")
    page.screenshot(path=screenshots_dir / "jobs.png", full_page=True)

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Events").click()
    expect(page).to_have_title("Events · flo comms")
    events = page.locator("#events-table").get_by_role("table")
    expect(events.get_by_role("row")).to_have_count(5)  # header + 4 events
    expect(events).to_contain_text("Invite-only")
    expect(events).to_contain_text("Virtual Chat")
    page.screenshot(path=screenshots_dir / "events.png", full_page=True)
