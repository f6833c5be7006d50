"""Reminders planned for a later day: held by the task queue, sent on the day to whoever has
not finished by then, cancelled by staff or by the wave closing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from test_survey_actions import ANSWERS, invite, load_members, make_wave

from workforce.platform.actions.surveys import (
    do_cancel_mailing,
    do_change_wave,
    do_close_wave,
    do_schedule_reminders,
    submit_synthetic_response,
)
from workforce.platform.audit.models import AuditEvent
from workforce.platform.surveys.models import Mailing
from workforce.platform.surveys.monitoring import response_timeline
from workforce.platform.surveys.tasks import send_mailing

pytestmark = pytest.mark.platform

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def invited(ashg, mailoutbox, settings, monkeypatch):
    """An open wave whose three members were invited (at once), then the database queue on,
    as in production: a worker sends what the queue holds when its time comes."""
    wave = make_wave(ashg)
    load_members(wave, 3)
    tokens = invite(wave, mailoutbox)
    mailoutbox.clear()
    settings.TASKS = DATABASE_QUEUE
    # The worker drops connections it finds inside a transaction, as a test's connection is
    # (every test runs in one, rolled back after); its own work needs no other.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    return wave, tokens


def the_day_comes() -> None:
    """Every task the queue holds becomes due, and a worker runs them."""
    DBTaskResult.objects.update(run_after=timezone.now() - datetime.timedelta(seconds=1))
    call_command("db_worker", batch=True, interval=0, verbosity=0)


def test_reminders_go_out_on_their_day_to_those_not_finished_by_then(invited, mailoutbox):
    wave, tokens = invited
    mailing = do_schedule_reminders(wave, on=in_days(3), acting_user=None)
    assert mailing.status == "scheduled"
    assert mailing.send_after == datetime.datetime.combine(
        in_days(3), datetime.time(9), tzinfo=datetime.UTC
    )
    [held] = DBTaskResult.objects.all()
    assert (held.run_after, held.args_kwargs["args"]) == (mailing.send_after, [mailing.pk])
    assert mailoutbox == []
    # Not a day the timeline marks: nothing has gone out yet.
    assert [day.mailed for day in response_timeline(wave).days if day.mailed] == ["Invitations"]

    # Before the day, one member answers: the reminders are decided on the day, without her.
    submit_synthetic_response(wave, ANSWERS, token=tokens["member00001@members.example"])
    the_day_comes()

    assert sorted(message.to[0] for message in mailoutbox) == [
        "member00002@members.example",
        "member00003@members.example",
    ]
    mailing.refresh_from_db()
    assert (mailing.status, mailing.total, mailing.sent) == ("done", 2, 2)
    assert AuditEvent.objects.filter(verb="survey_reminders_scheduled").count() == 1


def test_a_cancelled_reminder_sends_nothing_when_its_day_comes(invited, mailoutbox):
    wave, _ = invited
    mailing = do_schedule_reminders(wave, on=in_days(3), acting_user=None)
    do_cancel_mailing(mailing, acting_user=None)
    the_day_comes()
    assert mailoutbox == []
    mailing.refresh_from_db()
    assert mailing.status == "cancelled"
    with pytest.raises(ValidationError, match="are cancelled, not waiting for their day"):
        do_cancel_mailing(mailing, acting_user=None)


def test_closing_the_wave_cancels_the_reminders_planned(invited, mailoutbox):
    wave, _ = invited
    mailing = do_schedule_reminders(wave, on=in_days(3), acting_user=None)
    do_close_wave(wave, acting_user=None)
    the_day_comes()
    assert mailoutbox == []
    mailing.refresh_from_db()
    assert (mailing.status, mailing.error) == ("cancelled", "The wave closed before their day.")


def test_a_wave_past_its_closing_day_on_the_day_sends_no_reminder(invited, mailoutbox):
    wave, _ = invited
    mailing = do_schedule_reminders(wave, on=in_days(3), acting_user=None)
    wave.closes_on = in_days(-1)  # as if the day had come after the wave's last one
    wave.save(update_fields=["closes_on"])
    the_day_comes()
    assert mailoutbox == []
    mailing.refresh_from_db()
    assert mailing.status == "cancelled"
    assert mailing.error == f"Climate pulse 2025 was not open on {timezone.localdate():%-d %B %Y}."


def test_reminders_wait_while_another_mailing_of_the_wave_goes_out(invited, mailoutbox):
    wave, _ = invited
    mailing = do_schedule_reminders(wave, on=in_days(3), acting_user=None)
    Mailing.objects.create(wave=wave, kind="invitations", status="sending", total=1)
    send_mailing.call(mailing.pk)
    mailing.refresh_from_db()
    assert mailing.status == "scheduled" and mailoutbox == []
    later = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert timezone.now() < later.run_after <= timezone.now() + datetime.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        (0, "is not ahead; to remind members today, send now"),
        (-2, "is not ahead"),
        (31, "would carry links that do not work"),
    ],
)
def test_a_day_not_ahead_or_outside_the_wave_is_refused(invited, days, reason):
    wave, _ = invited
    with pytest.raises(ValidationError) as error:
        do_schedule_reminders(wave, on=in_days(days), acting_user=None)
    assert reason in error.value.message_dict["on"][0]
    assert not Mailing.objects.filter(status="scheduled").exists()


def test_one_reminder_a_day(invited):
    wave, _ = invited
    do_schedule_reminders(wave, on=in_days(3), acting_user=None)
    with pytest.raises(ValidationError, match="already scheduled on"):
        do_schedule_reminders(wave, on=in_days(3), acting_user=None)


def test_without_a_task_worker_reminders_cannot_wait_for_a_day(ashg):
    wave = make_wave(ashg)  # tasks run at once here: nothing would send them later
    with pytest.raises(ValidationError, match="only where the task worker runs"):
        do_schedule_reminders(wave, on=in_days(3), acting_user=None)


def test_a_wave_cannot_close_before_the_reminders_planned_for_it(invited):
    wave, _ = invited
    do_schedule_reminders(wave, on=in_days(10), acting_user=None)
    with pytest.raises(ValidationError) as error:
        do_change_wave(wave, closes_on=in_days(7), acting_user=None)
    assert error.value.message_dict["closes_on"] == [
        f"Reminders are planned on {in_days(10):%-d %B}, after {in_days(7):%-d %B %Y}; "
        "cancel them first, or close later."
    ]
    assert do_change_wave(wave, closes_on=in_days(10), acting_user=None).closes_on == in_days(10)
