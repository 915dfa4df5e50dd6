"""A citizen answers the demo questionnaire on a phone-sized screen in headless Chromium:
through their personal link, leaving halfway and coming back, to the end; and axe-core
finds no accessibility violation on the introduction, a page with an error, or the end.

Skips (with a message) where Debian's chromium is not installed; `.ci/run` installs it.
"""

from __future__ import annotations

import pytest

from surveys.demo.build import build_demo

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
#: WCAG 2.0/2.1/2.2 A and AA rules, the level the issue asks for.
WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}


def audit(page, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{what}: {results.generate_report()}"
    assert page.locator("script").count() == 0, f"{what} needs no JavaScript, and sends none"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a 360px screen"


def fill_page(page) -> None:
    """Answer every question shown, the way a person would: the first option, or a fitting value."""
    for name in page.eval_on_selector_all(
        "input[type=radio]", "els => [...new Set(els.map(e => e.name))]"
    ):
        page.locator(f'input[type=radio][name="{name}"]').first.check()
    for name in page.eval_on_selector_all(
        "input[type=checkbox]", "els => [...new Set(els.map(e => e.name))]"
    ):
        boxes = page.locator(f'input[type=checkbox][name="{name}"]')
        bus = page.locator(f'input[type=checkbox][name="{name}"][value="bus"]')
        (bus if bus.count() else boxes.first).check()
    ranks: dict[str, int] = {}
    for select in page.locator("select").all():
        name = select.get_attribute("name") or ""
        if "." in name:  # a ranking: 1, 2, 3 ... in the order shown
            group = name.split(".")[0]
            ranks[group] = ranks.get(group, 0) + 1
            select.select_option(str(ranks[group]))
        else:
            select.select_option(index=1)
    for field in page.locator("input[type=text], input[type=date], textarea").all():
        kind = field.get_attribute("type") or "textarea"
        mode = field.get_attribute("inputmode")
        value = {"date": "2026-05-01", "textarea": "Det gik fint."}.get(kind, "8000")
        field.fill("3" if mode in ("numeric", "decimal") else value)


def next_page(page) -> None:
    """Fill and go on; answers that bring up another question get it filled too."""
    for _ in range(3):
        before = page.url
        fill_page(page)
        page.locator("button[value=next]").click()
        page.wait_for_load_state()
        if page.url != before or "/done" in page.url:
            return
    raise AssertionError(f"stuck on {page.url}")


def test_a_citizen_answers_the_demo_questionnaire_on_a_phone_leaving_and_coming_back(
    app, live_server, browser
):
    info = build_demo(members=600)
    link = info["answer_links"][0]["link"].replace(app.config["BASE_URL"], live_server)

    phone = browser.new_context(viewport=PHONE)
    phone.set_default_timeout(20_000)
    page = phone.new_page()
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "da"
    audit(page, "introduction")
    page.locator("form button[type=submit]").click()
    assert "/1" in page.url

    page.locator("button[value=next]").click()  # nothing answered: errors
    assert page.locator(".error-summary").is_visible()
    assert page.title().startswith(("Fejl", "Error"))
    audit(page, "question page with an error")
    next_page(page)
    reached = page.url
    phone.close()  # leaves halfway

    later = browser.new_context(viewport=PHONE)
    later.set_default_timeout(20_000)
    page = later.new_page()
    page.goto(link)
    assert page.get_by_role("button", name="Fortsæt, hvor du slap").is_visible()
    page.get_by_role("button", name="Fortsæt, hvor du slap").click()
    assert page.url.split("?")[0] == reached.split("?")[0]  # where they stopped
    for _ in range(10):
        if "/done" in page.url:
            break
        next_page(page)
    assert "/done" in page.url
    assert page.get_by_text("Vi har modtaget dine svar.").is_visible()
    audit(page, "end page")

    page.goto(link)  # the link after completion: the answer was received, no second one
    assert "/done" in page.url
    later.close()
