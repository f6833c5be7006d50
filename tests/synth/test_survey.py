"""The survey: a frame like the 2022 recipients, a biased 32.5% response, a climate gap."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from workforce.synth import codes
from workforce.synth.comments import CLOSINGS, PLACE_BY_SECTOR, THEMES
from workforce.synth.profiles import load_profiles

TARGETS = load_profiles()["consortium_targets"]
EXAMPLE_DOMAIN = re.compile(r"^[a-z0-9.]+@([a-z0-9-]+\.)*example\.(org|com|net)$")


@pytest.fixture(scope="module")
def frame(full) -> pd.DataFrame:
    return full.csv("survey/frame.csv")


@pytest.fixture(scope="module")
def responses(full) -> pd.DataFrame:
    return full.csv("survey/responses.csv")


def response_rate_by(frame, responses, column: str) -> pd.Series:
    return responses[column].value_counts() / frame[column].value_counts()


def test_frame_is_about_the_size_of_the_2022_recipient_list(frame):
    assert len(frame) == pytest.approx(TARGETS["survey_recipients"], rel=0.03)
    assert frame["frame_id"].is_unique
    assert frame["email"].is_unique


def test_response_rate_follows_the_2022_survey(frame, responses):
    assert len(responses) / len(frame) == pytest.approx(TARGETS["response_rate"], abs=0.02)


def test_students_respond_more_than_industry_staff(frame, responses):
    by_stage = response_rate_by(frame, responses, "career_stage")
    by_sector = response_rate_by(frame, responses, "sector")
    assert by_stage["student"] > by_sector["industry"] + 0.1
    assert by_stage["student"] > by_stage["senior"]


def test_respondents_over_represent_students_relative_to_the_frame(frame, responses):
    in_frame = (frame["career_stage"] == "student").mean()
    among_respondents = (responses["career_stage"] == "student").mean()
    assert among_respondents > 1.2 * in_frame
    assert (responses["sector"] == "industry").mean() < 0.85 * (
        frame["sector"] == "industry"
    ).mean()


def test_nsgc_members_respond_more_than_acmg_members(frame, responses):
    by_org = response_rate_by(frame, responses, "org")
    assert by_org["nsgc"] > by_org["ashg"] > by_org["acmg"]


def test_responses_cannot_be_linked_to_the_frame(frame, responses):
    assert "email" not in responses.columns
    assert "frame_id" not in responses.columns
    assert responses["response_id"].is_unique
    assert responses["response_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert not set(responses["response_id"]) & set(frame["frame_id"])
    assert list(responses["submitted_on"]) == sorted(responses["submitted_on"])


def test_submissions_fall_within_a_seven_week_window(responses):
    dates = pd.to_datetime(responses["submitted_on"], format="%Y-%m-%d")
    assert dates.min() == pd.Timestamp(2025, 3, 3)
    assert (dates.max() - dates.min()) < pd.Timedelta(days=49)
    first_week = (dates < dates.min() + dt.timedelta(days=7)).mean()
    assert 0.3 < first_week < 0.7  # a burst at opening, then reminders


def test_respondents_report_full_standard_attributes(responses):
    assert (responses["race_ethnicity_detail"] != "").any()
    assert (responses["citizenship"] == "us_citizen").mean() > 0.6
    for column in ("gender", "sexual_orientation", "wg_seeing", "dis_first_gen", "citizenship"):
        assert (responses[column] == "declined").any(), column
        assert not (responses[column] == "unknown").any(), column


def test_climate_items_use_a_five_point_scale_with_a_few_declines(responses):
    for item in (
        "climate_belonging",
        "climate_respect",
        "climate_fairness",
        "climate_voice",
        "intent_to_stay",
    ):
        values = responses[item]
        assert set(values) == {"1", "2", "3", "4", "5", "declined"}, item
        assert 0.005 < (values == "declined").mean() < 0.06


def score(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def test_women_and_lgbtq_respondents_report_a_colder_climate(responses):
    belonging = score(responses["climate_belonging"])
    women, men = responses["gender"] == "woman", responses["gender"] == "man"
    assert belonging[women].mean() < belonging[men].mean() - 0.1
    lgbtq = responses["sexual_orientation"].isin(["gay_lesbian", "bisexual", "another"])
    straight = responses["sexual_orientation"] == "straight"
    assert belonging[lgbtq].mean() < belonging[straight].mean() - 0.1


def test_harassment_is_reported_more_by_women_urm_and_trainees(responses):
    experienced = responses["hx_sexist_remarks"].isin(["once", "sometimes", "often"])
    women, men = responses["gender"] == "woman", responses["gender"] == "man"
    assert experienced[women].mean() > experienced[men].mean() + 0.05
    urm = responses["race_ethnicity"].str.contains("black|hispanic|aian|nhpi")
    white = responses["race_ethnicity"] == "white"
    assert experienced[urm].mean() > experienced[white].mean()
    trainee = responses["career_stage"] == "trainee"
    mid = responses["career_stage"] == "mid"
    assert experienced[trainee].mean() > experienced[mid].mean()
    for item in ("hx_sexist_remarks", "hx_unwanted_attention", "hx_coercion", "hx_exclusion"):
        assert set(responses[item]) <= {"never", "once", "sometimes", "often", "declined"}
    coercion = responses["hx_coercion"].isin(["once", "sometimes", "often"]).mean()
    assert coercion < experienced.mean() / 4


def test_about_one_in_five_respondents_leave_a_comment(full, responses):
    written = responses["comment"] != ""
    assert 0.15 < written.mean() < 0.25
    themes = full.csv("truth/comment_themes.csv")
    assert list(themes["response_id"]) == list(responses.loc[written, "response_id"])
    assert set(themes["themes"].str.split(";").explode()) == set(THEMES)


def test_comments_are_built_only_from_synthetic_sentences(responses):
    sentences = {
        text.replace("{place}", place)
        for options in THEMES.values()
        for text in options
        for place in (*PLACE_BY_SECTOR.values(), "my workplace")
    } | {closing for closing in CLOSINGS if closing}
    for comment in responses.loc[responses["comment"] != "", "comment"]:
        remaining = comment
        while remaining:
            match = next((s for s in sentences if remaining.startswith(s)), None)
            assert match is not None, comment
            remaining = remaining[len(match) :].lstrip()


def test_harassment_comments_come_from_people_who_report_harassment(full, responses):
    themes = full.csv("truth/comment_themes.csv").set_index("response_id")["themes"]
    on_harassment = responses["response_id"].map(themes).fillna("").str.contains("harassment")
    harassed = (
        responses[["hx_sexist_remarks", "hx_unwanted_attention", "hx_exclusion"]]
        .isin(["sometimes", "often"])
        .any(axis=1)
    )
    assert harassed[on_harassment].mean() > harassed[responses["comment"] != ""].mean()


def test_all_email_addresses_use_reserved_example_domains(full, frame):
    assert frame["email"].str.match(EXAMPLE_DOMAIN).all()
    exported = (
        pd.concat([full.ashg()["Email"], full.nsgc()["Email Address"], full.acmg()[0]["email"]])
        .str.strip()
        .str.lower()
    )
    with_at = exported[exported.str.contains("@")]
    complete = with_at[~with_at.str.endswith("@") & with_at.str.contains(r"\.")]
    assert complete.str.match(EXAMPLE_DOMAIN).all()


def test_codebook_describes_every_column_of_the_frame_and_responses(full, frame, responses):
    codebook = full.csv("survey/codebook.csv")
    assert list(codebook.columns) == ["file", "column", "label", "values"]
    described = codebook.groupby("file")["column"].apply(list)
    assert described["survey/frame.csv"] == list(frame.columns)
    assert described["survey/responses.csv"] == list(responses.columns)
    assert (codebook["label"] != "").all() and (codebook["values"] != "").all()


def test_frame_carries_membership_attributes_in_standard_codes(frame):
    assert set(frame["org"]) == {"ashg", "nsgc", "acmg"}
    assert {"student", "trainee", "early", "mid", "senior", "retired", "unknown"} <= set(
        frame["career_stage"]
    )
    assert "genetic_counselor" in set(frame["role"])
    assert set(frame["gender"]) <= {"woman", "man", "nonbinary", "another", "declined", "unknown"}


def test_answers_use_only_standard_codes(responses):
    for column, allowed in codes.SINGLE_VALUED.items():
        if column not in responses.columns:
            continue
        values = set(responses[column]) - ({""} if column == "us_region" else set())
        assert values <= set(allowed), (column, values - set(allowed))
    races = set(responses["race_ethnicity"].str.split(";").explode())
    assert races <= set(codes.RACE_CODES) - {"asian_or_pi", "unknown"}


def test_each_respondent_is_a_frame_member_of_the_society_they_answered_for(full):
    respondents = full.csv("truth/survey_respondents.csv")
    responses = full.csv("survey/responses.csv")
    frame = full.csv("survey/frame.csv").set_index("frame_id")
    assert list(respondents["response_id"]) == list(responses["response_id"])
    assert respondents["frame_id"].is_unique
    assert respondents["frame_id"].isin(frame.index).all()
    society = frame.loc[respondents["frame_id"], "org"].to_numpy()
    assert (society == responses["org"].to_numpy()).all()
