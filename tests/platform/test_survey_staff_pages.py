"""Staff pages of surveys: who sees which wave, what they can do there, and what they see.

The tables read like the access matrix: a person (row) against an organization's survey
pages (column). ``200`` shown, ``302`` done and sent back to the wave, ``403`` not allowed,
``login`` sent to sign in.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from test_access_matrix import assert_answer, ids, table
from test_survey_actions import ANSWERS, build_instrument, invite, load_members, make_wave

from workforce.platform.actions.surveys import do_export_responses, submit_synthetic_response
from workforce.platform.surveys.models import Export, Instrument, Mailing, Wave
from workforce.platform.surveys.staff_views import working_day

pytestmark = pytest.mark.platform

# The survey list and a wave's monitoring page: every role of the organization.
MONITORING = table("""
                consortium  ashg   nsgc   acmg
staff           200         200    200    200
ashg_steward    403         200    403    403
ashg_analyst    403         200    403    403
nsgc_steward    403         403    200    403
acmg_viewer     403         403    403    200
outsider        403         403    403    403
anonymous       login       login  login  login
""")

# Questionnaires, creating waves, opening, closing, sending: consortium staff only.
MANAGE = table("""
                consortium  ashg   nsgc   acmg
staff           200         200    200    200
ashg_steward    403         403    403    403
ashg_analyst    403         403    403    403
nsgc_steward    403         403    403    403
acmg_viewer     403         403    403    403
outsider        403         403    403    403
anonymous       login       login  login  login
""")
MANAGE_STEP = [(p, o, "302" if e == "200" else e) for p, o, e in MANAGE]

# Downloading an export of responses: staff and the society's analysts.
EXPORTS = table("""
                consortium  ashg   nsgc   acmg
staff           200         200    200    200
ashg_steward    403         403    403    403
ashg_analyst    403         200    403    403
nsgc_steward    403         403    403    403
acmg_viewer     403         403    403    403
outsider        403         403    403    403
anonymous       login       login  login  login
""")


@pytest.fixture
def waves(orgs):
    """An open anonymous wave in every organization, with a slug naming it."""
    return {
        code: make_wave(organization, slug=f"{code}-pulse") for code, organization in orgs.items()
    }


@pytest.mark.parametrize(
    "page",
    [
        "surveys/",
        "surveys/{code}-pulse/",
        "surveys/{code}-pulse/emails/reminder/",
        "surveys/{code}-pulse/try/",
    ],
)
@pytest.mark.parametrize(("person", "org", "expected"), MONITORING, ids=ids(MONITORING))
def test_survey_monitoring_pages(page, person, org, expected, people, waves, client_for):
    response = client_for(people[person]).get(f"/organizations/{org}/" + page.format(code=org))
    assert_answer(response, expected)
    if expected == "200":
        body = response.content.decode()
        assert waves[org].name in body
        others = [wave.slug for code, wave in waves.items() if code != org]
        assert not any(f"/surveys/{slug}/" in body for slug in others)


@pytest.mark.parametrize("page", ["surveys/instruments/", "surveys/new/"])
@pytest.mark.parametrize(("person", "org", "expected"), MANAGE, ids=ids(MANAGE))
def test_survey_management_pages(page, person, org, expected, people, orgs, client_for):
    assert_answer(client_for(people[person]).get(f"/organizations/{org}/{page}"), expected)


@pytest.mark.parametrize(("person", "org", "expected"), MANAGE_STEP, ids=ids(MANAGE_STEP))
def test_closing_a_wave(person, org, expected, people, waves, client_for):
    url = f"/organizations/{org}/surveys/{org}-pulse/close/"
    response = client_for(people[person]).post(url)
    assert_answer(response, expected)
    closed = Wave.objects.get(slug=f"{org}-pulse").status == "closed"
    assert closed == (expected == "302")
    if expected == "302":
        assert response["Location"] == f"/organizations/{org}/surveys/{org}-pulse/"


@pytest.mark.parametrize(("person", "org", "expected"), EXPORTS, ids=ids(EXPORTS))
def test_export_download(person, org, expected, people, waves, client_for, staff):
    wave = waves[org]
    submit_synthetic_response(wave, ANSWERS)
    export = do_export_responses(wave, "csv", acting_user=staff)
    url = f"/organizations/{org}/surveys/{wave.slug}/exports/{export.pk}/download/"
    response = client_for(people[person]).get(url)
    assert_answer(response, expected)
    if expected == "200":
        assert b"".join(response.streaming_content) == export.file.read_bytes()
        assert export.filename in response["Content-Disposition"]


def test_a_wave_of_another_society_is_not_found_under_your_own(ashg_steward, waves, client_for):
    response = client_for(ashg_steward).get("/organizations/ashg/surveys/nsgc-pulse/")
    assert response.status_code == 404


def test_sending_is_a_button_that_posts_never_a_link(staff, waves, client_for):
    client = client_for(staff)
    assert client.get("/organizations/ashg/surveys/ashg-pulse/invitations/").status_code == 405
    body = client.get("/organizations/ashg/surveys/ashg-pulse/").content.decode()
    for step in ("invitations", "reminders", "close"):
        action = f'action="/organizations/ashg/surveys/ashg-pulse/{step}/"'
        assert re.search(rf'<form method="post" {action}[^>]*>\s*<input type="hidden"', body)
    assert '<button type="submit" class="button">Send invitations' in body


def test_monitoring_shows_rates_by_society_and_career_stage_in_accessible_tables(
    ashg, ashg_steward, client_for, mailoutbox
):
    wave = make_wave(ashg, slug="ashg-pulse")
    load_members(wave, 12, societies=("ashg", "nsgc"))
    for token in list(invite(wave, mailoutbox).values())[:6]:
        submit_synthetic_response(wave, ANSWERS, token=token)
    body = client_for(ashg_steward).get("/organizations/ashg/surveys/ashg-pulse/").content.decode()
    assert "<caption>Response rates by society</caption>" in body
    assert "<caption>Response rates by career stage</caption>" in body
    assert "<caption>Response rates by sector</caption>" not in body  # not in the frame
    assert '<th scope="col" class="num">Response rate</th>' in body
    assert re.search(
        r'<th scope="row"><strong>All members</strong></th>\s*'
        r'<td class="num">12</td>\s*<td class="num">6</td>\s*<td class="num">6</td>',
        body,
    )
    # A steward follows the wave but does not run it.
    assert "Send invitations" not in body and "Close the wave" not in body
    assert 'max="12" value="12"' in body  # the mailing, all sent


def test_monitoring_draws_responses_over_time_with_the_numbers_beside_it(
    ashg, ashg_steward, client_for, mailoutbox
):
    import datetime

    from django.utils import timezone

    from workforce.platform.surveys.models import Response

    wave = make_wave(ashg, slug="ashg-pulse")  # opened yesterday
    load_members(wave, 12)
    tokens = list(invite(wave, mailoutbox).values())
    page = "/organizations/ashg/surveys/ashg-pulse/"
    for token in tokens[:4]:
        submit_synthetic_response(wave, ANSWERS, token=token)
    too_few = client_for(ashg_steward).get(page).content.decode()
    assert 'role="img"' not in too_few  # four responses: a chart would show a count under 5

    for token in tokens[4:6]:
        submit_synthetic_response(wave, ANSWERS, token=token)
    Response.objects.filter(pk__in=list(wave.responses.values_list("pk", flat=True)[:2])).update(
        completed_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    body = client_for(ashg_steward).get(page).content.decode()

    assert re.search(r'<svg [^>]*role="img"[^>]*aria-label="Completed responses, day by day"', body)
    assert "6 completed responses by" in body  # the chart's description, for screen readers
    assert "<summary>The chart's numbers</summary>" in body
    rows = re.findall(
        r'<tr><th scope="row">[^<]+</th><td class="num">([^<]+)</td><td>([^<]*)</td></tr>', body
    )
    assert rows == [("&lt;5", ""), ("6", "Invitations")]  # yesterday, today


def test_the_e_mails_members_get_are_shown_before_they_are_sent(ashg, ashg_steward, client_for):
    wave = make_wave(ashg, slug="ashg-pulse")
    browser = client_for(ashg_steward)
    page = "/organizations/ashg/surveys/ashg-pulse/"
    wave_page = browser.get(page).content.decode()
    assert f'href="{page}emails/invitation/">the invitation</a>' in wave_page

    invitation = browser.get(page + "emails/invitation/").content.decode()
    reminder = browser.get(page + "emails/reminder/").content.decode()

    assert f"<dd>Invitation: {wave.name}</dd>" in invitation
    assert "You are invited to take part in Climate pulse 2025." in invitation
    assert "We ask about your career and how welcome you feel." in invitation  # the consent
    assert "/s/each-members-own-link/" in invitation  # no member's real link
    assert "<dd>survey-team@consortium.example</dd>" in invitation  # where replies go
    # The HTML version, escaped into a sandboxed frame: it cannot run or end the attribute.
    frame = re.search(r'<iframe [^>]*title="The invitation[^"]*" sandbox srcdoc="([^"]*)"',
                      invitation)  # fmt: skip
    assert frame and frame.group(1).startswith("&lt;!doctype html&gt;")
    assert f"Reminder: {wave.name} closes on" in reminder
    assert "we have not received your answers yet" in reminder
    assert browser.get(page + "emails/newsletter/").status_code == 404


def test_staff_send_themselves_a_test_of_the_e_mail_and_nobody_else_gets_it(
    ashg, staff, ashg_steward, client_for, mailoutbox
):
    from workforce.platform.audit.models import AuditEvent

    wave = make_wave(ashg, slug="ashg-pulse")
    load_members(wave, 3)
    preview = "/organizations/ashg/surveys/ashg-pulse/emails/invitation/"
    assert "Send a test to me" in client_for(staff).get(preview).content.decode()
    assert "Send a test to me" not in client_for(ashg_steward).get(preview).content.decode()

    sent = client_for(staff).post(preview + "test/")

    assert sent.status_code == 302 and sent["Location"] == preview
    [message] = mailoutbox
    assert message.to == ["staff@consortium.example"]
    assert message.subject == f"[Test] Invitation: {wave.name}"
    assert "/s/each-members-own-link/" in message.body
    assert wave.invitations.filter(status="pending").count() == 3  # no member was sent anything
    assert wave.mailings.count() == 0
    event = AuditEvent.objects.get(verb="survey_test_message_sent")
    assert event.actor == staff and event.details["kind"] == "invitation"
    assert client_for(ashg_steward).post(preview + "test/").status_code == 403
    assert client_for(staff).get(preview + "test/").status_code == 405


def test_a_test_e_mail_the_mail_server_refuses_is_said_on_the_page(
    ashg, staff, client_for, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    make_wave(ashg, slug="ashg-pulse")
    preview = "/organizations/ashg/surveys/ashg-pulse/emails/reminder/"

    page = client_for(staff).post(preview + "test/", follow=True).content.decode()

    assert "The mail server did not take the test message to staff@consortium.example" in page


def test_the_wave_list_compares_waves_by_response_rate_small_counts_hidden(
    ashg, ashg_steward, client_for, mailoutbox
):
    wave = make_wave(ashg, slug="ashg-pulse")
    load_members(wave, 12)
    for token in list(invite(wave, mailoutbox).values())[:6]:
        submit_synthetic_response(wave, ANSWERS, token=token)
    small = make_wave(ashg, slug="ashg-small", version="2")
    load_members(small, 3)
    mailoutbox.clear()
    submit_synthetic_response(small, ANSWERS, token=next(iter(invite(small, mailoutbox).values())))

    body = client_for(ashg_steward).get("/organizations/ashg/surveys/").content.decode()

    cells = r'<td data-label="Invited" class="num">{}</td>\s*'
    cells += r'<td data-label="Completed" class="num">{}</td>\s*'
    cells += r'<td data-label="Response rate" class="num">{}</td>'
    assert re.search(cells.format("12", "6", "50%"), body)
    assert re.search(cells.format("&lt;5", "&lt;5", "—"), body)  # three members: not shown


def test_staff_create_a_wave_from_the_form(ashg, staff, client_for):
    from workforce.platform.actions.surveys import do_add_instrument

    instrument = do_add_instrument(build_instrument(), acting_user=staff)
    response = client_for(staff).post(
        "/organizations/ashg/surveys/new/",
        {
            "name": "Climate 2026",
            "slug": "climate-2026",
            "instrument": instrument.pk,
            "mode": "confidential",
            "opens_on": "2026-03-01",
            "closes_on": "2026-03-31",
            "consent_text": "About this survey.",
            "contact_email": "team@consortium.example",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/organizations/ashg/surveys/climate-2026/"
    wave = Wave.objects.get(slug="climate-2026")
    assert (wave.organization, wave.mode, wave.status, wave.year) == (
        ashg,
        "confidential",
        "draft",
        2026,
    )


def test_a_new_wave_is_proposed_to_stay_open_six_weeks(ashg, staff, client_for):
    response = client_for(staff).get("/organizations/ashg/surveys/new/")
    form = response.context["form"]
    opens, closes = form["opens_on"].initial, form["closes_on"].initial
    assert (closes - opens).days == 42
    assert "Choose a questionnaire" in response.content.decode()


def test_a_wave_form_that_closes_before_it_opens_says_so(ashg, staff, client_for):
    from workforce.platform.actions.surveys import do_add_instrument

    instrument = do_add_instrument(build_instrument(), acting_user=staff)
    response = client_for(staff).post(
        "/organizations/ashg/surveys/new/",
        {
            "name": "Backwards",
            "slug": "backwards",
            "instrument": instrument.pk,
            "mode": "anonymous",
            "opens_on": "2026-03-31",
            "closes_on": "2026-03-01",
            "consent_text": "About.",
        },
    )
    assert response.status_code == 200
    assert "would close (1 March 2026) before it opens (31 March 2026)" in response.content.decode()
    assert not Wave.objects.filter(slug="backwards").exists()


@pytest.mark.parametrize(("person", "org", "expected"), MANAGE, ids=ids(MANAGE))
def test_wave_settings_page(person, org, expected, people, waves, client_for):
    url = f"/organizations/{org}/surveys/{org}-pulse/settings/"
    assert_answer(client_for(people[person]).get(url), expected)


def settings_posted(wave, **changes) -> dict:
    """The settings form as the browser posts it: every field, with ``changes``."""
    posted = {
        "name": wave.name,
        "instrument": wave.instrument_id,
        "mode": wave.mode,
        "opens_on": wave.opens_on.isoformat(),
        "closes_on": wave.closes_on.isoformat(),
        "consent_text": wave.consent_text,
        "contact_email": wave.contact_email,
        "year": wave.year,
    }
    return posted | changes


def test_staff_keep_an_open_wave_open_a_week_longer_and_reminders_say_so(
    ashg, staff, client_for
):
    wave = make_wave(ashg, slug="ashg-pulse")
    later = wave.closes_on + datetime.timedelta(days=7)
    client = client_for(staff)
    response = client.post(
        "/organizations/ashg/surveys/ashg-pulse/settings/",
        settings_posted(wave, closes_on=later.isoformat()),
        follow=True,
    )
    assert response.redirect_chain == [("/organizations/ashg/surveys/ashg-pulse/", 302)]
    assert "Saved: the closing date of Climate pulse 2025." in response.content.decode()
    wave.refresh_from_db()
    assert wave.closes_on == later
    preview = client.get("/organizations/ashg/surveys/ashg-pulse/emails/reminder/")
    assert f"closes on {later:%-d %B %Y}" in preview.content.decode()


def test_a_note_for_the_reminders_is_written_on_the_settings_and_shown_in_the_preview(
    ashg, staff, client_for
):
    wave = make_wave(ashg, slug="ashg-pulse")
    client = client_for(staff)
    note = "Half of our members have answered.\n\nThank you, the ASHG Board"
    response = client.post(
        "/organizations/ashg/surveys/ashg-pulse/settings/",
        settings_posted(wave, reminder_note=note),
        follow=True,
    )
    assert "Saved: the reminder&#x27;s note of Climate pulse 2025." in response.content.decode()
    preview = client.get("/organizations/ashg/surveys/ashg-pulse/emails/reminder/")
    assert "Half of our members have answered." in preview.context["message"].text
    invitation = client.get("/organizations/ashg/surveys/ashg-pulse/emails/invitation/")
    assert "Half of our members" not in invitation.context["message"].text
    too_long = client.post(
        "/organizations/ashg/surveys/ashg-pulse/settings/",
        settings_posted(wave, invitation_note="x" * 2001),
    )
    assert "at most 2000 characters" in too_long.context["form"].errors["invitation_note"][0]


def test_an_open_waves_settings_show_what_members_agreed_to_as_fixed_and_why(
    ashg, staff, client_for
):
    wave = make_wave(ashg, slug="ashg-pulse")
    client = client_for(staff)
    page = client.get("/organizations/ashg/surveys/ashg-pulse/settings/").content.decode()
    assert re.search(r"<textarea[^>]*\bdisabled\b[^>]*>\s*We ask about your career", page)
    assert "Can no longer change: members have agreed to it as it reads." in page
    assert re.search(r'<input type="text" name="name"(?![^>]*disabled)[^>]*>', page)
    # A browser posts no disabled field; a crafted post of one changes nothing.
    client.post(
        "/organizations/ashg/surveys/ashg-pulse/settings/",
        settings_posted(wave, consent_text="Another promise.", mode="confidential"),
    )
    wave.refresh_from_db()
    assert (wave.consent_text.startswith("We ask"), wave.mode) == (True, "anonymous")


def test_a_closing_day_that_has_passed_is_refused_next_to_the_field(ashg, staff, client_for):
    wave = make_wave(ashg, slug="ashg-pulse")
    closes_on = wave.closes_on
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client_for(staff).post(
        "/organizations/ashg/surveys/ashg-pulse/settings/",
        settings_posted(wave, closes_on=yesterday.isoformat(), name="Renamed"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "has passed; to stop the wave taking answers, close it" in errors["closes_on"][0]
    wave.refresh_from_db()
    assert (wave.name, wave.closes_on) == ("Climate pulse 2025", closes_on)


def test_every_setting_of_a_draft_changes_and_unchanged_ones_say_so(ashg, staff, client_for):
    from workforce.platform.actions.surveys import do_add_instrument

    wave = make_wave(ashg, slug="ashg-pulse", opened=False)
    newer = do_add_instrument(build_instrument("2"), acting_user=staff)
    client = client_for(staff)
    url = "/organizations/ashg/surveys/ashg-pulse/settings/"
    page = client.get(url).content.decode()
    assert " disabled" not in page
    response = client.post(
        url,
        settings_posted(
            wave, instrument=newer.pk, mode="confidential", consent_text="Revised.", year=2024
        ),
        follow=True,
    )
    assert (
        "Saved: the questionnaire, mode, consent text and year of Climate pulse 2025."
        in response.content.decode()
    )
    wave.refresh_from_db()
    assert (wave.instrument, wave.mode, wave.consent_text, wave.year) == (
        newer,
        "confidential",
        "Revised.",
        2024,
    )
    response = client.post(url, settings_posted(wave), follow=True)
    assert "Nothing was changed." in response.content.decode()


DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.parametrize(("person", "org", "expected"), MANAGE_STEP, ids=ids(MANAGE_STEP))
def test_scheduling_reminders(person, org, expected, people, waves, client_for, settings):
    settings.TASKS = DATABASE_QUEUE
    on = timezone.localdate() + datetime.timedelta(days=7)
    url = f"/organizations/{org}/surveys/{org}-pulse/reminders/schedule/"
    assert_answer(client_for(people[person]).post(url, {"on": on.isoformat()}), expected)
    planned = Mailing.objects.filter(wave__slug=f"{org}-pulse", status="scheduled").exists()
    assert planned == (expected == "302")


def test_staff_plan_reminders_for_a_later_day_and_cancel_them(
    ashg, staff, ashg_steward, client_for, settings
):
    wave = make_wave(ashg, slug="ashg-pulse")
    load_members(wave, 2)
    settings.TASKS = DATABASE_QUEUE
    client = client_for(staff)
    url = "/organizations/ashg/surveys/ashg-pulse/"
    page = client.get(url)
    # Proposed: two weeks after the wave opened (yesterday), as member surveys space them,
    # on a working day.
    proposed = working_day(
        timezone.localdate() + datetime.timedelta(days=13),
        earliest=timezone.localdate(),
        latest=wave.closes_on,
    )
    assert page.context["schedule_form"]["on"].initial == proposed
    response = client.post(url + "reminders/schedule/", {"on": proposed.isoformat()}, follow=True)
    body = response.content.decode()
    assert f"Reminders will go out on {proposed:%-d %B %Y}" in body
    assert f"{proposed:%-d %B %Y}, 09:00 UTC</time>: to the members who have not finished" in body
    assert f"Cancel<span class=\"visually-hidden\"> the reminders of {proposed:%-d %B %Y}" in body
    # A steward following the wave sees what is planned, and changes nothing.
    steward_page = client_for(ashg_steward).get(url).content.decode()
    assert f"{proposed:%-d %B %Y}, 09:00 UTC" in steward_page
    assert "reminders/schedule/" not in steward_page and "/cancel/" not in steward_page

    again = client.post(url + "reminders/schedule/", {"on": proposed.isoformat()})
    assert again.status_code == 400
    assert "Reminders are already scheduled on" in again.context["schedule_form"].errors["on"][0]

    mailing = Mailing.objects.get(status="scheduled")
    cancelled = client.post(url + f"mailings/{mailing.pk}/cancel/", follow=True)
    assert f"The reminders of {proposed:%-d %B %Y} are cancelled." in cancelled.content.decode()
    mailing.refresh_from_db()
    assert mailing.status == "cancelled"


def test_mailings_left_waiting_past_their_time_ask_whether_the_task_worker_runs(
    ashg, staff, client_for
):
    wave = make_wave(ashg, slug="ashg-pulse")
    now = timezone.now()
    Mailing.objects.create(wave=wave, kind="invitations", status="queued", total=3)
    url = "/organizations/ashg/surveys/ashg-pulse/"
    assert "Is the task worker" not in client_for(staff).get(url).content.decode()
    # Queued half an hour ago, and a reminder due an hour ago: nothing has taken them.
    Mailing.objects.update(created_at=now - datetime.timedelta(minutes=30))
    Mailing.objects.create(
        wave=wave,
        kind="reminders",
        status="scheduled",
        send_after=now - datetime.timedelta(hours=1),
    )
    page = client_for(staff).get(url).content.decode()
    assert page.count("Is the task worker (<span class=\"code\">workforce manage db_worker") == 2
    assert "Not sent yet, 30\xa0minutes after its time." in page
    assert "Not sent yet, 1\xa0hour after its time." in page


def test_where_no_task_worker_runs_the_page_says_reminders_cannot_be_planned(
    ashg, staff, client_for
):
    make_wave(ashg, slug="ashg-pulse")
    page = client_for(staff).get("/organizations/ashg/surveys/ashg-pulse/").content.decode()
    assert "Reminders can be planned for a later day where the platform's task worker runs" in page
    assert "reminders/schedule/" not in page


def test_a_frame_upload_lists_every_row_not_added(ashg, staff, client_for):
    wave = make_wave(ashg, slug="ashg-pulse")
    upload = SimpleUploadedFile(
        "members.csv", b"member_id,email\nm1,a@members.example\nm2,not-an-address\n"
    )
    response = client_for(staff).post(
        "/organizations/ashg/surveys/ashg-pulse/frame/", {"file": upload}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<caption>Rows of the frame file that were not added</caption>" in body
    assert '<th scope="row" class="num">3</th><td>email</td><td><code>not-an-address</code>' in body
    assert wave.frame.count() == 1


def test_the_send_button_sends_and_the_page_shows_the_progress(ashg, staff, client_for, mailoutbox):
    wave = make_wave(ashg, slug="ashg-pulse")
    load_members(wave, 7)
    client = client_for(staff)
    response = client.post("/organizations/ashg/surveys/ashg-pulse/invitations/", follow=True)
    assert len(mailoutbox) == 7
    body = response.content.decode()
    assert "Sending 7 invitations" in body
    assert "7 sent, of 7" in body and 'max="7" value="7"' in body
    assert Mailing.objects.get().status == "done"


@pytest.mark.parametrize(("person", "org", "expected"), MANAGE_STEP, ids=ids(MANAGE_STEP))
def test_recording_bounces(person, org, expected, people, waves, client_for, mailoutbox):
    wave = waves[org]
    load_members(wave, 2)
    invite(wave, mailoutbox)
    upload = SimpleUploadedFile("bounced.txt", b"member00001@members.example\n")
    url = f"/organizations/{org}/surveys/{org}-pulse/bounces/"
    assert_answer(client_for(people[person]).post(url, {"file": upload}), expected)
    bounced = wave.invitations.filter(status="bounced").count()
    assert bounced == (1 if expected == "302" else 0)


def test_bounces_reported_later_are_recorded_for_this_wave_and_what_is_not_taken_is_listed(
    ashg, nsgc, staff, client_for, mailoutbox
):
    wave = make_wave(ashg, slug="ashg-pulse")
    elsewhere = make_wave(nsgc, slug="nsgc-pulse")
    for each in (wave, elsewhere):
        load_members(each, 3)
        invite(each, mailoutbox)
    client = client_for(staff)
    page = client.get("/organizations/ashg/surveys/ashg-pulse/").content.decode()
    assert "Bounces reported later" in page and "Record bounces" in page

    upload = SimpleUploadedFile(
        "bounces.csv",
        b"email,type\nMember00002@members.example,Permanent\nnobody@members.example,Permanent\n"
        b"Grace Hopper,Permanent\n",
    )
    response = client.post("/organizations/ashg/surveys/ashg-pulse/bounces/", {"file": upload})
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "bounces.csv: 2 bounced addresses; 1 invitation of this wave marked bounced; 1 matched "
        "no unfinished invitation here. They get no reminders."
    ) in body
    assert "<caption>Lines and messages of bounces.csv not taken</caption>" in body
    assert '<th scope="row">row 4</th><td><code>Grace Hopper</code></td>' in body
    bounced = wave.invitations.filter(status="bounced")
    assert [i.member.email for i in bounced] == ["member00002@members.example"]
    assert not elsewhere.invitations.filter(status="bounced").exists()  # only this wave's


def test_a_bounce_file_that_cannot_be_read_is_refused_with_the_reason(
    ashg, staff, client_for, mailoutbox
):
    wave = make_wave(ashg, slug="ashg-pulse")
    load_members(wave, 1)
    invite(wave, mailoutbox)
    upload = SimpleUploadedFile("export.csv", b"name,when\nGrace,today\n")
    response = client_for(staff).post(
        "/organizations/ashg/surveys/ashg-pulse/bounces/", {"file": upload}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "No bounce was recorded." in body
    assert "export.csv, row 1: no column for the address" in body


def test_a_broken_workbook_is_refused_with_its_problems(staff, consortium, client_for):
    upload = SimpleUploadedFile("broken.xlsx", b"this is not a workbook")
    response = client_for(staff).post(
        "/organizations/consortium/surveys/instruments/", {"file": upload}
    )
    assert response.status_code == 400
    assert "broken.xlsx was not imported" in response.content.decode()
    assert not Instrument.objects.exists()


def test_an_analyst_requests_an_export_and_downloads_it(ashg, ashg_analyst, client_for):
    wave = make_wave(ashg, slug="ashg-pulse")
    submit_synthetic_response(wave, ANSWERS)
    client = client_for(ashg_analyst)
    response = client.post(
        "/organizations/ashg/surveys/ashg-pulse/exports/", {"format": "csv"}, follow=True
    )
    export = Export.objects.get()
    assert export.status == "done" and not export.identified
    assert f"exports/{export.pk}/download/" in response.content.decode()
    assert export.file.parent.name == "ashg-pulse"
    assert export.file.parent.parent.name == "exports"


def test_an_open_link_is_shown_once_and_then_only_its_hash_is_kept(ashg, staff, client_for):
    from workforce.platform.actions.surveys import enter_open_link

    wave = make_wave(ashg, slug="ashg-pulse")
    client = client_for(staff)
    body = client.post("/organizations/ashg/surveys/ashg-pulse/open-link/").content.decode()
    [key] = re.findall(r"/survey/ashg-pulse/open/([A-Za-z0-9_-]+)/", body)
    assert enter_open_link("ashg-pulse", key).wave == wave
    wave.refresh_from_db()
    assert key not in wave.open_link_hash
    assert key not in client.get("/organizations/ashg/surveys/ashg-pulse/").content.decode()


def test_a_draft_wave_offers_opening_it_and_no_sending(ashg, staff, client_for):
    make_wave(ashg, slug="ashg-draft", opened=False, mode="confidential")
    client = client_for(staff)
    body = client.get("/organizations/ashg/surveys/ashg-draft/").content.decode()
    assert '<button type="submit" class="button">Open the wave</button>' in body
    assert "Send invitations" not in body
    assert "open link" not in body.lower()  # a confidential wave has none
    response = client.post("/organizations/ashg/surveys/ashg-draft/open/", follow=True)
    assert "ashg-draft" in response.redirect_chain[-1][0]
    assert Wave.objects.get(slug="ashg-draft").status == "open"
    assert "Send invitations" in response.content.decode()


def test_the_organization_page_leads_to_its_surveys(ashg, staff, ashg_steward, client_for):
    make_wave(ashg)
    as_staff = client_for(staff).get(f"/organizations/{ashg.code}/").content.decode()
    assert "1 survey wave." in as_staff
    assert f'href="/organizations/{ashg.code}/surveys/"' in as_staff
    assert f'href="/organizations/{ashg.code}/surveys/new/"' in as_staff
    # A steward follows the waves but does not create them.
    as_steward = client_for(ashg_steward).get(f"/organizations/{ashg.code}/").content.decode()
    assert f'href="/organizations/{ashg.code}/surveys/"' in as_steward
    assert f'href="/organizations/{ashg.code}/surveys/new/"' not in as_steward


def test_staff_import_the_standard_modules_with_one_button(consortium, staff, client_for):
    browser = client_for(staff)
    page = browser.get(f"/organizations/{consortium.code}/surveys/instruments/").content.decode()
    assert "Import the standard modules" in page
    response = browser.post(
        f"/organizations/{consortium.code}/surveys/instruments/", {"standard_modules": "1"}
    )
    assert response.status_code == 302
    stored = Instrument.objects.get(form_id="consortium_member_survey")
    assert len(stored.load().pages) == 21
    listed = browser.get(response["Location"]).content.decode()
    assert "Imported Consortium member survey" in listed


@pytest.mark.parametrize(
    ("day", "earliest", "latest", "expected"),
    [
        ("2026-12-09", "2026-12-07", "2026-12-31", "2026-12-09"),  # a Wednesday stays
        ("2026-12-12", "2026-12-07", "2026-12-31", "2026-12-14"),  # Saturday → Monday
        ("2026-12-13", "2026-12-07", "2026-12-31", "2026-12-14"),  # Sunday → Monday
        ("2026-12-13", "2026-12-07", "2026-12-13", "2026-12-11"),  # closing Sunday → Friday
        ("2026-12-13", "2026-12-12", "2026-12-13", "2026-12-13"),  # no working day left
    ],
)
def test_a_reminder_is_proposed_on_a_working_day_within_the_wave(day, earliest, latest, expected):
    date = datetime.date.fromisoformat
    assert working_day(date(day), earliest=date(earliest), latest=date(latest)) == date(expected)
