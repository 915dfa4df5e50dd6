"""Citizen and staff pages in a real headless Chromium at 360 px: the phone-sized check.

Set ``SCREENSHOT_DIR`` to keep a full-page PNG of each page for a person to look at.
"""

from __future__ import annotations

import os

import pytest

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.staff.models import Role
from tests.factories import STAFF_PASSWORD, MemberFactory, StaffUserFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def _check_fits_and_save(page, name: str) -> None:
    """No sideways scrolling of the page itself (wide tables scroll inside their wrapper)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} is {width}px wide"
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


@pytest.fixture
def panel_with_members(app):
    install_default_attributes()
    for municipality in ("751", "730", "741"):
        MemberFactory(attributes={"gender": "m", "municipality": municipality, "education": "long"})
    db.session.commit()


@pytest.mark.parametrize("language", ["da", "en"])
def test_join_page_on_a_phone_with_errors_announced(
    browser, live_server, panel_with_members, language
):
    context = browser.new_context(viewport=PHONE, locale=language)
    page = context.new_page()
    page.goto(f"{live_server}/join")
    assert page.get_attribute("html", "lang") == language
    _check_fits_and_save(page, f"join-{language}")

    page.click("main form button[type=submit]")
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"
    first_error = summary.locator("a").first
    first_error.click()  # the summary's link moves focus to the field it names
    focused = page.evaluate("document.activeElement.id")
    assert focused == "email"
    assert page.get_attribute("#email", "aria-invalid") == "true"
    _check_fits_and_save(page, f"join-errors-{language}")
    context.close()


def test_staff_composition_page_on_a_phone(browser, live_server, panel_with_members):
    user = StaffUserFactory(role=Role.STAFF)
    db.session.commit()
    context = browser.new_context(viewport=PHONE, locale="da")
    page = context.new_page()
    page.goto(f"{live_server}/staff/login")
    page.fill("#email", user.email)
    page.fill("#password", STAFF_PASSWORD)
    page.click("main form button[type=submit]")
    page.goto(f"{live_server}/staff/")
    assert page.locator("h1").count() == 1
    assert page.locator("table caption").count() >= 4  # one per weighting attribute
    _check_fits_and_save(page, "staff-composition")
    context.close()


def test_a_proposal_and_its_support_form_on_a_phone(browser, live_server, app):
    from tests.factories.initiatives import ProposalFactory

    proposal = ProposalFactory(title="Natbusser " * 8, text="Flere natbusser. " * 40)
    db.session.commit()
    context = browser.new_context(viewport=PHONE, locale="da")
    page = context.new_page()
    page.goto(f"{live_server}/proposals/{proposal.id}")
    _check_fits_and_save(page, "proposal")
    page.click("main form button[type=submit]")
    assert page.locator(".error-summary").get_attribute("role") == "alert"
    _check_fits_and_save(page, "proposal-support-errors")
    page.goto(f"{live_server}/ideas/new")
    _check_fits_and_save(page, "idea-new")
    context.close()
