"""Invitations and reminders: one fresh link per e-mail, sent in batches, bounces recorded."""

from __future__ import annotations

import smtplib
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from test_survey_actions import (
    ANSWERS,
    frame_csv,
    invite,
    load_members,
    make_wave,
    tokens_by_email,
)

from workforce.platform.actions.surveys import (
    do_change_wave,
    do_load_frame,
    do_record_bounce,
    do_send_invitations,
    do_send_reminders,
    enter_with_token,
    opt_out,
    submit_synthetic_response,
)
from workforce.platform.surveys import tasks
from workforce.platform.surveys.models import (
    FrameMember,
    Invitation,
    InvitationToken,
    Mailing,
    hash_token,
)

pytestmark = pytest.mark.platform


@pytest.fixture
def wave(ashg):
    return make_wave(ashg)


def test_a_thousand_invitations_make_a_thousand_distinct_links_stored_only_as_hashes(
    wave, mailoutbox
):
    load_members(wave, 1000)
    mailing = do_send_invitations(wave, acting_user=None)
    assert (mailing.status, mailing.total, mailing.sent, mailing.failed) == ("done", 1000, 1000, 0)
    assert len(mailoutbox) == 1000
    tokens = tokens_by_email(mailoutbox)
    assert len(tokens) == 1000 and len(set(tokens.values())) == 1000
    stored = set(InvitationToken.objects.values_list("token_hash", flat=True))
    assert stored == {hash_token(token) for token in tokens.values()}
    assert not stored & set(tokens.values())  # the links themselves are nowhere
    # Every link opens the survey, for the member it was sent to.
    for email, token in tokens.items():
        assert InvitationToken.objects.get(
            token_hash=hash_token(token)
        ).invitation.member.email == (email)
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}
    assert enter_with_token(tokens["member00500@members.example"]).wave == wave


def test_an_invitation_says_what_when_and_whom_to_ask_in_text_and_html(wave, mailoutbox):
    load_members(wave, 1)
    [token] = invite(wave, mailoutbox).values()
    [message] = mailoutbox
    assert message.subject == "Invitation: Climate pulse 2025"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    closes = f"{wave.closes_on.day} {wave.closes_on:%B %Y}"
    for body in (message.body, html):
        assert f"http://testserver.invalid/s/{token}/" in body
        assert f"http://testserver.invalid/s/{token}/opt-out/" in body
        assert "We ask about your career and how welcome you feel." in body
        assert "More details." not in body  # only the first paragraph of the consent text
        assert closes in body
        assert "survey-team@consortium.example" in body
        assert "anonymous" in body
    assert message.reply_to == ["survey-team@consortium.example"]
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<http://testserver.invalid/s/{token}/opt-out/>"
    )


def test_the_societys_own_note_opens_its_invitations_and_another_its_reminders(wave, mailoutbox):
    do_change_wave(
        wave,
        invitation_note="Our members' voices shape our programs.\n\n"
        "Dr A. Example, President <ASHG>",
        reminder_note="Over a thousand members have answered; add your voice.",
        acting_user=None,
    )
    load_members(wave, 2)
    invite(wave, mailoutbox)
    [invitation, _] = mailoutbox
    [(html, _mimetype)] = invitation.alternatives
    greeting = "Dear member of the American Society of Human Genetics,"
    assert invitation.body.index(greeting) < invitation.body.index("Our members' voices")
    assert invitation.body.index("President <ASHG>") < invitation.body.index("You are invited")
    # In the HTML, the note is the society's plain text: its paragraphs kept, nothing markup.
    assert "<p>Our members&#x27; voices shape our programs.</p>" in html
    assert "<p>Dr A. Example, President &lt;ASHG&gt;</p>" in html
    assert "Over a thousand" not in invitation.body + html

    mailoutbox.clear()
    do_send_reminders(wave, acting_user=None)
    [reminder, _] = mailoutbox
    assert "Over a thousand members have answered; add your voice." in reminder.body
    assert "Our members' voices" not in reminder.body


def test_without_a_note_the_e_mail_goes_from_greeting_to_invitation(wave, mailoutbox):
    load_members(wave, 1)
    invite(wave, mailoutbox)
    [message] = mailoutbox
    assert "Genetics,\n\nYou are invited" in message.body


def test_a_mail_program_unsubscribes_in_one_click_as_rfc_8058_describes(wave, mailoutbox):
    load_members(wave, 1)
    invite(wave, mailoutbox)
    [message] = mailoutbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    address = message.extra_headers["List-Unsubscribe"].strip("<>")
    # The mail program's POST: that body, no cookie, no CSRF token, no page opened first.
    done = Client(enforce_csrf_checks=True).post(
        urlsplit(address).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert done.status_code == 200
    assert FrameMember.objects.get(wave=wave).opted_out


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.WORKFORCE_BASE_URL = "http://testserver.invalid"


def test_progress_is_recorded_after_every_batch(wave, mailoutbox, monkeypatch):
    load_members(wave, 450)
    seen = []
    send_batch = tasks._send_batch

    def recording(mailing, batch):
        result = send_batch(mailing, batch)
        seen.append(Mailing.objects.values_list("status", "sent").get(pk=mailing.pk))
        return result

    monkeypatch.setattr(tasks, "_send_batch", recording)
    do_send_invitations(wave, acting_user=None)
    assert seen == [("sending", 200), ("sending", 400), ("sending", 450)]


class RefusingBackend(EmailBackend):
    """The local outbox, except that the server refuses one address, as SMTP would."""

    refused = "member00002@members.example"

    def send_messages(self, messages):
        for message in messages:
            if self.refused in message.to:
                raise smtplib.SMTPRecipientsRefused({self.refused: (550, b"No such user")})
        return super().send_messages(messages)


def test_an_address_the_server_refuses_is_marked_bounced_and_the_rest_still_go(
    wave, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    load_members(wave, 3)
    mailing = do_send_invitations(wave, acting_user=None)
    assert (mailing.status, mailing.sent, mailing.failed) == ("done", 2, 1)
    assert sorted(message.to[0] for message in mailoutbox) == [
        "member00001@members.example",
        "member00003@members.example",
    ]
    statuses = dict(Invitation.objects.values_list("member__email", "status"))
    assert statuses["member00002@members.example"] == "bounced"


class BrokenServerBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_mail_server_that_fails_stops_the_mailing_and_says_why(wave, mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenServerBackend"
    load_members(wave, 3)
    mailing = do_send_invitations(wave, acting_user=None)
    assert mailing.status == "failed"
    assert "Connection unexpectedly closed" in mailing.error
    # Nobody is marked bounced for a fault of the server, and all can be invited again.
    assert set(Invitation.objects.values_list("status", flat=True)) == {"pending"}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert do_send_invitations(wave, acting_user=None).sent == 3


def test_sending_invitations_again_reaches_only_members_not_invited_yet(wave, mailoutbox):
    load_members(wave, 2)
    invite(wave, mailoutbox)
    do_load_frame(wave, frame_csv(1, start=3), filename="late.csv", acting_user=None)
    mailing = do_send_invitations(wave, acting_user=None)
    assert mailing.total == 1 and mailoutbox[-1].to == ["member00003@members.example"]
    with pytest.raises(ValidationError, match="invited already"):
        do_send_invitations(wave, acting_user=None)


def test_a_draft_wave_sends_nothing(ashg, mailoutbox):
    wave = make_wave(ashg, opened=False)
    load_members(wave, 2)
    with pytest.raises(ValidationError, match="only while a wave is open"):
        do_send_invitations(wave, acting_user=None)
    assert mailoutbox == [] and not Mailing.objects.exists()


def test_reminders_skip_members_done_opted_out_or_bounced_and_carry_fresh_links(wave, mailoutbox):
    load_members(wave, 5)
    tokens = invite(wave, mailoutbox)
    submit_synthetic_response(wave, ANSWERS, token=tokens["member00001@members.example"])
    opt_out(tokens["member00002@members.example"])
    assert do_record_bounce("Member00003@Members.example") == 1
    enter_with_token(tokens["member00004@members.example"])  # started, not finished
    mailoutbox.clear()
    mailing = do_send_reminders(wave, acting_user=None)
    assert mailing.total == 2
    assert sorted(message.to[0] for message in mailoutbox) == [
        "member00004@members.example",
        "member00005@members.example",
    ]
    assert all(
        message.subject.startswith("Reminder: Climate pulse 2025 closes on")
        for message in mailoutbox
    )
    fresh = tokens_by_email(mailoutbox)
    assert not set(fresh.values()) & set(tokens.values())
    reminded = Invitation.objects.get(member__email="member00004@members.example")
    assert (reminded.reminders, reminded.status) == (1, "started")
    assert reminded.last_reminded_on is not None


def test_nobody_to_remind_is_said_plainly(wave, mailoutbox):
    load_members(wave, 1)
    tokens = invite(wave, mailoutbox)
    opt_out(tokens["member00001@members.example"])
    with pytest.raises(ValidationError, match="Nobody is waiting for a reminder"):
        do_send_reminders(wave, acting_user=None)


def test_a_bounce_reported_later_leaves_finished_invitations_alone(wave, mailoutbox):
    load_members(wave, 2)
    tokens = invite(wave, mailoutbox)
    submit_synthetic_response(wave, ANSWERS, token=tokens["member00001@members.example"])
    assert do_record_bounce("member00001@members.example") == 0
    assert do_record_bounce("member00002@members.example") == 1
    assert do_record_bounce("nobody@members.example") == 0
    statuses = dict(Invitation.objects.values_list("member__email", "status"))
    assert statuses == {
        "member00001@members.example": "done",
        "member00002@members.example": "bounced",
    }


def test_opting_out_stops_further_mail(wave, mailoutbox):
    load_members(wave, 1)
    tokens = invite(wave, mailoutbox)
    opt_out(tokens["member00001@members.example"])
    assert wave.frame.get().opted_out
