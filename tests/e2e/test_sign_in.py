"""Signing in and out, as a recruiter would."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from flo_comms.services.demo import DEMO_PASSWORD
from tests.e2e.conftest import sign_in_as


def test_anonymous_visit_signs_in_and_returns_to_the_page(
    page: Page, screenshots_dir: Path
) -> None:
    page.goto("/events")
    expect(page).to_have_url(re.compile(r"/sign-in/?\?next=%2Fevents"))
    expect(page).to_have_title("Sign in · flo comms")
    # The demo accounts are offered (demo mode is on for this app).
    demo = page.locator("#demo-accounts")
    for name in ("Cynthia Park", "Isabel Moreno", "Marcus Reed"):
        expect(demo.get_by_role("button", name=f"Sign in as {name}")).to_be_visible()

    page.get_by_label("Email").fill("cynthia@halewhitmore.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Wrong email or password.")).to_be_visible()
    page.screenshot(path=screenshots_dir / "sign-in-error.png", full_page=True)

    page.get_by_label("Email").fill("nobody@halewhitmore.example")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Wrong email or password.")).to_be_visible()

    page.get_by_label("Email").fill("Cynthia@HaleWhitmore.example")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/events/?$"))
    expect(page.get_by_role("heading", name="Events")).to_be_visible()
    menu = page.get_by_role("button", name="Account menu")
    expect(menu).to_contain_text("Cynthia Park")
    expect(menu).to_contain_text("Admin")

    # The session is an HttpOnly cookie that page scripts cannot read.
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["flo_session"]["httpOnly"] is True
    assert cookies["flo_session"]["sameSite"] == "Lax"
    assert "flo_session" not in page.evaluate("document.cookie")

    menu.click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/?$"))
    assert "flo_session" not in {c["name"] for c in page.context.cookies()}
    page.goto("/candidates")
    expect(page).to_have_url(re.compile(r"/sign-in/?\?next="))


def test_signed_out_cookie_no_longer_works(page: Page) -> None:
    sign_in_as(page, "Isabel Moreno")
    # A link to the sign-out route (a GET, as another site could send) signs no one out.
    # (The route takes POST only; the single-port server answers the GET as a missing page.)
    assert page.request.get("/auth/sign-out", max_redirects=0).status in (404, 405)
    page.goto("/candidates")
    expect(page.get_by_role("button", name="Account menu")).to_contain_text("Isabel Moreno")
    token = {c["name"]: c for c in page.context.cookies()}["flo_session"]
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/?$"))
    # Putting the old cookie back does not sign anyone in: it was revoked.
    page.context.add_cookies([token])
    page.goto("/candidates")
    expect(page).to_have_url(re.compile(r"/sign-in/?\?next="))


def test_member_sees_no_admin_pages(page: Page, screenshots_dir: Path) -> None:
    sign_in_as(page, "Marcus Reed")
    expect(page.get_by_role("button", name="Account menu")).to_contain_text("Member")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Candidates")).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_have_count(0)
    page.goto("/members")
    expect(page).to_have_url(re.compile(r"/candidates/?$"))


def test_admin_manages_members(page: Page, screenshots_dir: Path) -> None:
    sign_in_as(page, "Cynthia Park", path="/members")
    table = page.locator("#members-table").get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="Isabel Moreno")).to_be_visible()
    # No way to deactivate oneself.
    cynthia_row = table.get_by_role("row").filter(has_text="Cynthia Park")
    expect(cynthia_row.get_by_role("button", name=re.compile("Deactivate"))).to_have_count(0)
    page.screenshot(path=screenshots_dir / "members.png", full_page=True)

    page.get_by_role("button", name="Add member").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Jordan Lee")
    dialog.get_by_label("Email").fill("not-an-email")
    dialog.get_by_label("Initial password").fill("short")
    dialog.get_by_role("button", name="Add member").click()
    expect(dialog.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(dialog.get_by_text("Use at least 10 characters.")).to_be_visible()
    page.screenshot(path=screenshots_dir / "members-add-errors.png", full_page=True)

    dialog.get_by_label("Email").fill("jordan.lee@halewhitmore.example")
    dialog.get_by_label("Initial password").fill("a good long password")
    dialog.get_by_role("button", name="Add member").click()
    expect(dialog).to_be_hidden()
    jordan = table.get_by_role("row").filter(has_text="Jordan Lee")
    expect(jordan).to_contain_text("jordan.lee@halewhitmore.example")

    jordan.get_by_role("button", name="Deactivate Jordan Lee").click()
    expect(jordan).to_contain_text("Deactivated")
    jordan.get_by_role("button", name="Reactivate Jordan Lee").click()
    expect(jordan).to_contain_text("Active")
