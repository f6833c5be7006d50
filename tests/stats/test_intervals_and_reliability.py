"""Intervals for proportions and the NCHS verdict every estimate carries."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from workforce.stats import StatsError, intervals, reliability

BINOMIAL = json.loads(
    (Path(__file__).parent / "reference" / "r_survey.json").read_text()
)["cases"]["binomial"]


@pytest.mark.parametrize("case", BINOMIAL, ids=lambda c: f"{c['x']}of{c['n']}")
@pytest.mark.parametrize("level", [0.95, 0.90])
def test_wilson_and_clopper_pearson_equal_r_for_a_simple_random_sample(case, level):
    """On n trials they are R's prop.test(correct = FALSE) and binom.test intervals."""
    p, n = case["x"] / case["n"], case["n"]
    suffix = f"{round(level * 100)}"
    z = intervals.t_quantile(level, math.inf)
    assert intervals.wilson(p, n, z) == pytest.approx(case[f"wilson_{suffix}"], rel=1e-9,
                                                     abs=1e-12)
    assert intervals.clopper_pearson(p, n, level) == pytest.approx(
        case[f"clopper_pearson_{suffix}"], rel=1e-9, abs=1e-12)


def test_a_share_of_zero_gets_a_real_upper_bound_not_zero_width():
    for method in intervals.METHODS:
        low, high = intervals.proportion_interval(method, 0.0, 0.0, df=40, n=41)
        assert low == 0.0
        assert 0.05 < high < 0.15


def test_a_share_the_weighting_fixed_to_the_frame_has_a_zero_width_interval():
    assert intervals.proportion_interval("logit", 0.3, 0.0, df=40, n=100) == (0.3, 0.3)


def test_no_interval_without_degrees_of_freedom():
    assert intervals.proportion_interval("logit", 0.3, 0.001, df=0, n=5) is None


def test_unknown_method_and_bad_level_are_refused():
    with pytest.raises(StatsError, match="unknown interval method 'exact'"):
        intervals.proportion_interval("exact", 0.3, 0.001, 10, 50)
    with pytest.raises(StatsError, match="between 0 and 1"):
        intervals.proportion_interval("logit", 0.3, 0.001, 10, 50, level=95)


def test_logit_interval_stays_inside_zero_and_one_for_rare_shares():
    low, high = intervals.proportion_interval("logit", 0.01, 0.0001, df=100, n=200)
    assert 0 < low < 0.01 < high < 1


def test_a_precise_share_from_many_respondents_is_presented():
    verdict = reliability.assess_proportion(0.4, 0.0001, df=500, n=2000)
    assert verdict == reliability.Reliability("present")


def test_fewer_than_30_respondents_is_suppressed():
    verdict = reliability.assess_proportion(0.4, 0.008, df=28, n=29)
    assert verdict.verdict == "suppress"
    assert "sample size 29 is under 30" in verdict.reasons


def test_a_small_effective_sample_size_is_suppressed_even_with_many_respondents():
    # p(1-p)/var = 0.24/0.012 = 20 effective respondents out of 300.
    verdict = reliability.assess_proportion(0.4, 0.012, df=299, n=300)
    assert verdict.verdict == "suppress"
    assert any("effective sample size" in r for r in verdict.reasons)


def test_an_interval_030_wide_is_suppressed():
    verdict = reliability.assess_proportion(0.5, 0.0062, df=200, n=40)
    assert verdict.verdict == "suppress"
    assert any("wide (at least 0.3)" in r for r in verdict.reasons)


def test_a_rare_share_with_a_relatively_wide_interval_is_suppressed():
    # 2% with an interval from about 0.4% to 6%: 0.055 wide, over 130% of 0.02.
    verdict = reliability.assess_proportion(0.02, 0.0002, df=300, n=301)
    assert verdict.verdict == "suppress"
    assert any("130%" in r for r in verdict.reasons)


def test_few_degrees_of_freedom_send_the_estimate_to_review():
    verdict = reliability.assess_proportion(0.4, 0.0004, df=6, n=900)
    assert verdict.verdict == "review"
    assert any("degrees of freedom" in r for r in verdict.reasons)


def test_zero_percent_is_reviewed_not_silently_presented():
    verdict = reliability.assess_proportion(0.0, 0.0, df=2000, n=2001)
    assert verdict.verdict == "review"
    assert "the estimate is 0%" in verdict.reasons


def test_means_with_a_large_relative_standard_error_are_reviewed():
    assert reliability.assess_mean(10.0, 4.0, df=100, n=200, n_eff=150).verdict == "review"
    assert reliability.assess_mean(10.0, 1.0, df=100, n=200, n_eff=150).verdict == "present"
    assert reliability.assess_mean(10.0, 1.0, df=100, n=200, n_eff=12).verdict == "suppress"
