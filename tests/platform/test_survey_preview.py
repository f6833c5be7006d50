"""Trying a wave's questionnaire as a member would see it, before or while it runs.

Staff and stewards walk through the respondent pages themselves — consent, every page with
its rules and errors, the review — under a band saying it is a preview, and see the standard
record a response with their answers would become. Nothing of it is a response.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from test_respondent_pages import CONSENT, CONTACT, climate_instrument

from workforce.platform.actions.surveys import do_add_instrument, do_create_wave, do_open_wave
from workforce.platform.audit.models import AuditEvent
from workforce.platform.surveys.models import Invitation, Response, Wave

pytestmark = pytest.mark.platform

SLUG = "ashg-climate-2026"
TRY = f"/organizations/ashg/surveys/{SLUG}/try/"


@pytest.fixture
def draft(ashg) -> Wave:
    """A wave not open yet, whose questionnaire staff want to check before it is frozen."""
    today = timezone.localdate()
    return do_create_wave(
        ashg,
        name="ASHG workforce and climate survey 2026",
        slug=SLUG,
        instrument=do_add_instrument(climate_instrument(languages=("en", "es")), acting_user=None),
        mode="anonymous",
        opens_on=today + datetime.timedelta(days=7),
        closes_on=today + datetime.timedelta(days=49),
        consent_text=CONSENT,
        contact_email=CONTACT,
        acting_user=None,
    )


def shown(browser: Client, url: str = TRY) -> str:
    response = browser.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def page_number(html: str) -> int:
    return int(re.search(r'name="@page" value="(\d+)"', html).group(1))


def post_page(browser: Client, direction: str = "next", **answers):
    page = page_number(shown(browser))
    return browser.post(TRY, {"@page": page, "@revision": 0, "@direction": direction, **answers})


def test_staff_walk_a_draft_waves_questionnaire_and_nothing_becomes_a_response(
    draft, staff, client_for
):
    events = AuditEvent.objects.count()
    browser = client_for(staff)
    consent = shown(browser)
    assert "Preview of ASHG workforce and climate survey 2026." in consent
    assert "nothing you answer here is stored" in consent
    assert "This survey asks about your work" in consent  # the wave's own consent text
    assert f'action="{TRY}"' in consent

    assert browser.post(TRY, {"@direction": "start"})["Location"] == TRY
    first = shown(browser)
    assert "Page 1 of 3" in first and "Career stage" in first

    # The same rules as a member's page: a required answer and a constraint.
    refused = post_page(browser, years_in_field="90")
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Enter a number of years from 0 to 70." in body
    assert "Page 1 of 3" in body

    # A student gets the training page: the route grows as a member's would.
    assert post_page(browser, career_stage="student", years_in_field="2").status_code == 303
    second = shown(browser, post_page(browser, "back")["Location"])
    assert 'value="student" checked' in second  # Back kept the answers
    post_page(browser, career_stage="student", years_in_field="2")
    about = shown(browser)
    assert "Page 2 of 4" in about
    post_page(browser, gender="woman", race_ethnicity=["asian", "hispanic"])
    assert "Page 3 of 4" in shown(browser)
    post_page(browser, program="Genetic counseling MS")
    done = post_page(browser, belonging="agree")
    assert done["Location"] == f"{TRY}review/"

    review = shown(browser, f"{TRY}review/")
    assert "Check your answers" in review
    assert "Genetic counseling MS" in review
    assert f'href="{TRY}?page=0&amp;return=review#' in review
    assert f'action="{TRY}review/"' in review

    submitted = browser.post(f"{TRY}review/")
    assert submitted["Location"] == TRY
    thanks = shown(browser)
    assert "What these answers become" in thanks
    assert "Nothing was submitted: this was a preview." in thanks
    record = dict(re.findall(r"\((\w+)\)</span></th><td[^>]*><code>([^<]*)</code>", thanks))
    assert record["career_stage"] == "student"
    assert record["gender"] == "woman"
    assert record["race_ethnicity"] == "asian;hispanic"
    assert record["sector"] == "unknown"  # skipped, as a member may
    # Each column names the questions it came from, by their wording and their name.
    assert "Where do you work? <code>sector</code>" in thanks

    # Nothing of the trial is the wave's: no response, no invitation, no audit event; still a
    # draft whose questionnaire can change.
    assert Response.objects.count() == 0
    assert Invitation.objects.count() == 0
    assert AuditEvent.objects.count() == events
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_wave_page_links_the_preview(draft, ashg_steward, client_for):
    page = client_for(ashg_steward).get(f"/organizations/ashg/surveys/{SLUG}/")
    assert f'href="{TRY}"' in page.content.decode()
    assert "Try it as a member" in page.content.decode()


def test_an_open_waves_preview_counts_nothing(ashg, staff, client_for):
    today = timezone.localdate()
    wave = do_create_wave(
        ashg,
        name="ASHG pulse",
        slug="ashg-pulse",
        instrument=do_add_instrument(climate_instrument(), acting_user=None),
        mode="confidential",
        opens_on=today,
        closes_on=today + datetime.timedelta(days=30),
        consent_text=CONSENT,
        contact_email=CONTACT,
        acting_user=None,
    )
    do_open_wave(wave, acting_user=None)
    address = "/organizations/ashg/surveys/ashg-pulse/try/"
    browser = client_for(staff)
    browser.post(address, {"@direction": "start"})
    assert "Page 1 of 3" in shown(browser, address)
    assert (
        browser.post(address, {"@page": 0, "@revision": 0, "career_stage": "mid"}).status_code
        == 303
    )
    assert "Page 2 of 3" in shown(browser, address)
    assert Response.objects.count() == 0
    assert wave.responses.count() == 0


def test_start_again_forgets_the_answers(draft, staff, client_for):
    browser = client_for(staff)
    browser.post(TRY, {"@direction": "start"})
    post_page(browser, career_stage="senior")
    assert "Page 2 of 3" in shown(browser)

    assert browser.post(f"{TRY}restart/")["Location"] == TRY
    assert "Start the survey" in shown(browser)
    browser.post(TRY, {"@direction": "start"})
    first = shown(browser)
    assert "Page 1 of 3" in first and 'value="senior" checked' not in first


def test_each_person_tries_on_their_own(draft, staff, ashg_steward, client_for):
    mine, theirs = client_for(staff), client_for(ashg_steward)
    mine.post(TRY, {"@direction": "start"})
    post_page(mine, career_stage="senior")
    assert "Start the survey" in shown(theirs)
    assert "Page 2 of 3" in shown(mine)


def test_save_and_finish_later_shows_the_members_page_and_says_what_differs(
    draft, staff, client_for
):
    browser = client_for(staff)
    browser.post(TRY, {"@direction": "start"})
    saved = post_page(browser, "save", career_stage="early")
    assert saved["Location"] == f"{TRY}?saved=1"
    page = shown(browser, saved["Location"])
    assert "Your answers are saved" in page
    assert "a member who chooses “Save and finish later” sees this page" in page
    assert f'<a href="{TRY}">Carry on answering now</a>' in page
    assert 'value="early" checked' in shown(browser)


def test_the_preview_reads_in_the_forms_other_languages(draft, staff, client_for):
    browser = client_for(staff)
    switched = browser.get(f"{TRY}?lang=es")
    assert switched["Location"] == TRY
    browser.post(TRY, {"@direction": "start"})
    page = shown(browser)
    assert '<html lang="es">' in page and "Etapa profesional" in page


def test_a_page_address_outside_the_route_shows_the_page_reached(draft, staff, client_for):
    browser = client_for(staff)
    browser.post(TRY, {"@direction": "start"})
    post_page(browser, career_stage="mid")
    # The training page applies to students and trainees only.
    assert "Page 2 of 3" in shown(browser, f"{TRY}?page=2")


def test_the_review_lists_what_is_missing_with_a_link_to_its_page(draft, staff, client_for):
    browser = client_for(staff)
    browser.post(TRY, {"@direction": "start"})
    post_page(browser, career_stage="mid")
    review = shown(browser, f"{TRY}review/")
    assert "Check your answers" in review
    assert "Gender" in review and f'href="{TRY}?page=1&amp;return=review#' in review
    assert "Submit my answers" not in review
    assert browser.post(f"{TRY}review/").status_code == 200  # refused, shown again
    assert "What these answers become" not in shown(browser)


def test_a_preview_page_is_never_cached(draft, staff, client_for):
    response = client_for(staff).get(TRY)
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_only_those_who_see_the_wave_may_restart_a_trial(draft, nsgc_steward, client_for):
    assert client_for(nsgc_steward).post(f"{TRY}restart/").status_code == 403
    assert Client().post(f"{TRY}restart/").status_code == 302  # to sign in


def test_the_record_names_derived_columns_with_the_questions_they_come_from():
    from types import SimpleNamespace

    from workforce.platform.surveys.demo import demo_instrument, synthetic_answers
    from workforce.platform.surveys.preview_views import record_rows

    instrument = demo_instrument()
    member = {
        "gender": "woman",
        "race_ethnicity": "black;hispanic",
        "race_ethnicity_detail": "hispanic.mexican",
        "age_band": "35_44",
        "country": "US",
        "us_region": "south",
    }
    wave = SimpleNamespace(organization=SimpleNamespace(code="ashg"), year=2026)
    rows = {
        row["column"]: row
        for row in record_rows(instrument, synthetic_answers(member, instrument), wave)
    }

    assert rows["race_ethnicity"]["meaning"] == "Black or African American; Hispanic or Latino"
    assert rows["race_ethnicity_detail"]["code"] == "hispanic.mexican"
    assert rows["age_band"]["code"] == "35_44"
    assert [question["name"] for question in rows["age_band"]["questions"]] == ["age"]
    assert rows["us_region"]["code"] == "south"
    asked = rows["us_region"]["questions"]
    assert [question["name"] for question in asked] == ["us_state", "country"]
    assert all(question["label"] != question["name"] for question in asked)  # the wording
    assert rows["sexual_orientation"]["code"] == "unknown"  # not answered


def test_a_trial_begins_again_when_the_draft_gets_another_questionnaire(draft, staff, client_for):
    from dataclasses import replace

    from workforce.platform.actions.surveys import do_change_wave

    browser = client_for(staff)
    browser.post(TRY, {"@direction": "start"})
    post_page(browser, career_stage="senior")
    assert "Page 2 of 3" in shown(browser)

    other = replace(climate_instrument(), version="2026-02")
    do_change_wave(draft, instrument=do_add_instrument(other, acting_user=None), acting_user=None)

    assert "Start the survey" in shown(browser)


# --- A questionnaire before any wave uses it ---------------------------------------------------


@pytest.fixture
def questionnaire(db):
    # The draft wave's questionnaire, imported once: both fixtures may be used together.
    return do_add_instrument(climate_instrument(languages=("en", "es")), acting_user=None)


def test_staff_try_an_imported_questionnaire_before_any_wave_uses_it(
    questionnaire, ashg, staff, client_for
):
    browser = client_for(staff)
    listing = shown(browser, "/organizations/ashg/surveys/instruments/")
    address = f"/organizations/ashg/surveys/instruments/{questionnaire.pk}/try/"
    assert f'href="{address}"' in listing

    consent = shown(browser, address)
    assert "Preview of Workforce and climate survey 2025 (form climate_2025, version 2025-01)." in (
        consent
    )
    assert "come from the wave that uses it" in consent
    assert "consent text appears here" in consent
    assert 'href="/organizations/ashg/surveys/instruments/">Back to the questionnaires' in consent

    browser.post(address, {"@direction": "start"})
    assert "Page 1 of 3" in shown(browser, address)
    browser.post(address, {"@page": 0, "@revision": 0, "career_stage": "senior"})
    browser.post(address, {"@page": 1, "@revision": 0, "gender": "man"})
    assert (
        browser.post(address, {"@page": 3, "@revision": 0, "belonging": "agree"})["Location"]
        == f"{address}review/"
    )
    browser.post(f"{address}review/")
    record = shown(browser, address)
    assert "What these answers become" in record
    assert "<code>senior</code>" in record

    assert Wave.objects.count() == 0
    assert Response.objects.count() == 0


def test_a_wave_and_its_questionnaire_are_tried_apart(questionnaire, draft, staff, client_for):
    browser = client_for(staff)
    alone = f"/organizations/ashg/surveys/instruments/{questionnaire.pk}/try/"
    browser.post(alone, {"@direction": "start"})
    assert "Start the survey" in shown(browser)  # the wave's own trial has not started


def test_only_staff_try_a_questionnaire_outside_a_wave(questionnaire, ashg_steward, client_for):
    address = f"/organizations/ashg/surveys/instruments/{questionnaire.pk}/try/"
    assert client_for(ashg_steward).get(address).status_code == 403
    assert client_for(ashg_steward).post(f"{address}restart/").status_code == 403


def test_a_questionnaire_outside_a_wave_is_shown_worded_for_either_mode(
    questionnaire, ashg, staff, client_for
):
    browser = client_for(staff)
    address = f"/organizations/ashg/surveys/instruments/{questionnaire.pk}/try/"
    consent = shown(browser, address)
    assert "This survey is anonymous." in consent
    assert '<strong aria-current="true">anonymous wave</strong>' in consent
    assert f'<a href="{address}?mode=confidential">confidential wave</a>' in consent

    assert browser.get(f"{address}?mode=confidential")["Location"] == address
    consent = shown(browser, address)
    assert "This survey is confidential." in consent
    assert "This survey is anonymous." not in consent
    # The choice stays for the rest of the walk, through to the thank-you page.
    browser.post(address, {"@direction": "start"})
    browser.post(address, {"@page": 0, "@revision": 0, "career_stage": "senior"})
    browser.post(address, {"@page": 1, "@revision": 0, "gender": "man"})
    browser.post(address, {"@page": 3, "@revision": 0, "belonging": "agree"})
    browser.post(f"{address}review/")
    assert "Your answers are confidential" in shown(browser, address)


def test_a_waves_preview_keeps_its_own_mode_whatever_the_address_asks(
    draft, staff, client_for
):
    browser = client_for(staff)
    browser.get(f"{TRY}?mode=confidential")
    page = shown(browser)
    assert "This survey is anonymous." in page
    assert "?mode=" not in page
