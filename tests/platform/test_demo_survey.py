"""The demo's survey: a wave per society, answered by the synthetic respondents through their
e-mailed links, with one invitation left open for a person."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from workforce.platform.demo import ensure_organizations
from workforce.platform.surveys.demo import (
    DEMO_MEMBER,
    by_page,
    demo_instrument,
    load_demo_survey,
    synthetic_answers,
)
from workforce.platform.surveys.models import Invitation, Response, Wave
from workforce.survey.records import standard_record
from workforce.synth import generate

SYNTHETIC_ROW = {
    "response_id": "0cd71bfe3fbf87bf",
    "race_ethnicity": "hispanic;white",
    "race_ethnicity_detail": "hispanic.mexican;white.irish",
    "gender": "nonbinary",
    "transgender": "yes",
    "intersex": "unknown",
    "age_band": "35_44",
    "country": "US",
    "us_region": "midwest",
    "career_stage": "mid",
    "climate_belonging": "2",
    "climate_voice": "declined",
    "hx_sexist_remarks": "once",
    "comment": "More mentoring, please.",
}


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, scale=0.02, seed=11)
    return out


@pytest.fixture
def mail_files(settings, tmp_path) -> Path:
    """Mail written to files, as the demo sends it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = settings.WORKFORCE_MAIL_DIR = tmp_path / "mail"
    return tmp_path / "mail"


def quiet(step: str, done: int, total: int) -> None:
    pass


def test_synthetic_codes_become_answers_to_the_modules_questions():
    answers = synthetic_answers(SYNTHETIC_ROW, demo_instrument())
    assert answers["race_ethnicity"] == ["hispanic", "white"]
    assert answers["race_ethnicity_detail"] == ["hispanic.mexican", "white.irish"]
    assert answers["age"] == "40" and answers["us_state"] == "IL"
    assert answers["clim_belong_1"] == "disagree"
    assert answers["sexp_gh_1"] == "once_or_twice"
    assert answers["clim_comment"] == "More mentoring, please."
    # Unknown and declined-where-no-choice-exists stay unanswered.
    assert "intersex" not in answers and "clim_respect_2" not in answers


def test_the_answers_come_back_as_the_standard_record_they_were_drawn_as():
    instrument = demo_instrument()
    answers = synthetic_answers(SYNTHETIC_ROW, instrument)
    record = standard_record(instrument, answers, record_id="r1", source="s", org="ashg", year=2025)
    assert record["race_ethnicity"] == "hispanic;white"
    assert record["gender"] == "nonbinary" and record["transgender"] == "yes"
    assert record["age_band"] == "35_44" and record["us_region"] == "midwest"
    assert record["intersex"] == "unknown"


def test_every_answer_is_placed_on_the_page_that_asks_it():
    instrument = demo_instrument()
    pages = by_page(synthetic_answers(SYNTHETIC_ROW, instrument), instrument)
    for index, fields in pages.items():
        asked = {question.name for question in instrument.pages[index].questions}
        assert set(fields) <= asked


@pytest.mark.platform
def test_every_synthetic_response_is_answered_through_its_link_and_equals_its_record(
    db, synth_dir, mail_files, tmp_path
):
    ensure_organizations()
    responses = pd.read_csv(synth_dir / "survey" / "responses.csv", dtype=str)
    frame = pd.read_csv(synth_dir / "survey" / "frame.csv", dtype=str)

    survey = load_demo_survey(synth_dir, tmp_path / "out", quiet)

    assert [wave.slug for wave in survey.waves] == ["acmg-2025", "ashg-2025", "nsgc-2025"]
    assert sum(wave.invited for wave in survey.waves) == len(frame) + 1  # and the demo member
    assert sum(wave.answered for wave in survey.waves) == len(responses)
    assert survey.records_compared == survey.records_equal == len(responses)
    assert Response.objects.filter(status=Response.Status.COMPLETE).count() == len(responses)
    assert Invitation.objects.filter(status=Invitation.Status.DONE).count() == len(responses)
    # Anonymous waves: no response points back at its invitation.
    assert not Response.objects.filter(invitation__isnull=False).exists()
    for wave in survey.waves:
        assert len(pd.read_csv(wave.records)) == wave.answered


@pytest.mark.platform
def test_the_waves_weeks_are_replayed_e_mails_and_answers_on_their_days(
    db, synth_dir, mail_files, tmp_path
):
    from datetime import timedelta

    from django.utils import timezone

    from workforce.platform.surveys.monitoring import response_timeline
    from workforce.synth.profiles import load_profiles

    ensure_organizations()
    load_demo_survey(synth_dir, tmp_path / "out", quiet)

    schedule = load_profiles()["survey"]
    responses = pd.read_csv(synth_dir / "survey" / "responses.csv", dtype=str)
    first_day = pd.Timestamp(responses["submitted_on"].min())
    wave = Wave.objects.get(slug="ashg-2025")
    today = timezone.localdate()
    assert wave.opens_on == today - timedelta(weeks=schedule["window_weeks"])
    assert wave.opens_on < today < wave.closes_on  # still open for the demo's own link
    mailed = sorted(
        ((mailing.created_at.date() - wave.opens_on).days, mailing.kind)
        for mailing in wave.mailings.all()
    )
    reminders = [(day, "reminders") for day in schedule["reminders_days"]]
    assert mailed == [(0, "invitations"), *reminders]
    # Each response was completed on its synthetic day after opening.
    synthetic = responses[responses["org"] == "ashg"]["submitted_on"]
    expected = sorted(
        wave.opens_on + timedelta(days=(pd.Timestamp(day) - first_day).days) for day in synthetic
    )
    got = sorted(wave.responses.values_list("completed_on", flat=True))
    assert got == expected
    timeline = response_timeline(wave)
    assert timeline.drawable
    assert [d.mailed for d in timeline.days if d.mailed] == ["Invitations"] + ["Reminders"] * 3


@pytest.mark.platform
def test_one_invitation_is_left_open_for_a_person_to_try(db, synth_dir, mail_files, tmp_path):
    ensure_organizations()
    survey = load_demo_survey(synth_dir, tmp_path / "out", quiet)
    demo = Invitation.objects.get(member__email=DEMO_MEMBER[1])
    assert demo.status == Invitation.Status.SENT
    assert survey.open_link.startswith("http") and "/s/" in survey.open_link
    # The society's own note opens its e-mails, as a real wave's would.
    mails = [path.read_text() for path in Path(mail_files).iterdir()]
    assert any("The Board of Directors, American Society of Human Genetics" in m for m in mails)


@pytest.mark.platform
def test_running_the_demo_survey_again_answers_nothing_twice(db, synth_dir, mail_files, tmp_path):
    ensure_organizations()
    first = load_demo_survey(synth_dir, tmp_path / "out", quiet)
    # Mail files written in one instant share a time, and their order is then anyone's: the
    # demo member's newest link must not depend on it. The worst order: newest first.
    files = sorted(mail_files.glob("*.log"), key=lambda path: path.stat().st_mtime_ns)
    for rank, path in enumerate(reversed(files)):
        os.utime(path, ns=(1_700_000_000_000_000_000 + rank,) * 2)
    again = load_demo_survey(synth_dir, tmp_path / "out", quiet)
    assert Wave.objects.count() == 3
    answered = sum(wave.answered for wave in first.waves)
    assert Response.objects.count() == answered
    assert sum(wave.answered for wave in again.waves) == answered
    assert again.open_link == first.open_link
