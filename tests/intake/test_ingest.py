"""Ingesting with a confirmed mapping: the 1997 two questions, checkbox layouts, duplicate and
shared IDs, blank IDs, impossible birth years, contradictory answers, and nothing lost."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workforce.intake import ingest, read_source
from workforce.intake.detect import propose_columns, propose_mapping
from workforce.intake.mapping import mapping_from_dict
from workforce.intake.read import take_ascending
from workforce.standard import validate_records

ingest_module = importlib.import_module("workforce.intake.ingest")  # `ingest` is the function


def table_from(tmp_path, text, name="soc-2025.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_source(path)


def confirmed(table, org="soc"):
    """The proposed mapping with every proposal accepted (what a person would confirm)."""
    document = propose_mapping(table, org)
    import yaml

    data = yaml.safe_load(document.to_yaml())
    for column in data["columns"].values():
        for decision in (column.get("values") or {}).values():
            decision["confirmed"] = True
            decision["code"] = decision["code"] or "unknown"
    return mapping_from_dict(data)


def soc_mapping(columns):
    """The saved mapping of organization "soc" holding `columns`, as its YAML file has them."""
    return mapping_from_dict(
        {"format": 1, "org": "soc", "version": 1, "standard_version": 1, "columns": columns}
    )


def decided(code):
    """A value decision a person has confirmed."""
    return {"code": code, "reason": "exact", "confirmed": True}


def test_1997_two_questions_hispanic_yes_with_two_races(tmp_path):
    table = table_from(
        tmp_path,
        "Member ID,Hispanic or Latino,Race\n"
        "1,Yes,White;Black or African American\n"
        "2,No,Asian\n"
        "3,Prefer not to answer,White\n"
        "4,Yes,\n"
        "5,Prefer not to answer,Prefer not to answer\n",
    )
    methods = {p.column: p.method for p in propose_columns(table)}
    assert methods == {
        "Member ID": "record_id",
        "Hispanic or Latino": "omb1997_hispanic",
        "Race": "omb1997_race",
    }
    result = ingest(table, confirmed(table), year=2025)
    assert result.records["race_ethnicity"].tolist() == [
        "black;hispanic;white",
        "asian",
        "unknown",
        "hispanic",
        "declined",
    ]


def test_check_all_that_apply_columns(tmp_path):
    table = table_from(
        tmp_path, "ID,Race: White,Race: Asian,Race: Black\n1,Yes,Yes,\n2,,,Yes\n3,,,\n"
    )
    proposals = {p.column: (p.method, p.code) for p in propose_columns(table)}
    assert proposals["Race: Asian"] == ("checkbox", "asian")
    result = ingest(table, confirmed(table), year=2025)
    assert result.records["race_ethnicity"].tolist() == ["asian;white", "black", "unknown"]


def test_birth_year_age_state_and_country_are_detected_and_derived(tmp_path):
    table = table_from(
        tmp_path,
        "ID,Year of Birth,State,Country\n"
        "1,1980,CA,United States\n2,1890,,Canada\n"
        "3,19xx,TX,USA\n4,2001,Ontario,Canada\n",
    )
    result = ingest(table, confirmed(table), year=2025)
    records = result.records
    assert records["age_band"].tolist() == ["45_54", "unknown", "unknown", "under_25"]
    assert records["country"].tolist() == ["US", "CA", "US", "CA"]
    assert records["us_region"].tolist() == ["west", "", "south", ""]
    kinds = [(p.row, p.kind, p.action) for p in result.report.problems]
    assert kinds == [
        (3, "impossible_birth_year", "set to unknown"),
        (4, "unreadable_birth_year", "set to unknown"),
    ]
    assert validate_records(records) == []


def test_an_age_column_gives_the_age_band(tmp_path):
    table = table_from(tmp_path, "ID,Age\n1,30\n2,70\n3,Prefer not to say\n")
    assert ingest(table, confirmed(table), year=2025).records["age_band"].tolist() == [
        "25_34",
        "65_plus",
        "declined",
    ]



def test_a_column_of_a_few_repeated_categories_is_not_taken_for_the_member_id(tmp_path):
    categories = ["Full", "Associate", "Student", "Retired"]
    rows = "".join(f"m{i}@x.example,{categories[i % 4]}\n" for i in range(40))
    table = table_from(tmp_path, "Email,Member Category\n" + rows)
    assert "record_id" not in {p.dimension for p in propose_columns(table)}


def test_a_member_number_column_with_a_duplicate_or_two_is_still_the_member_id(tmp_path):
    numbers = [str(1000 + i) for i in range(40)] + ["1000", "1001"]
    rows = "".join(f"{number},Woman\n" for number in numbers)
    table = table_from(tmp_path, "Member Number,Gender\n" + rows)
    assert {p.column: p.dimension for p in propose_columns(table)}["Member Number"] == "record_id"


def test_duplicates_blank_ids_and_contradictions_are_rejected_and_nothing_is_lost(tmp_path):
    table = table_from(
        tmp_path,
        "ID,Gender,Race\n"
        "1,Female,White\n"
        "1,Female,White\n"  # exact copy: rejected, first kept
        "2,Male,Asian\n"
        "2,Female,Black\n"  # two people, one ID: both rejected
        ",Male,White\n"  # blank ID
        "3,Male,Prefer not to say; White\n"  # contradictory
        "4,Prefer not to say,\n",
    )
    result = ingest(table, confirmed(table), year=2025)
    report = result.report
    assert (report.rows_read, report.accepted, report.rejected) == (7, 2, 5)
    assert result.records["record_id"].tolist() == ["1", "4"]
    assert result.records["gender"].tolist() == ["woman", "declined"]
    assert result.records["race_ethnicity"].tolist() == ["white", "unknown"]
    rejected = dict(zip(result.rejects["source_row"], result.rejects["reason"], strict=True))
    assert rejected[3].startswith("duplicate row: exact duplicate of row 2")
    assert rejected[4].startswith("shared id") and rejected[5].startswith("shared id")
    assert rejected[6].startswith("blank id")
    assert rejected[7].startswith("contradictory answer")
    assert len(result.records) + len(result.rejects) == report.rows_read
    assert validate_records(result.records) == []
    assert result.provenance["source_row"].tolist() == [2, 8]
    assert set(result.provenance["source_sha256"]) == {table.sha256}


def test_member_ids_lose_any_unicode_space_around_them_and_only_that(tmp_path):
    table = table_from(
        tmp_path,
        "ID,Gender\n"
        " 7 ,Female\n"
        "8\u00a0,Male\n"  # a no-break space, as a spreadsheet pastes it
        "\u30009,Female\n"  # an ideographic space
        "10\x1c,Male\n"  # a file separator, which Unicode counts as a space
        "A B,Female\n"  # a space inside is part of the ID
        "\u00a0 \t,Male\n",  # nothing but spaces: blank
    )
    result = ingest(table, confirmed(table), year=2025)
    assert result.records["record_id"].tolist() == ["7", "8", "9", "10", "A B"]
    blank = [(p.row, p.kind, p.value) for p in result.report.problems]
    assert blank == [(7, "blank_id", "\u00a0 \t")]
    # Every ID ASCII: trimmed byte by byte, to the same IDs.
    table = table_from(
        tmp_path, "ID,Gender\n 7 ,Female\n10\x1c,Male\n\x1f\x0b11,Female\nA B,Male\n \t,Male\n",
        name="soc-2026.csv",
    )
    result = ingest(table, confirmed(table), year=2026)
    assert result.records["record_id"].tolist() == ["7", "10", "11", "A B"]
    assert [(p.row, p.kind) for p in result.report.problems] == [(6, "blank_id")]


# Every character Arrow's Unicode trim removes, often, and any other; or ASCII alone, often
# its spaces, since a column of ASCII text is trimmed byte by byte.
SPACES_OR_ANY = st.one_of(
    st.sampled_from(list(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a"
                         "\u2028\u2029\u202f\u205f\u3000")),
    st.characters(codec="utf-8"),
)
ASCII_SPACES_OR_ANY = st.one_of(
    st.sampled_from(list(" \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")), st.characters(codec="ascii")
)


@given(
    texts=st.sampled_from([SPACES_OR_ANY, ASCII_SPACES_OR_ANY]).flatmap(
        lambda alphabet: st.lists(st.text(alphabet, max_size=6), max_size=30)
    ),
    cuts=st.lists(st.integers(0, 30), max_size=4),
    start=st.integers(0, 3),
    large=st.booleans(),
)
def test_ids_trimmed_quickly_equal_arrows_unicode_trim(texts, cuts, start, large):
    """The quicker trim gives exactly Arrow's Unicode trim, for chunks sliced from an
    offset and of either string type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = pa.large_string() if large else pa.string()
    bounds = sorted({0, len(texts), *(min(cut, len(texts)) for cut in cuts)})
    chunks = [pa.array(["pad"] * start + texts[a:b], type=kind).slice(start)
              for a, b in zip(bounds, bounds[1:], strict=False)]
    one_each = [pa.array(["pad"] * start + [text], type=kind).slice(start) for text in texts]
    for data in (pa.chunked_array(chunks, type=kind), pa.chunked_array(one_each, type=kind)):
        trimmed = ingest_module._trimmed(data)
        assert trimmed.type == kind
        assert trimmed.to_pylist() == pc.utf8_trim_whitespace(data).to_pylist()


@pytest.mark.parametrize("beside", [False, True], ids=["in turn", "side by side"])
def test_an_undecided_value_is_what_stops_ingest_whatever_the_id_check_meets(
    tmp_path, monkeypatch, beside
):
    """The member IDs are checked from the start, beside the main line on a large file;
    a value the mapping has not decided is still what the steward is told about first, not
    what the ID check ran into (here: rows to show whole from a file no longer there)."""
    from workforce.intake import MappingIncomplete

    monkeypatch.setattr(ingest_module, "PARALLEL_ROWS", 1 if beside else 10**9)
    first = table_from(tmp_path, "ID,Gender,Email\n1,Female,a@x.org\n2,Male,b@x.org\n")
    mapping = confirmed(first)
    path = tmp_path / "soc-2026.csv"
    path.write_text(
        "ID,Gender,Email\n1,Female,a@x.org\n1,Male,c@x.org\n2,Agender,b@x.org\n",
        encoding="utf-8",
    )
    table = read_source(path, columns=ingest_module.read_columns(mapping))
    assert table.lines is not None  # the e-mails were not read: repeated IDs need the file
    path.unlink()
    with pytest.raises(MappingIncomplete) as stopped:
        ingest(table, mapping, year=2026)
    assert [(value.column, value.value) for value in stopped.value.undecided] == [
        ("Gender", "agender")
    ]


@pytest.mark.parametrize("beside", [False, True], ids=["in turn", "side by side"])
def test_a_row_both_contradictory_and_sharing_an_id_is_rejected_for_its_answer(
    tmp_path, monkeypatch, beside
):
    """A large export checks its IDs beside the columns and takes its rejected rows beside
    the records (from `PARALLEL_ROWS` rows on); the outcome is the same as in turn, the
    columns' rules first."""
    monkeypatch.setattr(ingest_module, "PARALLEL_ROWS", 1 if beside else 10**9)
    table = table_from(
        tmp_path,
        "ID,Gender,Race\n"
        "1,Female,White\n"
        "2,Male,Prefer not to say; Asian\n"  # contradictory, and its ID is shared
        "2,Female,Black\n"
        "3,Male,Asian\n"
        "3,Male,Asian\n"  # exact copy
        "4,Female,Prefer not to say\n",
    )
    result = ingest(table, confirmed(table), year=2025)
    reasons = dict(zip(result.rejects["source_row"], result.rejects["reason"], strict=True))
    assert sorted(reasons) == [3, 4, 6]
    assert reasons[3].startswith("contradictory answer")
    assert reasons[4].startswith("shared id")
    assert reasons[6].startswith("duplicate row: exact duplicate of row 5")
    assert result.records["record_id"].tolist() == ["1", "3", "4"]
    kinds = [(p.row, p.kind) for p in result.report.problems]
    assert kinds == [(3, "contradictory_answer"), (3, "shared_id"), (4, "shared_id"),
                     (6, "duplicate_row")]
    assert result.rejects.columns.tolist() == ["source_row", "reason", "ID", "Gender", "Race"]
    assert result.rejects["Race"].tolist() == ["Prefer not to say; Asian", "Black", "Asian"]


def test_the_json_summary_counts_every_problem(tmp_path):
    table = table_from(tmp_path, "ID,Gender\n1,F\n1,M\n")
    summary = ingest(table, confirmed(table), year=2025).report.summary()
    assert summary["rows_read"] == 2 and summary["rejected"] == 2
    assert summary["problem_counts"] == {"shared_id": 2}
    assert summary["problems"][0]["row"] == 2


def test_a_mapping_naming_a_missing_column_fails_clearly(tmp_path):
    table = table_from(tmp_path, "ID,Gender\n1,F\n")
    mapping = mapping_from_dict(
        {
            "org": "soc",
            "version": 2,
            "columns": {"Sex": {"dimension": "gender", "method": "label", "values": {}}},
        }
    )
    with pytest.raises(Exception, match="soc-2025.csv: column\\(s\\) 'Sex' of the mapping"):
        ingest(table, mapping, year=2025)


def test_records_have_the_standard_columns_as_strings(tmp_path):
    table = table_from(tmp_path, "ID,Gender\n1,F\n")
    records = ingest(table, confirmed(table), year=2025).records
    from workforce.standard import load_standard

    assert tuple(records.columns) == load_standard().record_columns
    assert all(pd.api.types.is_string_dtype(records[c]) for c in records.columns)


def test_shared_ids_are_found_whether_or_not_the_export_is_sorted(tmp_path):
    unsorted = table_from(tmp_path, "ID,Gender\n2,F\n1,M\n2,M\n3,F\n", "a-2025.csv")
    in_order = table_from(tmp_path, "ID,Gender\n1,M\n2,F\n2,M\n3,F\n", "b-2025.csv")
    for table in (unsorted, in_order):
        result = ingest(table, confirmed(table), year=2025)
        assert sorted(result.records["record_id"]) == ["1", "3"]
        assert result.report.counts() == {"shared_id": 2}


def career_mapping():
    """Career stage as a multi-select column: every code standard, but the standard takes one."""
    return soc_mapping({
        "ID": {"dimension": "record_id", "method": "record_id"},
        "Career": {
            "dimension": "career_stage", "method": "multi", "separators": [";"],
            "values": {"student": decided("student"), "retired": decided("retired")},
        },
    })


def test_a_combination_the_standard_does_not_allow_rejects_only_its_rows(tmp_path):
    """Each code is standard, but career stage takes one: "Student;Retired" is rejected."""
    table = table_from(tmp_path, "ID,Career\n1,Student\n2,Student;Retired\n3,Retired\n")
    result = ingest(table, career_mapping(), year=2025)
    assert result.records[["record_id", "career_stage"]].values.tolist() == [
        ["1", "student"], ["3", "retired"]]
    assert result.rejects["source_row"].tolist() == [3]
    (problem,) = result.report.problems
    assert (problem.row, problem.column, problem.kind) == (3, "career_stage", "not_standard")
    assert "'retired;student' is not a career_stage code" in problem.message


def test_every_cell_deciding_a_combination_the_standard_does_not_allow_is_rejected(tmp_path):
    """Different cells, the same codes: each distinct set of codes is checked once, and
    every row reaching it is rejected."""
    table = table_from(
        tmp_path, "ID,Career\n1,Student\n2,Student;Retired\n3,Retired;Student\n4,Retired\n"
    )
    result = ingest(table, career_mapping(), year=2025)
    assert result.records["record_id"].tolist() == ["1", "4"]
    assert result.rejects["source_row"].tolist() == [3, 4]
    assert [problem.value for problem in result.report.problems] == [
        "retired;student", "retired;student"]


def test_the_row_a_refused_combination_comes_from_is_rejected_after_other_rejected_rows(
    tmp_path,
):
    """Rows rejected before the standard's check (a blank ID) do not shift which record
    the check rejects."""
    table = table_from(
        tmp_path, "ID,Career\n1,Student\n,Student\n2,Student;Retired\n3,Retired\n4,Student\n"
    )
    result = ingest(table, career_mapping(), year=2025)
    assert result.records["record_id"].tolist() == ["1", "3", "4"]
    assert result.rejects["source_row"].tolist() == [3, 4]
    assert [(problem.row, problem.kind) for problem in result.report.problems] == [
        (3, "blank_id"), (4, "not_standard")]


def test_a_detail_whose_category_the_checkboxes_leave_out_rejects_only_its_record(tmp_path):
    """Race from "check all that apply" columns, its detail from another column: the pair is
    checked per distinct pair of the two, and a refused pair rejects the records carrying
    it, counted among the rows kept (a blank ID's row, holding the same pair, goes first)."""
    ticked = {"yes": decided("yes"), "(blank)": decided("no")}
    mapping = soc_mapping({
        "ID": {"dimension": "record_id", "method": "record_id"},
        "Origin": {
            "dimension": "race_ethnicity", "method": "multi", "separators": [";"],
            "values": {"mexican": decided("hispanic.mexican"), "(blank)": decided("unknown")},
        },
        "White": {"dimension": "race_ethnicity", "method": "checkbox", "code": "white",
                  "values": ticked},
        "Hispanic": {"dimension": "race_ethnicity", "method": "checkbox", "code": "hispanic",
                     "values": ticked},
    })
    table = table_from(
        tmp_path,
        "ID,Origin,White,Hispanic\n1,Mexican,Yes,Yes\n,Mexican,Yes,\n2,Mexican,Yes,\n3,,Yes,\n",
    )
    result = ingest(table, mapping, year=2025)
    assert result.records["record_id"].tolist() == ["1", "3"]
    assert result.records["race_ethnicity"].tolist() == ["hispanic;white", "white"]
    assert result.rejects["source_row"].tolist() == [3, 4]
    assert [(problem.row, problem.kind) for problem in result.report.problems] == [
        (3, "blank_id"), (4, "not_standard")]


def test_a_problem_as_plain_data_holds_every_field_as_asdict_gives_it():
    from dataclasses import asdict

    from workforce.intake.report import REJECTED, Problem

    problem = Problem(7, "Race", "Prefer not to say; White", "contradictory_answer", "…", REJECTED)
    assert problem.as_dict() == asdict(problem)
    assert list(problem.as_dict()) == list(asdict(problem))


def test_rows_taken_are_the_rows_asked_for():
    import numpy as np
    import pyarrow as pa

    data = pa.chunked_array([["a", "b", "c"], [], ["d"], ["e", "f"]], type=pa.large_string())
    # Most of the rows, each once, go through a filter; a repeated row through take.
    for rows in ([], [0], [2, 3], [0, 1, 2, 3, 4, 5], [5], [1, 4, 5], [0, 2, 3, 4, 5],
                 [0, 1, 1, 2, 4]):
        taken = take_ascending(data, np.array(rows, dtype=np.int64))
        assert taken.to_pylist() == [data[row].as_py() for row in rows]
        assert taken.type == data.type


def test_many_problems_are_reported_in_row_order_as_plain_data(tmp_path):
    import json

    rows = "".join(
        f"{i},{'Prefer not to say; White' if i % 2 else 'White'},{1800 if i % 3 == 0 else 1980}\n"
        for i in range(1, 301)
    )
    table = table_from(tmp_path, "ID,Race,Birth year\n" + rows)
    result = ingest(table, confirmed(table), year=2025)
    report = result.report
    file_rows = [problem.row for problem in report.problems]
    assert file_rows == sorted(file_rows) and len(file_rows) == 150 + 100
    assert report.counts() == {"contradictory_answer": 150, "impossible_birth_year": 100}
    # Row 4 (ID 3): its race was contradictory, its birth year impossible, in that order.
    assert [(p.row, p.kind) for p in report.problems if p.row == 4] == [
        (4, "contradictory_answer"),
        (4, "impossible_birth_year"),
    ]
    summary = json.loads(report.to_json())
    assert summary["problems"][0] == report.problems[0].as_dict()
    assert isinstance(summary["problems"][0]["row"], int)
    pd.testing.assert_frame_equal(
        report.problems_frame(),
        pd.DataFrame([problem.as_dict() for problem in report.problems]).astype(
            report.problems_frame().dtypes.to_dict()
        ),
    )
    lines = report.lines(limit=3)
    assert lines[-1] == "  ... 247 more problems in the report"
    assert lines[-4].startswith("  soc-2025.csv, row 2, column 'Race'")
    assert set(result.rejects["source_row"]) == {p.row for p in report.problems
                                                 if p.action == "rejected"}
