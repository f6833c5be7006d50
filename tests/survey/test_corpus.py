"""Real-world XLSForms from ODK, Kobo and Ona projects: each imports, or is refused precisely.

The expected outcome of every file is written down here, so a change in what the platform
accepts shows up as a failing test rather than passing unnoticed. The workbooks whose
licences allow it are in `tests/survey/corpus/`; the others are read from the shared corpus
directory when it is present.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workforce.survey.xlsform import InstrumentError, read_xlsform

VENDORED = Path(__file__).parent / "corpus"
SHARED = Path("/work/shared/corpus/xlsform")

# file → ("imported", pages, questions, languages) or ("refused", sheet, row, key phrase of
# the first reason).
EXPECTED: dict[str, tuple] = {
    "brick_kiln_household_survey.xlsx": ("refused", "survey", 4, "'start-geopoint'"),
    "correlaid_mitwirken_umfrage.xlsx": ("imported", 9, 42, ("de",)),
    "gnucoop_monitoring_evaluation.xlsx": ("imported", 2, 6, ("default",)),
    "ifrc_distribution_site_legacy_xls.xlsx": ("refused", "survey", 5, "identifying metadata"),
    "kap_endline_up_bihar.xlsx": ("refused", "survey", 4, "location is not collected"),
    "kobo_pizza_questionnaire.xlsx": ("refused", "survey", 5, "already has one"),
    "odk_all_question_types.xlsx": ("refused", "survey", 22, "question parameters"),
    "odk_socio_economic_survey.xlsx": ("refused", "survey", 12, "use a calculate question"),
    "onadata_multi_lingual_form.xlsx": ("imported", 1, 5, ("English", "Swahili", "French")),
    "onadata_testing_repeats.xlsx": ("refused", "survey", 5, "repeats are not supported"),
    "pyxform_ucl_biomass_plot.xlsx": ("refused", "survey", 16, "external file"),
    "redcap_form_triagem_final.xlsx": ("refused", "survey", 90, "expected ')' to close"),
    "validator_basic_constraints.xlsx": ("imported", 1, 4, ("default",)),
    "who_verbal_autopsy_1_5_2.xlsx": ("refused", "survey", 258, "'null' is not a value"),
    "xlsformorg_cascading_select.xlsx": ("imported", 1, 3, ("default",)),
}


def locate(file_name: str) -> Path | None:
    for directory in (VENDORED, SHARED):
        if (directory / file_name).exists():
            return directory / file_name
    return None


def test_every_vendored_form_has_a_recorded_outcome():
    vendored = {path.name for path in VENDORED.glob("*.xlsx")}
    assert vendored, f"no XLSForms in {VENDORED}"
    assert vendored <= set(EXPECTED)


def test_every_shared_corpus_form_has_a_recorded_outcome():
    if not SHARED.is_dir():
        pytest.skip(f"no shared corpus at {SHARED}")
    assert sorted(path.name for path in SHARED.glob("*.xlsx")) == sorted(EXPECTED)


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_corpus_file_imports_or_is_refused_as_recorded(file_name):
    path = locate(file_name)
    if path is None:
        pytest.skip(f"{file_name} is in neither {VENDORED} nor {SHARED}")
    outcome = EXPECTED[file_name]
    if outcome[0] == "imported":
        _, pages, questions, languages = outcome
        instrument = read_xlsform(path)
        assert len(instrument.pages) == pages
        assert len(instrument.questions) == questions
        assert all(page.questions for page in instrument.pages)
        assert instrument.languages == languages
        assert instrument.default_language in instrument.languages
        assert len(instrument.source_sha256) == 64
        for question in instrument.questions:
            assert question.row >= 2
            if question.list_name is not None:
                assert instrument.choice_list(question), question.name
        return

    _, sheet, row, phrase = outcome
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(path)
    problems = caught.value.problems
    first = problems[0]
    assert (first.sheet, first.row) == (sheet, row)
    assert phrase in first.reason
    for problem in problems:
        assert problem.sheet in ("survey", "choices", "settings")
        assert problem.row is not None and problem.row >= 1
        assert problem.reason
    assert str(caught.value).startswith(f"{file_name}: ")


def test_the_legacy_xls_file_with_an_xlsx_name_is_read():
    path = VENDORED / "ifrc_distribution_site_legacy_xls.xlsx"
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    with pytest.raises(InstrumentError) as caught:
        read_xlsform(path)
    # Refused for what it asks, not for its format: the rows were read.
    assert {problem.value for problem in caught.value.problems} >= {"deviceid", "geopoint"}
    assert not any("damaged" in problem.reason for problem in caught.value.problems)


def test_translated_corpus_forms_keep_every_language_of_their_labels():
    path = VENDORED / "correlaid_mitwirken_umfrage.xlsx"
    instrument = read_xlsform(path)
    assert instrument.settings["language_name:de"] == "Deutsch"
    labelled = [question for question in instrument.questions if question.labels]
    assert labelled
    assert all(set(question.labels) == {"de"} for question in labelled)
