"""The standard as data: what the loader gives, and how it refuses broken files."""

from __future__ import annotations

import re

import pytest

from workforce.standard import (
    StandardDataError,
    StandardError,
    UnknownCodeError,
    UnknownDimensionError,
    load_standard,
    load_standard_from,
)

SNAKE_CASE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


def test_it_loads_version_1_once_and_shares_it(standard):
    assert standard.version == "1"
    assert load_standard("1") is standard


def test_unknown_version_names_the_available_ones():
    with pytest.raises(StandardError, match="available: 1"):
        load_standard("99")


def test_record_columns_come_first_then_dimensions_in_order(standard):
    assert standard.record_columns[:5] == ("record_id", "source", "org", "year", "person_key")
    assert standard.record_columns[5:] == tuple(standard.dimensions)
    assert standard.record_columns[5:8] == ("race_ethnicity", "race_ethnicity_detail", "gender")
    assert standard.record_columns[-3:] == ("country", "us_region", "citizenship")


def test_every_dimension_of_standard_md_is_defined(standard):
    expected = {
        "race_ethnicity", "race_ethnicity_detail", "gender", "transgender", "intersex",
        "sexual_orientation", "wg_seeing", "wg_hearing", "wg_walking", "wg_cognition",
        "wg_selfcare", "wg_communication", "disability_self", "dis_homeless",
        "dis_foster_care", "dis_free_lunch", "dis_first_gen", "dis_pell", "dis_wic",
        "dis_rural_or_shortage", "career_stage", "sector", "role", "age_band", "country",
        "us_region", "citizenship",
    }
    assert set(standard.dimensions) == expected


@pytest.mark.parametrize(("name", "codes"), [
    ("race_ethnicity", ["aian", "asian", "asian_or_pi", "black", "hispanic", "mena", "nhpi",
                        "white", "other", "declined", "unknown"]),
    ("gender", ["woman", "man", "nonbinary", "another", "declined", "unknown"]),
    ("transgender", ["yes", "no", "declined", "unknown"]),
    ("intersex", ["yes", "no", "dont_know", "declined", "unknown"]),
    ("sexual_orientation", ["straight", "gay_lesbian", "bisexual", "another", "declined",
                            "unknown"]),
    ("wg_cognition", ["none", "some", "a_lot", "cannot", "declined", "unknown"]),
    ("disability_self", ["yes", "no", "declined", "unknown"]),
    ("dis_first_gen", ["yes", "no", "declined", "unknown"]),
    ("career_stage", ["student", "trainee", "early", "mid", "senior", "retired", "declined",
                      "unknown"]),
    ("sector", ["academia", "clinical", "government", "industry", "policy", "other",
                "declined", "unknown"]),
    ("role", ["researcher", "clinician", "genetic_counselor", "laboratory_professional",
              "nurse", "educator", "administrator", "other", "declined", "unknown"]),
    ("age_band", ["under_25", "25_34", "35_44", "45_54", "55_64", "65_plus", "declined",
                  "unknown"]),
    ("us_region", ["northeast", "midwest", "south", "west", "declined", "unknown"]),
    ("citizenship", ["us_citizen", "permanent_resident", "visa_holder", "non_us", "declined",
                     "unknown"]),
])
def test_codes_are_exactly_those_of_standard_md(standard, name, codes):
    assert list(standard.dimension(name).code_list) == codes


def test_every_code_in_the_yaml_is_snake_case(standard):
    for dimension in standard.dimensions.values():
        for code in dimension.code_list:
            if dimension.name == "country" and code not in ("declined", "unknown"):
                assert re.fullmatch(r"[A-Z]{2}", code), code
            elif dimension.parent_dimension:
                parent, sub = code.split(".")
                assert SNAKE_CASE.fullmatch(parent) and SNAKE_CASE.fullmatch(sub), code
            else:
                assert SNAKE_CASE.fullmatch(code), (dimension.name, code)
    for view in standard.views.values():
        assert all(SNAKE_CASE.fullmatch(code) for code in view.code_list), view.name


def test_every_dimension_but_detail_has_declined_and_unknown(standard):
    for dimension in standard.dimensions.values():
        if dimension.name == "race_ethnicity_detail":
            assert dimension.missing_codes == ()
            assert dimension.blank_allowed
        else:
            assert dimension.missing_codes == ("declined", "unknown"), dimension.name
            assert {"declined", "unknown"} <= dimension.code_set


def test_intersex_dont_know_is_an_answer_not_a_missing_value(standard):
    intersex = standard.dimension("intersex")
    assert "dont_know" in intersex.answer_codes
    assert "dont_know" not in intersex.missing_codes


def test_dimension_helpers(standard):
    gender = standard.dimension("gender")
    assert gender.label("nonbinary") == "Nonbinary"
    assert "genderqueer" in gender.codes[2].definition
    assert "woman" in gender.code_set
    assert gender.answer_codes == ("woman", "man", "nonbinary", "another")
    assert not gender.multi
    assert standard.dimension("race_ethnicity").multi
    with pytest.raises(UnknownCodeError, match="'female' is not a code of gender"):
        gender.label("female")


def test_unknown_dimension_lists_the_valid_names(standard):
    with pytest.raises(UnknownDimensionError) as raised:
        standard.dimension("ethnicity")
    assert "race_ethnicity" in str(raised.value)
    assert isinstance(raised.value, KeyError)


def test_every_dimension_cites_its_source(standard):
    for dimension in standard.dimensions.values():
        assert dimension.source and dimension.definition and dimension.title
    assert "SPD-15" in standard.dimension("race_ethnicity").source or "Statistical Policy" in (
        standard.dimension("race_ethnicity").source)
    assert "10.17226/26424" in standard.dimension("gender").source
    assert "Washington Group" in standard.dimension("wg_seeing").source
    assert "NOT-OD-20-031" in standard.dimension("dis_pell").source
    assert "Census" in standard.dimension("us_region").source
    assert "ISO 3166" in standard.dimension("country").source


def test_detail_codes_cover_every_spd15_checkbox(standard):
    detail = standard.dimension("race_ethnicity_detail")
    for code in ["asian.chinese", "asian.asian_indian", "asian.filipino", "asian.vietnamese",
                 "asian.korean", "asian.japanese", "black.african_american", "black.jamaican",
                 "black.haitian", "black.nigerian", "black.ethiopian", "black.somali",
                 "hispanic.mexican", "hispanic.puerto_rican", "hispanic.salvadoran",
                 "hispanic.cuban", "hispanic.dominican", "hispanic.guatemalan",
                 "mena.lebanese", "mena.iranian", "mena.egyptian", "mena.syrian", "mena.iraqi",
                 "mena.israeli", "nhpi.native_hawaiian", "nhpi.samoan", "nhpi.chamorro",
                 "nhpi.tongan", "nhpi.fijian", "nhpi.marshallese", "white.english",
                 "white.german", "white.irish", "white.italian", "white.polish",
                 "white.scottish"]:
        assert detail.is_code(code), code
    assert detail.is_code("aian.navajo_nation")
    assert not detail.is_code("aian.Navajo")
    assert not detail.is_code("asian.martian")


def test_country_ships_all_249_iso_codes(standard):
    country = standard.dimension("country")
    assert len(country.answer_codes) == 249
    assert country.label("US") == "United States"
    assert country.label("NO") == "Norway"  # not read as a YAML boolean
    assert {"GB", "DE", "IN", "NA", "BQ", "SS"} <= country.code_set


def test_state_table_has_50_states_and_dc_in_four_regions(standard):
    assert len(standard.us_states) == 51
    regions = {state.postal: state.region for state in standard.us_states}
    assert regions["DC"] == "south"
    assert regions["PA"] == "northeast"
    assert regions["MO"] == "midwest"
    assert regions["DE"] == "south"
    assert regions["AK"] == "west"
    assert sorted({state.region for state in standard.us_states}) == [
        "midwest", "northeast", "south", "west"]


def test_views_declare_their_columns(standard):
    assert standard.view("alone").column == "race_alone"
    assert standard.view("omb1997").column == "race_1997"
    assert standard.view("alone_or_in_combination").columns[0] == "race_aic_aian"
    assert standard.view("lgbtq").inputs == ("sexual_orientation", "transgender", "gender")
    with pytest.raises(UnknownDimensionError, match="valid names: alone"):
        standard.view("race_alone")


# --- broken data files -------------------------------------------------------------------------


def test_a_correct_copy_loads(data_copy):
    assert load_standard_from(data_copy).version == "1"


def test_loader_rejects_a_code_that_is_not_snake_case(data_copy, edit):
    edit(data_copy / "standard.yaml", "code: nonbinary", "code: Non-binary")
    with pytest.raises(StandardDataError, match=r"standard\.yaml, dimensions\[2\] \(gender\)"
                                                r"\.codes\[2\]\.code: code 'Non-binary' is not"):
        load_standard_from(data_copy)


def test_loader_rejects_a_duplicated_code(data_copy, edit):
    edit(data_copy / "standard.yaml", "- {code: man, label: Man}",
         "- {code: man, label: Man}\n      - {code: man, label: Male}")
    with pytest.raises(StandardDataError,
                       match=r"\(gender\)\.codes\[2\]: code 'man' is listed twice"):
        load_standard_from(data_copy)


def test_loader_rejects_an_unquoted_yes(data_copy, edit):
    edit(data_copy / "standard.yaml", '- {code: "yes", label: "Yes"}\n      - {code: "no", '
         'label: "No"}\n\n  - name: intersex', '- {code: yes, label: "Yes"}\n      - {code: "no",'
         ' label: "No"}\n\n  - name: intersex')
    with pytest.raises(StandardDataError, match=r"\(transgender\).*read as a boolean; quote it"):
        load_standard_from(data_copy)


def test_loader_rejects_an_unquoted_age_code_read_as_a_number(data_copy, edit):
    edit(data_copy / "standard.yaml", '{code: "25_34"', "{code: 25_34")
    with pytest.raises(StandardDataError, match=r"\(age_band\).*2534 was read as a number"):
        load_standard_from(data_copy)


def test_loader_rejects_listing_a_missing_code(data_copy, edit):
    edit(data_copy / "standard.yaml", "- {code: man, label: Man}",
         "- {code: man, label: Man}\n      - {code: unknown, label: Unknown}")
    with pytest.raises(StandardDataError, match="is added to every dimension"):
        load_standard_from(data_copy)


def test_loader_rejects_a_duplicated_yaml_key(data_copy, edit):
    edit(data_copy / "countries.yaml", '  "FR": France\n', '  "FR": France\n  "FR": Francia\n')
    with pytest.raises(StandardDataError,
                       match=r"(?s)countries\.yaml: not valid YAML.*duplicate key 'FR'"):
        load_standard_from(data_copy)


def test_loader_rejects_a_lowercase_country_code(data_copy, edit):
    edit(data_copy / "countries.yaml", '"FR": France', '"fr": France')
    with pytest.raises(StandardDataError, match=r"countries\.yaml, countries\.fr"):
        load_standard_from(data_copy)


def test_loader_names_a_missing_file(data_copy):
    (data_copy / "benchmarks.yaml").unlink()
    with pytest.raises(StandardDataError, match=r"benchmarks\.yaml: file missing"):
        load_standard_from(data_copy)


def test_loader_rejects_invalid_yaml(data_copy, edit):
    edit(data_copy / "synonyms.yaml", "dimensions:\n  race_ethnicity:", "dimensions:\n race: [")
    with pytest.raises(StandardDataError, match=r"synonyms\.yaml: not valid YAML"):
        load_standard_from(data_copy)


def test_loader_rejects_a_detail_code_whose_parent_is_not_a_race(data_copy, edit):
    edit(data_copy / "standard.yaml", "{code: asian.korean, label: Korean}",
         "{code: korean.korean, label: Korean}")
    with pytest.raises(StandardDataError, match="'korean' is not a code of race_ethnicity"):
        load_standard_from(data_copy)


def test_loader_rejects_a_benchmark_with_an_unknown_code(data_copy, edit):
    edit(data_copy / "benchmarks.yaml", "percent: {woman: 74.7, man: 23.3}",
         "percent: {female: 74.7, man: 23.3}")
    with pytest.raises(StandardDataError, match=r"benchmarks\.yaml, benchmarks\[11\] "
                                                r"\(hggws2022_gender\)\.percent\.female"):
        load_standard_from(data_copy)


def test_loader_rejects_a_benchmark_with_an_unknown_view(data_copy, edit):
    edit(data_copy / "benchmarks.yaml", "view: omb1997", "view: mutually_exclusive")
    with pytest.raises(StandardDataError, match="'mutually_exclusive' is neither a view"):
        load_standard_from(data_copy)


def test_loader_rejects_a_benchmark_whose_view_tabulates_another_dimension(data_copy, edit):
    edit(data_copy / "benchmarks.yaml", "dimension: citizenship", "dimension: gender")
    with pytest.raises(StandardDataError, match="tabulates 'citizenship', not 'gender'"):
        load_standard_from(data_copy)


def test_loader_rejects_mutually_exclusive_shares_past_100(data_copy, edit):
    edit(data_copy / "benchmarks.yaml", "percent: {woman: 74.7, man: 23.3}",
         "percent: {woman: 84.7, man: 23.3}")
    with pytest.raises(StandardDataError, match="add up past 100%"):
        load_standard_from(data_copy)


def test_loader_refuses_a_1997_crosswalk_that_produces_mena(data_copy, edit):
    edit(data_copy / "crosswalks.yaml", 'white: ["White", "Caucasian"]',
         'white: ["White", "Caucasian"]\n    mena: ["Arab"]')
    with pytest.raises(StandardDataError, match=r"crosswalks\.yaml, omb1997\.race\.mena"):
        load_standard_from(data_copy)


def test_loader_rejects_a_cdc_code_with_a_bad_check_digit(data_copy, edit):
    edit(data_copy / "crosswalks.yaml", '"2106-3": white', '"2106-4": white')
    with pytest.raises(StandardDataError, match=r"cdc\.codes\.2106-4: '2106-4' is not a CDC code"):
        load_standard_from(data_copy)


def test_loader_rejects_a_synonym_that_means_two_codes(data_copy, edit):
    edit(data_copy / "synonyms.yaml", 'bisexual: ["Bi", "Bisexual"]',
         'bisexual: ["Bi", "Bisexual", "Queer"]')
    with pytest.raises(StandardDataError, match="'Queer' already means"):
        load_standard_from(data_copy)


def test_loader_rejects_a_country_name_in_another_language_that_means_another_country(
    data_copy, edit
):
    edit(data_copy / "country_names.yaml", '"DE": [', '"DE": ["Österreich", ')
    expected = r"country_names\.yaml, names\.DE\[0\]: 'Österreich' already means 'AT'"
    with pytest.raises(StandardDataError, match=expected):
        load_standard_from(data_copy)


def test_loader_rejects_a_country_name_the_standard_holds_ambiguous(data_copy, edit):
    edit(data_copy / "country_names.yaml", '"US": [', '"US": ["America", ')
    with pytest.raises(StandardDataError, match=r"names\.US\[0\]: 'America' is empty or ambiguous"):
        load_standard_from(data_copy)


def test_loader_rejects_a_synonym_for_a_code_the_dimension_lacks(data_copy, edit):
    edit(data_copy / "synonyms.yaml", '    bisexual: ["Bi", "Bisexual"]',
         '    bisexual: ["Bi", "Bisexual"]\n    pansexual: ["Pan"]')
    with pytest.raises(StandardDataError, match=r"dimensions\.sexual_orientation\.pansexual"):
        load_standard_from(data_copy)
