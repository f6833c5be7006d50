"""Value mapping: synonyms, missing values, coarse categories, fuzzy proposals that wait for a
person, the mapping file's round trip, and next year's export asking only about new values."""

from __future__ import annotations

import pandas as pd
import pytest

from workforce.intake import IntakeError, MappingIncomplete, ingest, load_mapping, read_source
from workforce.intake.detect import propose_mapping
from workforce.intake.files import saved_mapping
from workforce.intake.mapping import (
    ColumnMapping,
    mapping_from_dict,
    propose_value,
    split_answers,
    undecided_values,
)

RACE = ColumnMapping("Race", "race_ethnicity", "multi", separators=(",", "/"))
GENDER = ColumnMapping("Gender", "gender", "label")


@pytest.mark.parametrize(
    "label,code",
    [
        ("Latinx", "hispanic"),
        ("Caucasian", "white"),
        ("African-American", "black"),
        ("Middle Eastern", "mena"),
        ("MENA", "mena"),
        ("Native American", "aian"),
        ("Pacific Islander", "nhpi"),
        ("Filipino", "asian.filipino"),
    ],
)
def test_race_synonyms_map_with_a_confirmed_reason(label, code):
    decision = propose_value(RACE, label)
    # "African American" is also an SPD-15 detailed checkbox: black, with its detail kept.
    assert decision.code.split(".")[0] == code.split(".")[0]
    assert decision.confirmed
    assert decision.reason in ("exact", "synonym")


@pytest.mark.parametrize(
    "label,code", [("Deutschland", "DE"), ("España", "ES"), ("Schweiz", "CH"), ("Brasil", "BR")]
)
def test_a_country_typed_in_the_members_own_language_is_proposed_with_a_confirmed_reason(
    label, code
):
    decision = propose_value(ColumnMapping("Country", "country", "label"), label)
    assert (decision.code, decision.reason, decision.confirmed) == (code, "synonym", True)


def test_asian_or_pacific_islander_stays_coarse():
    assert propose_value(RACE, "Asian or Pacific Islander").code == "asian_or_pi"
    assert split_answers("Asian or Pacific Islander; White", (";",)) == [
        "asian or pacific islander",
        "white",
    ]


def test_prefer_not_to_say_is_declined_and_blank_is_unknown():
    declined = propose_value(GENDER, "Prefer not to say")
    blank = propose_value(GENDER, "")
    placeholder = propose_value(GENDER, "N/A")
    assert (declined.code, declined.confirmed) == ("declined", True)
    assert (blank.code, blank.reason) == ("unknown", "missing")
    assert placeholder.code == "unknown"


def test_a_transgender_label_also_sets_transgender():
    decision = propose_value(GENDER, "Trans woman")
    assert decision.code == "woman"
    assert decision.also == {"transgender": "yes"}


def test_a_fuzzy_proposal_is_never_confirmed():
    decision = propose_value(GENDER, "Femail")
    assert decision.reason == "fuzzy"
    assert decision.code == "woman"
    assert not decision.confirmed
    assert 0.8 <= decision.score < 1


def test_an_unknown_label_stays_unmapped():
    decision = propose_value(RACE, "Martian")
    assert (decision.code, decision.reason, decision.confirmed) == (None, "unmapped", False)


def test_value_labels_are_used_for_coded_values():
    column = ColumnMapping("gender", "gender", "label")
    decision = propose_value(column, "2", {"2": "Male"})
    assert (decision.code, decision.reason, decision.label) == ("man", "value_label", "Male")


def test_separators_inside_labels_keep_the_label_whole():
    assert split_answers("White/Caucasian, Latina/o", (",", "/")) == ["white/caucasian", "latina/o"]
    assert split_answers("Black / Asian", (",", "/")) == ["black", "asian"]
    # With a mapping, only its own keys join pieces: Asian and Pacific Islander stay two.
    known = {"asian", "pacific islander"}
    assert split_answers("Asian/Pacific Islander", ("/",), known) == ["asian", "pacific islander"]


def test_the_mapping_file_round_trips(tmp_path, consortium):
    table = read_source(consortium / "exports/nsgc_roster_2025.csv")
    proposal = propose_mapping(table, "nsgc")
    path = tmp_path / "nsgc.yaml"
    path.write_text(proposal.to_yaml(), encoding="utf-8")
    again = load_mapping(path)
    assert again == proposal


def test_an_unmapped_value_blocks_until_a_person_decides(tmp_path):
    path = tmp_path / "nsgc-2025.csv"
    path.write_text("ID,Ethnicity\n1,White\n2,Martian\n3,Martian\n", encoding="utf-8")
    table = read_source(path)
    mapping = propose_mapping(table, "nsgc")
    with pytest.raises(MappingIncomplete) as blocked:
        ingest(table, mapping, year=2025)
    [item] = blocked.value.undecided
    assert (item.column, item.value, item.rows) == ("Ethnicity", "martian", 2)
    assert "nsgc-2025.csv" in str(blocked.value)
    assert "'martian' in 2 row(s); map it in the mapping file or mark it unknown" in str(
        blocked.value
    )
    document = mapping_from_dict(_yaml(mapping.to_yaml()))
    text = mapping.to_yaml().replace(
        "martian: {code: null, reason: unmapped, confirmed: false}",
        "martian: {code: unknown, reason: person, confirmed: true}",
    )
    decided = mapping_from_dict(_yaml(text))
    assert document != decided
    result = ingest(table, decided, year=2025)
    assert result.records["race_ethnicity"].tolist() == ["white", "unknown", "unknown"]


def test_unmapped_values_can_reject_their_rows_instead_of_stopping(tmp_path):
    path = tmp_path / "nsgc-2025.csv"
    path.write_text("ID,Ethnicity\n1,White\n2,Martian\n", encoding="utf-8")
    table = read_source(path)
    result = ingest(table, propose_mapping(table, "nsgc"), year=2025, unmapped="reject")
    assert result.report.accepted == 1
    [problem] = result.report.problems
    assert (problem.row, problem.column, problem.value) == (3, "Ethnicity", "Martian")
    assert problem.describe("nsgc-2025.csv") == (
        "nsgc-2025.csv, row 3, column 'Ethnicity': 'Martian' is not a known value; map it in "
        "the mapping file or mark it unknown (rejected)"
    )


def test_next_years_export_only_asks_about_unseen_values(tmp_path, consortium):
    mapping = load_mapping(saved_mapping("nsgc"))
    this_year = read_source(consortium / "exports/nsgc_roster_2025.csv")
    assert undecided_values(mapping, this_year.frame) == []
    next_year = this_year.frame.copy()
    next_year.loc[0, "Ethnicity"] = "White, Martian"
    next_year.loc[1, "Gender Identity"] = "Two-spirit"
    next_year.loc[2, "Gender Identity"] = "two-spirit "
    undecided = undecided_values(mapping, next_year)
    assert {(u.column, u.value, u.rows) for u in undecided} == {
        ("Ethnicity", "martian", 1),
        ("Gender Identity", "two-spirit", 2),
    }
    proposed = propose_mapping(
        read_source(consortium / "exports/nsgc_roster_2025.csv"), "nsgc", previous=mapping
    )
    assert proposed == mapping  # nothing new this year: the saved mapping stands as it is


def test_a_mapping_with_a_code_outside_the_standard_is_refused():
    with pytest.raises(IntakeError, match="'Gender'.*'female' is not a code of gender"):
        mapping_from_dict(
            {
                "org": "x",
                "version": 1,
                "columns": {
                    "Gender": {
                        "dimension": "gender",
                        "method": "label",
                        "values": {"F": {"code": "female", "confirmed": True}},
                    }
                },
            }
        )


def _yaml(text: str):
    import yaml

    return yaml.safe_load(text)


def test_blank_cells_are_written_readably():
    mapping = load_mapping(saved_mapping("acmg"))
    assert "(blank): {code: unknown, reason: missing, confirmed: true}" in mapping.to_yaml()
    assert mapping.column("race").values[""].code == "unknown"
    assert isinstance(pd.Series([1]), pd.Series)


def test_a_mapping_with_a_bad_also_code_is_refused():
    with pytest.raises(IntakeError, match="also transgender='maybe' is not a code"):
        mapping_from_dict(
            {
                "org": "x",
                "columns": {
                    "Gender": {
                        "dimension": "gender",
                        "method": "label",
                        "values": {
                            "Trans woman": {
                                "code": "woman",
                                "confirmed": True,
                                "also": {"transgender": "maybe"},
                            }
                        },
                    }
                },
            }
        )


def test_a_categorical_columns_distinct_values_are_only_those_its_rows_hold():
    from workforce.intake.mapping import distinct_values

    column = pd.Series(
        pd.Categorical(["Woman", None, "Man", "Woman"], categories=["Man", "Woman", "Other"])
    )
    positions, uniques = distinct_values(column[[0, 1, 3]])  # no row left holds "Man"
    assert [uniques[p] for p in positions] == ["Woman", "", "Woman"]
    assert sorted(uniques) == ["", "Woman"]
    positions, uniques = distinct_values(column)
    assert [uniques[p] for p in positions] == ["Woman", "", "Man", "Woman"]
