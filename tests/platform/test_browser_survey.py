"""In a real browser: members answer a survey from their e-mailed link, and every page passes axe.

Drives Debian's headless Chromium through Playwright against a live test server: once on a
desktop with the mouse, once on a 390-pixel phone with the keyboard alone. The member opens
the link from the invitation e-mail, answers, goes back to change an answer (which brings in
the training page), saves to finish later, opens the link again in a fresh browser, resumes
on the same page, reviews and submits; the response then becomes a standard record.
axe-core checks every kind of respondent page. Screenshots go to ``/tmp/survey_screens/``.

Nothing here touches the ORM while Playwright runs (its event loop would leave a database
connection open that PostgreSQL's test teardown trips over): data is made before the
browser starts and checked after it stops.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from axe_check import assert_accessible
from browser_pages import BROWSER_TESTS, CHROMIUM
from django.utils import timezone
from test_respondent_pages import FRAME, SLUG, climate_instrument, invite, make_wave

from workforce.platform.actions.surveys import (
    do_close_wave,
    submit_synthetic_response,
)
from workforce.platform.surveys.models import Response

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SCREENS = Path("/tmp/survey_screens")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# WCAG's reflow width: 1280 pixels at 400% zoom (and narrower than a 640-pixel 200% zoom).
NARROW = {"width": 320, "height": 640}

pytestmark = BROWSER_TESTS


@contextmanager
def chromium() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def fits_the_screen(page, viewport) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


# --- Two ways to answer: the mouse, and the keyboard alone ------------------------------------


class Mouse:
    """Clicks on labels and buttons, types into fields."""

    def __init__(self, page) -> None:
        self.page = page

    def choose(self, question: str, option: str) -> None:
        self.page.get_by_role("group", name=question).get_by_label(option, exact=True).check()

    tick = choose

    def type(self, label: str, text: str) -> None:
        self.page.get_by_label(label, exact=True).fill(text)

    def date(self, label: str, iso_day: str) -> None:
        self.page.get_by_label(label, exact=True).fill(iso_day)

    def press(self, button: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()


class Keyboard:
    """Tab to reach a control, arrows within a group of radio buttons, Space and Enter."""

    MAX_TABS = 60

    def __init__(self, page) -> None:
        self.page = page

    def _focused(self, locator) -> bool:
        return locator.evaluate("element => element === document.activeElement")

    def _tab_to(self, condition) -> None:
        for _ in range(self.MAX_TABS):
            self.page.keyboard.press("Tab")
            if condition():
                return
        raise AssertionError("Tab never reached the control")

    def choose(self, question: str, option: str) -> None:
        target = self.page.get_by_role("group", name=question).get_by_label(option, exact=True)
        name = target.get_attribute("name")
        # A group of radio buttons is one Tab stop; the arrow keys move (and select) within it.
        self._tab_to(lambda: self.page.evaluate("document.activeElement.name") == name)
        for _ in range(20):
            if self._focused(target):
                break
            self.page.keyboard.press("ArrowDown")
        if not target.is_checked():
            self.page.keyboard.press("Space")
        assert target.is_checked()

    def tick(self, question: str, option: str) -> None:
        target = self.page.get_by_role("group", name=question).get_by_label(option, exact=True)
        self._tab_to(lambda: self._focused(target))
        self.page.keyboard.press("Space")
        assert target.is_checked()

    def type(self, label: str, text: str) -> None:
        target = self.page.get_by_label(label, exact=True)
        self._tab_to(lambda: self._focused(target))
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.type(text)

    def date(self, label: str, iso_day: str) -> None:
        year, month, day = iso_day.split("-")
        target = self.page.get_by_label(label, exact=True)
        self._tab_to(lambda: self._focused(target))
        self.page.keyboard.type(month + day + year)  # Chromium's en-US order: mm dd yyyy
        assert target.input_value() == iso_day

    def press(self, button: str) -> None:
        target = self.page.get_by_role("button", name=button, exact=True)
        self._tab_to(lambda: self._focused(target))
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


# --- The flow ---------------------------------------------------------------------------------


@pytest.fixture
def survey(ashg):
    wave = make_wave(ashg)
    return wave, invite(wave)


def heading_two(page) -> str:
    return page.locator("main h2").first.inner_text()


@pytest.mark.parametrize(
    ("device", "viewport", "hands"),
    [("desktop", DESKTOP, Mouse), ("phone", PHONE, Keyboard)],
)
def test_a_member_answers_from_the_emailed_link_resumes_and_submits(
    device, viewport, hands, survey, live_server
):
    wave, links = survey
    link = live_server.url + links["ada@members.example"]
    survey_url = f"{live_server.url}/survey/{SLUG}/"

    with chromium() as browser:
        context = browser.new_context(viewport=viewport, locale="en-US")
        page = context.new_page()
        act = hands(page)
        page.goto(link)
        assert page.url == survey_url  # the token has left the address bar
        assert page.get_by_role("heading", level=1).inner_text() == climate_instrument().title
        act.press("Start the survey")

        page.wait_for_url(survey_url)
        assert "Page 1 of 3" in page.inner_text("main")
        screenshot(page, f"question-{device}")
        assert fits_the_screen(page, viewport)
        act.choose("Career stage (required)", "Senior")
        act.choose("Where do you work?", "Other")
        act.type("Other (please say)", "Science museum")
        act.type("Years in the field", "15")
        screenshot(page, f"question-answered-{device}")
        act.press("Next")

        assert heading_two(page) == "About you"
        assert "Page 2 of 3" in page.inner_text("main")
        act.choose("Gender (required)", "Woman")
        act.tick("Race and ethnicity", "Asian")
        act.tick("Race and ethnicity", "White")
        act.press("Back")

        # Back kept this page's answers; becoming a trainee brings in the training page.
        assert heading_two(page) == "Your work"
        assert page.get_by_label("Other (please say)").input_value() == "Science museum"
        act.choose("Career stage (required)", "Trainee")
        act.press("Next")
        assert "Page 2 of 4" in page.inner_text("main")
        assert (
            page.get_by_role("group", name="Gender (required)").get_by_label("Woman").is_checked()
        )
        act.press("Next")

        assert heading_two(page) == "Your training"
        act.type("Name of your training program", "Clinical genetics fellowship")
        act.date("When did it start?", "2024-09-01")
        act.press("Save and finish later")
        assert "Your answers are saved" in page.inner_text("main")
        context.close()

        # Later, in a browser that has never seen the survey: the link again.
        context = browser.new_context(viewport=viewport, locale="en-US")
        page = context.new_page()
        act = hands(page)
        page.goto(link)
        assert heading_two(page) == "Your training"
        assert "Page 3 of 4" in page.inner_text("main")
        assert page.get_by_label("Name of your training program").input_value() == (
            "Clinical genetics fellowship"
        )
        act.press("Next")

        assert heading_two(page) == "Climate"
        act.choose("I feel I belong in my field. (required)", "Agree")
        act.type("Anything else you would like to tell us?", "Good mentors.")
        act.press("Review answers")

        assert heading_two(page) == "Check your answers"
        review = page.inner_text("main")
        for answer in (
            "Trainee",
            "Other: Science museum",
            "Woman",
            "Asian",
            "White",
            "Clinical genetics fellowship",
            "2024-09-01",
            "Agree",
            "Good mentors.",
        ):
            assert answer in review, answer
        screenshot(page, f"review-{device}")
        assert fits_the_screen(page, viewport)
        act.press("Submit my answers")

        page.wait_for_url(survey_url + "thanks/")
        assert "Thank you" in page.inner_text("main")
        page.goto(link)
        assert "You have already completed this survey" in page.inner_text("main")
        context.close()

    response = Response.objects.get(wave=wave)
    assert response.status == "complete"
    record = standard_record_of(response)
    assert record["career_stage"] == "trainee"
    assert record["sector"] == "other"
    assert record["gender"] == "woman"
    assert set(record["race_ethnicity"].split(";")) == {"asian", "white"}
    assert record["org"] == "ashg"


def standard_record_of(response) -> dict[str, str]:
    from workforce.survey.records import standard_records

    table = standard_records(
        response.instrument.load(),
        [(str(response.pk), response.answers)],
        source=response.wave.slug,
        org=response.wave.organization.code,
        year=response.wave.year,
    )
    assert len(table) == 1
    return {column: str(value) for column, value in table.iloc[0].items()}


# --- Every kind of page, checked by axe ---------------------------------------------------------


@pytest.fixture
def every_situation(ashg):
    """Links that lead to each page a respondent can meet."""
    three = FRAME + "A-3,alan@members.example,mid\nA-4,mary@members.example,retired\n"
    wave = make_wave(ashg, frame=three)
    links = invite(wave)
    # Mary has answered already (through the same actions a respondent's pages use).
    submit_synthetic_response(
        wave,
        {0: {"career_stage": "senior"}, 1: {"gender": "woman"}, 3: {"belonging": "agree"}},
        token=links["mary@members.example"].split("/")[2],
    )
    closed = make_wave(ashg, slug="closed-2024")
    closed_link = invite(closed)["ada@members.example"]
    do_close_wave(closed, acting_user=None)
    later = make_wave(
        ashg, slug="later-2026", opens_on=timezone.localdate() + datetime.timedelta(days=9)
    )
    return {
        "answer": links["ada@members.example"],
        "opt_out": links["alan@members.example"] + "opt-out/",
        "opted_out": links["alan@members.example"],
        "used": links["mary@members.example"],
        "closed": closed_link,
        "not_open": invite(later)["ada@members.example"],
    }


@pytest.mark.parametrize(
    ("device", "viewport"), [("phone", PHONE), ("desktop", DESKTOP), ("narrow", NARROW)]
)
def test_every_respondent_page_passes_axe(device, viewport, every_situation, live_server):
    base = live_server.url
    with chromium() as browser:
        page = browser.new_page(viewport=viewport)

        def check(what: str) -> None:
            assert_accessible(page, f"{what} on a {device}")
            assert fits_the_screen(page, viewport), what
            screenshot(page, f"{what}-{device}")

        def go(button: str) -> None:
            with page.expect_navigation():
                page.get_by_role("button", name=button, exact=True).click()

        page.goto(base + every_situation["answer"])
        check("consent")
        go("Start the survey")
        check("question-page")
        page.get_by_label("Years in the field").fill("eighty")
        go("Next")
        assert page.get_by_role("alert").is_visible()
        # The error summary has focus, so a screen reader reads it first.
        # (`autofocus` is applied by the browser after the page loads: wait for it, briefly.)
        page.wait_for_function(
            "document.activeElement && document.activeElement.className === 'error-summary'",
            timeout=5000,
        )
        check("page-with-errors")
        page.get_by_label("Student", exact=True).check()
        page.get_by_label("Years in the field").fill("2")
        go("Next")
        page.get_by_label("Man", exact=True).check()
        go("Save and finish later")
        check("saved")
        page.goto(f"{base}/survey/{SLUG}/")
        go("Next")
        go("Next")  # the training page, left empty
        page.get_by_label("Neither agree nor disagree").check()
        go("Review answers")
        check("review")
        go("Submit my answers")
        check("thanks")

        for what in ("used", "closed", "not_open", "opted_out_confirm", "opted_out"):
            if what == "opted_out_confirm":
                page.goto(base + every_situation["opt_out"])
                check("opt-out")
                go("Yes, stop e-mails about this survey")
                check("opt-out-done")
                continue
            page.goto(base + every_situation[what])
            check(f"link-{what}")
        page.goto(base + "/s/" + "x" * 43 + "/")
        check("link-not-found")
        page.goto(f"{base}/survey/{SLUG}/")  # the cookie went with the submitted answers
        check("link-no-cookie")
