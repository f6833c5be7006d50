"""Likert scale scores and Cronbach's alpha.

The alpha of the eight-respondent example is checked against the textbook formula and
Feldt's interval computed in R (``tests/stats/reference/make_contrasts.R``, entry
``cronbach`` of ``r_contrasts.json``), and a two-item example is worked by hand.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workforce.stats.errors import StatsError
from workforce.stats.scales import cronbach_alpha, scale_scores

HERE = Path(__file__).parent
R = json.loads((HERE / "reference" / "r_contrasts.json").read_text())["cronbach"]


def test_cronbach_alpha_matches_the_formula_and_feldt_interval_computed_in_r():
    data = pd.DataFrame(R["items"])
    result = cronbach_alpha(data, ["q1", "q2", "q3"], reverse=["q3"])
    np.testing.assert_allclose(
        [result.alpha, result.ci_low, result.ci_high], [R["alpha"], R["ci_low"], R["ci_high"]],
        rtol=1e-9,
    )
    assert (result.complete_cases, result.items, result.effective_size) == (8, 3, 8)


def test_cronbach_alpha_of_a_hand_worked_example():
    # Items (1, 2, 3) and (1, 3, 2): each has variance 1, the totals (2, 5, 5) variance 3,
    # so alpha = 2/1 · (1 − 2/3) = 2/3.
    data = pd.DataFrame({"a": [1, 2, 3], "b": [1, 3, 2]})
    assert cronbach_alpha(data, ["a", "b"]).alpha == pytest.approx(2 / 3)


def test_forgetting_to_reverse_a_reverse_worded_item_lowers_alpha():
    data = pd.DataFrame(R["items"])
    right = cronbach_alpha(data, ["q1", "q2", "q3"], reverse=["q3"]).alpha
    wrong = cronbach_alpha(data, ["q1", "q2", "q3"]).alpha
    assert wrong < 0 < right


def test_cronbach_alpha_uses_complete_cases_only():
    data = pd.DataFrame(R["items"])
    with_gaps = pd.concat(
        [data, pd.DataFrame({"q1": [5, None], "q2": [None, 1], "q3": [1, 5]})],
        ignore_index=True,
    )
    result = cronbach_alpha(with_gaps, ["q1", "q2", "q3"], reverse=["q3"])
    assert result.complete_cases == 8
    assert result.alpha == pytest.approx(R["alpha"])


def test_weights_act_as_repeated_respondents_for_alpha():
    data = pd.DataFrame(R["items"])
    repeated = pd.concat([data, data.iloc[[0, 0]]], ignore_index=True)
    weights = np.ones(len(data))
    weights[0] = 3
    weighted = cronbach_alpha(data, ["q1", "q2", "q3"], reverse=["q3"], weights=weights)
    plain = cronbach_alpha(repeated, ["q1", "q2", "q3"], reverse=["q3"])
    assert weighted.alpha == pytest.approx(plain.alpha)
    # Feldt's interval rests on Kish's effective size, not the repeated count.
    assert weighted.effective_size == pytest.approx(10**2 / 16)


def test_scale_score_is_the_mean_of_answered_items_with_reverse_coding():
    data = pd.DataFrame({"a": [5, 4, None, None], "b": [4, None, 2, None],
                         "c": [1, 2, None, 3]})
    scores = scale_scores(data, ["a", "b", "c"], reverse=["c"])
    # c reversed on 5 points: 1 → 5, 2 → 4, 3 → 3. At least 2 of 3 items are needed.
    assert scores.iloc[0] == pytest.approx((5 + 4 + 5) / 3)
    assert scores.iloc[1] == pytest.approx((4 + 4) / 2)
    assert math.isnan(scores.iloc[2]) and math.isnan(scores.iloc[3])


def test_scale_score_minimum_answered_can_be_lowered_and_points_changed():
    data = pd.DataFrame({"a": [7, None], "b": [None, 1]})
    scores = scale_scores(data, ["a", "b"], reverse=["b"], minimum_answered=1, points=7)
    assert list(scores) == [7.0, 7.0]
    with pytest.raises(StatsError, match="minimum_answered"):
        scale_scores(data, ["a", "b"], minimum_answered=3, points=7)


def test_blank_text_counts_as_a_skipped_item():
    data = pd.DataFrame({"a": ["4", " ", "2"], "b": ["4", "3", ""]})
    scores = scale_scores(data, ["a", "b"], minimum_answered=1)
    assert list(scores) == [4.0, 3.0, 2.0]


@pytest.mark.parametrize(
    ("value", "problem"),
    [("agree", "not a number"), (2.5, "whole number from 1 to 5"), (0, "from 1 to 5"),
     (6, "from 1 to 5")],
)
def test_an_answer_off_the_scale_names_the_column_row_and_value(value, problem):
    data = pd.DataFrame({"a": [1, 2, 3], "b": [1, value, 3]})
    with pytest.raises(StatsError, match=rf"row 3, column 'b': the answer {value!r} .*{problem}"):
        scale_scores(data, ["a", "b"])
    with pytest.raises(StatsError, match="column 'b'"):
        cronbach_alpha(data, ["a", "b"])


def test_bad_item_lists_are_rejected():
    data = pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3]})
    with pytest.raises(StatsError, match="'c'"):
        scale_scores(data, ["a", "c"])
    with pytest.raises(StatsError, match="reverse-coded item 'z'"):
        scale_scores(data, ["a", "b"], reverse=["z"])
    with pytest.raises(StatsError, match="twice"):
        scale_scores(data, ["a", "a"])
    with pytest.raises(StatsError, match="at least two items"):
        cronbach_alpha(data, ["a"])


def test_alpha_without_enough_complete_cases_or_variation_is_an_error_not_nan():
    with pytest.raises(StatsError, match="at least two respondents"):
        cronbach_alpha(pd.DataFrame({"a": [1, None], "b": [None, 2]}), ["a", "b"])
    with pytest.raises(StatsError, match="same total score"):
        cronbach_alpha(pd.DataFrame({"a": [3, 3, 3], "b": [2, 2, 2]}), ["a", "b"])
    with pytest.raises(StatsError, match="weight"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2], "b": [2, 1]}), ["a", "b"], weights=[1, 0])
