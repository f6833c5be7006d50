"""Reading XLSForm workbooks: what becomes an instrument, and what is refused, and where."""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from workforce.survey.instrument import DEFAULT_LANGUAGE, Instrument
from workforce.survey.xlsform import ImportProblem, InstrumentError, read_xlsform

YES_NO = [["list_name", "name", "label"], ["yes_no", "yes", "Yes"], ["yes_no", "no", "No"]]


def workbook_bytes(
    survey: list[list[object]],
    choices: list[list[object]] | None = None,
    settings: list[list[object]] | None = None,
    *,
    extra_sheets: dict[str, list[list[object]]] | None = None,
) -> bytes:
    """An .xlsx written with openpyxl; an empty list in `survey` is a blank row."""
    book = openpyxl.Workbook()
    first = book.active
    book.remove(first)
    sheets = {"survey": survey, "choices": choices, "settings": settings, **(extra_sheets or {})}
    for title, rows in sheets.items():
        if rows is None:
            continue
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(survey, choices=None, settings=None, **kwargs) -> Instrument:
    return read_xlsform(workbook_bytes(survey, choices, settings, **kwargs), name="form.xlsx")


def refusal(survey, choices=None, settings=None, **kwargs) -> list[ImportProblem]:
    with pytest.raises(InstrumentError) as caught:
        read(survey, choices, settings, **kwargs)
    return caught.value.problems


def only_problem(survey, choices=None, settings=None, **kwargs) -> ImportProblem:
    problems = refusal(survey, choices, settings, **kwargs)
    assert len(problems) == 1, [str(problem) for problem in problems]
    return problems[0]


# --------------------------------------------------------------------------- pages


def test_ungrouped_questions_form_one_page_and_each_group_is_a_page():
    instrument = read(
        [
            ["type", "name", "label"],
            ["text", "first_name", "First name"],
            ["integer", "age", "Age"],
            ["begin group", "work", "Your work"],
            ["select_one yes_no", "employed", "Employed?"],
            ["end group", "", ""],
            ["note", "thanks", "Thank you"],
        ],
        YES_NO,
    )
    assert [page.name for page in instrument.pages] == ["page_1", "work", "page_3"]
    assert [[q.name for q in page.questions] for page in instrument.pages] == [
        ["first_name", "age"],
        ["employed"],
        ["thanks"],
    ]
    assert instrument.pages[1].labels == {DEFAULT_LANGUAGE: "Your work"}
    assert instrument.pages[1].row == 4
    assert instrument.question("employed").list_name == "yes_no"


def test_group_type_spellings_that_pyxform_accepts_and_any_case_of_type_words():
    instrument = read(
        [
            ["type", "name", "label"],
            ["begin_group", "one", "One"],
            ["Text", "a", "A"],
            ["end_group", "", ""],
            ["Begin Group", "two", "Two"],
            ["Select One yes_no", "b", "B"],
            ["INTEGER", "c", "C"],
            ["END GROUP", "", ""],
        ],
        YES_NO,
    )
    assert [page.name for page in instrument.pages] == ["one", "two"]
    assert [(q.name, q.type) for q in instrument.questions] == [
        ("a", "text"),
        ("b", "select_one"),
        ("c", "integer"),
    ]


def test_nested_groups_are_flattened_into_the_enclosing_page_with_relevance_joined():
    instrument = read(
        [
            ["type", "name", "label", "relevant"],
            ["select_one yes_no", "consent", "Consent?", ""],
            ["begin group", "outer", "Outer", "${consent} = 'yes'"],
            ["integer", "age", "Age", ""],
            ["begin group", "inner", "Inner", "${age} > 17"],
            ["text", "job", "Job", "${age} < 90"],
            ["end group", "", "", ""],
            ["text", "town", "Town", ""],
            ["end group", "", "", ""],
        ],
        YES_NO,
    )
    outer = instrument.pages[1]
    assert outer.name == "outer"
    assert outer.relevant == "${consent} = 'yes'"
    assert [q.name for q in outer.questions] == ["age", "job", "town"]
    assert instrument.question("age").relevant == "${consent} = 'yes'"
    assert instrument.question("job").relevant == (
        "(${consent} = 'yes') and (${age} > 17) and (${age} < 90)"
    )
    assert instrument.question("town").relevant == "${consent} = 'yes'"
    assert any("group 'inner'" in note and "'outer'" in note for note in instrument.notes)


def test_rows_are_the_rows_a_spreadsheet_shows_even_after_many_blank_rows():
    blank_rows: list[list[object]] = [[] for _ in range(70)]
    instrument = read(
        [
            ["type", "name", "label"],
            ["text", "a", "A"],
            [],
            [],
            ["text", "b", "B"],
            *blank_rows,
            ["text", "c", "C"],
        ]
    )
    assert [q.row for q in instrument.questions] == [2, 5, 76]


def test_a_problem_after_blank_rows_names_its_real_row():
    problem = only_problem(
        [["type", "name", "label"], ["text", "a", "A"], [], [], [], ["geopoint", "where", "?"]]
    )
    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "survey",
        6,
        "type",
        "geopoint",
    )


# --------------------------------------------------------------------------- questions


def test_select_multiple_with_or_other():
    instrument = read(
        [
            ["type", "name", "label"],
            ["select_multiple toppings or_other", "toppings", "Toppings"],
        ],
        [
            ["list_name", "name", "label"],
            ["toppings", "cheese", "Cheese"],
            ["toppings", "olives", "Olives"],
        ],
    )
    question = instrument.question("toppings")
    assert (question.type, question.list_name, question.or_other) == (
        "select_multiple",
        "toppings",
        True,
    )
    assert [choice.name for choice in instrument.choice_list(question)] == ["cheese", "olives"]
    assert [choice.row for choice in instrument.choice_list(question)] == [2, 3]


def test_or_other_text_name_must_not_clash_with_a_question():
    problem = only_problem(
        [
            ["type", "name", "label"],
            ["select_one yes_no or_other", "pet", "Pet"],
            ["text", "pet_other", "Other pet"],
        ],
        YES_NO,
    )
    assert (problem.row, problem.column, problem.value) == (3, "name", "pet_other")
    assert "already used on row 2" in problem.reason


def test_languages_from_label_suffixes_with_codes_and_display_names():
    instrument = read(
        [
            ["type", "name", "label::English (en)", "label::Français (fr)", "hint::English (en)"],
            ["text", "town", "Town", "Ville", "Where you live"],
        ],
        settings=[["form_id", "default_language"], ["towns", "Français (fr)"]],
    )
    assert instrument.languages == ("en", "fr")
    assert instrument.default_language == "fr"
    assert instrument.settings["language_name:en"] == "English"
    assert instrument.settings["language_name:fr"] == "Français"
    town = instrument.question("town")
    assert town.labels == {"en": "Town", "fr": "Ville"}
    assert town.hints == {"en": "Where you live"}
    assert town.label("fr") == "Ville"


def test_a_language_without_a_code_is_named_by_its_whole_suffix():
    instrument = read(
        [["type", "name", "label::English", "label::Swahili"], ["text", "a", "Name", "Jina"]]
    )
    assert instrument.languages == ("English", "Swahili")
    assert instrument.default_language == "English"
    assert instrument.question("a").labels == {"English": "Name", "Swahili": "Jina"}


def test_a_form_without_language_columns_has_the_default_language():
    instrument = read([["type", "name", "label"], ["text", "a", "Name"]])
    assert instrument.languages == (DEFAULT_LANGUAGE,)
    assert instrument.default_language == DEFAULT_LANGUAGE


def test_required_and_constraint_messages_per_language():
    instrument = read(
        [
            [
                "type",
                "name",
                "label",
                "required",
                "required_message::English (en)",
                "constraint",
                "constraint_message::English (en)",
                "constraint_message::Deutsch (de)",
            ],
            ["integer", "age", "Age", "yes", "Please answer", ". < 120", "Too old", "Zu alt"],
        ]
    )
    age = instrument.question("age")
    assert age.required is True
    assert age.required_message == {"en": "Please answer"}
    assert age.constraint == ". < 120"
    assert age.constraint_message == {"en": "Too old", "de": "Zu alt"}
    assert set(instrument.languages) == {"default", "en", "de"}


@pytest.mark.parametrize(
    ("written", "required"),
    [("yes", True), ("TRUE", True), ("true()", True), ("TRUE()", True), ("1", True),
     ("no", False), ("FALSE", False), ("false()", False), ("0", False), ("", False)],
)  # fmt: skip
def test_required_spellings_that_pyxform_accepts(written, required):
    instrument = read([["type", "name", "label", "required"], ["text", "a", "A", written]])
    assert instrument.question("a").required is required


def test_a_yes_or_no_word_as_a_condition_reads_as_pyxform_reads_it():
    instrument = read(
        [["type", "name", "label", "relevant"], ["text", "a", "A", "FALSE"], ["text", "b", "B", ""]]
    )
    assert instrument.question("a").relevant == "false()"
    assert any("relevant 'FALSE' is read as false()" in note for note in instrument.notes)


def test_a_required_condition_is_refused():
    problem = only_problem(
        [
            ["type", "name", "label", "required"],
            ["text", "a", "A", ""],
            ["text", "b", "B", "${a} = 'x'"],
        ]
    )
    assert (problem.row, problem.column, problem.value) == (3, "required", "${a} = 'x'")
    assert "yes or no" in problem.reason


def test_choice_filter_keeps_the_extra_choice_columns_as_filters():
    instrument = read(
        [
            ["type", "name", "label", "choice_filter"],
            ["select_one states", "state", "State", ""],
            ["select_one counties", "county", "County", "state=${state}"],
        ],
        [
            ["list_name", "name", "label", "state"],
            ["states", "tx", "Texas", None],
            ["states", "wa", "Washington", None],
            ["counties", "king", "King", "wa"],
            ["counties", "harris", "Harris", "tx"],
        ],
    )
    county = instrument.question("county")
    assert county.choice_filter == "state=${state}"
    assert [(c.name, c.filters) for c in instrument.choice_list(county)] == [
        ("king", {"state": "wa"}),
        ("harris", {"state": "tx"}),
    ]
    assert instrument.choices["states"][0].filters == {"state": ""}


def test_a_choice_filter_naming_a_column_the_choices_sheet_lacks_is_refused():
    problem = only_problem(
        [
            ["type", "name", "label", "choice_filter"],
            ["select_one yes_no", "a", "A", ""],
            ["select_one yes_no", "b", "B", "region = ${a}"],
        ],
        YES_NO,
    )
    assert (problem.row, problem.column, problem.value) == (3, "choice_filter", "region = ${a}")
    assert problem.reason.startswith("'region' is not a column of the choices sheet")


def test_calculate_and_metadata_questions():
    instrument = read(
        [
            ["type", "name", "label", "calculation"],
            ["start", "started", "", ""],
            ["today", "day", "", ""],
            ["integer", "birth_year", "Birth year", ""],
            ["calculate", "age", "", "2025 - ${birth_year}"],
            ["end", "ended", "", ""],
        ]
    )
    assert [(q.name, q.type) for q in instrument.questions] == [
        ("started", "start"),
        ("day", "today"),
        ("birth_year", "integer"),
        ("age", "calculate"),
        ("ended", "end"),
    ]
    assert instrument.question("age").calculation == "2025 - ${birth_year}"
    assert not instrument.question("age").answered


def test_default_read_only_and_appearance_are_kept_and_appearance_is_noted():
    instrument = read(
        [
            ["type", "name", "label", "default", "read_only", "appearance"],
            ["select_one yes_no", "a", "A", "yes", "", "minimal"],
            ["integer", "b", "B", "3", "yes", ""],
        ],
        YES_NO,
    )
    assert instrument.question("a").default == "yes"
    assert instrument.question("a").appearance == "minimal"
    assert instrument.question("b").read_only is True
    assert not instrument.question("b").answered
    assert any("appearance 'minimal' (survey rows 2)" in note for note in instrument.notes)


def test_label_markdown_is_accepted_and_noted():
    instrument = read([["type", "name", "label"], ["note", "intro", "Read **this** first"]])
    assert instrument.question("intro").labels == {"default": "Read **this** first"}
    assert any("markdown" in note and "2" in note for note in instrument.notes)


def test_unnamed_notes_get_the_name_pyxform_gives_them():
    instrument = read([["type", "name", "label"], ["note", "", "Welcome"]])
    assert instrument.questions[0].name == "generated_note_name_2"


def test_settings_sheet():
    instrument = read(
        [["type", "name", "label"], ["text", "a", "A"]],
        settings=[
            ["form_id", "form_title", "version", "style"],
            ["climate_2025", "Climate survey", "2025-01", "pages"],
        ],
    )
    assert (instrument.form_id, instrument.title, instrument.version) == (
        "climate_2025",
        "Climate survey",
        "2025-01",
    )
    assert instrument.settings["style"] == "pages"
    assert any("'style' is kept but not used" in note for note in instrument.notes)


def test_without_settings_the_form_id_comes_from_the_file_name(tmp_path):
    path = tmp_path / "member survey.xlsx"
    path.write_bytes(workbook_bytes([["type", "name", "label"], ["text", "a", "A"]]))
    instrument = read_xlsform(path)
    assert instrument.form_id == "member_survey"
    assert instrument.title == "member_survey"
    assert any("no form_id" in note for note in instrument.notes)


def test_source_sha256_is_the_digest_of_the_bytes():
    data = workbook_bytes([["type", "name", "label"], ["text", "a", "A"]])
    assert read_xlsform(data).source_sha256 == hashlib.sha256(data).hexdigest()


def test_to_dict_and_back_gives_an_equal_instrument():
    instrument = read(
        [
            ["type", "name", "label::English (en)", "label::Español (es)", "relevant"],
            ["select_one yes_no or_other", "consent", "Consent?", "¿Acepta?", ""],
            ["begin group", "more", "More", "Más", "${consent} = 'yes'"],
            ["integer", "age", "Age", "Edad", ""],
            ["end group", "", "", "", ""],
        ],
        [
            ["list_name", "name", "label::English (en)", "label::Español (es)"],
            ["yes_no", "yes", "Yes", "Sí"],
            ["yes_no", "no", "No", "No"],
        ],
    )
    assert Instrument.from_dict(instrument.to_dict()) == instrument


# --------------------------------------------------------------------------- standard


def test_standard_column_accepts_codes_of_the_dimension():
    instrument = read(
        [
            ["type", "name", "label", "standard"],
            ["select_one gender", "gender", "Gender", "gender"],
            ["select_multiple detail", "origins", "Origins", "race_ethnicity_detail"],
            ["integer", "birth_year", "Year of birth", "age_band"],
        ],
        [
            ["list_name", "name", "label"],
            ["gender", "woman", "Woman"],
            ["gender", "man", "Man"],
            ["gender", "declined", "Prefer not to say"],
            ["detail", "asian.chinese", "Chinese"],
            ["detail", "aian.navajo", "Navajo"],
        ],
    )
    assert instrument.question("gender").standard == "gender"
    assert instrument.question("origins").standard == "race_ethnicity_detail"
    assert instrument.question("birth_year").standard == "age_band"


def test_standard_column_refuses_an_unknown_dimension():
    problem = only_problem(
        [["type", "name", "label", "standard"], ["select_one yes_no", "a", "A", "shoe_size"]],
        YES_NO,
    )
    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "survey",
        2,
        "standard",
        "shoe_size",
    )
    assert "not a dimension of the data standard" in problem.reason


def test_standard_column_refuses_choice_names_that_are_not_codes():
    problem = only_problem(
        [["type", "name", "label", "standard"], ["select_one g", "gender", "Gender", "gender"]],
        [["list_name", "name", "label"], ["g", "woman", "Woman"], ["g", "female", "Female"]],
    )
    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "choices",
        3,
        "name",
        "female",
    )
    assert "'gender'" in problem.reason


def test_standard_column_refuses_other_when_the_dimension_has_no_such_code():
    problem = only_problem(
        [
            ["type", "name", "label", "standard"],
            ["select_one g or_other", "gender", "Gender", "gender"],
        ],
        [["list_name", "name", "label"], ["g", "woman", "Woman"]],
    )
    assert (problem.row, problem.value) == (2, "other")


def test_standard_column_refuses_a_text_question_and_a_multiple_select_for_one_code():
    problems = refusal(
        [
            ["type", "name", "label", "standard"],
            ["text", "job", "Job", "role"],
            ["select_multiple g", "gender", "Gender", "gender"],
        ],
        [["list_name", "name", "label"], ["g", "woman", "Woman"]],
    )
    assert [(p.row, p.column) for p in problems] == [(2, "standard"), (3, "standard")]
    assert "a text question cannot feed dimension 'role'" in problems[0].reason
    assert "use select_one" in problems[1].reason


# --------------------------------------------------------------------------- refusals

UNSUPPORTED_TYPES = [
    ("geopoint", "location is not collected"),
    ("geotrace", "location is not collected"),
    ("geoshape", "location is not collected"),
    ("start-geopoint", "location is not collected"),
    ("image", "photos, recordings and file uploads"),
    ("audio", "photos, recordings and file uploads"),
    ("video", "photos, recordings and file uploads"),
    ("file", "photos, recordings and file uploads"),
    ("background-audio", "photos, recordings and file uploads"),
    ("barcode", "barcode"),
    ("range", "slider"),
    ("rank yes_no", "ranking"),
    ("acknowledge", "select_one or a note"),
    ("trigger", "select_one or a note"),
    ("hidden", "calculate"),
    ("xml-external", "external data files"),
    ("select_one_from_file places.csv", "external file"),
    ("select_multiple_from_file places.csv", "external file"),
    ("select_one_external yes_no", "external file"),
    ("deviceid", "identifying metadata"),
    ("phonenumber", "identifying metadata"),
    ("username", "identifying metadata"),
    ("email", "identifying metadata"),
    ("audit", "identifying metadata"),
    ("simserial", "identifying metadata"),
    ("subscriberid", "identifying metadata"),
    ("datetime", "time of day"),
    ("time", "time of day"),
]


@pytest.mark.parametrize(("type_text", "reason"), UNSUPPORTED_TYPES)
def test_unsupported_question_types_are_refused_with_their_row(type_text, reason):
    problem = only_problem(
        [["type", "name", "label"], ["text", "a", "A"], [type_text, "b", "B"]], YES_NO
    )
    assert (problem.sheet, problem.row, problem.column, problem.value) == (
        "survey",
        3,
        "type",
        type_text,
    )
    assert problem.reason.startswith(f"question type {type_text!r} is not supported (")
    assert reason in problem.reason


def test_the_message_reads_as_sheet_row_column_value_and_reason():
    problem = only_problem([["type", "name", "label"], ["geopoint", "where", "Where?"]])
    assert str(problem) == (
        "survey sheet, row 2, column 'type', value 'geopoint': question type 'geopoint' is "
        "not supported (location is not collected by this platform)"
    )


def test_an_unknown_type_is_refused():
    problem = only_problem([["type", "name", "label"], ["txet", "a", "A"]])
    assert (problem.row, problem.value) == (2, "txet")
    assert "not an XLSForm question type" in problem.reason


def test_repeats_are_refused():
    problem = only_problem(
        [
            ["type", "name", "label"],
            ["begin repeat", "children", "Children"],
            ["text", "child", "Child"],
            ["end repeat", "", ""],
        ]
    )
    assert (problem.row, problem.column, problem.value) == (2, "type", "begin repeat")
    assert "repeats are not supported" in problem.reason


def test_unbalanced_groups_are_refused():
    problems = refusal(
        [
            ["type", "name", "label"],
            ["end group", "", ""],
            ["begin group", "g", "G"],
            ["text", "a", "A"],
        ]
    )
    assert [(p.row, p.reason) for p in problems] == [
        (2, "'end group' has no matching 'begin group'"),
        (3, "group 'g' is never closed with 'end group'"),
    ]


def test_a_select_list_missing_from_choices_is_refused():
    problem = only_problem(
        [["type", "name", "label"], ["select_one colours", "colour", "Colour"]], YES_NO
    )
    assert (problem.row, problem.column, problem.value) == (2, "type", "select_one colours")
    assert problem.reason == "choice list 'colours' is not on the choices sheet"


def test_duplicate_names_and_duplicate_choices_are_refused():
    problems = refusal(
        [["type", "name", "label"], ["text", "a", "A"], ["integer", "a", "Again"]],
        [*YES_NO, ["yes_no", "yes", "Yes again"]],
    )
    assert [(p.sheet, p.row, p.column, p.value) for p in problems] == [
        ("survey", 3, "name", "a"),
        ("choices", 4, "name", "yes"),
    ]
    assert "already used on row 2" in problems[0].reason
    assert "(row 2)" in problems[1].reason


def test_expressions_that_do_not_parse_are_refused():
    problem = only_problem([["type", "name", "label", "relevant"], ["text", "a", "A", "(1 = 1"]])
    assert (problem.row, problem.column, problem.value) == (2, "relevant", "(1 = 1")
    assert problem.reason.startswith("the expression cannot be used: ")


def test_unsupported_functions_are_refused_by_name():
    problem = only_problem(
        [["type", "name", "label", "calculation"], ["calculate", "when", "", "now()"]]
    )
    assert (problem.row, problem.column) == (2, "calculation")
    assert "now" in problem.reason


def test_references_to_names_that_are_not_questions_are_refused():
    problems = refusal(
        [
            ["type", "name", "label", "relevant", "constraint"],
            ["begin group", "g", "G", "${nobody} = 1", ""],
            ["integer", "a", "A ${missing}", "", ". > ${ghost}"],
            ["end group", "", "", "", ""],
        ]
    )
    located = {(p.row, p.column): p.reason for p in problems}
    assert located[(2, "relevant")] == "${nobody} does not name a question of this form"
    assert located[(3, "constraint")] == "${ghost} does not name a question of this form"
    assert located[(3, "label")] == "${missing} does not name a question of this form"


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("repeat_count", "3", "repeat count"),
        ("parameters", "randomize=true", "parameters"),
        ("media::image", "map.png", "images, audio and video"),
        ("image", "map.png", "images, audio and video"),
        ("body::accuracyThreshold", "5", "body::"),
        ("bind::odk:length", "5", "bind::"),
        ("trigger", "${a}", "triggers"),
    ],
)
def test_columns_that_change_behaviour_are_refused_where_they_hold_a_value(header, value, reason):
    problem = only_problem(
        [["type", "name", "label", header], ["text", "a", "A", None], ["text", "b", "B", value]]
    )
    assert (problem.row, problem.column, problem.value) == (3, header, value)
    assert reason in problem.reason


def test_columns_the_platform_does_not_use_are_listed_in_the_notes():
    instrument = read(
        [
            ["type", "name", "label", "guidance_hint", "instance::tag", "comments"],
            ["text", "a", "A", "Ask slowly", "x", "check wording"],
        ]
    )
    notes = "\n".join(instrument.notes)
    assert "'guidance_hint'" in notes
    assert "'instance::tag'" in notes
    assert "'comments'" in notes


def test_a_workbook_without_a_survey_sheet_is_refused():
    data = workbook_bytes([["list_name"]], extra_sheets={"notes": [["x"]]})
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["survey"].title = "questions"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(buffer.getvalue())
    [problem] = caught.value.problems
    assert (problem.sheet, problem.row) == ("survey", None)
    assert "no 'survey' sheet" in problem.reason
    assert "'questions'" in problem.reason


def test_a_survey_sheet_without_a_type_column_is_refused():
    problem = only_problem([["name", "label"], ["a", "A"]])
    assert (problem.sheet, problem.row) == ("survey", 1)
    assert "no 'type' column" in problem.reason


def test_every_problem_is_reported_not_just_the_first():
    problems = refusal(
        [
            ["type", "name", "label", "relevant"],
            ["geopoint", "where", "Where", ""],
            ["text", "a", "A", "${nobody} = 1"],
            ["select_one missing", "b", "B", ""],
            ["text", "a", "A again", ""],
        ]
    )
    assert [p.row for p in problems] == [2, 3, 4, 5]
    message = str(InstrumentError(problems, "form.xlsx"))
    assert message.startswith("form.xlsx: 4 problems\n")
    assert all(str(problem) in message for problem in problems)


def test_pyxform_finds_what_it_knows_and_its_row_is_kept():
    problem = only_problem(
        [
            ["type", "name", "label", "choice_filter"],
            ["text", "a", "A", ""],
            ["select_one yes_no or_other", "b", "B", "name != ${a}"],
        ],
        YES_NO,
    )
    assert (problem.sheet, problem.row) == ("survey", 3)
    assert problem.reason == (
        "the XLSForm check (pyxform) reports: Choice filter not supported with or_other."
    )


def test_pyxform_reserved_names_are_refused_with_their_row():
    problem = only_problem([["type", "name", "label"], ["text", "a", "A"], ["text", "meta", "M"]])
    assert (problem.sheet, problem.row) == ("survey", 3)
    assert "reserved" in problem.reason


# --------------------------------------------------------------------------- bad files


def test_a_file_that_is_not_a_workbook_is_refused_clearly():
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(b"type,name,label\ntext,a,A\n", name="form.csv")
    [problem] = caught.value.problems
    assert problem.sheet == ""
    assert "not an Excel workbook" in problem.reason
    assert str(caught.value).startswith("form.csv: workbook: ")


def test_a_damaged_workbook_is_refused_clearly():
    data = workbook_bytes([["type", "name", "label"], ["text", "a", "A"]])
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(data[: len(data) // 2])
    assert "damaged" in caught.value.problems[0].reason


def test_a_zip_that_is_not_a_workbook_is_refused_clearly():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(buffer.getvalue())
    assert "damaged or is not an Excel workbook" in caught.value.problems[0].reason


def test_a_missing_file_is_refused_clearly(tmp_path):
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(tmp_path / "absent.xlsx")
    assert "cannot be read" in caught.value.problems[0].reason


def test_a_path_and_a_file_object_read_the_same(tmp_path):
    data = workbook_bytes([["type", "name", "label"], ["text", "a", "A"]])
    path: Path = tmp_path / "form.xlsx"
    path.write_bytes(data)
    assert read_xlsform(path) == read_xlsform(io.BytesIO(data), name="form.xlsx")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_only_ever_raise_instrument_error(data):
    with pytest.raises(InstrumentError):
        read_xlsform(data)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=400), st.integers(min_value=0))
def test_damaged_workbook_bytes_only_ever_raise_instrument_error(noise, position):
    data = bytearray(workbook_bytes([["type", "name", "label"], ["text", "a", "A"]]))
    start = position % len(data)
    data[start : start + len(noise)] = noise
    with contextlib.suppress(InstrumentError):
        read_xlsform(bytes(data))


CELL_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            "text",
            "integer",
            "select_one yes_no",
            "select_multiple yes_no or_other",
            "begin group",
            "end group",
            "begin repeat",
            "calculate",
            "geopoint",
            "${a}",
            "${a} > 1",
            "yes",
            "no",
            "a",
            "b",
            "gender",
            "age_band",
            "((",
            ". < 3",
            "selected(${b}, 'yes')",
        ]
    ),
    st.text(max_size=20),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(st.lists(CELL_TEXT, min_size=8, max_size=8), min_size=1, max_size=6))
def test_random_cells_in_a_valid_skeleton_only_ever_raise_instrument_error(rows):
    header = [
        "type",
        "name",
        "label",
        "relevant",
        "constraint",
        "required",
        "calculation",
        "standard",
    ]
    # openpyxl cannot write control characters, and "=..." would be a formula.
    cleaned = [
        [ILLEGAL_CHARACTERS_RE.sub("", cell).lstrip("=") or None for cell in row] for row in rows
    ]
    try:
        instrument = read([header, ["text", "a", "A", None, None, None, None, None], *cleaned],
                          YES_NO)  # fmt: skip
    except InstrumentError as error:
        assert error.problems
        assert all(problem.reason for problem in error.problems)
    else:
        assert instrument.questions
