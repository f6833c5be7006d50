"""The standard survey modules: generated from the standard, valid XLSForms, kind to read."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from workforce.standard import DECLINED, load_standard
from workforce.survey.flow import choices_for, relevant_pages
from workforce.survey.instrument import combine
from workforce.survey.modules import MODULES, module_path
from workforce.survey.xlsform import read_xlsform

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_survey_modules.py"
NEVER = "never"


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_survey_modules", BUILD_SCRIPT)
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # dataclasses look their module up while building
    spec.loader.exec_module(script)
    return script


@pytest.fixture(scope="module")
def instruments():
    return {name: read_xlsform(module_path(name)) for name in MODULES}


@pytest.fixture(scope="module")
def standard():
    return load_standard()


def respondent_texts(instrument):
    """Every text a respondent can read in an instrument."""
    texts = [instrument.title]
    for page in instrument.pages:
        texts.extend(page.labels.values())
        for question in page.questions:
            texts.extend(question.labels.values())
            texts.extend(question.hints.values())
            texts.extend(question.constraint_message.values())
    for choices in instrument.choices.values():
        texts.extend(text for choice in choices for text in choice.labels.values())
    return texts


@pytest.mark.parametrize("name", MODULES)
def test_each_module_imports_with_the_platform_reader(name):
    instrument = read_xlsform(module_path(name))

    assert instrument.form_id == name
    assert instrument.pages
    assert all(page.questions for page in instrument.pages)


@pytest.mark.parametrize("name", MODULES)
def test_each_module_converts_to_an_odk_xform_with_pyxform(name, instruments):
    warnings: list[str] = []
    result = convert(str(module_path(name)), warnings=warnings)

    assert warnings == []
    assert result.xform.startswith("<?xml")
    for question in instruments[name].questions:
        assert f"/{question.name}" in result.xform


def test_rebuilding_the_modules_reproduces_the_shipped_files_byte_for_byte(tmp_path):
    built = load_build_script().build_all(tmp_path)

    assert [path.name for path in built] == [f"{name}.xlsx" for name in MODULES]
    for path in built:
        assert path.read_bytes() == module_path(path.stem).read_bytes(), (
            f"{path.name} is out of date: run scripts/build_survey_modules.py"
        )


def test_the_build_check_reports_a_stale_module(tmp_path, capsys):
    script = load_build_script()
    script.build_all(tmp_path)
    (tmp_path / "climate.xlsx").write_bytes(b"edited by hand")

    assert script.main(["--check", "--out", str(tmp_path)]) == 1
    assert "climate.xlsx" in capsys.readouterr().out


def test_demographics_choice_lists_are_the_standards_codes_and_labels(instruments, standard):
    demographics = instruments["demographics"]
    fed = {}
    for question in demographics.questions:
        if question.standard is None or question.type == "integer":
            continue
        dimension = standard.dimension(question.standard)
        fed[dimension.name] = question.name
        offered = {choice.name: choice.label("en") for choice in demographics.choice_list(question)}
        expected = {
            code.code: code.label
            for code in dimension.codes
            if code.code not in dimension.missing_codes and code.code != "asian_or_pi"
        }
        if DECLINED in dimension.missing_codes:
            expected[DECLINED] = "Prefer not to say"
        assert offered == expected, question.name
        assert "unknown" not in offered  # unknown is what a skipped question becomes

    # Every dimension is asked, except the legacy yes/no disability item, the age band
    # (asked as an age) and the Census region (derived from the U.S. state).
    assert set(fed) == set(standard.dimensions) - {"disability_self", "age_band", "us_region"}
    assert demographics.question("age").standard == "age_band"


def test_a_hint_explains_only_answers_the_respondent_is_offered(instruments, standard):
    # The standard defines its missing-data codes for data stewards ("Unknown: not
    # collected, blank, or a source value that cannot be mapped"); a member reads the hint.
    demographics = instruments["demographics"]
    explained = 0
    for question in demographics.questions:
        if question.standard is None or not question.hints:
            continue
        dimension = standard.dimension(question.standard)
        offered = {choice.name for choice in demographics.choice_list(question)}
        hint = question.hint("en")
        for code in dimension.codes:
            if code.code in dimension.missing_codes or code.code not in offered:
                assert f"{code.label}:" not in hint, (question.name, hint)
            elif code.definition and f"{code.label}:" in hint:
                explained += 1
    assert "Unknown" not in " ".join(respondent_texts(demographics))
    assert explained >= 8  # nonbinary, another orientation, the career stages, ...


def test_country_list_puts_the_united_states_first_and_offers_every_iso_code(instruments, standard):
    demographics = instruments["demographics"]
    names = [choice.name for choice in demographics.choice_list(demographics.question("country"))]

    assert names[0] == "US"
    assert set(names) == set(standard.countries) | {DECLINED}
    assert demographics.question("country").appearance == "autocomplete"


def test_the_state_question_offers_every_state_and_is_asked_only_in_the_united_states(
    instruments, standard
):
    demographics = instruments["demographics"]
    state = demographics.question("us_state")
    names = {choice.name for choice in demographics.choice_list(state)}

    assert names == {us_state.postal for us_state in standard.us_states} | {DECLINED}
    page_names = [page.name for page in demographics.pages]
    us_page = page_names.index("us_location")
    assert us_page in relevant_pages(demographics, {"country": "US"})
    assert us_page not in relevant_pages(demographics, {"country": "CA"})


def test_the_race_detail_question_offers_only_the_details_of_the_categories_chosen(instruments):
    demographics = instruments["demographics"]
    detail = demographics.question("race_ethnicity_detail")

    offered = choices_for(demographics, detail, {"race_ethnicity": ["asian", "hispanic"]})

    parents = {choice.name.split(".")[0] for choice in offered}
    assert parents == {"asian", "hispanic"}
    assert "asian.filipino" in {choice.name for choice in offered}


def test_the_tribal_write_in_is_offered_only_to_american_indian_or_alaska_native(instruments):
    demographics = instruments["demographics"]
    detail_page = [page.name for page in demographics.pages].index("race_detail")

    assert detail_page in relevant_pages(demographics, {"race_ethnicity": ["aian"]})
    assert detail_page not in relevant_pages(demographics, {"race_ethnicity": ["declined"]})
    assert detail_page not in relevant_pages(demographics, {"race_ethnicity": ["other"]})


def test_no_demographic_question_is_required_and_every_sensitive_one_can_be_declined(
    instruments,
):
    demographics = instruments["demographics"]

    assert not any(question.required for question in demographics.questions)
    for question in demographics.questions:
        if question.type.startswith("select") and question.name != "race_ethnicity_detail":
            names = [choice.name for choice in demographics.choice_list(question)]
            assert names[-1] == DECLINED, question.name
            assert demographics.choices[question.list_name][-1].label("en") == ("Prefer not to say")


def test_the_washington_group_questions_use_the_groups_wording(instruments):
    demographics = instruments["demographics"]

    seeing = demographics.question("wg_seeing")
    communication = demographics.question("wg_communication")
    assert seeing.label("en") == "Do you have difficulty seeing, even if wearing glasses?"
    assert communication.label("en").startswith("Using your usual language")
    assert [c.label("en") for c in demographics.choice_list(seeing)][:4] == [
        "No difficulty",
        "Some difficulty",
        "A lot of difficulty",
        "Cannot do at all",
    ]


def test_every_page_is_short_enough_for_a_phone(instruments):
    for instrument in instruments.values():
        for page in instrument.pages:
            asked = [q for q in page.questions if q.type not in ("note", "calculate")]
            assert len(asked) <= 5, f"{instrument.form_id}: page {page.name} asks {len(asked)}"


def test_the_experiences_module_never_names_harassment_to_a_respondent(instruments):
    for text in respondent_texts(instruments["harassment"]):
        assert "harass" not in text.lower(), text


def test_follow_ups_appear_only_after_an_experience_was_reported(instruments):
    experiences = instruments["harassment"]
    followup = [page.name for page in experiences.pages].index("experiences_followup")
    items = [q.name for q in experiences.questions if q.list_name == "frequency"]
    all_never = dict.fromkeys(items, NEVER)

    assert len(items) == 12
    assert followup not in relevant_pages(experiences, all_never)
    assert followup not in relevant_pages(experiences, {**all_never, items[0]: DECLINED})
    assert followup not in relevant_pages(experiences, {})
    assert followup in relevant_pages(experiences, {**all_never, "sexp_usa_2": "once_or_twice"})
    assert followup in relevant_pages(experiences, {"sexp_sc_3": "many_times"})


def test_who_did_it_offers_other_with_its_own_text(instruments):
    who = instruments["harassment"].question("sexp_who")

    assert who.type == "select_multiple"
    assert who.or_other


def test_the_support_note_is_always_the_last_page(instruments):
    experiences = instruments["harassment"]

    assert experiences.pages[-1].name == "experiences_support"
    assert len(experiences.pages) - 1 in relevant_pages(experiences, {})


def test_every_climate_item_names_its_scale_and_each_scale_has_a_reverse_worded_item():
    sheet = openpyxl.load_workbook(module_path("climate"), read_only=True)["survey"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    items = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    agree_items = [row for row in items if row["type"] == "select_one agree5"]
    scales = {row["scale"] for row in agree_items}

    assert {scale.removesuffix("_reversed") for scale in scales} == {
        "belonging",
        "respect",
        "fairness",
        "intent_to_stay",
    }
    for scale in ("belonging", "respect", "fairness", "intent_to_stay"):
        assert f"{scale}_reversed" in scales
    assert all(row["name"].startswith("clim_") for row in agree_items)
    assert any(row["type"] == "text" for row in items)


def test_the_three_modules_combine_into_one_wave(instruments):
    wave = combine(
        [instruments[name] for name in MODULES], form_id="wave", title="Wave", version="1"
    )

    assert len(wave.pages) == sum(len(instruments[name].pages) for name in MODULES)


def test_module_path_refuses_a_module_that_does_not_exist():
    with pytest.raises(KeyError, match="demographics, climate, harassment"):
        module_path("salary")
