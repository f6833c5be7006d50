"""The true populations: consortium margins of the 2022 survey, societies that differ, and
the correlations later stages rely on (stage and age, role and sector, the pipeline)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.synth import codes
from workforce.synth.profiles import load_profiles

TARGETS = load_profiles()["consortium_targets"]


def consortium(populations, column: str) -> np.ndarray:
    return np.concatenate([population[column] for population in populations.values()])


def share(values: np.ndarray, *codes_: str) -> float:
    return float(np.isin(values, codes_).mean())


def test_women_and_men_follow_the_2022_survey(populations):
    gender = consortium(populations, "gender")
    assert share(gender, "woman") == pytest.approx(TARGETS["women"], abs=0.02)
    assert share(gender, "man") == pytest.approx(TARGETS["men"], abs=0.02)
    transgender = consortium(populations, "transgender")
    gender_minority = np.isin(gender, ("nonbinary", "another")) | (transgender == "yes")
    assert gender_minority.mean() == pytest.approx(TARGETS["nonbinary_or_transgender"], abs=0.004)


def test_white_alone_follows_the_2022_survey(populations):
    race = codes.race_text(consortium(populations, "race_mask"))
    assert share(race, "white") == pytest.approx(TARGETS["white_alone"], abs=0.03)


def test_us_citizens_follow_the_2022_survey(populations):
    citizenship = consortium(populations, "citizenship")
    assert share(citizenship, "us_citizen") == pytest.approx(TARGETS["us_citizens"], abs=0.03)


def test_lgbtq_share_follows_the_2022_survey(populations):
    gender = consortium(populations, "gender")
    lgbtq = (
        np.isin(
            consortium(populations, "sexual_orientation"), ("gay_lesbian", "bisexual", "another")
        )
        | (consortium(populations, "transgender") == "yes")
        | np.isin(gender, ("nonbinary", "another"))
    )
    assert lgbtq.mean() == pytest.approx(TARGETS["lgbtq"], abs=0.015)


DIMENSIONS = (
    "career_stage",
    "role",
    "sector",
    "gender",
    "transgender",
    "intersex",
    "sexual_orientation",
    "citizenship",
    "age_band",
    *codes.WG_DOMAINS,
    *codes.DIS_ITEMS,
)


@pytest.mark.parametrize("column", DIMENSIONS)
def test_every_dimension_has_a_few_who_decline(populations, column):
    values = consortium(populations, column)
    assert 0.01 <= share(values, "declined") <= 0.07


def test_some_decline_race_and_ethnicity(populations):
    race = codes.race_text(consortium(populations, "race_mask"))
    assert 0.02 <= share(race, "declined") <= 0.06


def test_societies_differ_like_the_real_ones(populations):
    ashg, nsgc, acmg = populations["ashg"], populations["nsgc"], populations["acmg"]
    assert share(codes.race_text(nsgc["race_mask"]), "white") > 0.82
    assert share(nsgc["gender"], "woman") > 0.92
    assert share(nsgc["role"], "genetic_counselor") > 0.8
    assert share(ashg["role"], "researcher") > 0.5
    assert share(ashg["career_stage"], "student", "trainee") > 0.3
    assert share(acmg["role"], "clinician", "laboratory_professional") > 0.7
    abroad = {org: float((p["country"] != "US").mean()) for org, p in populations.items()}
    assert abroad["ashg"] > 2 * max(abroad["nsgc"], abroad["acmg"])


def test_career_stage_follows_age(populations):
    frame = pd.DataFrame(
        {"stage": consortium(populations, "career_stage"), "age": consortium(populations, "age")}
    )
    medians = frame.groupby("stage")["age"].median()
    order = ["student", "trainee", "early", "mid", "senior", "retired"]
    assert list(medians[order]) == sorted(medians[order])
    assert medians["student"] < 30 < medians["mid"] < medians["senior"] < medians["retired"]


def test_role_and_sector_go_together(populations):
    frame = pd.DataFrame(
        {"role": consortium(populations, "role"), "sector": consortium(populations, "sector")}
    )
    table = pd.crosstab(frame["role"], frame["sector"], normalize="index")
    assert table.loc["researcher", "academia"] > 0.6
    assert table.loc["genetic_counselor", "clinical"] > 0.4
    assert table.loc["laboratory_professional", "industry"] > table.loc["researcher", "industry"]
    assert table.loc["clinician", "clinical"] > table.loc["researcher", "clinical"] + 0.3


def test_students_are_more_diverse_than_seniors(populations):
    """The pipeline: fewer White and more women among students than among seniors."""
    for org in ("ashg", "acmg"):
        population = populations[org]
        stage = population["career_stage"]
        white = codes.race_text(population["race_mask"]) == "white"
        woman = population["gender"] == "woman"
        assert white[stage == "student"].mean() < white[stage == "senior"].mean() - 0.1
        assert woman[stage == "student"].mean() > woman[stage == "senior"].mean() + 0.1


def test_declines_cluster_in_the_same_people(populations):
    gender = consortium(populations, "gender")
    orientation = consortium(populations, "sexual_orientation")
    declined_gender = gender == "declined"
    assert (orientation[declined_gender] == "declined").mean() > 3 * (
        orientation == "declined"
    ).mean()


def test_race_details_only_under_their_category(populations):
    for population in populations.values():
        for parent in codes.DETAIL_PARENTS:
            has_detail = population[f"detail_{parent}"] >= 0
            assert codes.has_race(population["race_mask"][has_detail], parent).all()
