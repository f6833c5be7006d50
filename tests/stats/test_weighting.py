"""Raking respondents to the frame: margins reached, small groups kept, problems named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workforce.stats import StatsError, estimates, weighting
from workforce.stats.design import SurveyDesign


def respondents(seed: int = 1, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "stage": rng.choice(["student", "early", "mid", "senior"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "sector": rng.choice(["academic", "industry", "clinical"], n, p=[0.7, 0.1, 0.2]),
            "gender": rng.choice(["woman", "man", "nonbinary"], n, p=[0.6, 0.38, 0.02]),
            "y": rng.random(n),
        }
    )


FRAME = {
    "stage": {"student": 900.0, "early": 1500.0, "mid": 1800.0, "senior": 800.0},
    "sector": {"academic": 2500.0, "industry": 1700.0, "clinical": 800.0},
    "gender": {"woman": 2700.0, "man": 2240.0, "nonbinary": 60.0},
}


def margins(**overrides) -> list[weighting.Margin]:
    frame = {**FRAME, **overrides}
    return [weighting.Margin(variable, totals) for variable, totals in frame.items()]


def design(data=None) -> SurveyDesign:
    data = respondents() if data is None else data
    return SurveyDesign.from_frame(data, weights=np.full(len(data), 5000 / len(data)))


def test_raked_weights_reproduce_every_frame_total():
    raked = weighting.rake(design(), margins(), tolerance=1e-10)
    report = raked.weighting
    assert report.converged
    for check in report.margins:
        assert check.achieved == pytest.approx(check.target, rel=1e-9)
    assert raked.weights.sum() == pytest.approx(5000)


def test_the_smallest_group_keeps_its_own_category_and_frame_total():
    raked = weighting.rake(design(), margins(), tolerance=1e-10)
    nonbinary = [m for m in raked.weighting.margins if m.category == "nonbinary"]
    assert len(nonbinary) == 1
    assert nonbinary[0].achieved == pytest.approx(60.0)
    assert 0 < nonbinary[0].respondents < 30


def test_a_respondent_category_missing_from_the_margins_is_named():
    data = respondents()
    data.loc[7, "sector"] = "government"
    with pytest.raises(StatsError, match=r"row 9, column 'sector'.*'government'"):
        weighting.rake(design(data), margins())


def test_a_frame_category_without_respondents_is_an_error_not_a_silent_merge():
    frame_sector = {**FRAME["sector"], "clinical": 700.0, "government": 100.0}
    with pytest.raises(StatsError, match=r"'government'.*no respondent.*never merged"):
        weighting.rake(design(), margins(sector=frame_sector))


def test_merging_small_categories_happens_only_when_asked_and_is_recorded():
    data = respondents()
    frame_sector = {**FRAME["sector"], "clinical": 700.0, "government": 100.0}
    merged_data, merged_margins, note = weighting.collapse_categories(
        data, margins(sector=frame_sector), "sector", "clinical or government",
        ["clinical", "government"],
    )
    raked = weighting.rake(design(merged_data), merged_margins, tolerance=1e-10)
    assert raked.weighting.converged
    assert note == "sector: clinical, government merged into 'clinical or government'"
    assert {m.category for m in raked.weighting.margins if m.variable == "sector"} == {
        "academic", "industry", "clinical or government"}


def test_a_margin_total_of_zero_holding_respondents_is_an_error():
    with pytest.raises(StatsError, match=r"'nonbinary' has a frame total of zero"):
        weighting.rake(design(), margins(gender={**FRAME["gender"], "woman": 2760.0,
                                                "nonbinary": 0.0}))


def test_margins_counting_different_frames_are_inconsistent():
    with pytest.raises(StatsError, match=r"disagree.*stage = 5000.*gender = 4900"):
        weighting.rake(design(), margins(gender={**FRAME["gender"], "woman": 2600.0}))


def test_a_blank_raking_value_is_an_error_naming_the_row():
    data = respondents()
    data.loc[3, "gender"] = None
    with pytest.raises(StatsError, match=r"row 5, column 'gender': the value is blank"):
        weighting.rake(design(data), margins())


def test_raking_that_cannot_converge_in_time_says_so_instead_of_failing():
    raked = weighting.rake(design(), margins(), tolerance=1e-14, max_iterations=2)
    assert raked.weighting.converged is False
    assert raked.weighting.iterations == 2


def test_kish_design_effect_and_effective_sample_size():
    w = np.array([1.0, 1.0, 2.0, 4.0])
    assert weighting.kish_design_effect(w) == pytest.approx(4 * 22 / 64)
    assert weighting.effective_sample_size(w) == pytest.approx(64 / 22)
    assert weighting.kish_design_effect(np.ones(10)) == pytest.approx(1.0)


def test_trimming_caps_the_weights_and_keeps_the_margins():
    data = respondents()
    raked = weighting.rake(design(data), margins(), tolerance=1e-10)
    # The cap must leave every category reachable: industry needs about 28 per respondent.
    cap = 40.0
    assert raked.weights.max() > cap
    trimmed = weighting.trim(design(data), margins(), upper=cap, tolerance=1e-10)
    assert trimmed.weights.max() <= cap * (1 + 1e-6)
    assert trimmed.weighting.trimming["within_bounds"]
    for check in trimmed.weighting.margins:
        assert check.achieved == pytest.approx(check.target, rel=1e-6)
    assert trimmed.weighting.kish_design_effect < raked.weighting.kish_design_effect


def test_trimming_below_what_a_category_needs_is_impossible_and_says_why():
    with pytest.raises(StatsError, match="upper bound must be at least"):
        weighting.trim(design(), margins(), upper=1.0)
    with pytest.raises(StatsError, match=r"sector = 'industry'.*average weight of 2\d\."):
        weighting.trim(design(), margins(), upper=20.0)


def test_post_stratification_matches_the_frame_counts_of_crossed_cells():
    data = respondents()
    counts = data.groupby(["stage", "sector"]).size()
    totals = {f"{a}.{b}": float(c) * 10 for (a, b), c in counts.items()}
    post = weighting.poststratify(design(data), ["stage", "sector"], totals)
    for check in post.weighting.margins:
        assert check.achieved == pytest.approx(check.target)


def test_raking_a_million_respondents_works_on_the_cells_not_the_rows():
    rng = np.random.default_rng(3)
    n = 200_000
    data = pd.DataFrame({
        "stage": rng.choice(list(FRAME["stage"]), n),
        "sector": rng.choice(list(FRAME["sector"]), n),
        "gender": rng.choice(list(FRAME["gender"]), n, p=[0.55, 0.44, 0.01]),
        "y": rng.random(n),
    })
    raked = weighting.rake(design(data), margins(), tolerance=1e-10)
    calibration = raked.calibration[-1]
    assert len(calibration.cell_count) == 4 * 3 * 3
    (result,) = estimates.mean(raked, "y")
    assert 0 < result.se < 0.01
