"""Survey actions: instruments, waves and frames; the links members hold; saving pages.

The builders at the top (a two-page instrument, an open wave, a frame, invitations sent)
are shared by the other ``test_survey_*`` files.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import secrets
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from workforce.platform.actions.surveys import (
    FROZEN_ONCE_CLOSED,
    FROZEN_ONCE_OPEN,
    IncompleteResponse,
    SurveyLinkError,
    SurveyVerb,
    complete_response,
    current_response,
    do_add_instrument,
    do_change_wave,
    do_close_wave,
    do_create_open_link,
    do_create_wave,
    do_export_responses,
    do_load_frame,
    do_open_wave,
    do_send_invitations,
    do_send_reminders,
    enter_open_link,
    enter_with_token,
    opt_out,
    resume_entry,
    save_page,
    start_response,
    submit_synthetic_response,
)
from workforce.platform.audit.models import AuditEvent
from workforce.platform.surveys import lookups
from workforce.platform.surveys.models import Invitation, Response, Wave, hash_token
from workforce.survey.instrument import Choice, Instrument, Page, Question

pytestmark = pytest.mark.platform

# --- Builders ---------------------------------------------------------------------------------

AGREEMENT = tuple(
    Choice(name, {"default": label}) for name, label in [("agree", "Agree"), ("disagree", "No")]
)
STAGES = tuple(
    Choice(name, {"default": name.replace("_", " ")}) for name in ("early", "mid", "senior")
)


def build_instrument(version: str = "1") -> Instrument:
    """Two pages: the member's career (with a checked number), then one climate item."""
    return Instrument(
        form_id="climate_pulse",
        title="Climate pulse",
        version=version,
        pages=(
            Page(
                name="career",
                labels={"default": "Your career"},
                questions=(
                    Question(name="started", type="start"),
                    Question(
                        name="career_stage",
                        type="select_one",
                        labels={"default": "Career stage"},
                        list_name="stages",
                        required=True,
                        standard="career_stage",
                    ),
                    Question(
                        name="years",
                        type="integer",
                        labels={"default": "Years in the field"},
                        constraint=". >= 0 and . <= 60",
                        constraint_message={"default": "Between 0 and 60, please."},
                    ),
                ),
            ),
            Page(
                name="climate",
                labels={"default": "Climate"},
                questions=(
                    Question(
                        name="belonging",
                        type="select_one",
                        labels={"default": "I feel I belong"},
                        list_name="agreement",
                        required=True,
                    ),
                    Question(name="comments", type="text", labels={"default": "Anything else?"}),
                ),
            ),
        ),
        choices={"agreement": AGREEMENT, "stages": STAGES},
    )


ANSWERS = {
    0: {"career_stage": "mid", "years": "12"},
    1: {"belonging": "agree", "comments": "A synthetic comment."},
}


def today() -> datetime.date:
    return timezone.localdate()


def make_wave(organization, *, mode="anonymous", slug="pulse-2025", opened=True, version="1"):
    instrument = do_add_instrument(build_instrument(version), acting_user=None)
    wave = do_create_wave(
        organization,
        name="Climate pulse 2025",
        slug=slug,
        instrument=instrument,
        mode=mode,
        opens_on=today() - datetime.timedelta(days=1),
        closes_on=today() + datetime.timedelta(days=30),
        consent_text="We ask about your career and how welcome you feel.\n\nMore details.",
        contact_email="survey-team@consortium.example",
        acting_user=None,
    )
    return do_open_wave(wave, acting_user=None) if opened else wave


def frame_csv(count: int, *, societies=("ashg", "nsgc"), start: int = 1) -> str:
    lines = ["member_id,email,society,career_stage"]
    for number in range(start, start + count):
        society = societies[number % len(societies)]
        lines.append(f"m{number:05d},member{number:05d}@members.example,{society},mid")
    return "\n".join(lines) + "\n"


def load_members(wave, count: int, **options) -> None:
    result = do_load_frame(
        wave, frame_csv(count, **options), filename="frame.csv", acting_user=None
    )
    assert result.problems == []


LINK = re.compile(r"/s/([A-Za-z0-9_-]+)/")


def tokens_by_email(outbox) -> dict[str, str]:
    """The survey link's token in each message, by recipient (later messages win)."""
    found = {}
    for message in outbox:
        [token] = {match for match in LINK.findall(message.body)}
        found[message.to[0]] = token
    return found


def invite(wave, outbox) -> dict[str, str]:
    do_send_invitations(wave, acting_user=None)
    return tokens_by_email(outbox)


@pytest.fixture
def wave(ashg):
    return make_wave(ashg)


@pytest.fixture
def invited(wave, mailoutbox):
    """Three members of the anonymous wave invited: their tokens by e-mail address."""
    load_members(wave, 3)
    return invite(wave, mailoutbox)


@pytest.fixture
def token(invited):
    return invited["member00001@members.example"]


def form(fields: dict) -> dict[str, list[str]]:
    return {name: [value] for name, value in fields.items()}


# --- Instruments and waves --------------------------------------------------------------------


def test_an_instrument_imported_again_unchanged_is_kept_once(db):
    first = do_add_instrument(build_instrument(), acting_user=None)
    again = do_add_instrument(build_instrument(), acting_user=None)
    assert again.pk == first.pk
    assert first.load() == build_instrument()


def test_a_changed_form_under_an_existing_version_is_refused(db):
    do_add_instrument(build_instrument(), acting_user=None)
    changed = build_instrument()
    changed = Instrument(**{**changed.__dict__, "title": "Another title"})
    with pytest.raises(ValidationError, match="version '1' was already imported"):
        do_add_instrument(changed, acting_user=None)


def test_a_wave_cannot_close_before_it_opens(ashg):
    instrument = do_add_instrument(build_instrument(), acting_user=None)
    with pytest.raises(ValidationError) as error:
        do_create_wave(
            ashg,
            name="Backwards",
            slug="backwards",
            instrument=instrument,
            mode="anonymous",
            opens_on=today(),
            closes_on=today() - datetime.timedelta(days=1),
            consent_text="Consent.",
            acting_user=None,
        )
    assert "would close" in error.value.message_dict["closes_on"][0]


@pytest.mark.parametrize(
    ("slug", "reason"),
    [("Climate 2025", "cannot be part of an address"), ("new", "used by the survey pages")],
)
def test_a_wave_address_must_be_usable_and_free(ashg, slug, reason):
    instrument = do_add_instrument(build_instrument(), acting_user=None)
    with pytest.raises(ValidationError) as error:
        do_create_wave(
            ashg,
            name="A wave",
            slug=slug,
            instrument=instrument,
            mode="anonymous",
            opens_on=today(),
            closes_on=today(),
            consent_text="Consent.",
            acting_user=None,
        )
    assert reason in error.value.message_dict["slug"][0]


def test_instrument_and_mode_can_change_while_the_wave_is_a_draft(ashg):
    wave = make_wave(ashg, opened=False)
    newer = do_add_instrument(build_instrument("2"), acting_user=None)
    changed = do_change_wave(wave, instrument=newer, mode="confidential", acting_user=None)
    assert (changed.instrument, changed.mode) == (newer, "confidential")


@pytest.mark.parametrize(
    ("setting", "label"),
    [("instrument", "questionnaire"), ("mode", "mode"), ("consent_text", "consent text")],
)
def test_what_members_saw_and_agreed_to_is_frozen_once_the_wave_opens(ashg, setting, label):
    wave = make_wave(ashg)
    value = {
        "instrument": do_add_instrument(build_instrument("2"), acting_user=None),
        "mode": "confidential",
        "consent_text": "A different promise.",
    }[setting]
    with pytest.raises(ValidationError) as error:
        do_change_wave(wave, acting_user=None, **{setting: value})
    assert error.value.message_dict[setting][0].startswith(f"The {label} can no longer change: ")
    wave.refresh_from_db()
    assert (wave.instrument.version, wave.mode) == ("1", "anonymous")
    assert wave.consent_text.startswith("We ask about your career")


def test_other_settings_of_an_open_wave_can_still_change(wave):
    later = wave.closes_on + datetime.timedelta(days=7)
    changed = do_change_wave(
        wave,
        closes_on=later,
        name="Climate pulse 2025 (extended)",
        contact_email="help@consortium.example",
        acting_user=None,
    )
    changed.refresh_from_db()
    assert (changed.closes_on, changed.name, changed.contact_email) == (
        later,
        "Climate pulse 2025 (extended)",
        "help@consortium.example",
    )


def test_an_open_wave_cannot_move_its_closing_day_into_the_past(wave):
    yesterday = today() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        do_change_wave(wave, closes_on=yesterday, acting_user=None)
    assert "has passed; to stop the wave taking answers, close it" in str(error.value)
    # Closing sooner, but not before today, is a change like any other.
    assert do_change_wave(wave, closes_on=today(), acting_user=None).closes_on == today()


def test_a_closed_waves_dates_and_contact_are_its_record(wave):
    do_close_wave(wave, acting_user=None)
    with pytest.raises(ValidationError) as error:
        do_change_wave(
            wave,
            closes_on=wave.closes_on + datetime.timedelta(days=7),
            contact_email="late@consortium.example",
            acting_user=None,
        )
    assert set(error.value.message_dict) == {"closes_on", "contact_email"}
    assert do_change_wave(wave, name="Climate pulse 2025", year=2024, acting_user=None).year == 2024


def test_settings_posted_unchanged_are_no_change_whatever_the_status(wave):
    do_close_wave(wave, acting_user=None)
    before = AuditEvent.objects.count()
    unchanged = {name: getattr(wave, name) for name in FROZEN_ONCE_OPEN | FROZEN_ONCE_CLOSED}
    do_change_wave(wave, acting_user=None, **unchanged)
    assert AuditEvent.objects.count() == before


def test_a_change_is_audited_with_each_setting_from_and_to(ashg):
    wave = make_wave(ashg, opened=False)
    newer = do_add_instrument(build_instrument("2"), acting_user=None)
    do_change_wave(wave, instrument=newer, name="Climate pulse 2025", acting_user=None)
    event = AuditEvent.objects.filter(verb="survey_wave_changed").get()
    # The name given is the name it had: only what changed is recorded.
    assert event.details["changed"] == {
        "instrument": {"from": "climate_pulse version 1", "to": "climate_pulse version 2"}
    }


def test_every_staff_action_is_audited(ashg, mailoutbox):
    wave = make_wave(ashg, opened=False)
    do_open_wave(wave, acting_user=None)
    load_members(wave, 2)
    do_send_invitations(wave, acting_user=None)
    do_close_wave(wave, acting_user=None)
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {
        SurveyVerb.INSTRUMENT_IMPORTED,
        SurveyVerb.WAVE_CREATED,
        SurveyVerb.WAVE_OPENED,
        SurveyVerb.FRAME_LOADED,
        SurveyVerb.INVITATIONS_QUEUED,
        SurveyVerb.WAVE_CLOSED,
    } <= verbs


# --- The frame --------------------------------------------------------------------------------


def test_the_frame_keeps_good_rows_and_names_every_bad_one_by_row_column_and_value(wave):
    content = (
        "Member_ID,Email,society\n"
        "m1,ann@members.example,ashg\n"
        ",bob@members.example,ashg\n"
        "m3,not-an-address,nsgc\n"
        "m1,carol@members.example,nsgc\n"
        "m5,ANN@members.example,ashg\n"
        "m6,dan@members.example\n"
        "m7,erin@members.example,\n"
    )
    result = do_load_frame(wave, content.encode(), filename="ashg-frame.csv", acting_user=None)
    assert result.added == 2
    assert [str(problem) for problem in result.problems] == [
        "ashg-frame.csv, row 3, column 'member_id': '' is empty",
        "ashg-frame.csv, row 4, column 'email': 'not-an-address' is not an e-mail address",
        "ashg-frame.csv, row 5, column 'member_id': 'm1' is already in row 2",
        "ashg-frame.csv, row 6, column 'email': 'ANN@members.example' is already in row 2",
        "ashg-frame.csv, row 7: has 2 values but the header has 3 columns",
    ]
    members = {member.member_id: member for member in wave.frame.all()}
    assert set(members) == {"m1", "m7"}
    assert members["m1"].attributes == {"society": "ashg"}
    assert members["m7"].attributes == {}
    assert Invitation.objects.filter(wave=wave, status="pending").count() == 2


def test_members_already_in_the_frame_are_named_and_not_added_again(wave):
    load_members(wave, 2)
    result = do_load_frame(wave, frame_csv(3), filename="again.csv", acting_user=None)
    assert result.added == 1
    assert [str(problem) for problem in result.problems] == [
        "again.csv, row 2, column 'member_id': 'm00001' is already in the frame",
        "again.csv, row 2, column 'email': 'member00001@members.example' is already in the frame",
        "again.csv, row 3, column 'member_id': 'm00002' is already in the frame",
        "again.csv, row 3, column 'email': 'member00002@members.example' is already in the frame",
    ]


def test_a_frame_without_the_needed_columns_is_refused_naming_what_it_has(wave):
    with pytest.raises(ValidationError, match=r"no 'email' column.*found: 'member_id', 'name'"):
        do_load_frame(wave, "member_id,name\nm1,Ann\n", filename="f.csv", acting_user=None)
    assert not wave.frame.exists()


def test_a_frame_that_is_not_utf8_is_refused_naming_the_byte(wave):
    content = "member_id,email\nm1,zoë@members.example\n".encode("latin-1")
    with pytest.raises(ValidationError, match=r"f.csv, row 2: character 6 \(0xeb\) is not UTF-8"):
        do_load_frame(wave, content, filename="f.csv", acting_user=None)


# --- Links ------------------------------------------------------------------------------------


def test_an_invitation_link_lets_its_member_in_and_marks_the_invitation_started(invited, token):
    entry = enter_with_token(token)
    assert entry.wave.slug == "pulse-2025"
    assert entry.invitation_id is None  # anonymous: the entry does not name the invitation
    invitation = Invitation.objects.get(member__email="member00001@members.example")
    assert invitation.status == "started"


@pytest.mark.parametrize(
    "tampered",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.upper(),
        lambda token: secrets.token_urlsafe(32),
        lambda token: "",
        lambda token: "../../admin",
        lambda token: token * 4,
    ],
    ids=["last-character", "upper-case", "unknown", "empty", "path", "too-long"],
)
def test_a_tampered_or_unknown_link_is_not_found(token, tampered):
    with pytest.raises(SurveyLinkError) as error:
        enter_with_token(tampered(token))
    assert error.value.kind == "not_found"
    assert "not valid" in error.value.message


def test_a_link_of_a_wave_not_open_yet_says_when_it_opens(invited, token, wave):
    Wave.objects.filter(pk=wave.pk).update(opens_on=today() + datetime.timedelta(days=3))
    with pytest.raises(SurveyLinkError) as error:
        enter_with_token(token)
    assert error.value.kind == "not_open"
    opens = today() + datetime.timedelta(days=3)
    assert f"opens on {opens.day} {opens:%B %Y}" in error.value.message


@pytest.mark.parametrize("how", ["closing date passed", "closed by staff"])
def test_a_link_of_a_closed_wave_says_the_survey_closed(invited, token, wave, how):
    if how == "closed by staff":
        do_close_wave(wave, acting_user=None)
    else:
        yesterday = today() - datetime.timedelta(days=1)
        Wave.objects.filter(pk=wave.pk).update(
            opens_on=yesterday - datetime.timedelta(days=10), closes_on=yesterday
        )
    with pytest.raises(SurveyLinkError) as error:
        enter_with_token(token)
    assert error.value.kind == "closed"
    assert "survey-team@consortium.example" in error.value.message


def test_a_used_link_says_the_survey_was_completed(token, wave):
    response = submit_synthetic_response(wave, ANSWERS, token=token)
    assert response.status == "complete"
    with pytest.raises(SurveyLinkError) as error:
        enter_with_token(token)
    assert error.value.kind == "used"
    assert "already been completed" in error.value.message


def test_the_link_of_a_member_who_opted_out_says_so(token):
    opt_out(token)
    with pytest.raises(SurveyLinkError) as error:
        enter_with_token(token)
    assert error.value.kind == "opted_out"


def test_every_link_of_an_invitation_works_until_it_is_done(wave, invited, token, mailoutbox):
    do_send_reminders(wave, acting_user=None)
    reminder = tokens_by_email(mailoutbox)["member00001@members.example"]
    assert reminder != token
    assert enter_with_token(token).wave == enter_with_token(reminder).wave
    submit_synthetic_response(wave, ANSWERS, token=reminder)
    for link in (token, reminder):
        with pytest.raises(SurveyLinkError) as error:
            enter_with_token(link)
        assert error.value.kind == "used"


def test_an_open_link_lets_anyone_answer_an_anonymous_wave(wave):
    key = do_create_open_link(wave, acting_user=None)
    first, second = enter_open_link(wave.slug, key), enter_open_link(wave.slug, key)
    assert first.resume_key != second.resume_key
    with pytest.raises(SurveyLinkError):
        enter_open_link(wave.slug, key + "x")
    replaced = do_create_open_link(wave, acting_user=None)
    with pytest.raises(SurveyLinkError):
        enter_open_link(wave.slug, key)
    assert enter_open_link(wave.slug, replaced).wave == wave


def test_a_confidential_wave_has_no_open_link(nsgc):
    wave = make_wave(nsgc, mode="confidential", slug="confidential-2025")
    with pytest.raises(ValidationError, match="cannot have an open link"):
        do_create_open_link(wave, acting_user=None)


# --- Answering --------------------------------------------------------------------------------


@pytest.fixture
def started(token):
    entry = enter_with_token(token)
    return entry, start_response(entry, language="default")


def test_a_response_starts_on_the_first_page_with_dates_only(started):
    entry, response = started
    assert (response.page, response.revision, response.status) == (0, 0, "partial")
    assert response.started_on == today()
    assert response.invitation_id is None
    assert start_response(entry, language="default").pk == response.pk


def test_next_stays_on_a_page_with_errors_but_keeps_what_was_valid(started):
    entry, response = started
    saved = save_page(
        response,
        page=0,
        revision=0,
        form=form({"career_stage": "early", "years": "75"}),
        direction="next",
    )
    assert [error.question for error in saved.outcome.errors] == ["years"]
    assert saved.next_page == 0 and not saved.finished and not saved.stale
    response.refresh_from_db()
    assert response.answers["career_stage"] == "early"
    assert "years" not in response.answers
    assert (response.page, response.revision) == (0, 1)


def test_next_moves_on_and_finishes_after_the_last_page(started):
    entry, response = started
    first = save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    assert (first.next_page, first.finished) == (1, False)
    second = save_page(response, page=1, revision=1, form=form(ANSWERS[1]), direction="next")
    assert (second.next_page, second.finished) == (None, True)
    done = complete_response(second.response, entry)
    assert done.status == "complete" and done.completed_on == today()
    assert done.answers["belonging"] == "agree"
    assert done.answers["started"] == today().isoformat()
    assert done.resume_key is None


def test_a_submitted_response_is_stored_complete_with_nothing_else_changed(started):
    entry, response = started
    save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    second = save_page(response, page=1, revision=1, form=form(ANSWERS[1]), direction="next")
    before = field_values(Response.objects.get(pk=response.pk))
    complete_response(second.response, entry)
    stored = Response.objects.get(pk=response.pk)
    after = field_values(stored)
    assert (stored.status, stored.completed_on, stored.resume_key) == ("complete", today(), None)
    assert stored.answers["started"] == today().isoformat()  # finalized
    assert stored.answers["belonging"] == "agree"
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {"answers", "status", "completed_on", "updated_on", "resume_key"}
    holder = Invitation.objects.get(tokens__token_hash=hash_token(entry.token))
    assert holder.status == "done"


def test_back_moves_back_without_blocking_on_errors(started):
    entry, response = started
    save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    saved = save_page(
        response, page=1, revision=1, form=form({"comments": "half"}), direction="back"
    )
    assert saved.next_page == 0
    response.refresh_from_db()
    assert response.answers["comments"] == "half" and response.page == 0


def test_save_and_finish_later_keeps_the_page(started):
    entry, response = started
    saved = save_page(
        response, page=0, revision=0, form=form({"career_stage": "senior"}), direction="save"
    )
    assert saved.next_page == 0
    resumed = current_response(resume_entry(entry.wave.slug, entry.token, ""))
    assert resumed.pk == response.pk and resumed.answers["career_stage"] == "senior"


@pytest.mark.parametrize("read_before_the_save", [False, True])
def test_an_old_window_cannot_overwrite_a_page_saved_since(started, read_before_the_save):
    entry, response = started
    # The old window holds the response as read before the first page was saved (True), or
    # the one the save brought up to date (False): either way nothing of it may be written.
    old_window = current_response(entry) if read_before_the_save else response
    save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    # The first page again, posted from a window opened before it was saved.
    stale = save_page(
        old_window,
        page=0,
        revision=0,
        form=form({"career_stage": "early", "years": "3"}),
        direction="next",
    )
    assert stale.stale and stale.next_page == 1
    assert stale.response.revision == 1
    response.refresh_from_db()
    assert response.answers["career_stage"] == "mid"
    assert (response.page, response.revision) == (1, 1)


def test_a_page_posted_after_the_response_was_submitted_elsewhere_is_refused(started):
    entry, response = started
    other_window = current_response(entry)
    save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    save_page(response, page=1, revision=1, form=form(ANSWERS[1]), direction="next")
    complete_response(response, entry)
    with pytest.raises(SurveyLinkError) as error:
        save_page(other_window, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    assert error.value.kind == "used"
    response.refresh_from_db()
    assert response.status == "complete" and response.revision == 2


def test_the_current_page_posted_from_a_second_window_is_saved_and_flagged(started):
    entry, response = started
    save_page(response, page=0, revision=0, form=form({"years": "4"}), direction="save")
    second = save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    assert second.stale and second.next_page == 1
    response.refresh_from_db()
    assert response.answers["career_stage"] == "mid" and response.revision == 2


def test_a_response_cannot_be_completed_while_required_questions_are_unanswered(started):
    entry, response = started
    save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    with pytest.raises(IncompleteResponse) as error:
        complete_response(response, entry)
    assert [field.question for field in error.value.errors] == ["belonging"]
    response.refresh_from_db()
    assert response.status == "partial"


def test_a_response_is_completed_only_by_the_link_that_started_it(started, invited):
    entry, response = started
    save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    save_page(response, page=1, revision=1, form=form(ANSWERS[1]), direction="next")
    someone_else = enter_with_token(invited["member00002@members.example"])
    with pytest.raises(SurveyLinkError):
        complete_response(response, someone_else)
    assert current_response(someone_else) is None


def test_closing_a_wave_cuts_every_way_back_to_unfinished_responses(started, wave):
    entry, response = started
    do_close_wave(wave, acting_user=None)
    response.refresh_from_db()
    assert response.resume_key is None
    with pytest.raises(SurveyLinkError) as error:
        save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    assert error.value.kind == "closed"


def test_a_synthetic_response_takes_the_respondents_path(wave):
    response = submit_synthetic_response(wave, ANSWERS)
    assert response.status == "complete"
    assert response.revision == 2  # one saved page after another, as in a browser
    assert response.answers["career_stage"] == "mid"


def test_a_synthetic_response_with_a_wrong_answer_names_the_page_and_the_problem(wave):
    with pytest.raises(ValidationError, match="Page 1 was not accepted: years: Between 0 and 60"):
        submit_synthetic_response(wave, {0: {"career_stage": "mid", "years": "99"}})
    assert not Response.objects.filter(status="complete").exists()


def test_a_confidential_response_names_its_invitation_and_resumes_from_any_of_its_links(
    nsgc, mailoutbox
):
    wave = make_wave(nsgc, mode="confidential", slug="confidential-2025")
    load_members(wave, 1)
    first = invite(wave, mailoutbox)["member00001@members.example"]
    entry = enter_with_token(first)
    response = start_response(entry, language="default")
    assert response.invitation.member.member_id == "m00001"
    do_send_reminders(wave, acting_user=None)
    reminder = tokens_by_email(mailoutbox)["member00001@members.example"]
    assert current_response(enter_with_token(reminder)).pk == response.pk


# --- Exports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["csv", "xlsx", "sav", "dta"])
def test_an_export_is_written_under_the_data_directory_in_each_format(
    wave, staff, settings, export_format
):
    submit_synthetic_response(wave, ANSWERS)
    export = do_export_responses(wave, export_format, acting_user=staff)
    assert (export.status, export.rows, export.identified) == ("done", 1, False)
    assert export.file.parent == settings.WORKFORCE_DATA_DIR / "exports" / "pulse-2025"
    assert export.file.suffix == f".{export_format}"
    assert export.file.stat().st_size > 0


def test_a_records_export_turns_completed_responses_into_standard_records(wave, staff):
    submit_synthetic_response(wave, ANSWERS)
    entry = enter_open_link(wave.slug, do_create_open_link(wave, acting_user=None))
    start_response(entry, language="default")  # started, never finished: not a record
    export = do_export_responses(wave, "records", acting_user=staff)
    assert export.status == "done", export.error
    [record] = list(csv.DictReader(io.StringIO(export.file.read_text(encoding="utf-8"))))
    assert (record["career_stage"], record["org"], record["source"]) == (
        "mid",
        "ashg",
        "survey:pulse-2025",
    )
    assert record["record_id"] == str(Response.objects.get(status="complete").pk)
    assert record["person_key"] == ""


def test_an_unknown_export_format_is_refused_with_the_formats_there_are(wave, staff):
    with pytest.raises(ValidationError, match="'pdf' is not an export format; use one of csv"):
        do_export_responses(wave, "pdf", acting_user=staff)


def test_an_export_that_cannot_be_written_says_why(wave, staff):
    Response.objects.create(
        wave=wave, instrument=wave.instrument, answers={"years": "many"}, language="default"
    )
    export = do_export_responses(wave, "csv", acting_user=staff)
    assert export.status == "failed"
    assert "question 'years'" in export.error


# --- The respondent path's lookups, written as SQL once, give what the ORM gives ---------------


def field_values(instance, *, leaving_out=()) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in leaving_out
    }


def test_the_link_lookup_gives_the_invitation_wave_and_organization_the_orm_gives(token):
    found = lookups.invitation_by_token_hash(hash_token(token))
    expected = Invitation.objects.select_related("wave__organization", "member").get(
        tokens__token_hash=hash_token(token)
    )
    assert field_values(found) == field_values(expected)
    assert field_values(found.wave) == field_values(expected.wave)
    assert field_values(found.wave.organization) == field_values(expected.wave.organization)
    assert found.member.pk == expected.member.pk
    assert found.member.opted_out is False
    instrument = found.wave.instrument
    assert instrument.pk == expected.wave.instrument_id
    assert {"definition", "xlsform"} <= instrument.get_deferred_fields()


def test_the_link_lookup_leaves_the_members_address_and_attributes_in_the_database(token):
    member = lookups.invitation_by_token_hash(hash_token(token)).member
    assert {"email", "attributes", "member_id"} <= member.get_deferred_fields()
    assert member.email == "member00001@members.example"  # still there when asked for


def test_an_unknown_link_finds_no_invitation(invited):
    assert lookups.invitation_by_token_hash(hash_token("not-a-link-" * 3)) is None


def test_the_response_lookup_reads_answers_ids_and_dates_as_the_orm_does(token):
    entry = enter_with_token(token)
    started = start_response(entry, language="default")
    save_page(started, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    [found] = lookups.partial_responses(entry.wave, resume_key=entry.resume_key)
    expected = Response.objects.get(pk=started.pk)
    assert field_values(found) == field_values(expected)
    assert isinstance(found.id, uuid.UUID)
    assert found.answers["career_stage"] == "mid" and found.answers["years"] == "12"
    assert found.wave is entry.wave
    assert field_values(found.instrument, leaving_out=("definition", "xlsform")) == field_values(
        expected.instrument, leaving_out=("definition", "xlsform")
    )
    # The definition stays out of the row; the parsed one is kept per process.
    assert {"definition", "xlsform"} <= found.instrument.get_deferred_fields()
    assert found.instrument.load().form_id == "climate_pulse"


def test_a_submitted_response_or_one_of_another_wave_is_not_found(ashg, token):
    entry = enter_with_token(token)
    started = start_response(entry, language="default")
    other = make_wave(ashg, slug="another-2025")
    assert lookups.partial_responses(other, resume_key=entry.resume_key) == []
    save_page(started, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    save_page(started, page=1, revision=1, form=form(ANSWERS[1]), direction="next")
    complete_response(started, entry)
    assert lookups.partial_responses(entry.wave, resume_key=entry.resume_key) == []


def test_a_confidential_response_is_found_by_its_invitation(nsgc, mailoutbox):
    confidential = make_wave(nsgc, mode="confidential", slug="confidential-2025")
    load_members(confidential, 2)
    entry = enter_with_token(invite(confidential, mailoutbox)["member00001@members.example"])
    started = start_response(entry, language="default")
    [found] = lookups.partial_responses(confidential, invitation_id=entry.invitation_id)
    assert found.pk == started.pk and found.invitation_id == entry.invitation_id


def test_the_locking_link_lookup_gives_what_the_plain_one_gives(token):
    plain = lookups.invitation_by_token_hash(hash_token(token))
    with transaction.atomic():
        locked = lookups.invitation_by_token_hash(hash_token(token), lock=True)
    assert field_values(locked) == field_values(plain)
    assert field_values(locked.wave) == field_values(plain.wave)
    assert field_values(locked.wave.organization) == field_values(plain.wave.organization)
    assert locked.member.pk == plain.member.pk and locked.member.opted_out is False
    with transaction.atomic():
        assert lookups.invitation_by_token_hash(hash_token("not-a-link-" * 3), lock=True) is None


@pytest.mark.django_db(transaction=True)  # not inside the test's own transaction
def test_a_locking_link_lookup_outside_a_transaction_is_refused(token):
    with pytest.raises(TransactionManagementError, match="needs a transaction"):
        lookups.invitation_by_token_hash(hash_token(token), lock=True)


def test_the_link_and_its_response_read_together_are_what_the_two_lookups_give(token):
    entry = enter_with_token(token)
    key = entry.resume_key
    assert lookups.invitation_and_unfinished(hash_token(token), key)[1] == []  # not started
    started = start_response(entry, language="default")
    save_page(started, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    invitation, [found] = lookups.invitation_and_unfinished(hash_token(token), key)
    alone = lookups.invitation_by_token_hash(hash_token(token))
    assert field_values(invitation) == field_values(alone)
    assert field_values(invitation.wave) == field_values(alone.wave)
    assert invitation.member.opted_out is False
    [expected] = lookups.partial_responses(entry.wave, resume_key=key)
    assert field_values(found) == field_values(expected)
    assert found.wave is invitation.wave
    assert found.instrument.pk == expected.instrument.pk
    assert {"definition", "xlsform"} <= found.instrument.get_deferred_fields()


def test_the_link_read_with_another_links_key_finds_no_anonymous_response(invited):
    first, second = (invited[f"member0000{n}@members.example"] for n in (1, 2))
    entry = enter_with_token(first)
    start_response(entry, language="default")
    # An anonymous response is found by its link's key alone, never by the invitation.
    other_key = enter_with_token(second).resume_key
    assert lookups.invitation_and_unfinished(hash_token(first), other_key)[1] == []
    assert len(lookups.invitation_and_unfinished(hash_token(first), entry.resume_key)[1]) == 1


def test_a_confidential_response_is_read_with_any_of_its_invitations_links(nsgc, mailoutbox):
    confidential = make_wave(nsgc, mode="confidential", slug="confidential-2025")
    load_members(confidential, 2)
    token = invite(confidential, mailoutbox)["member00001@members.example"]
    entry = enter_with_token(token)
    started = start_response(entry, language="default")
    invitation, [found] = lookups.invitation_and_unfinished(hash_token(token), "k" * 64)
    assert found.pk == started.pk and found.invitation_id == invitation.pk


def test_a_submitted_response_is_not_read_with_the_link(started):
    entry, response = started
    save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    save_page(response, page=1, revision=1, form=form(ANSWERS[1]), direction="next")
    complete_response(response, entry)
    found = lookups.invitation_and_unfinished(hash_token(entry.token), entry.resume_key)
    assert found is not None and found[1] == []
    assert lookups.invitation_and_unfinished(hash_token("not-a-link-" * 3), "k" * 64) is None


def test_a_link_resumed_carries_the_response_read_with_it(started):
    entry, response = started
    resumed = resume_entry(entry.wave.slug, entry.token, entry.resume_key)
    assert [each.pk for each in resumed.unfinished] == [response.pk]
    assert current_response(resumed).pk == response.pk


def test_starting_twice_from_a_page_read_before_the_first_start_starts_one_response(token):
    # Two tabs showed the consent page before either pressed Start: the second start must
    # find the first's response under the lock, not trust what its page read before it.
    entry = enter_with_token(token)
    resumed = resume_entry(entry.wave.slug, token, entry.resume_key)
    assert resumed.unfinished == ()
    first = start_response(resumed, language="default")
    second = start_response(resumed, language="default")
    assert second.pk == first.pk
    assert Response.objects.filter(wave=entry.wave).count() == 1


def test_a_lookup_needs_exactly_one_key(wave):
    with pytest.raises(ValueError, match="not both or neither"):
        lookups.partial_responses(wave)
    with pytest.raises(ValueError, match="not both or neither"):
        lookups.partial_responses(wave, resume_key="k" * 64, invitation_id=1)


def test_a_page_written_by_the_guarded_update_reads_back_as_the_orm_would_write_it(token):
    entry = enter_with_token(token)
    started = start_response(entry, language="default")
    answers = {
        "career_stage": "mid",
        "years": "12",
        "comments": "Ça va — 良い",
        "ticks": ["a", "b"],
    }
    written = lookups.save_page_answers(started, answers=answers, page=1, updated_on=today())
    assert written
    stored = Response.objects.get(pk=started.pk)
    assert stored.answers == answers
    assert (stored.page, stored.revision, stored.updated_on) == (1, 1, today())
    assert stored.status == Response.Status.PARTIAL and stored.resume_key == entry.resume_key


def test_the_guarded_update_writes_nothing_once_the_response_moved_on(token):
    entry = enter_with_token(token)
    started = start_response(entry, language="default")
    as_read = Response.objects.get(pk=started.pk)
    # Another window saved a page first: the revision moved on.
    assert lookups.save_page_answers(started, answers={"years": "1"}, page=1, updated_on=today())
    assert not lookups.save_page_answers(
        as_read, answers={"years": "2"}, page=1, updated_on=today()
    )
    assert Response.objects.get(pk=started.pk).answers == {"years": "1"}
    # Closing the wave cut the key.
    current = Response.objects.get(pk=started.pk)
    Response.objects.filter(pk=started.pk).update(resume_key=None)
    assert not lookups.save_page_answers(
        current, answers={"years": "3"}, page=1, updated_on=today()
    )
    # Submitted.
    Response.objects.filter(pk=started.pk).update(
        resume_key=entry.resume_key, status=Response.Status.COMPLETE
    )
    assert not lookups.save_page_answers(
        current, answers={"years": "4"}, page=1, updated_on=today()
    )
    assert Response.objects.get(pk=started.pk).answers == {"years": "1"}


def test_the_guarded_update_of_a_response_without_a_key_matches_one_without_a_key(token):
    entry = enter_with_token(token)
    started = start_response(entry, language="default")
    Response.objects.filter(pk=started.pk).update(resume_key=None)
    keyless = Response.objects.get(pk=started.pk)
    assert lookups.save_page_answers(keyless, answers={"years": "5"}, page=1, updated_on=today())
    assert Response.objects.get(pk=started.pk).answers == {"years": "5"}
