"""In a real browser: a data steward follows their society's running wave, and axe agrees.

Drives Debian's headless Chromium (the ``browser`` fixture in conftest.py) against a live
test server, on a desktop and on a 390-pixel phone: the wave's page with its response rates,
the chart of responses over time and the chart's numbers opened. axe-core finds no violation
of WCAG 2.2 A/AA or its best practices. Screenshots go to ``/tmp/survey_staff_screens/``.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from axe_check import assert_accessible
from browser_pages import BROWSER_TESTS, DEVICES, sign_in
from django.utils import timezone
from test_survey_actions import ANSWERS, invite, load_members, make_wave

from workforce.platform.actions.surveys import submit_synthetic_response
from workforce.platform.actions.users import do_set_password

PASSWORD = "a synthetic steward password"
SCREENS = Path("/tmp/survey_staff_screens")

pytestmark = BROWSER_TESTS


@pytest.fixture
def steward(ashg_steward):
    # Set before the browser starts: ORM calls made while it runs would leave a connection.
    do_set_password(ashg_steward, PASSWORD, acting_user=None)
    return ashg_steward


@pytest.fixture
def running_wave(ashg, mailoutbox):
    """A wave of ASHG that opened ten days ago, with responses on four of its days."""
    wave = make_wave(ashg, slug="ashg-pulse")
    wave.opens_on = timezone.localdate() - datetime.timedelta(days=10)
    wave.save(update_fields=["opens_on"])
    load_members(wave, 30, societies=("ashg", "nsgc"))
    tokens = list(invite(wave, mailoutbox).values())
    days = [10, 10, 10, 10, 9, 9, 7, 3, 3, 3, 1, 0]
    for token, ago in zip(tokens, days, strict=False):
        day = timezone.localdate() - datetime.timedelta(days=ago)
        submit_synthetic_response(wave, ANSWERS, token=token, on=day)
    return wave


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_a_steward_follows_responses_over_time(
    device, viewport, steward, running_wave, live_server, browser
):
    base = live_server.url
    page = browser.new_page(viewport=viewport)
    SCREENS.mkdir(parents=True, exist_ok=True)
    sign_in(page, base, steward.email, PASSWORD)

    page.goto(base + "/organizations/ashg/surveys/ashg-pulse/")
    chart = page.get_by_role("img", name="Completed responses, day by day")
    assert chart.count() == 1
    box = chart.bounding_box()
    assert box is not None and box["width"] <= viewport["width"]  # it shrinks to a phone
    page.get_by_text("The chart's numbers").click()
    numbers = page.get_by_role("table", name="Completed responses by the end of each day")
    assert numbers.is_visible()
    assert numbers.get_by_role("cell", name="12", exact=True).count() == 1  # the total today
    assert_accessible(page, f"the wave's page on a {device}")
    page.screenshot(path=str(SCREENS / f"wave-{device}.png"), full_page=True)

    # Before sending, what members will get: the reminder, text and HTML.
    page.get_by_role("link", name="the reminder").click()
    page.wait_for_url(base + "/organizations/ashg/surveys/ashg-pulse/emails/reminder/")
    frame = page.frame_locator("iframe.email-html")
    assert frame.get_by_text("we have not received your answers yet").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"the reminder's preview on a {device}")
    page.screenshot(path=str(SCREENS / f"reminder-{device}.png"), full_page=True)


@pytest.fixture
def staff_member(staff):
    do_set_password(staff, PASSWORD, acting_user=None)
    return staff


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_staff_keep_a_running_wave_open_a_week_longer_and_plan_a_reminder(
    device, viewport, staff_member, running_wave, live_server, browser, settings
):
    # As in production, a task worker sends what the database queue holds on its day.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    base = live_server.url
    later = running_wave.closes_on + datetime.timedelta(weeks=1)
    page = browser.new_page(viewport=viewport)
    SCREENS.mkdir(parents=True, exist_ok=True)
    sign_in(page, base, staff_member.email, PASSWORD)

    page.goto(base + "/organizations/ashg/surveys/ashg-pulse/")
    page.get_by_role("link", name="Change the wave's settings").click()
    page.wait_for_url(base + "/organizations/ashg/surveys/ashg-pulse/settings/")
    # What members agreed to is shown, and cannot be edited.
    assert page.get_by_label("Consent text").is_disabled()
    assert page.get_by_label("Mode").is_disabled()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert_accessible(page, f"the wave's settings on a {device}")
    page.screenshot(path=str(SCREENS / f"settings-{device}.png"), full_page=True)

    page.get_by_label("Closes on").fill(later.isoformat())
    page.get_by_role("button", name="Save the settings").click()
    page.wait_for_url(base + "/organizations/ashg/surveys/ashg-pulse/")
    assert page.get_by_text("Saved: the closing date of Climate pulse 2025.").is_visible()
    assert page.get_by_text(f"to {later:%-d %b %Y}").count() == 1

    day = timezone.localdate() + datetime.timedelta(days=5)
    page.get_by_label("Send reminders on").fill(day.isoformat())
    page.get_by_role("button", name="Schedule reminders").click()
    page.wait_for_url(base + "/organizations/ashg/surveys/ashg-pulse/")
    cancel = page.get_by_role("button", name=f"Cancel the reminders of {day:%-d %B %Y}")
    assert cancel.is_visible()
    assert_accessible(page, f"the wave's page with a reminder planned on a {device}")
    page.locator("section[aria-labelledby=mailings]").screenshot(
        path=str(SCREENS / f"planned-{device}.png")
    )
    cancel.click()
    assert page.get_by_text(f"The reminders of {day:%-d %B %Y} are cancelled.").is_visible()
