"""The pages members answer a survey on, through Django's test client.

A small climate-and-workforce instrument (built from the core dataclasses) runs in a wave of
ASHG created, opened and sent with the staff actions; members arrive through the link in the
e-mail that `do_send_invitations` sent.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import set_script_prefix
from django.utils import timezone
from django.utils.html import escape

from workforce.platform import jinja2 as respondent_templates
from workforce.platform.actions.surveys import (
    do_add_instrument,
    do_change_wave,
    do_close_wave,
    do_create_open_link,
    do_create_wave,
    do_load_frame,
    do_open_wave,
    do_send_invitations,
    invitations_to_remind,
)
from workforce.platform.surveys.models import Invitation, Response
from workforce.survey.instrument import Choice, Instrument, Page, Question

pytestmark = pytest.mark.platform

SLUG = "ashg-climate-2025"
CONSENT = (
    "This survey asks about your work and how welcome you feel in the field.\n\n"
    "Taking part is voluntary; you may skip any question that is not marked required."
)
CONTACT = "survey@ashg.example"
FRAME = (
    "member_id,email,career_stage\n"
    "A-1,ada@members.example,early\n"
    "A-2,grace@members.example,senior\n"
)


def choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(name, {"en": label}) for name, label in pairs)


def climate_instrument(*, languages: tuple[str, ...] = ("en",)) -> Instrument:
    """Four pages: work, about you, training (only for students and trainees), climate."""
    spanish = "es" in languages

    def texts(english: str, spanish_text: str = "") -> dict[str, str]:
        return {"en": english, "es": spanish_text} if spanish and spanish_text else {"en": english}

    return Instrument(
        form_id="climate_2025",
        title="Workforce and climate survey 2025",
        version="2025-01",
        languages=languages,
        default_language="en",
        pages=(
            Page(
                name="work",
                labels=texts("Your work", "Su trabajo"),
                questions=(
                    Question(
                        "career_stage",
                        "select_one",
                        labels=texts("Career stage", "Etapa profesional"),
                        list_name="career",
                        required=True,
                        standard="career_stage",
                    ),
                    Question(
                        "sector",
                        "select_one",
                        labels=texts("Where do you work?"),
                        list_name="sector",
                        or_other=True,
                        standard="sector",
                    ),
                    Question(
                        "years_in_field",
                        "integer",
                        labels=texts("Years in the field"),
                        hints=texts("Whole years; 0 if less than one."),
                        constraint=". >= 0 and . <= 70",
                        constraint_message=texts("Enter a number of years from 0 to 70."),
                    ),
                ),
            ),
            Page(
                name="about",
                labels=texts("About you", "Sobre usted"),
                questions=(
                    Question(
                        "gender",
                        "select_one",
                        labels=texts("Gender", "Género"),
                        list_name="gender",
                        required=True,
                        standard="gender",
                    ),
                    Question(
                        "race_ethnicity",
                        "select_multiple",
                        labels=texts("Race and ethnicity"),
                        hints=texts("Choose all that apply."),
                        list_name="race",
                        standard="race_ethnicity",
                    ),
                ),
            ),
            Page(
                name="training",
                labels=texts("Your training"),
                relevant="${career_stage} = 'student' or ${career_stage} = 'trainee'",
                questions=(
                    Question("program", "text", labels=texts("Name of your training program")),
                    Question("training_start", "date", labels=texts("When did it start?")),
                ),
            ),
            Page(
                name="climate",
                labels=texts("Climate"),
                questions=(
                    Question(
                        "belonging_note",
                        "note",
                        labels=texts("The last questions are about how you feel at work."),
                    ),
                    Question(
                        "belonging",
                        "select_one",
                        labels=texts("I feel I belong in my field."),
                        list_name="agree",
                        required=True,
                    ),
                    Question(
                        "comments",
                        "text",
                        labels=texts("Anything else you would like to tell us?"),
                        appearance="multiline",
                    ),
                ),
            ),
        ),
        choices={
            "career": (
                Choice("student", texts("Student", "Estudiante")),
                Choice("trainee", texts("Trainee", "En formación")),
                Choice("early", texts("Early career", "Inicio de carrera")),
                Choice("mid", texts("Mid career", "Mitad de carrera")),
                Choice("senior", texts("Senior", "Sénior")),
                Choice("declined", texts("Prefer not to say", "Prefiero no decirlo")),
            ),
            "sector": choices(
                ("academia", "Academia"),
                ("clinical", "Clinical care"),
                ("industry", "Industry"),
            ),
            "gender": choices(
                ("woman", "Woman"),
                ("man", "Man"),
                ("nonbinary", "Non-binary"),
                ("declined", "Prefer not to say"),
            ),
            "race": choices(
                ("asian", "Asian"),
                ("black", "Black or African American"),
                ("hispanic", "Hispanic or Latino"),
                ("white", "White"),
                ("declined", "Prefer not to say"),
            ),
            "agree": choices(
                ("agree", "Agree"),
                ("neutral", "Neither agree nor disagree"),
                ("disagree", "Disagree"),
            ),
        },
    )


def make_wave(
    organization, *, slug=SLUG, mode="anonymous", instrument=None, opens_on=None, frame=FRAME
):
    today = timezone.localdate()
    stored = do_add_instrument(instrument or climate_instrument(), acting_user=None)
    wave = do_create_wave(
        organization,
        name="ASHG workforce and climate survey 2025",
        slug=slug,
        instrument=stored,
        mode=mode,
        opens_on=opens_on or today - datetime.timedelta(days=3),
        closes_on=today + datetime.timedelta(days=30),
        consent_text=CONSENT,
        contact_email=CONTACT,
        acting_user=None,
    )
    wave = do_open_wave(wave, acting_user=None)
    do_load_frame(wave, frame, filename="frame.csv", acting_user=None)
    return wave


def invite(wave) -> dict[str, str]:
    """Send the invitations and return each member's link path (``/s/<token>/``) by e-mail."""
    mail.outbox.clear()
    do_send_invitations(wave, acting_user=None)
    links = {}
    for message in mail.outbox:
        match = re.search(r"https?://[^/\s]+(/s/[A-Za-z0-9_-]+/)(?!opt-out)", message.body)
        assert match, message.body
        links[message.to[0]] = match.group(1)
    return links


@pytest.fixture
def wave(ashg):
    return make_wave(ashg)


@pytest.fixture
def links(wave):
    return invite(wave)


@pytest.fixture
def ada(links) -> str:
    return links["ada@members.example"]


def arrive(link: str) -> Client:
    """A member's browser after opening their link."""
    browser = Client()
    response = browser.get(link)
    assert response.status_code == 303, response.content[:500]
    return browser


def started(link: str) -> Client:
    browser = arrive(link)
    assert browser.post(f"/survey/{SLUG}/", {"@direction": "start"}).status_code == 303
    return browser


def shown(browser: Client, url: str = f"/survey/{SLUG}/"):
    response = browser.get(url)
    assert response.status_code == 200, response.content[:500]
    return response


def current_form(browser: Client) -> tuple[int, int]:
    """The hidden page index and revision of the page on screen."""
    html = shown(browser).content.decode()
    page = re.search(r'name="@page" value="(\d+)"', html).group(1)
    revision = re.search(r'name="@revision" value="(\d+)"', html).group(1)
    return int(page), int(revision)


def submit(browser: Client, direction: str = "next", **answers):
    page, revision = current_form(browser)
    data = {"@page": page, "@revision": revision, "@direction": direction, **answers}
    return browser.post(f"/survey/{SLUG}/", data)


def submit_from_review(browser: Client, page_html: str, direction: str = "next", **answers):
    """Post a page that was opened from the review ("Change", "Back to the last page")."""
    page = re.search(r'name="@page" value="(\d+)"', page_html).group(1)
    revision = re.search(r'name="@revision" value="(\d+)"', page_html).group(1)
    data = {"@page": page, "@revision": revision, "@return": "review", "@direction": direction}
    return browser.post(f"/survey/{SLUG}/", {**data, **answers})


def the_response() -> Response:
    return Response.objects.get()


# --- Arriving ---------------------------------------------------------------------------------


def test_the_emailed_link_keeps_the_token_in_a_cookie_and_leaves_the_address_bar(ada):
    browser = Client()
    response = browser.get(ada)

    assert response.status_code == 303
    assert response["Location"] == f"/survey/{SLUG}/"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    cookie = response.cookies["workforce_survey"]
    assert cookie["path"] == f"/survey/{SLUG}/"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain HTTP in tests; Secure whenever the request is
    lifetime = int(cookie["max-age"])
    assert 29 * 24 * 3600 < lifetime <= 32 * 24 * 3600  # until the wave closes in 30 days
    # Nothing server-side remembers the browser: no session row could lead to the link.
    assert Session.objects.count() == 0
    assert Invitation.objects.get(member__email="ada@members.example").status == "started"


def test_the_link_over_https_sets_a_secure_cookie(ada):
    response = Client().get(ada, secure=True)
    assert response.cookies["workforce_survey"]["secure"] is True


def test_the_consent_page_comes_first_and_says_what_anonymous_means(ada):
    browser = arrive(ada)
    page = shown(browser).content.decode()

    assert '<html lang="en">' in page
    assert "<h1>Workforce and climate survey 2025</h1>" in page
    assert "This survey asks about your work" in page
    assert "This survey is anonymous." in page
    assert "Nobody, not even the survey team, can tell which answers are yours." in page
    assert ">Start the survey</button>" in page
    assert not Response.objects.exists()

    assert browser.post(f"/survey/{SLUG}/", {"@direction": "start"})["Location"] == (
        f"/survey/{SLUG}/"
    )
    first = shown(browser).content.decode()
    assert '<h2 class="page-heading">Your work</h2>' in first
    assert "Page 1 of 3" in first  # the training page applies to students and trainees only
    assert '<progress max="3" value="1" aria-label="Survey progress"' in first
    assert "<title>Your work (page 1 of 3) · Workforce and climate survey 2025</title>" in first


def test_a_confidential_wave_says_who_can_see_the_answers(ashg):
    wave = make_wave(ashg, mode="confidential")
    browser = arrive(invite(wave)["ada@members.example"])
    page = shown(browser).content.decode()
    assert "This survey is confidential." in page
    assert "This survey is anonymous." not in page


def test_a_question_page_ties_labels_hints_and_choices_to_their_inputs(ada):
    browser = started(ada)
    page = shown(browser).content.decode()

    # select_one: radio buttons in a fieldset whose legend is the question, "required" in words
    assert re.search(
        r'<fieldset class="choices">\s*<legend class="question-label">Career stage '
        r'<span class="required">\(required\)</span></legend>',
        page,
    )
    assert '<input type="radio" id="q-career_stage-2" name="career_stage" value="trainee">' in page
    assert '<label for="q-career_stage-2">Trainee</label>' in page
    # or_other: the "Other" option and its text field, always there
    assert 'value="other">' in page
    assert '<label for="q-sector_other">Other (please say)</label>' in page
    assert 'name="sector_other"' in page
    # integer: a text input with a numeric keyboard, its hint tied to it
    assert re.search(
        r'<input class="[^"]*" type="text" id="q-years_in_field" name="years_in_field" value="" '
        r'autocomplete="off" inputmode="numeric" spellcheck="false" '
        r'aria-describedby="q-years_in_field-hint">',
        page,
    )
    assert '<p class="hint" id="q-years_in_field-hint">Whole years; 0 if less than one.</p>' in page
    assert '<label class="question-label" for="q-years_in_field">Years in the field</label>' in page
    # No Back on the first page; Next comes first so that Enter moves on.
    buttons = re.findall(r'name="@direction" value="(\w+)"', page)
    assert buttons == ["next", "save"]
    assert "<script" not in page


def test_required_and_constraint_errors_show_next_to_the_field_and_keep_what_was_typed(ada):
    browser = started(ada)
    response = submit(browser, sector="industry", years_in_field="-3")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Your work (page 1 of 3)" in page
    summary = page[page.index('class="error-summary"') : page.index("</ul>")]
    assert 'role="alert"' in summary
    assert "There is a problem" in summary
    assert '<a href="#q-career_stage-1">Career stage: This question needs an answer.</a>' in summary
    assert (
        '<a href="#q-years_in_field">Years in the field: Enter a number of years from 0 to 70.</a>'
        in summary
    )
    # The message sits by its field, which says it is invalid and points to the message.
    assert (
        '<p class="field-error" id="q-years_in_field-error"><span class="visually-hidden">'
        "Error: </span>Enter a number of years from 0 to 70.</p>" in page
    )
    assert re.search(
        r'id="q-years_in_field" name="years_in_field" value="-3" [^>]*'
        r'aria-describedby="q-years_in_field-hint q-years_in_field-error" aria-invalid="true"',
        page,
    )
    assert '<fieldset class="choices" aria-describedby="q-career_stage-error">' in page
    # What was valid is kept (and checked again on screen); the page did not move on.
    assert 'value="industry" checked>' in page
    assert the_response().page == 0
    assert the_response().answers.get("sector") == "industry"


def test_other_without_saying_what_is_flagged_on_the_text_field(ada):
    browser = started(ada)
    page = submit(browser, career_stage="early", sector="other").content.decode()
    assert '<a href="#q-sector_other">' in page
    assert re.search(
        r'id="q-sector_other" name="sector_other" value="" [^>]*aria-invalid="true"', page
    )


def test_back_keeps_the_answers_of_both_pages(ada):
    browser = started(ada)
    assert submit(browser, career_stage="senior", years_in_field="12").status_code == 303
    assert "Page 2 of 3" in shown(browser).content.decode()

    assert submit(browser, "back", gender="woman").status_code == 303
    first = shown(browser).content.decode()
    assert "Page 1 of 3" in first
    assert 'value="senior" checked>' in first
    assert 'value="12"' in first

    assert submit(browser, career_stage="senior", years_in_field="12").status_code == 303
    second = shown(browser).content.decode()
    assert 'value="woman" checked>' in second


def test_an_answer_that_makes_a_page_relevant_adds_it(ada):
    browser = started(ada)
    submit(browser, career_stage="trainee")
    assert "Page 2 of 4" in shown(browser).content.decode()
    submit(browser, gender="man")
    training = shown(browser).content.decode()
    assert '<h2 class="page-heading">Your training</h2>' in training
    assert 'type="date" id="q-training_start"' in training


def test_a_page_sent_again_from_an_old_window_changes_nothing_and_says_so(ada):
    browser = started(ada)
    old_page, old_revision = current_form(browser)
    submit(browser, career_stage="mid", years_in_field="20")
    submit(browser, gender="nonbinary")  # now on the climate page

    response = browser.post(
        f"/survey/{SLUG}/",
        {
            "@page": old_page,
            "@revision": old_revision,
            "@direction": "next",
            "career_stage": "student",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This page was already saved in another window; here are your latest answers." in page
    assert '<h2 class="page-heading">Climate</h2>' in page
    answers = the_response().answers
    assert answers["career_stage"] == "mid"
    assert answers["years_in_field"] == "20"
    assert answers["gender"] == "nonbinary"


def test_save_and_finish_later_then_the_link_again_resumes_at_the_same_page(ada):
    browser = started(ada)
    submit(browser, career_stage="early")
    response = submit(browser, "save", gender="woman", race_ethnicity=["asian", "white"])

    assert response.status_code == 303
    saved = shown(browser, response["Location"]).content.decode()
    assert "Your answers are saved" in saved
    assert "open the link in your invitation e-mail again" in saved

    elsewhere = Client()  # another day, another browser
    entered = elsewhere.get(ada)
    assert entered["Location"] == f"/survey/{SLUG}/?resumed=1"
    page = shown(elsewhere, entered["Location"]).content.decode()
    assert "Page 2 of 3" in page
    assert "Welcome back. Your earlier answers are saved" in page  # why page 2, not page 1
    assert 'value="woman" checked>' in page
    assert 'value="asian" checked>' in page and 'value="white" checked>' in page
    assert "Welcome back" not in shown(elsewhere).content.decode()  # said once


def test_save_and_finish_later_does_not_drop_a_typed_value_silently(ada):
    browser = started(ada)
    response = submit(browser, "save", career_stage="mid", years_in_field="twelve")
    assert response.status_code == 200
    page = response.content.decode()
    assert "could not be saved" in page
    assert 'value="twelve"' in page
    assert the_response().answers["career_stage"] == "mid"


def answer_everything(browser: Client) -> None:
    assert (
        submit(browser, career_stage="early", sector="other", sector_other="Museum").status_code
        == 303
    )
    assert submit(browser, gender="woman", race_ethnicity=["black", "hispanic"]).status_code == 303
    response = submit(browser, belonging="agree", comments="Good mentors.\nLong hours.")
    assert response.status_code == 303
    assert response["Location"] == f"/survey/{SLUG}/review/"


def test_the_review_lists_every_answer_and_submitting_completes_the_response(ada):
    browser = started(ada)
    answer_everything(browser)

    review = shown(browser, f"/survey/{SLUG}/review/").content.decode()
    assert "Check your answers" in review
    for text in (
        "Early career",
        "Other: Museum",
        "Woman",
        "Black or African American",
        "Hispanic or Latino",
        "Agree",
        "Good mentors.",
    ):
        assert escape(text) in review, text
    assert "Not answered" in review  # years in the field was skipped
    assert f'href="/survey/{SLUG}/?page=1&amp;return=review#q-gender-1">Change' in review
    assert ">Submit my answers</button>" in review

    done = browser.post(f"/survey/{SLUG}/review/")
    assert done.status_code == 303
    assert done["Location"] == f"/survey/{SLUG}/thanks/"
    assert done.cookies["workforce_survey"].value == ""  # the cookie is deleted
    assert (
        "Thank you: your answers have been submitted"
        in shown(browser, done["Location"]).content.decode()
    )

    response = the_response()
    assert response.status == "complete"
    assert response.answers["race_ethnicity"] == ["black", "hispanic"]
    assert response.answers["sector_other"] == "Museum"
    assert response.resume_key is None

    again = Client().get(ada)
    assert again.status_code == 410
    assert "You have already completed this survey" in again.content.decode()


def test_the_review_refuses_to_submit_while_a_required_answer_is_missing(ada):
    browser = started(ada)
    submit(browser, career_stage="early")
    submit(browser, gender="woman")
    submit(browser, "save")  # the climate page left empty
    review = browser.get(f"/survey/{SLUG}/review/").content.decode()
    assert "There is a problem" in review
    assert f'href="/survey/{SLUG}/?page=3&amp;return=review#q-belonging-1"' in review
    assert "Submit my answers" not in review

    assert browser.post(f"/survey/{SLUG}/review/").status_code == 200
    assert the_response().status == "partial"


def test_a_change_from_the_review_saves_and_returns_to_the_review(ada):
    browser = started(ada)
    answer_everything(browser)
    where_they_got_to = the_response().page
    page = shown(browser, f"/survey/{SLUG}/?page=1&return=review").content.decode()
    assert ">Save and return to review</button>" in page

    response = submit_from_review(
        browser, page, gender="nonbinary", race_ethnicity=["black", "hispanic"]
    )

    assert response.status_code == 303, response.content.decode()[:2000]
    assert response["Location"] == f"/survey/{SLUG}/review/"
    assert the_response().answers["gender"] == "nonbinary"
    assert the_response().page == where_they_got_to  # resuming later does not go back


def test_a_member_who_answered_every_page_and_left_comes_back_to_the_review(ada):
    browser = started(ada)
    answer_everything(browser)  # and then closed the tab without submitting

    elsewhere = Client()  # another day
    entered = elsewhere.get(ada)
    assert entered["Location"] == f"/survey/{SLUG}/?resumed=1"
    moved_on = elsewhere.get(entered["Location"])
    assert moved_on.status_code == 303
    assert moved_on["Location"] == f"/survey/{SLUG}/review/?resumed=1"
    review = shown(elsewhere, moved_on["Location"]).content.decode()
    assert "Welcome back. You have answered every page" in review
    assert ">Submit my answers</button>" in review
    assert "Welcome back" not in shown(elsewhere, f"/survey/{SLUG}/review/").content.decode()


def test_back_from_the_last_page_after_the_review_walks_back_through_the_pages(ada):
    browser = started(ada)
    answer_everything(browser)
    review = shown(browser, f"/survey/{SLUG}/review/").content.decode()
    back_link = re.search(r'<a href="([^"]+)">Back to the last page</a>', review).group(1)
    last_page = shown(browser, back_link.replace("&amp;", "&")).content.decode()
    assert '<h2 class="page-heading">Climate</h2>' in last_page

    went_back = submit_from_review(browser, last_page, "back", belonging="agree")

    assert went_back.status_code == 303
    earlier = shown(browser, went_back["Location"]).content.decode()
    assert '<h2 class="page-heading">About you</h2>' in earlier  # not the review, not Climate
    assert submit(browser, gender="woman", race_ethnicity=["black"])["Location"] == (
        f"/survey/{SLUG}/"
    )
    assert '<h2 class="page-heading">Climate</h2>' in shown(browser).content.decode()
    assert submit(browser, belonging="agree")["Location"] == f"/survey/{SLUG}/review/"


# --- Work per page ----------------------------------------------------------------------------


def test_a_page_is_shown_with_one_query_and_saved_with_two(ada, django_assert_num_queries):
    """The link's invitation (with wave, organization, instrument and opt-out) and the
    unfinished response are one query; saving adds one guarded UPDATE."""
    browser = started(ada)
    shown(browser)  # the instrument's definition parsed once in this process
    page, revision = current_form(browser)
    with django_assert_num_queries(1):
        shown(browser)
    with django_assert_num_queries(2):
        browser.post(
            f"/survey/{SLUG}/",
            {"@page": page, "@revision": revision, "@direction": "save", "career_stage": "mid"},
        )


def test_addresses_on_respondent_pages_follow_the_path_prefix_they_are_served_under(db):
    # The pages' addresses are worked out once and kept: kept per prefix, not the first one.
    try:
        for prefix in ("/", "/workforce/", "/"):
            set_script_prefix(prefix)
            assert respondent_templates.url("respond_page", SLUG) == f"{prefix}survey/{SLUG}/"
            assert respondent_templates.url("respond_review", SLUG).endswith("/review/")
    finally:
        set_script_prefix("/")


def test_no_page_reads_the_instruments_definition_once_it_is_parsed(ada):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = started(ada)
    shown(browser)
    with CaptureQueriesContext(connection) as queries:
        shown(browser)
        submit(browser, "next", career_stage="mid", sector="academia")
        shown(browser, f"/survey/{SLUG}/review/")
        browser.get(f"/survey/{SLUG}/saved/")
    assert queries.captured_queries
    assert not [query for query in queries.captured_queries if "definition" in query["sql"]]


# --- Link problems ----------------------------------------------------------------------------


def test_an_unknown_link_gets_a_polite_not_found_page(db):
    response = Client().get("/s/" + "x" * 43 + "/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This link is not valid" in page
    assert "Check that the whole link was copied" in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_a_closed_wave_says_when_it_closed_and_whom_to_write_to(wave, ada):
    do_close_wave(wave, acting_user=None)
    response = Client().get(ada)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This survey has closed" in page
    assert f"closed on {wave.closes_on:%-d %B %Y}" in page
    assert f'href="mailto:{CONTACT}"' in page


def test_a_wave_not_open_yet_says_when_it_opens(ashg):
    opens_on = timezone.localdate() + datetime.timedelta(days=5)
    wave = make_wave(ashg, opens_on=opens_on)
    response = Client().get(invite(wave)["ada@members.example"])
    assert response.status_code == 403
    page = response.content.decode()
    assert "This survey is not open yet" in page
    assert f"opens on {opens_on:%-d %B %Y}" in page


def test_a_started_survey_whose_wave_closed_says_so_instead_of_the_page(wave, ada):
    browser = started(ada)
    do_close_wave(wave, acting_user=None)
    response = browser.get(f"/survey/{SLUG}/")
    assert response.status_code == 410
    assert "This survey has closed" in response.content.decode()


def test_without_the_cookie_the_survey_asks_for_the_link_again(wave):
    response = Client().get(f"/survey/{SLUG}/")
    assert response.status_code == 403
    assert "Open your invitation link again" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_a_tampered_cookie_is_refused(ada):
    browser = started(ada)
    value = browser.cookies["workforce_survey"].value
    forged = value.replace('"token"', '"tokem"', 1)
    assert forged != value
    browser.cookies["workforce_survey"] = forged
    response = browser.get(f"/survey/{SLUG}/")
    assert response.status_code == 403
    assert "Open your invitation link again" in response.content.decode()


def test_a_cookie_signed_for_another_wave_opens_nothing_here(ada, ashg):
    browser = started(ada)
    cookie = browser.cookies["workforce_survey"].value
    other = Client()
    other.cookies["workforce_survey"] = cookie
    assert other.get("/survey/another-wave/").status_code == 403


# --- Opting out -------------------------------------------------------------------------------


def test_opting_out_asks_first_then_stops_reminders(wave, ada):
    browser = Client()
    confirm = browser.get(ada + "opt-out/")
    assert confirm.status_code == 200
    assert ">Yes, stop e-mails about this survey</button>" in confirm.content.decode()
    assert confirm["Referrer-Policy"] == "no-referrer"
    assert invitations_to_remind(wave).count() == 2  # a GET (a link scanner) changes nothing

    # As a browser posts it from a page sent with "Referrer-Policy: no-referrer".
    done = Client(enforce_csrf_checks=True).post(ada + "opt-out/", HTTP_ORIGIN="null")
    assert done.status_code == 200
    assert "You will get no more e-mails about this survey" in done.content.decode()
    assert invitations_to_remind(wave).count() == 1

    refused = Client().get(ada)
    assert refused.status_code == 410
    assert "You have opted out of this survey" in refused.content.decode()


# --- Open link --------------------------------------------------------------------------------


def test_the_open_link_gives_each_browser_its_own_response(wave):
    key = do_create_open_link(wave, acting_user=None)
    first = Client()
    arrived = first.get(f"/survey/{SLUG}/open/{key}/")
    assert arrived.status_code == 303
    assert arrived["Referrer-Policy"] == "no-referrer"
    first.post(f"/survey/{SLUG}/", {"@direction": "start"})
    submit(first, career_stage="mid")
    saved = shown(first, submit(first, "save")["Location"]).content.decode()
    assert "on this device and in this browser" in saved

    # The same browser opening the open link again carries on where it left.
    again = first.get(f"/survey/{SLUG}/open/{key}/")
    page = shown(first, again["Location"]).content.decode()
    assert "Page 2 of 3" in page and "Welcome back" in page

    second = Client()
    second.get(f"/survey/{SLUG}/open/{key}/")
    assert "Start the survey" in shown(second).content.decode()
    second.post(f"/survey/{SLUG}/", {"@direction": "start"})
    assert Response.objects.count() == 2


def test_answers_saved_on_an_open_link_stay_reachable_when_the_wave_is_extended(wave):
    key = do_create_open_link(wave, acting_user=None)
    browser = Client()
    arrived = browser.get(f"/survey/{SLUG}/open/{key}/")
    first_lifetime = int(arrived.cookies["workforce_survey"]["max-age"])
    browser.post(f"/survey/{SLUG}/", {"@direction": "start"})
    submit(browser, career_stage="mid")
    assert submit(browser, "save").status_code == 303
    # While the closing day stays, pages leave the cookie as it is.
    assert "workforce_survey" not in shown(browser).cookies

    do_change_wave(wave, closes_on=wave.closes_on + datetime.timedelta(days=14), acting_user=None)

    # The next page this browser opens makes its cookie last until the new closing day, so
    # it does not expire on the old one with the answers behind it.
    again = browser.get(f"/survey/{SLUG}/open/{key}/")
    lifetime = int(again.cookies["workforce_survey"]["max-age"])
    assert 13 * 24 * 3600 < lifetime - first_lifetime <= 14 * 24 * 3600
    page = shown(browser, again["Location"])
    assert "Page 2 of 3" in page.content.decode()
    assert "workforce_survey" not in page.cookies  # set once, then current
    assert Response.objects.count() == 1


def test_an_emailed_links_cookie_follows_a_new_closing_day_on_every_kind_of_page(wave, ada):
    browser = started(ada)
    days = 30
    for address in (f"/survey/{SLUG}/saved/", f"/survey/{SLUG}/review/", f"/survey/{SLUG}/"):
        days += 7
        wave.refresh_from_db()
        do_change_wave(
            wave, closes_on=timezone.localdate() + datetime.timedelta(days=days), acting_user=None
        )
        page = shown(browser, address)
        lifetime = int(page.cookies["workforce_survey"]["max-age"])
        assert (days - 1) * 24 * 3600 < lifetime <= (days + 1) * 24 * 3600, address
        assert "workforce_survey" not in shown(browser, address).cookies


def test_a_wrong_open_link_key_is_not_found(wave):
    do_create_open_link(wave, acting_user=None)
    assert Client().get(f"/survey/{SLUG}/open/{'k' * 43}/").status_code == 404


# --- Languages --------------------------------------------------------------------------------


def test_the_language_switch_shows_the_form_in_the_chosen_language(ashg):
    wave = make_wave(ashg, instrument=climate_instrument(languages=("en", "es")))
    browser = started(invite(wave)["ada@members.example"])
    english = shown(browser).content.decode()
    assert '<nav class="language-switch" aria-label="Language">' in english
    assert 'href="?lang=es&amp;page=0" lang="es" hreflang="es">español</a>' in english

    switched = browser.get(f"/survey/{SLUG}/?lang=es&page=0")
    assert switched.status_code == 303
    spanish = shown(browser).content.decode()
    assert '<html lang="es">' in spanish
    assert "Etapa profesional" in spanish
    assert '<label for="q-career_stage-2">En formación</label>' in spanish


def test_a_form_in_one_language_has_no_language_switch(ada):
    page = shown(started(ada)).content.decode()
    assert "language-switch" not in page


# --- Headers ----------------------------------------------------------------------------------


def test_no_respondent_page_may_be_stored_in_a_shared_cache(ada):
    browser = arrive(ada)
    urls = [f"/survey/{SLUG}/", f"/survey/{SLUG}/review/", f"/survey/{SLUG}/thanks/"]
    browser.post(f"/survey/{SLUG}/", {"@direction": "start"})
    urls.append(submit(browser, "save")["Location"])
    for url in urls:
        response = browser.get(url)
        assert response.status_code in (200, 303), url
        assert "no-store" in response["Cache-Control"], url


def test_a_long_autocomplete_list_is_one_labelled_drop_down_not_hundreds_of_radios():
    from workforce.platform.surveys.respondent_forms import page_fields
    from workforce.survey.modules import module_path
    from workforce.survey.xlsform import read_xlsform

    demographics = read_xlsform(module_path("demographics"))
    fields = {field.name: field for field in page_fields(demographics, 0, {}, language="default")}
    country = fields["country"]
    assert country.widget == "dropdown" and country.id == "q-country"
    assert len(country.options) > 200
    assert fields["citizenship"].widget == "radios"
