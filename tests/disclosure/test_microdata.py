"""Record-level exports: k-anonymity and l-diversity find every small group, drop nothing."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from workforce.disclosure.errors import DisclosureError
from workforce.disclosure.microdata import (
    check_k_anonymity,
    check_l_diversity,
    suppress_failing,
)

QUASI_IDENTIFIERS = ["race_ethnicity", "gender", "career_stage"]


def members() -> pd.DataFrame:
    """Five early-career white women, five late-career Black men, and one Asian postdoc."""
    return pd.DataFrame({
        "race_ethnicity": ["White"] * 5 + ["Black"] * 5 + ["Asian"],
        "gender": ["woman"] * 5 + ["man"] * 5 + ["nonbinary"],
        "career_stage": ["early"] * 5 + ["late"] * 5 + ["postdoc"],
        "disability": ["yes", "no", "no", "yes", "no"] + ["no"] * 5 + ["yes"],
    })


def test_a_unique_combination_of_race_gender_and_stage_fails_k_anonymity():
    report = check_k_anonymity(members(), QUASI_IDENTIFIERS, k=5)

    assert not report.passed
    assert report.smallest_class == 1
    [alone] = report.failing_classes
    assert alone.values == {
        "race_ethnicity": "Asian", "gender": "nonbinary", "career_stage": "postdoc"
    }
    assert alone.size == 1
    assert alone.rows == [10]


def test_a_file_where_every_combination_has_k_records_passes():
    report = check_k_anonymity(members().iloc[:10], QUASI_IDENTIFIERS, k=5)

    assert report.passed
    assert report.failing_classes == []
    assert report.failing_records == []
    assert report.smallest_class == 5
    assert report.classes == 2


def test_failing_records_are_given_by_position_and_spreadsheet_row():
    data = members().iloc[::-1].set_index(pd.Index(list("abcdefghijk")))

    report = check_k_anonymity(data, QUASI_IDENTIFIERS, k=5)

    # The Asian postdoc is now first: position 0, spreadsheet row 2 under the header.
    assert report.failing_records == [0]
    assert report.failing_lines == [2]
    assert report.failing_classes[0].lines == [2]
    assert "spreadsheet row 2" in " ".join(report.sentences())


def test_every_record_of_every_small_class_is_reported():
    data = members()
    data.loc[[0, 7], "career_stage"] = "mid"

    report = check_k_anonymity(data, QUASI_IDENTIFIERS, k=5)

    assert report.failing_records == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    sizes = sorted(group.size for group in report.failing_classes)
    assert sizes == [1, 1, 1, 4, 4]
    assert sum(sizes) == len(data)


def test_blank_values_form_a_class_of_their_own():
    data = pd.DataFrame({
        "gender": ["woman", None, "", "  ", np.nan, "woman"],
        "career_stage": ["early"] * 6,
    })

    report = check_k_anonymity(data, ["gender", "career_stage"], k=3)

    # Missing, empty and spaces are one blank value, and not the same as "woman".
    assert report.classes == 2
    [too_small] = report.failing_classes
    assert too_small.values == {"gender": "woman", "career_stage": "early"}
    assert too_small.rows == [0, 5]


def test_a_blank_is_shown_as_blank_in_the_sentences():
    data = pd.DataFrame({"gender": [None, "woman", "woman"], "career_stage": ["early"] * 3})

    report = check_k_anonymity(data, ["gender", "career_stage"], k=2)

    assert "gender = (blank), career_stage = 'early'" in report.sentences()[1]


def test_values_equal_as_text_are_one_class():
    data = pd.DataFrame({"career_stage": [1, 1.0, "1", " 1 "], "gender": ["man"] * 4})

    report = check_k_anonymity(data, ["career_stage", "gender"], k=4)

    assert report.passed
    assert report.classes == 1


def test_the_check_changes_nothing_in_the_data():
    data = members()
    before = data.copy()

    check_k_anonymity(data, QUASI_IDENTIFIERS, k=5)
    check_l_diversity(data, QUASI_IDENTIFIERS, "disability", l=2)

    pd.testing.assert_frame_equal(data, before)


def test_an_empty_file_passes_with_no_classes():
    report = check_k_anonymity(members().iloc[:0], QUASI_IDENTIFIERS, k=5)

    assert report.passed
    assert report.classes == 0
    assert report.smallest_class is None


def test_the_report_can_be_written_as_json():
    report = check_k_anonymity(members(), QUASI_IDENTIFIERS, k=5)

    written = json.loads(json.dumps(report.as_dict()))

    assert written["passed"] is False
    assert written["k"] == 5
    assert written["failing_records"] == [10]
    assert written["failing_lines"] == [12]
    assert written["failing_classes"][0]["size"] == 1


def test_a_class_with_one_disability_status_fails_l_diversity():
    report = check_l_diversity(members(), QUASI_IDENTIFIERS, "disability", l=2)

    assert not report.passed
    failing = {group.values["race_ethnicity"]: group for group in report.failing_classes}
    # The five late-career Black men all answered "no": knowing one of them is in the
    # file tells a reader his answer. The white women answered both ways.
    assert set(failing) == {"Black", "Asian"}
    assert failing["Black"].distinct_values == 1
    assert failing["Black"].rows == [5, 6, 7, 8, 9]
    assert report.failing_records == [5, 6, 7, 8, 9, 10]
    assert report.least_diverse_class == 1


def test_blank_sensitive_values_do_not_count_towards_l():
    data = pd.DataFrame({
        "career_stage": ["late"] * 4,
        "disability": ["yes", None, "", "yes"],
    })

    report = check_l_diversity(data, ["career_stage"], "disability", l=2)

    assert not report.passed
    assert report.failing_classes[0].distinct_values == 1


def test_l_diversity_passes_when_every_class_holds_l_values():
    report = check_l_diversity(members().iloc[:5], QUASI_IDENTIFIERS, "disability", l=2)

    assert report.passed
    assert report.as_dict()["check"] == "distinct l-diversity"


def test_suppress_failing_blanks_quasi_identifiers_and_keeps_every_record():
    data = members()
    report = check_k_anonymity(data, QUASI_IDENTIFIERS, k=5)

    blanked, sentences = suppress_failing(data, report)

    assert len(blanked) == len(data)
    assert blanked.loc[10, QUASI_IDENTIFIERS].isna().all()
    assert blanked.loc[10, "disability"] == "yes"
    pd.testing.assert_frame_equal(blanked.iloc[:10], data.iloc[:10])
    assert sentences[0].startswith(
        "Blanked race_ethnicity, gender, career_stage in 1 record (spreadsheet row 12)"
    )


def test_suppress_failing_does_not_change_the_data_it_is_given():
    data = members()
    before = data.copy()

    suppress_failing(data, check_k_anonymity(data, QUASI_IDENTIFIERS, k=5))

    pd.testing.assert_frame_equal(data, before)


def test_suppress_failing_says_when_the_blanked_records_are_still_too_few():
    data = members()
    blanked, sentences = suppress_failing(data, check_k_anonymity(data, QUASI_IDENTIFIERS, k=5))

    # One blanked record is a class of one all by itself.
    assert "still fails" in " ".join(sentences)
    assert not check_k_anonymity(blanked, QUASI_IDENTIFIERS, k=5).passed


def test_suppress_failing_says_when_the_check_then_passes():
    data = members()
    report = check_l_diversity(data, QUASI_IDENTIFIERS, "disability", l=2)

    blanked, sentences = suppress_failing(data, report)

    assert "the check passes" in sentences[-1]
    assert check_l_diversity(blanked, QUASI_IDENTIFIERS, "disability", l=2).passed


def test_an_integer_quasi_identifier_can_be_blanked():
    data = pd.DataFrame({"society": [1, 1, 1, 2], "gender": ["man"] * 4})

    blanked, _ = suppress_failing(data, check_k_anonymity(data, ["society", "gender"], k=2))

    assert pd.isna(blanked.loc[3, "society"])
    assert blanked["society"].iloc[:3].tolist() == [1, 1, 1]


def test_suppress_failing_on_a_passing_report_blanks_nothing():
    data = members().iloc[:10]

    blanked, sentences = suppress_failing(data, check_k_anonymity(data, QUASI_IDENTIFIERS, 5))

    pd.testing.assert_frame_equal(blanked, data)
    assert sentences[0].startswith("Nothing was blanked")


def test_suppress_failing_refuses_a_report_made_on_other_data():
    report = check_k_anonymity(members(), QUASI_IDENTIFIERS, k=5)

    with pytest.raises(DisclosureError, match="made on 11 records but the data has 10"):
        suppress_failing(members().iloc[:10], report)


def test_an_unknown_column_is_named():
    with pytest.raises(DisclosureError, match="quasi-identifier column 'sex' is not in"):
        check_k_anonymity(members(), ["race_ethnicity", "sex"], k=5)
    with pytest.raises(DisclosureError, match="sensitive attribute column 'income' is not in"):
        check_l_diversity(members(), QUASI_IDENTIFIERS, "income", l=2)


@pytest.mark.parametrize("k", [0, -3, 2.5, "5", True])
def test_k_must_be_a_whole_number_of_at_least_one(k):
    with pytest.raises(DisclosureError, match=r"k = .* is not a whole number of at least 1"):
        check_k_anonymity(members(), QUASI_IDENTIFIERS, k=k)


def test_l_must_be_a_whole_number_of_at_least_one():
    with pytest.raises(DisclosureError, match=r"l = 0 is not a whole number of at least 1"):
        check_l_diversity(members(), QUASI_IDENTIFIERS, "disability", l=0)


def test_no_quasi_identifiers_is_refused():
    with pytest.raises(DisclosureError, match="no quasi-identifiers were given"):
        check_k_anonymity(members(), [], k=5)


def test_a_quasi_identifier_listed_twice_is_refused():
    with pytest.raises(DisclosureError, match="'gender' is listed more than once"):
        check_k_anonymity(members(), ["gender", "career_stage", "gender"], k=5)


def test_the_sensitive_attribute_cannot_also_be_a_quasi_identifier():
    with pytest.raises(DisclosureError, match="both a quasi-identifier and the sensitive"):
        check_l_diversity(members(), ["gender", "disability"], "disability", l=2)


def test_a_million_records_are_checked_in_seconds():
    rng = np.random.default_rng(7)
    n = 1_000_000
    data = pd.DataFrame({
        "race_ethnicity": rng.choice(["Asian", "Black", "Hispanic", "White", "MENA"], n),
        "gender": rng.choice(["woman", "man", "nonbinary", None], n),
        "career_stage": rng.choice(["student", "postdoc", "early", "mid", "late"], n),
        "society": rng.integers(0, 40, n),
    })
    data.loc[123_456, "race_ethnicity"] = "Native Hawaiian or Pacific Islander"

    started = time.perf_counter()
    report = check_k_anonymity(data, [*QUASI_IDENTIFIERS, "society"], k=5)
    elapsed = time.perf_counter() - started

    assert [123_456] in [group.rows for group in report.failing_classes]
    # About 0.1 s on one core; the bound only catches a return to row-by-row Python.
    assert elapsed < 10
