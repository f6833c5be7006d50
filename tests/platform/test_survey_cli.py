"""`workforce survey ...` as staff use it: import, create, open, invite, remind, export."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from django.utils import timezone
from typer.testing import CliRunner

from workforce.cli import app
from workforce.platform.actions.surveys import submit_synthetic_response
from workforce.platform.surveys.models import Instrument, Invitation, Mailing, Response, Wave
from workforce.survey.modules import module_path

pytestmark = pytest.mark.platform
runner = CliRunner()
SLUG = "climate-2026"


def workforce(*args: str):
    return runner.invoke(app, [*map(str, args)], catch_exceptions=False)


def said(result) -> str:
    """What the command printed, with the terminal's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture
def frame_csv(tmp_path) -> Path:
    path = tmp_path / "frame.csv"
    path.write_text(
        "member_id,email,career_stage,sector\n"
        "m1,ada@members.example,early,academic\n"
        "m2,grace@members.example,mid,industry\n"
        "m3,barbara@members.example,senior,clinical\n",
        encoding="utf-8",
    )
    return path


def create_and_open(frame: Path, tmp_path: Path):
    """ASHG's climate wave created from the command line with `frame`, then opened; the
    creation's result."""
    assert workforce("survey", "import", module_path("climate")).exit_code == 0
    consent = tmp_path / "consent.txt"
    consent.write_text("Your answers are anonymous.", encoding="utf-8")
    today = timezone.localdate()
    created = workforce(
        "survey", "wave", "create", SLUG, "--org", "ashg", "--form", "climate",
        "--opens", today, "--closes", today + datetime.timedelta(weeks=6),
        "--consent", consent, "--contact", "survey@ashg.example", "--frame", frame,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert workforce("survey", "wave", "open", SLUG).exit_code == 0
    return created


@pytest.fixture
def open_wave(ashg, frame_csv, tmp_path) -> Wave:
    created = create_and_open(frame_csv, tmp_path)
    assert "3 members added to the frame" in said(created)
    return Wave.objects.get(slug=SLUG)


def links(mailoutbox) -> dict[str, str]:
    return {
        message.to[0]: re.search(r"/s/([A-Za-z0-9_-]+)/", message.body).group(1)
        for message in mailoutbox
    }


def test_the_standard_modules_are_listed_with_their_workbooks():
    listed = workforce("survey", "modules").output
    for name in ("demographics", "climate", "harassment"):
        assert re.search(rf"^{name}\s+\S+{name}\.xlsx$", listed, re.M)


def test_the_standard_modules_import_as_one_instrument(db):
    imported = workforce("survey", "modules", "--import")
    assert imported.exit_code == 0, imported.output
    assert "Imported consortium_member_survey version demographics-" in said(imported)
    assert "21 pages" in said(imported)
    # Again: the same content is the same version, nothing new.
    assert workforce("survey", "modules", "--import").exit_code == 0
    assert Instrument.objects.filter(form_id="consortium_member_survey").count() == 1


def test_importing_a_module_says_what_it_holds(db):
    imported = workforce("survey", "import", module_path("climate"))
    assert imported.exit_code == 0
    assert "Imported climate version" in said(imported)
    assert "5 pages, 13 questions" in said(imported)


def test_a_form_with_an_unsupported_question_is_refused_with_its_row(db, tmp_path):
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "comment", "Anything else?"])
    survey.append(["geopoint", "where", "Where are you?"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append(["located", "1"])
    path = tmp_path / "located.xlsx"
    book.save(path)

    refused = runner.invoke(app, ["survey", "import", str(path)])

    assert refused.exit_code == 1
    assert "error: located.xlsx: survey sheet, row 3, column 'type', value 'geopoint'" in said(
        refused
    )


def test_invite_remind_and_export_in_every_format(open_wave, mailoutbox, tmp_path):
    invited = workforce("survey", "invite", SLUG)
    assert invited.exit_code == 0, invited.output
    assert f"{SLUG}: 3 invitations sent, 0 refused" in said(invited)
    tokens = links(mailoutbox)
    assert sorted(tokens) == [
        "ada@members.example",
        "barbara@members.example",
        "grace@members.example",
    ]

    submit_synthetic_response(
        open_wave, {0: {"clim_belong_1": "agree"}}, token=tokens["ada@members.example"]
    )
    assert Invitation.objects.filter(status=Invitation.Status.DONE).count() == 1

    mailoutbox.clear()
    reminded = workforce("survey", "remind", SLUG)
    assert reminded.exit_code == 0, reminded.output
    assert f"{SLUG}: 2 reminders sent" in said(reminded)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "barbara@members.example",
        "grace@members.example",
    ]

    status = workforce("survey", "wave", "status", SLUG).output
    assert "overall" in status and "by career stage" in status
    # Groups read as the web page reads them: the standard's labels, not its codes.
    assert "Early career" in status and "Mid career" in status and "│ early" not in status

    written = {}
    for format in ("csv", "xlsx", "sav", "dta", "records"):
        out = tmp_path / f"export.{format}"
        exported = workforce("survey", "export", SLUG, "--format", format, "--out", out)
        assert exported.exit_code == 0, exported.output
        # A long path may be wrapped anywhere by the terminal: compare without spaces.
        assert f"Wrote1rowto{out}" in "".join(exported.output.split())
        written[format] = out
    assert pd.read_csv(written["csv"], dtype=str)["clim_belong_1"].tolist() == ["agree"]
    data, meta = pyreadstat.read_sav(written["sav"])
    assert meta.column_names_to_labels["clim_belong_1"]
    assert len(data) == 1 == len(pd.read_stata(written["dta"], convert_categoricals=False))
    assert len(pd.read_excel(written["xlsx"], engine="calamine")) == 1
    assert Response.objects.count() == 1


def test_bounces_reported_later_stop_the_reminders_to_those_addresses(
    open_wave, mailoutbox, tmp_path
):
    assert workforce("survey", "invite", SLUG).exit_code == 0
    tokens = links(mailoutbox)
    submit_synthetic_response(
        open_wave, {0: {"clim_belong_1": "agree"}}, token=tokens["ada@members.example"]
    )
    # The mail service's export: one address bounced, one answered since, one never invited.
    export = tmp_path / "bounces.csv"
    export.write_text(
        "email,type\nGrace@Members.example,Permanent\nada@members.example,Permanent\n"
        "nobody@members.example,Permanent\nGrace Hopper,Permanent\n",
        encoding="utf-8",
    )
    result = workforce("survey", "bounces", export)
    assert result.exit_code == 0, result.output
    output = said(result)
    assert "bounces.csv: 3 bounced addresses; 1 invitation marked bounced" in output
    assert (
        "2 matched no unfinished invitation of a running wave (already answered, or not "
        "invited): ada@members.example, nobody@members.example"
    ) in output
    assert "bounces.csv, row 5: 'Grace Hopper' not taken: not an e-mail address" in output

    mailoutbox.clear()
    assert workforce("survey", "remind", SLUG).exit_code == 0
    assert [m.to[0] for m in mailoutbox] == ["barbara@members.example"]


def test_a_bounce_file_that_cannot_be_read_changes_nothing(open_wave, mailoutbox, tmp_path):
    assert workforce("survey", "invite", SLUG).exit_code == 0
    good = tmp_path / "good.txt"
    good.write_text("grace@members.example\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,when\nGrace,today\n", encoding="utf-8")
    result = runner.invoke(app, ["survey", "bounces", str(good), str(bad)])
    assert result.exit_code == 1
    assert "bad.csv, row 1: no column for the address" in said(result)
    assert not Invitation.objects.filter(status=Invitation.Status.BOUNCED).exists()


def test_an_unknown_wave_is_named_and_exits_non_zero(db):
    result = runner.invoke(app, ["survey", "invite", "no-such-wave"])
    assert result.exit_code == 1
    assert "no-such-wave" in result.output


def test_a_frame_row_without_an_address_is_reported_and_the_rest_kept(open_wave, tmp_path):
    more = tmp_path / "more.csv"
    more.write_text(
        "member_id,email,career_stage\nm4,,early\nm5,linus@members.example,student\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["survey", "wave", "frame", SLUG, str(more)])
    assert result.exit_code == 1
    assert "more.csv" in result.output and "email" in result.output
    assert "more.csv: 1 member added to the frame." in said(result)
    assert open_wave.frame.count() == 4


def test_the_e_mail_is_previewed_and_a_test_sent_to_one_address(open_wave, mailoutbox):
    shown = workforce("survey", "preview", SLUG, "--reminder")
    assert shown.exit_code == 0, shown.output
    assert "Subject: Reminder: climate-2026 closes on" in shown.output
    assert "/s/each-members-own-link/" in shown.output
    assert mailoutbox == []  # a preview sends nothing

    sent = workforce("survey", "preview", SLUG, "--send-to", "Lead@Consortium.example")
    assert sent.exit_code == 0, sent.output
    [message] = mailoutbox
    assert message.to == ["lead@consortium.example"]
    assert message.subject.startswith("[Test] Invitation:")
    assert Invitation.objects.filter(status="pending").count() == 3  # no member got anything

    wrong = workforce("survey", "preview", SLUG, "--send-to", "not an address")
    assert wrong.exit_code == 1
    assert "'not an address' is not an e-mail address" in said(wrong)


def test_a_mailing_sent_from_the_command_line_reports_each_batch(ashg, mailoutbox, tmp_path):
    from workforce.platform.surveys.operations import send
    from workforce.platform.surveys.tasks import BATCH_SIZE

    frame = tmp_path / "frame.csv"
    size = 2 * BATCH_SIZE + 50
    frame.write_text(
        "member_id,email\n" + "".join(f"m{i},m{i}@members.example\n" for i in range(size)),
        encoding="utf-8",
    )
    create_and_open(frame, tmp_path)
    seen = []

    mailing = send(SLUG, reminders=False, progress=lambda done, total: seen.append((done, total)))

    assert mailing.sent == size == len(mailoutbox)
    assert seen == [(BATCH_SIZE, size), (2 * BATCH_SIZE, size), (size, size)]


def test_an_open_wave_is_kept_open_longer_and_what_members_agreed_to_stays(open_wave, tmp_path):
    later = open_wave.closes_on + datetime.timedelta(weeks=1)
    extended = workforce(
        "survey", "wave", "change", SLUG, "--closes", later, "--name", "Climate 2026"
    )  # fmt: skip
    assert extended.exit_code == 0, extended.output
    assert f"{SLUG}: changed the name and closing date; open" in said(extended)
    open_wave.refresh_from_db()
    assert (open_wave.name, open_wave.closes_on) == ("Climate 2026", later)

    other = tmp_path / "other.txt"
    other.write_text("A different promise.", encoding="utf-8")
    refused = runner.invoke(app, ["survey", "wave", "change", SLUG, "--consent", str(other)])
    assert refused.exit_code == 1
    assert "The consent text can no longer change: members have agreed to it" in said(refused)
    open_wave.refresh_from_db()
    assert open_wave.consent_text == "Your answers are anonymous."


def test_changing_nothing_is_said(open_wave):
    assert runner.invoke(app, ["survey", "wave", "change", SLUG]).exit_code == 2
    same = workforce("survey", "wave", "change", SLUG, "--year", open_wave.year)
    assert "nothing changed; those are its settings already" in said(same)


def test_the_societys_note_opens_the_reminder_and_an_empty_file_takes_it_away(
    open_wave, tmp_path
):
    note = tmp_path / "note.txt"
    note.write_text("Every answer counts.\n\nThe ASHG Board\n", encoding="utf-8")
    noted = workforce("survey", "wave", "change", SLUG, "--reminder-note", note)
    assert "changed the reminder's note" in said(noted)
    preview = workforce("survey", "preview", SLUG, "--reminder")
    assert "Every answer counts. The ASHG Board" in said(preview)
    # The same file again is no change: the note is kept as the file has it, trimmed.
    again = workforce("survey", "wave", "change", SLUG, "--reminder-note", note)
    assert "nothing changed; those are its settings already" in said(again)
    note.write_text("", encoding="utf-8")
    workforce("survey", "wave", "change", SLUG, "--reminder-note", note)
    open_wave.refresh_from_db()
    assert open_wave.reminder_note == ""


def test_the_status_gives_the_responses_day_by_day_with_the_e_mail_days(open_wave, mailoutbox):
    assert workforce("survey", "invite", SLUG).exit_code == 0
    today = timezone.localdate()
    open_wave.opens_on = today - datetime.timedelta(days=2)
    open_wave.save(update_fields=["opens_on"])
    # Six answers through the open link: three the day before yesterday, three today.
    for ago in (2, 2, 2, 0, 0, 0):
        submit_synthetic_response(
            open_wave,
            {0: {"clim_belong_1": "agree"}},
            on=today - datetime.timedelta(days=ago),
        )
    brief = said(workforce("survey", "wave", "status", SLUG))
    assert f"6 completed responses by {today:%-d %B %Y}, added up day by day" in brief
    by_day = workforce("survey", "wave", "status", SLUG, "--by-day").output
    rows = [line.split("│")[1:4] for line in by_day.splitlines() if line.count("│") == 4]
    assert [[cell.strip() for cell in row] for row in rows] == [
        [(today - datetime.timedelta(days=2)).isoformat(), "<5", ""],
        [today.isoformat(), "6", "invitations"],
    ]


def test_reminders_are_planned_for_a_later_day_listed_and_cancelled(open_wave, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    day = timezone.localdate() + datetime.timedelta(days=14)
    planned = workforce("survey", "remind", SLUG, "--on", day)
    assert planned.exit_code == 0, planned.output
    assert f"reminders planned for {day:%-d %B %Y}, 09:00 UTC" in said(planned)
    assert f"Reminders planned: {day:%-d %B %Y} 09:00 UTC." in said(
        workforce("survey", "wave", "status", SLUG)
    )
    other = day + datetime.timedelta(days=1)
    wrong = runner.invoke(app, ["survey", "remind", SLUG, "--cancel", str(other)])
    assert wrong.exit_code == 1
    assert f"has no reminders planned on {other}; planned: {day}" in said(wrong)
    cancelled = workforce("survey", "remind", SLUG, "--cancel", day)
    assert f"the reminders of {day:%-d %B %Y} are cancelled" in said(cancelled)
    assert "Reminders planned" not in said(workforce("survey", "wave", "status", SLUG))


def test_the_status_warns_of_a_mailing_no_worker_has_taken(open_wave):
    Mailing.objects.create(
        wave=open_wave,
        kind="reminders",
        status="scheduled",
        send_after=timezone.now() - datetime.timedelta(hours=2),
    )
    status = said(workforce("survey", "wave", "status", SLUG))
    assert "reminders of" in status
    assert "not sent yet; is the task worker (`workforce manage db_worker`) running?" in status
