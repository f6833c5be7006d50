"""In a real browser: a data steward signs in with the keyboard and sees only their society.

Drives Debian's headless Chromium through Playwright against a live test server. Skipped when
Chromium is not installed; screenshots go to ``/tmp/workforce-browser-*.png`` for a look.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_pages import BROWSER_TESTS

from workforce.platform.actions.uploads import do_store_upload
from workforce.platform.actions.users import do_set_password

PASSWORD = "a synthetic steward password"
SCREENSHOTS = Path("/tmp")

pytestmark = BROWSER_TESTS


@pytest.fixture
def steward(ashg_steward, orgs):
    do_set_password(ashg_steward, PASSWORD, acting_user=None)
    do_store_upload(orgs["ashg"], "ashg_members_2024.xlsx", b"PK synthetic", acting_user=None)
    do_store_upload(orgs["nsgc"], "nsgc_roster_2024.csv", b"id\n1\n", acting_user=None)
    return ashg_steward


def test_a_steward_signs_in_with_the_keyboard_and_sees_only_their_society(
    steward, live_server, browser
):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(live_server.url + "/login/")

    # The e-mail field has focus on arrival; Tab moves to the password, Enter submits.
    # (`autofocus` is applied by the browser after the page loads, later on a busy machine:
    # wait for it, briefly, rather than read the focus at once.)
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'id_username'", timeout=5000
    )
    page.keyboard.type(steward.email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/dashboard/")

    assert page.get_by_role("heading", level=1).inner_text() == "Your dashboard"
    table = page.get_by_role("table")
    assert "American Society of Human Genetics" in table.inner_text()
    assert "Society data steward" in table.inner_text()
    assert "National Society of Genetic Counselors" not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "workforce-browser-dashboard.png"), full_page=True)

    page.get_by_role("link", name="Uploads of American Society of Human Genetics").click()
    page.wait_for_url(live_server.url + "/organizations/ashg/uploads/")
    assert "ashg_members_2024.xlsx" in page.content()
    assert "nsgc_roster_2024.csv" not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "workforce-browser-uploads.png"), full_page=True)

    response = page.goto(live_server.url + "/organizations/nsgc/uploads/")
    assert response.status == 403
    assert "nsgc_roster_2024.csv" not in page.content()


def test_the_skip_link_is_the_first_stop_and_shows_when_focused(db, live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.textContent, document.activeElement.getBoundingClientRect().top]"
    )
    assert focused[0] == "Skip to main content"
    assert focused[1] >= 0  # moved on screen, not left hidden above it
    page.screenshot(path=str(SCREENSHOTS / "workforce-browser-home.png"), full_page=True)
