"""A candidate's profile page."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in_as


def test_profile_shows_the_agency_candidate_and_keeps_the_tab_in_the_url(
    page: Page, screenshots_dir: Path
) -> None:
    sign_in_as(page, "Isabel Moreno")
    page.get_by_role("textbox", name="Search candidates").fill("Diana Allen")
    page.get_by_role("link", name="Diana Allen").click()
    expect(page).to_have_url(re.compile(r"/candidates/\d+/?$"))
    expect(page.locator("#candidate-name")).to_have_text("Diana Allen")
    expect(page.locator("#candidate-agency")).to_contain_text(
        "Submitted by Bill Walter of Momentum Search Partners"
    )
    expect(page.get_by_text("Georgetown University Law Center")).to_be_visible()
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
    page.screenshot(path=screenshots_dir / "profile.png", full_page=True)

    page.get_by_role("tab", name="Applications").click()
    expect(page).to_have_url(re.compile(r"\?tab=applications$"))
    applications = page.locator("#applications-table").get_by_role("table")
    expect(applications).to_contain_text("2027 Summer Associate Program - New York")
    expect(applications).to_contain_text("via Bill Walter")

    # A link with the tab in it opens that tab.
    page.reload()
    expect(page.get_by_role("tab", name="Applications")).to_have_attribute("aria-selected", "true")
    expect(applications).to_be_visible()


def test_unknown_candidate_gets_a_clear_page(page: Page) -> None:
    sign_in_as(page, "Marcus Reed", path="/candidates/999999")
    expect(page.get_by_text("This candidate does not exist.")).to_be_visible()
    page.goto("/candidates/not-a-number")
    expect(page.get_by_text("This candidate does not exist.")).to_be_visible()
