"""In a real browser: a data steward finds the value needing a decision, codes it with the keyboard
and confirms.

Drives Debian's headless Chromium (the ``browser`` fixture in conftest.py) against a live
test server, on a desktop and on a 390-pixel phone. Screenshots go to
``/tmp/workforce-browser-intake-*.png`` for a look.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_check import assert_accessible
from browser_pages import BROWSER_TESTS, DEVICES, sign_in

from workforce.platform.actions.users import do_set_password

PASSWORD = "a synthetic steward password"
SCREENSHOTS = Path("/tmp")
EXPORT = (
    b"ID,Gender,Race\n"
    b"A-1,Woman,Latinx\n"
    b"A-2,Man,Caucasian\n"
    b"A-3,Female,Martian\n"
    b"A-4,Non-binary,Caucasian;Asian\n"
    b",Woman,Black\n"
)

pytestmark = BROWSER_TESTS


@pytest.fixture
def steward(ashg_steward, orgs):
    do_set_password(ashg_steward, PASSWORD, acting_user=None)
    return ashg_steward


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_a_steward_decides_an_unmapped_value_with_the_keyboard_and_confirms(
    device, viewport, steward, live_server, browser, tmp_path
):
    export = tmp_path / "ashg_members_2025.csv"
    export.write_bytes(EXPORT)
    page = browser.new_page(viewport=viewport)
    sign_in(page, live_server.url, steward.email, PASSWORD)

    page.goto(live_server.url + "/organizations/ashg/uploads/new/")
    page.get_by_label("File").set_input_files(str(export))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(live_server.url + "/organizations/ashg/uploads/*/")
    assert "1 value unmapped." in page.content()
    page.screenshot(path=str(SCREENSHOTS / f"workforce-browser-intake-upload-{device}.png"))
    page.screenshot(
        path=str(SCREENSHOTS / f"workforce-browser-intake-proposal-{device}.png"), full_page=True
    )
    # Nothing is wider than the screen: tables stack into cards on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"the proposed mapping on a {device}")

    martian = page.get_by_label("martian", exact=True)
    assert martian.input_value() == ""
    # Listed at the top of the page; its link lands on the value's field, wherever that is.
    attention = page.get_by_role("navigation", name="Needs your attention")
    attention.get_by_role("link", name=re.compile("martian")).focus()
    page.keyboard.press("Enter")
    # The jump to the fragment is a navigation of its own: wait for it, briefly.
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.id === id",
        arg=martian.get_attribute("id"),
        timeout=5000,
    )
    page.keyboard.type("Unknown")  # a closed <select> jumps to the option typed
    assert martian.input_value() == "unknown"
    page.screenshot(path=str(SCREENSHOTS / f"workforce-browser-intake-decision-{device}.png"))

    confirm = page.get_by_role("button", name="Confirm mapping")
    confirm.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/organizations/ashg/ingests/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "Validation report"
    assert "Mapping version 2 confirmed; 4 of 5 rows became standard records." in page.content()
    page.screenshot(
        path=str(SCREENSHOTS / f"workforce-browser-intake-report-{device}.png"), full_page=True
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"the validation report on a {device}")

    # Checked through the site, not the ORM: a query from inside Playwright's event loop
    # would leave a connection open that PostgreSQL's test teardown trips over.
    mapping = page.request.get(live_server.url + "/organizations/ashg/mappings/v2.yaml").text()
    assert "martian: {code: unknown, reason: person, confirmed: true}" in mapping


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_a_steward_sets_aside_a_file_sent_by_mistake_and_takes_it_back(
    device, viewport, steward, live_server, browser, tmp_path
):
    export = tmp_path / "ashg_members_2024.csv"
    export.write_bytes(EXPORT)
    page = browser.new_page(viewport=viewport)
    sign_in(page, live_server.url, steward.email, PASSWORD)
    page.goto(live_server.url + "/organizations/ashg/uploads/new/")
    page.get_by_label("File").set_input_files(str(export))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(live_server.url + "/organizations/ashg/uploads/*/")
    upload_page = page.url

    # The society's page says what waits for the steward.
    page.goto(live_server.url + "/organizations/ashg/")
    page.get_by_role("link", name="ashg_members_2024.csv").click()
    page.wait_for_url(upload_page)

    # A reason is asked for; without one, the error is announced and nothing changes.
    page.get_by_role("button", name="Set this file aside").click()
    page.wait_for_url("**/set-aside/")
    assert page.get_by_role("alert").first.is_visible()
    reason = page.get_by_label("Why is it set aside?")
    reason.fill("Last year's export, sent by mistake")
    page.get_by_role("button", name="Set this file aside").click()
    page.wait_for_url(upload_page)
    aside = page.get_by_role("region", name="Set aside")
    assert "Last year's export, sent by mistake" in aside.inner_text()
    assert page.get_by_role("button", name="Confirm mapping").count() == 0
    page.screenshot(
        path=str(SCREENSHOTS / f"workforce-browser-intake-set-aside-{device}.png"), full_page=True
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"an upload set aside on a {device}")

    page.goto(live_server.url + "/organizations/ashg/uploads/")
    assert "Set aside" in page.get_by_role("table").inner_text()
    page.goto(upload_page)
    page.get_by_role("button", name="Take it back").click()
    page.wait_for_url(upload_page)
    assert page.get_by_role("button", name="Confirm mapping").is_visible()
