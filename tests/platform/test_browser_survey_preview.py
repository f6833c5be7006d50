"""In a real browser: staff try a draft wave's questionnaire as a member would, and axe agrees.

Drives Debian's headless Chromium (the ``browser`` fixture in conftest.py) against a live
test server, on a desktop and on a 390-pixel phone: from the wave's page into the preview,
through an error, a page the answers make relevant, the review and the standard record the
answers become. axe-core finds no violation of WCAG 2.2 A/AA or its best practices on any
of them. Screenshots go to ``/tmp/survey_preview_screens/``.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from axe_check import assert_accessible
from browser_pages import BROWSER_TESTS, DEVICES, sign_in
from django.utils import timezone
from test_respondent_pages import CONSENT, CONTACT, climate_instrument

from workforce.platform.actions.surveys import do_add_instrument, do_create_wave
from workforce.platform.actions.users import do_set_password

PASSWORD = "a synthetic staff password"
SCREENS = Path("/tmp/survey_preview_screens")
WAVE = "/organizations/ashg/surveys/ashg-climate-2026/"

pytestmark = BROWSER_TESTS


@pytest.fixture
def staff_member(staff):
    # Set before the browser starts: ORM calls made while it runs would leave a connection.
    do_set_password(staff, PASSWORD, acting_user=None)
    return staff


@pytest.fixture
def draft(ashg):
    today = timezone.localdate()
    return do_create_wave(
        ashg,
        name="ASHG workforce and climate survey 2026",
        slug="ashg-climate-2026",
        instrument=do_add_instrument(climate_instrument(), acting_user=None),
        mode="anonymous",
        opens_on=today + datetime.timedelta(days=7),
        closes_on=today + datetime.timedelta(days=49),
        consent_text=CONSENT,
        contact_email=CONTACT,
        acting_user=None,
    )


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_staff_try_a_draft_waves_questionnaire_before_opening_it(
    device, viewport, staff_member, draft, live_server, browser
):
    base = live_server.url
    page = browser.new_page(viewport=viewport)
    SCREENS.mkdir(parents=True, exist_ok=True)
    sign_in(page, base, staff_member.email, PASSWORD)

    page.goto(base + WAVE)
    page.get_by_role("link", name="Try it as a member").click()
    page.wait_for_url(base + WAVE + "try/")
    banner = page.get_by_role("complementary", name="Preview")
    assert banner.get_by_text("nothing you answer here is stored").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"the preview's consent page on a {device}")
    page.screenshot(path=str(SCREENS / f"consent-{device}.png"), full_page=True)

    page.get_by_role("button", name="Start the survey").click()
    page.get_by_role("button", name="Next").click()
    # The page with errors arrives after the click returns: wait for it, then look.
    page.get_by_role("alert").get_by_text("Career stage").first.wait_for()
    assert page.get_by_role("alert").get_by_text("Career stage").count() >= 1
    assert_accessible(page, f"a preview page with an error on a {device}")
    page.screenshot(path=str(SCREENS / f"error-{device}.png"), full_page=True)

    page.get_by_label("Student").check()
    page.get_by_label("Years in the field").fill("2")
    page.get_by_role("button", name="Next").click()
    page.locator("#progress-text", has_text="Page 2 of 4").wait_for()
    page.get_by_label("Woman").check()
    page.get_by_label("Asian").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Name of your training program").fill("Genetic counseling MS")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Review answers").click()
    page.wait_for_url(base + WAVE + "try/review/")
    assert page.get_by_text("Genetic counseling MS").is_visible()
    assert_accessible(page, f"the preview's review on a {device}")

    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(base + WAVE + "try/")
    record = page.get_by_role("table")
    row = record.get_by_role("row", name="Career stage (career_stage)")
    assert row.get_by_text("student", exact=True).count() == 1  # the code, beside "Student"
    assert record.get_by_role("row", name="Gender identity (gender)").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"the standard record of a preview on a {device}")
    page.screenshot(path=str(SCREENS / f"record-{device}.png"), full_page=True)

    page.get_by_role("button", name="Start again").click()
    page.wait_for_url(base + WAVE + "try/")
    assert page.get_by_role("button", name="Start the survey").is_visible()
    page.get_by_role("link", name="Back to the wave").click()
    page.wait_for_url(base + WAVE)


@pytest.fixture
def questionnaire(ashg):
    return do_add_instrument(climate_instrument(), acting_user=None)


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_staff_try_a_questionnaire_from_the_list_of_questionnaires(
    device, viewport, staff_member, questionnaire, live_server, browser
):
    base = live_server.url
    page = browser.new_page(viewport=viewport)
    sign_in(page, base, staff_member.email, PASSWORD)

    page.goto(base + "/organizations/ashg/surveys/instruments/")
    assert_accessible(page, f"the questionnaires with their previews on a {device}")
    page.get_by_role("link", name="Workforce and climate survey 2025, version 2025-01").click()
    banner = page.get_by_role("complementary", name="Preview")
    assert banner.get_by_text("come from the wave that uses it").is_visible()
    assert_accessible(page, f"a questionnaire's preview outside a wave on a {device}")
    page.screenshot(path=str(SCREENS / f"questionnaire-{device}.png"), full_page=True)

    page.get_by_role("button", name="Start the survey").click()
    page.get_by_label("Senior").check()
    page.get_by_role("button", name="Next").click()
    page.locator("#progress-text", has_text="Page 2 of 3").wait_for()
    page.get_by_role("link", name="Back to the questionnaires").click()
    page.wait_for_url(base + "/organizations/ashg/surveys/instruments/")
