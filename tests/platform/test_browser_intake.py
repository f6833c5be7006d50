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

from workforce.platform.actions.intake import do_ingest_upload, do_propose_mapping, do_save_mapping
from workforce.platform.actions.uploads import do_store_upload
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


def upload_as_steward(browser, viewport, live_server, steward, export: Path):
    """The steward signs in and sends ``export``: a page on the upload's page."""
    page = browser.new_page(viewport=viewport)
    sign_in(page, live_server.url, steward.email, PASSWORD)
    page.goto(live_server.url + "/organizations/ashg/uploads/new/")
    page.get_by_label("File").set_input_files(str(export))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(live_server.url + "/organizations/ashg/uploads/*/")
    return page


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_a_steward_decides_an_unmapped_value_with_the_keyboard_and_confirms(
    device, viewport, steward, live_server, browser, tmp_path
):
    export = tmp_path / "ashg_members_2025.csv"
    export.write_bytes(EXPORT)
    page = upload_as_steward(browser, viewport, live_server, steward, export)
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
    page = upload_as_steward(browser, viewport, live_server, steward, export)
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


@pytest.fixture
def two_ingests(steward, ashg):
    """Last year's export, then this year's: every member a woman, a filtered extract."""
    women_only = b"ID,Gender\n" + b"".join(b"A-%d,Woman\n" % i for i in range(1, 6))
    runs = []
    for name, data in (("ashg_2024.csv", b"ID,Gender\nA-1,Woman\nA-2,Man\nA-3,Man\n"),
                       ("ashg_2025.csv", women_only)):
        upload = do_store_upload(ashg, name, data, acting_user=None)
        proposal = do_propose_mapping(upload, acting_user=None).proposal
        mapping = do_save_mapping(ashg, proposal.yaml, acting_user=None)
        runs.append(do_ingest_upload(upload, acting_user=None, mapping=mapping))
    return runs


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_the_report_points_out_the_shares_that_moved_since_the_file_before(
    device, viewport, two_ingests, live_server, browser
):
    page = browser.new_page(viewport=viewport)
    sign_in(page, live_server.url, "steward@ashg.example", PASSWORD)
    page.goto(f"{live_server.url}/organizations/ashg/ingests/{two_ingests[1].pk}/")
    section = page.get_by_role("region", name="Compared with the file before")
    assert "ashg_2024.csv" in section.inner_text()
    # Three members last year, five now: the count moved as well as the shares.
    assert "This file has 66.7% more records than the one before." in section.inner_text()
    rows = section.get_by_role("row")
    assert rows.count() == 3  # the header, woman, man
    assert "+66.7" in rows.nth(1).inner_text() and "Woman" in rows.nth(1).inner_text()
    page.screenshot(
        path=str(SCREENSHOTS / f"workforce-browser-intake-compare-{device}.png"), full_page=True
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"a report compared with the file before on a {device}")


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_a_steward_reads_the_members_sheet_of_a_workbook(
    device, viewport, steward, live_server, browser, tmp_path
):
    from test_intake_sheets import EXPORT_2024 as WORKBOOK

    export = tmp_path / "ashg_members_2024.xlsx"
    export.write_bytes(WORKBOOK)
    page = upload_as_steward(browser, viewport, live_server, steward, export)
    upload_page = page.url
    assert "this proposal reads “Read me”" in page.content()
    page.get_by_label("Sheet", exact=True).select_option("Members")
    page.get_by_role("button", name="Read this sheet").click()
    page.wait_for_url(upload_page)
    assert "this proposal reads “Members”" in page.content()
    assert page.get_by_label("Race", exact=True).input_value().startswith("race_ethnicity")
    page.screenshot(
        path=str(SCREENSHOTS / f"workforce-browser-intake-sheet-{device}.png"), full_page=True
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"a workbook's sheet chosen on a {device}")
