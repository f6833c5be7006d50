"""Weighting responses to their invitation frame: margins, blanks, errors, and the payoff.

The last tests run the synthetic generator, whose respondents are biased on purpose, and
check that weighting brings the shares closer to the known truth of the whole frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.stats.errors import StatsError
from workforce.stats.estimates import proportion
from workforce.stats.frame_weights import (
    margins_from_frame,
    pool_small_categories,
    raking_margins,
    weight_to_frame,
)


def small_frame() -> pd.DataFrame:
    """Twelve members: six students, six seniors; eight in academia, four in industry."""
    return pd.DataFrame(
        {
            "career_stage": ["student"] * 6 + ["senior"] * 6,
            "sector": [
                "academia",
                "academia",
                "academia",
                "academia",
                "industry",
                "industry",
                "academia",
                "academia",
                "academia",
                "academia",
                "industry",
                "industry",
            ],
        }
    )


def small_responses() -> pd.DataFrame:
    """Six respondents, students over-represented."""
    return pd.DataFrame(
        {
            "career_stage": ["student", "student", "student", "student", "senior", "senior"],
            "sector": ["academia", "academia", "industry", "academia", "academia", "industry"],
            "answer": ["yes", "yes", "no", "yes", "no", "no"],
        }
    )


def achieved(design, variable: str) -> dict[str, float]:
    return {m.category: m.achieved for m in design.weighting.margins if m.variable == variable}


def test_margins_count_members_and_blanks_as_unknown():
    frame = small_frame()
    frame.loc[0, "sector"] = ""
    frame.loc[1, "sector"] = None
    frame.loc[2, "career_stage"] = "  "
    stage, sector = margins_from_frame(frame, ["career_stage", "sector"])
    assert dict(stage.totals) == {"senior": 6.0, "student": 5.0, "unknown": 1.0}
    assert dict(sector.totals) == {"academia": 6.0, "industry": 4.0, "unknown": 2.0}
    assert stage.total == sector.total == len(frame)


def test_margins_name_a_missing_column():
    with pytest.raises(StatsError, match="'gender'"):
        margins_from_frame(small_frame(), ["gender"])


def test_raked_weights_reach_the_frame_counts_and_are_inverse_response_propensities():
    frame, responses = small_frame(), small_responses()
    design = weight_to_frame(responses, frame, ["career_stage", "sector"])
    assert design.n == len(responses)
    # Each respondent is in a Poisson sample of the frame with probability 1 / raked weight.
    np.testing.assert_allclose(
        design.inclusion_probabilities, np.minimum(1, 1 / design.weights), rtol=1e-6
    )
    assert design.weighting.converged
    assert design.weights.sum() == pytest.approx(len(frame))
    assert achieved(design, "career_stage") == pytest.approx({"senior": 6.0, "student": 6.0})
    assert achieved(design, "sector") == pytest.approx({"academia": 8.0, "industry": 4.0})
    assert design.weighting.collapsed == ()
    # The share of an outcome moves away from the over-represented students' answer.
    weighted = proportion(design, "answer", "yes")[0].estimate
    assert weighted < (responses["answer"] == "yes").mean()


def test_frame_unknown_without_unknown_respondents_is_spread_and_reported():
    frame = small_frame()
    frame.loc[[0, 6, 7], "career_stage"] = ["", "unknown", "unknown"]
    _, margins, notes = raking_margins(small_responses(), frame, ["career_stage", "sector"])
    assert dict(margins[0].totals) == pytest.approx({"senior": 4 * 12 / 9, "student": 5 * 12 / 9})
    assert margins[0].total == pytest.approx(margins[1].total)
    design = weight_to_frame(small_responses(), frame, ["career_stage", "sector"])
    assert design.weights.sum() == pytest.approx(12.0)
    assert len(design.weighting.collapsed) == 1
    assert "career_stage: 3 frame members" in design.weighting.collapsed[0]
    assert "spread over the known categories" in design.weighting.collapsed[0]


def test_a_blank_response_is_raked_to_the_frames_unknown_members():
    frame = small_frame()
    frame.loc[[0, 11], "sector"] = ["", "unknown"]
    responses = small_responses()
    responses.loc[5, "sector"] = None
    design = weight_to_frame(responses, frame, ["career_stage", "sector"])
    assert design.n == len(responses)  # kept, not dropped
    assert design.data.loc[5, "sector"] == "unknown"
    assert achieved(design, "sector") == pytest.approx(
        {"academia": 7.0, "industry": 3.0, "unknown": 2.0}
    )
    assert design.weighting.collapsed == ()


def test_a_blank_response_without_unknown_frame_members_is_an_error():
    responses = small_responses()
    responses.loc[3, "sector"] = ""
    with pytest.raises(StatsError) as error:
        weight_to_frame(responses, small_frame(), ["career_stage", "sector"])
    message = str(error.value)
    assert "row 5" in message and "'sector'" in message
    assert "1 respondents have no sector" in message


def test_a_respondent_category_the_frame_lacks_is_named():
    responses = small_responses()
    responses.loc[2, "career_stage"] = "trainee"
    with pytest.raises(StatsError, match="career_stage = 'trainee'"):
        weight_to_frame(responses, small_frame(), ["career_stage", "sector"])


def test_a_frame_category_without_respondents_is_named():
    frame = small_frame()
    frame.loc[0, "career_stage"] = "retired"
    with pytest.raises(StatsError, match="career_stage = 'retired'"):
        weight_to_frame(small_responses(), frame, ["career_stage", "sector"])


def test_more_responses_than_frame_members_is_an_error():
    with pytest.raises(StatsError, match="cannot outnumber"):
        weight_to_frame(small_responses(), small_frame().head(3), ["career_stage"])


def test_pooling_merges_small_categories_on_both_sides_and_says_so():
    frame = small_frame()
    frame.loc[0, "career_stage"] = "retired"  # in the frame only
    responses = small_responses()
    responses.loc[0, "career_stage"] = "trainee"  # in the responses only
    pooled_responses, pooled_frame, notes = pool_small_categories(
        responses, frame, ["career_stage", "sector"], minimum=2
    )
    assert set(pooled_responses["career_stage"]) == {"retired+trainee", "student", "senior"}
    assert (pooled_frame["career_stage"] == "retired+trainee").sum() == 1
    assert notes == [
        "career_stage: retired, trainee pooled into 'retired+trainee' (fewer than 2 "
        "respondents, or no frame member, in retired, trainee)"
    ]
    design = weight_to_frame(
        pooled_responses, pooled_frame, ["career_stage", "sector"], notes=notes
    )
    assert achieved(design, "career_stage")["retired+trainee"] == pytest.approx(1.0)
    assert design.weighting.collapsed == tuple(notes)


def test_a_lone_small_category_is_left_alone_unless_it_lacks_a_side():
    frame = pd.concat([small_frame(), small_frame().head(4).assign(career_stage="mid")])
    responses = small_responses()
    responses.loc[4, "career_stage"] = "student"  # one senior respondent left: small but reachable
    pooled, _, notes = pool_small_categories(responses, frame, ["career_stage"], minimum=2)
    # senior stays; mid (no respondent) joins the smallest other category, senior.
    assert sorted(set(pooled["career_stage"])) == ["mid+senior", "student"]
    assert notes == [
        "career_stage: mid, senior pooled into 'mid+senior' (fewer than 2 respondents, or no "
        "frame member, in mid, senior)"
    ]
    responses = pd.concat([responses, responses.head(3).assign(career_stage="mid")])
    pooled, _, notes = pool_small_categories(responses, frame, ["career_stage"], minimum=2)
    assert sorted(set(pooled["career_stage"])) == ["mid", "senior", "student"]
    assert notes == []


# -- the synthetic consortium: biased respondents, known truth ---------------------------------


@pytest.fixture(scope="module")
def against_truth(tmp_path_factory):
    from workforce.demo import estimates_against_truth
    from workforce.synth import generate

    directory = tmp_path_factory.mktemp("synth_weighting")
    generate(directory, scale=1.0, seed=2025)
    return estimates_against_truth(directory)


def test_weighting_brings_the_raking_variables_closer_to_the_truth(against_truth):
    assert against_truth["weighting"]["converged"]
    raked = against_truth["raking_variable_shares"]
    assert raked["weighted_mean_distance_points"] < raked["unweighted_mean_distance_points"] / 3
    by_share = {(r["variable"], r["value"]): r for r in against_truth["shares"]}
    # Students answer far more than their share; weighting restores their share.
    student = by_share[("career_stage", "student")]
    assert student["unweighted"] - student["truth"] > 0.03
    assert abs(student["weighted"] - student["truth"]) < 0.005


def test_weighting_moves_items_that_go_with_response_towards_the_truth(against_truth):
    by_share = {(r["variable"], r["value"]): r for r in against_truth["shares"]}
    # Sexist remarks are reported more by women, students and trainees, who answer more often.
    share = by_share[("sexist_remarks_any", "yes")]
    assert share["unweighted_expected"] - share["truth"] > 0.005
    assert abs(share["weighted"] - share["truth"]) < abs(share["unweighted"] - share["truth"]) / 3
    # Every modelled item moves the way its nonresponse bias points, whatever the noise of the
    # answers (which may leave a weighted share further from the truth than the unweighted).
    for item in ("belonging_agree", "sexist_remarks_any", "exclusion_any"):
        share = by_share[(item, "yes")]
        bias = share["unweighted_expected"] - share["truth"]
        assert np.sign(share["weighted"] - share["unweighted"]) == -np.sign(bias)


def test_the_comparison_reports_how_often_answers_differ_from_records(against_truth):
    differ = against_truth["self_report_against_frame"]
    assert differ["org"]["differing"] == 0
    for variable in ("career_stage", "sector", "gender"):
        assert 0 < differ[variable]["share_differing"] < 0.05
