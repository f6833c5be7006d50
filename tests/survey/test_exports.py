"""Responses out: a codebook, a response table and csv/xlsx/sav/dta files with labels."""

from __future__ import annotations

import datetime
import re

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from workforce.survey import exports
from workforce.survey.exports import (
    codebook,
    response_table,
    write_responses,
)
from workforce.survey.instrument import Choice, Instrument, Page, Question, combine
from workforce.survey.modules import MODULES, module_path
from workforce.survey.xlsform import read_xlsform

LANGUAGE = "default"
LONG_NAME = "how_satisfied_are_you_with_the_mentoring_you_received_during_your_training_years"


@pytest.fixture(scope="module")
def wave():
    return combine(
        [read_xlsform(module_path(name)) for name in MODULES],
        form_id="wave_2025",
        title="Workforce survey 2025",
        version="1",
    )


@pytest.fixture(scope="module")
def responses():
    return [
        {
            "response_id": "3f1c",
            "status": "complete",
            "submitted_on": datetime.date(2025, 3, 14),
            "answers": {
                "age": "34",
                "gender": "woman",
                "race_ethnicity": ["hispanic", "white"],
                "country": "US",
                "us_state": "CA",
                "clim_belong_1": "agree",
                "clim_comment": '=HYPERLINK("http://example.org")',
                "sexp_gh_2": "sometimes",
                "sexp_any": "1",
                "sexp_who": ["peer", "other"],
                "sexp_who_other": "A visiting speaker",
            },
        },
        {
            "response_id": "9a07",
            "status": "partial",
            "submitted_on": None,
            "answers": {"gender": "declined", "clim_comment": "Más apoyo, por favor."},
        },
    ]


@pytest.fixture(scope="module")
def table(wave, responses):
    return response_table(wave, responses)


def small_instrument():
    """Names that no statistics format accepts as they are."""
    questions = (
        Question(name="q-1", type="text", labels={LANGUAGE: "First"}),
        Question(name="q_1", type="text", labels={LANGUAGE: "Second"}),
        Question(name=LONG_NAME, type="integer", labels={LANGUAGE: "Satisfaction " * 20}),
        Question(name="in", type="decimal", labels={LANGUAGE: "Hours a week"}),
        Question(name="_private", type="date", labels={LANGUAGE: "Started"}),
    )
    return Instrument(
        form_id="small",
        title="Small",
        version="1",
        pages=(Page(name="page", questions=questions),),
        choices={"unused": (Choice("a", {LANGUAGE: "A"}),)},
    )


def test_codebook_lists_every_column_with_its_label_choices_dimension_and_relevance(wave, table):
    book = codebook(wave, language=LANGUAGE).set_index("variable")

    assert list(book.index) == list(table.columns)
    gender = book.loc["gender"]
    assert gender["label"] == "What is your current gender?"
    assert gender["type"] == "select_one"
    assert gender["standard"] == "gender"
    assert gender["choices"].splitlines()[0] == "woman = Woman"
    assert gender["codes"].splitlines()[:2] == ["1 = woman", "2 = man"]
    assert book.loc["us_state", "relevance"] == "${country} = 'US'"
    assert book.loc["race_ethnicity__hispanic", "type"] == "indicator"
    assert book.loc["race_ethnicity__hispanic", "codes"] == "0 = No\n1 = Yes"
    assert book.loc["sexp_who_other", "type"] == "other_text"
    assert "sexp_gh_1" in book.loc["sexp_any", "label"]  # a calculate shows its formula


def test_response_table_has_one_row_per_response_and_a_0_1_column_per_choice(table):
    first = table.iloc[0]

    assert list(table.columns[:3]) == ["response_id", "status", "submitted_on"]
    assert list(table["response_id"]) == ["3f1c", "9a07"]
    assert first["submitted_on"] == "2025-03-14"
    assert pd.isna(table.loc[1, "submitted_on"])
    assert first["race_ethnicity"] == "hispanic white"
    assert first["race_ethnicity__hispanic"] == 1
    assert first["race_ethnicity__white"] == 1
    assert first["race_ethnicity__asian"] == 0
    assert first["sexp_who__other"] == 1
    assert first["sexp_who_other"] == "A visiting speaker"
    assert first["age"] == 34
    assert str(table["age"].dtype) == "Int64"
    assert "demographics_intro" not in table.columns  # notes are not data


def test_an_unanswered_select_multiple_leaves_its_choice_columns_empty_not_zero(table):
    assert pd.isna(table.loc[1, "race_ethnicity"])
    assert pd.isna(table.loc[1, "race_ethnicity__hispanic"])


def test_a_response_without_its_answers_is_refused_by_position(wave):
    with pytest.raises(ValueError, match="response 2: missing 'answers'"):
        response_table(
            wave,
            [
                {"response_id": "a", "status": "complete", "submitted_on": None, "answers": {}},
                {"response_id": "b", "status": "complete", "submitted_on": None},
            ],
        )


def test_a_stored_answer_that_is_not_a_number_is_refused_naming_response_and_question(wave):
    bad = {"response_id": "r9", "status": "complete", "submitted_on": None,
           "answers": {"age": "thirty"}}  # fmt: skip

    with pytest.raises(ValueError, match="response 'r9', question 'age'"):
        response_table(wave, [bad])


def test_sav_round_trip_keeps_variable_labels_and_value_labels(wave, table, tmp_path):
    path = write_responses(wave, table, tmp_path / "wave.sav", format="sav", language=LANGUAGE)

    data, meta = pyreadstat.read_sav(str(path))
    labels = meta.column_names_to_labels
    assert labels["gender"] == "What is your current gender?"
    assert meta.variable_value_labels["gender"][1.0] == "Woman"
    assert meta.variable_value_labels["gender"][5.0] == "Prefer not to say"
    assert meta.variable_value_labels["race_ethnicity__white"] == {0.0: "No", 1.0: "Yes"}
    assert list(data["gender"].iloc[:2]) == [1.0, 5.0]
    assert data.loc[0, "age"] == 34
    assert data.loc[0, "submitted_on"] == datetime.date(2025, 3, 14)
    assert data.loc[1, "clim_comment"] == "Más apoyo, por favor."
    assert meta.file_label == "Workforce survey 2025"
    book = codebook(wave, language=LANGUAGE)
    assert list(data.columns) == list(book["spss_name"])


def test_dta_round_trip_keeps_labels_within_statas_limits(wave, table, tmp_path):
    path = write_responses(wave, table, tmp_path / "wave.dta", format="dta", language=LANGUAGE)

    data, meta = pyreadstat.read_dta(str(path))
    book = codebook(wave, language=LANGUAGE).set_index("variable")
    detail = book.loc["race_ethnicity_detail__asian.filipino", "stata_name"]
    assert list(data.columns) == list(book["stata_name"])
    assert all(len(name) <= 32 for name in data.columns)
    assert all(len(label) <= 80 for label in meta.column_names_to_labels.values() if label)
    assert meta.column_names_to_labels["intersex"].endswith("...")
    assert meta.variable_value_labels["gender"][1] == "Woman"
    assert detail.endswith("asian_filipino")
    assert meta.variable_value_labels[detail] == {0: "No", 1: "Yes"}
    assert data.loc[0, "gender"] == 1
    assert data.loc[0, "race_ethnicity__hispanic"] == 1


def test_statistics_names_are_valid_unique_and_within_each_formats_limit(tmp_path):
    instrument = small_instrument()
    book = codebook(instrument, language=LANGUAGE).set_index("variable")

    for column, limit in (("spss_name", 64), ("stata_name", 32)):
        names = list(book[column])
        assert len({name.lower() for name in names}) == len(names)
        assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) for name in names)
        assert all(len(name) <= limit for name in names)
    assert book.loc["q-1", "stata_name"] == "q_1"
    assert book.loc["q_1", "stata_name"] == "q_1_2"
    assert book.loc["in", "stata_name"] != "in"  # a Stata keyword
    assert book.loc["_private", "spss_name"] == "v_private"

    table = response_table(
        instrument,
        [{"response_id": "a", "status": "complete", "submitted_on": None,
          "answers": {"q-1": "x", "q_1": "y", LONG_NAME: "4", "in": "2.5",
                      "_private": "2024-09-01"}}],
    )  # fmt: skip
    for kind in ("sav", "dta"):
        path = write_responses(
            instrument, table, tmp_path / f"small.{kind}", format=kind, language=LANGUAGE
        )
        reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
        data, _meta = reader(str(path))
        assert data.iloc[0].tolist()[3:] == ["x", "y", 4, 2.5, datetime.date(2024, 9, 1)]


def test_csv_is_utf8_with_choice_names_and_a_text_formula_is_defused(wave, table, tmp_path):
    path = write_responses(wave, table, tmp_path / "wave.csv", format="csv", language=LANGUAGE)

    text = path.read_text(encoding="utf-8")
    data = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert "Más apoyo, por favor." in text
    assert data.loc[0, "gender"] == "woman"
    assert data.loc[0, "race_ethnicity"] == "hispanic white"
    assert data.loc[0, "clim_comment"] == '\'=HYPERLINK("http://example.org")'
    assert list(data.columns) == list(table.columns)


def test_xlsx_has_a_responses_sheet_and_a_codebook_sheet_and_formulas_stay_text(
    wave, table, tmp_path
):
    path = write_responses(wave, table, tmp_path / "wave.xlsx", format="xlsx", language=LANGUAGE)

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["responses", "codebook"]
    rows = list(workbook["responses"].iter_rows(values_only=True))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["gender"] == "woman"
    assert first["age"] == 34
    assert first["clim_comment"] == '=HYPERLINK("http://example.org")'
    cell = workbook["responses"].cell(row=2, column=header.index("clim_comment") + 1)
    assert cell.data_type == "s"  # text, not a formula
    codebook_header = next(workbook["codebook"].iter_rows(values_only=True))
    assert codebook_header[:3] == ("variable", "label", "type")


def test_a_failing_write_leaves_no_file_and_keeps_the_previous_export(
    wave, table, tmp_path, monkeypatch
):
    target = tmp_path / "wave.sav"
    target.write_bytes(b"last week's export")

    def write_half_then_fail(frame, path, **options):
        with open(path, "wb") as handle:
            handle.write(b"$FL2 half")
        raise OSError("disk full")

    monkeypatch.setattr(pyreadstat, "write_sav", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_responses(wave, table, target, format="sav", language=LANGUAGE)

    assert target.read_bytes() == b"last week's export"
    assert [path.name for path in tmp_path.iterdir()] == ["wave.sav"]


def test_a_failing_first_write_leaves_nothing_behind(wave, table, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(exports, "_write_csv", fail)
    with pytest.raises(RuntimeError):
        write_responses(wave, table, tmp_path / "wave.csv", format="csv", language=LANGUAGE)

    assert list(tmp_path.iterdir()) == []


def test_an_unknown_format_is_refused_before_anything_is_written(wave, table, tmp_path):
    with pytest.raises(ValueError, match="csv, xlsx, sav, dta"):
        write_responses(wave, table, tmp_path / "wave.json", format="json", language=LANGUAGE)

    assert list(tmp_path.iterdir()) == []


def test_a_stored_choice_missing_from_the_list_is_refused_when_coding_a_sav(wave, tmp_path):
    table = response_table(
        wave,
        [{"response_id": "r1", "status": "complete", "submitted_on": None,
          "answers": {"gender": "female"}}],
    )  # fmt: skip

    with pytest.raises(ValueError, match="column 'gender': 'female' is not a choice of list"):
        write_responses(wave, table, tmp_path / "wave.sav", format="sav", language=LANGUAGE)

    assert list(tmp_path.iterdir()) == []
