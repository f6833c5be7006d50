"""Bad input is a clear error naming where it is, never a NaN further down."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.stats import StatsError, estimates, weighting
from workforce.stats.design import SurveyDesign
from workforce.stats.files import parse_margins


def data(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame({
        "w": np.full(n, 10.0),
        "stage": rng.choice(["early", "mid"], n),
        "score": rng.integers(1, 6, n).astype(float),
        "answer": rng.choice(["yes", "no"], n),
    })


def test_negative_weights_name_the_row_and_column():
    frame = data()
    frame.loc[4, "w"] = -2.0
    with pytest.raises(StatsError, match=r"row 6, column 'w': the weight -2.0 is negative"):
        SurveyDesign.from_frame(frame, weights="w")


def test_zero_missing_and_unreadable_weights_are_refused():
    for bad, message in ((0.0, "is zero"), (np.nan, "is missing"), ("ten", "is not a number")):
        frame = data().astype({"w": object})
        frame.loc[2, "w"] = bad
        with pytest.raises(StatsError, match=rf"row 4, column 'w'.*{message}"):
            SurveyDesign.from_frame(frame, weights="w")


def test_an_all_missing_outcome_is_an_error_not_a_nan():
    frame = data()
    frame["score"] = np.nan
    design = SurveyDesign.from_frame(frame, weights="w")
    with pytest.raises(StatsError, match="column 'score' has no answers at all"):
        estimates.mean(design, "score")
    frame["answer"] = None
    with pytest.raises(StatsError, match="column 'answer' has no answers at all"):
        estimates.proportion(SurveyDesign.from_frame(frame, weights="w"), "answer", "yes")


def test_text_in_a_numeric_outcome_names_the_row():
    frame = data().astype({"score": object})
    frame.loc[10, "score"] = "n/a"
    with pytest.raises(StatsError, match=r"row 12, column 'score': 'n/a' is not a number"):
        estimates.mean(SurveyDesign.from_frame(frame, weights="w"), "score")


def test_a_domain_where_nobody_answered_is_suppressed_with_nulls_not_nans():
    frame = data()
    frame.loc[frame["stage"] == "mid", "score"] = np.nan
    results = estimates.mean(SurveyDesign.from_frame(frame, weights="w"), "score", by=["stage"])
    mid = next(r for r in results if r.group == {"stage": "mid"})
    assert mid.estimate is None and mid.se is None and mid.reliability == "suppress"
    document = json.dumps([r.as_dict() for r in results], allow_nan=False)
    assert "NaN" not in document


def test_estimates_of_a_single_respondent_domain_have_no_nans():
    frame = data()
    frame.loc[0, "stage"] = "senior"
    for result in estimates.proportion(
        SurveyDesign.from_frame(frame, weights="w"), "answer", "yes", by=["stage"]
    ):
        for value in (result.estimate, result.se, result.ci_low, result.ci_high, result.n_eff):
            assert value is None or math.isfinite(value)
    json.dumps([r.as_dict() for r in estimates.proportion(
        SurveyDesign.from_frame(frame, weights="w"), "answer", "yes", by=["stage"])],
        allow_nan=False)


def test_an_unknown_column_lists_the_columns_there_are():
    with pytest.raises(StatsError, match=r"no column 'salary' \(columns: w, stage, score"):
        estimates.mean(SurveyDesign.from_frame(data(), weights="w"), "salary")


def test_a_stratum_with_one_psu_is_named():
    frame = data()
    frame["stratum"] = ["a"] * (len(frame) - 1) + ["b"]
    design = SurveyDesign.from_frame(frame, weights="w", strata="stratum")
    with pytest.raises(StatsError, match=r"stratum 'b' has only one primary sampling unit"):
        estimates.mean(design, "score")


def test_margins_file_problems_name_the_line_and_column():
    cases = {
        "variable,category\nstage,early\n": r"line 1: missing column\(s\) total",
        "variable,category,total\nstage,early,many\n": r"line 2, column 'total': 'many'",
        "variable,category,total\nstage,early,-3\n": r"line 2, column 'total'.*non-negative",
        "variable,category,total\nstage,,3\n": r"line 2, column 'category': the value is blank",
        "variable,category,total\nstage,early,3\nstage,early,4\n": r"line 3.*listed twice",
        "": r"the file is empty",
    }
    for text, message in cases.items():
        with pytest.raises(StatsError, match=message):
            parse_margins(text, "MARGINS.csv")


def test_a_margins_file_with_a_bom_and_any_column_order_reads():
    margins = parse_margins("\ufefftotal,Variable,category\n12,stage,early\n8,stage,mid\n")
    assert margins == [weighting.Margin("stage", {"early": 12.0, "mid": 8.0})]


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_margins_text_either_reads_or_raises_a_stats_error(text):
    try:
        margins = parse_margins("variable,category,total\n" + text)
    except StatsError:
        return
    for margin in margins:
        assert all(math.isfinite(v) and v >= 0 for v in margin.totals.values())


@settings(max_examples=100)
@given(
    st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(0.0)),
             min_size=1, max_size=30)
)
def test_any_weights_either_make_a_design_or_raise_a_stats_error(weights):
    frame = pd.DataFrame({"w": weights, "score": 1.0})
    try:
        design = SurveyDesign.from_frame(frame, weights="w")
    except StatsError:
        return
    assert np.all(design.weights > 0) and np.all(np.isfinite(design.weights))
