"""The ACMG-like membership file: SPSS .sav with numeric codes, value labels and 1997 race.

Race and ethnicity follow the 1997 OMB two-question format: `hispanic` (yes / no / prefer not
to answer / not reported) and `race` (one of five races, "Other race", or "More than one
race"). Middle Eastern and North African members had no box and chose White, so MENA is
lost here. "Prefer not to answer" and "Not reported" are declared user-missing values, as
SPSS users do; an intake must read them as such to tell `declined` from `unknown`.

The truth for numeric columns is decoded from the final codes (after dirt), because the codes
carry nothing else: what a code's label says is all any intake can know.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workforce.synth import codes
from workforce.synth.codes import filled
from workforce.synth.dirt import (
    ExportRows,
    blank_numbers,
    dirty_text_column,
    impossible_birth_years,
    shared_and_duplicated_ids,
    stray_codes,
)
from workforce.synth.exports.common import (
    blank_truth,
    email_cells,
    increasing_ids,
    known_age_band,
    relabel,
    seniority_order,
)
from workforce.synth.population import Population
from workforce.synth.randomness import stream

FILE_LABEL = "Membership file (synthetic)"
DECLINED, NOT_REPORTED = 8.0, 9.0

# variable -> (variable label, {code: value label}, {code: standard code}, user-missing codes)
CODED = {
    "memcat": (
        "Membership category (career stage)",
        {
            1: "Student",
            2: "Resident/Fellow",
            3: "Early career (0-10 years)",
            4: "Mid career (11-20 years)",
            5: "Senior (more than 20 years)",
            6: "Retired/Emeritus",
            8: "Prefer not to answer",
            9: "Not reported",
        },
        {
            1: "student",
            2: "trainee",
            3: "early",
            4: "mid",
            5: "senior",
            6: "retired",
            8: "declined",
        },
        (8, 9),
    ),
    "worksetting": (
        "Primary work setting",
        {
            1: "University/Academic",
            2: "Hospital/Clinic/Health system",
            3: "Government/Public health",
            4: "Commercial laboratory/Industry",
            5: "Policy/Advocacy/Nonprofit",
            6: "Other",
            8: "Prefer not to answer",
            9: "Not reported",
        },
        {
            1: "academia",
            2: "clinical",
            3: "government",
            4: "industry",
            5: "policy",
            6: "other",
            8: "declined",
        },
        (8, 9),
    ),
    "profrole": (
        "Primary professional role",
        {
            1: "Clinical geneticist/Physician",
            2: "Laboratory geneticist/Laboratory professional",
            3: "Genetic counselor",
            4: "Researcher",
            5: "Nurse",
            6: "Educator",
            7: "Administrator",
            8: "Other",
            98: "Prefer not to answer",
            99: "Not reported",
        },
        {
            1: "clinician",
            2: "laboratory_professional",
            3: "genetic_counselor",
            4: "researcher",
            5: "nurse",
            6: "educator",
            7: "administrator",
            8: "other",
            98: "declined",
        },
        (98, 99),
    ),
    "gender": (
        "Gender",
        {
            1: "Female",
            2: "Male",
            3: "Non-binary",
            4: "Another gender identity",
            8: "Prefer not to answer",
            9: "Not reported",
        },
        {1: "woman", 2: "man", 3: "nonbinary", 4: "another", 8: "declined"},
        (8, 9),
    ),
    "disab": (
        "Do you have a disability?",
        {1: "Yes", 2: "No", 8: "Prefer not to answer", 9: "Not reported"},
        {1: "yes", 2: "no", 8: "declined"},
        (8, 9),
    ),
    "hispanic": (
        "Are you Hispanic or Latino?",
        {
            1: "Hispanic or Latino",
            2: "Not Hispanic or Latino",
            8: "Prefer not to answer",
            9: "Not reported",
        },
        {},  # decoded together with race, see race_truth
        (8, 9),
    ),
    "race": (
        "Race (one answer; More than one race if several apply)",
        {
            1: "American Indian or Alaska Native",
            2: "Asian",
            3: "Black or African American",
            4: "Native Hawaiian or Other Pacific Islander",
            5: "White",
            6: "More than one race",
            7: "Other race",
            8: "Prefer not to answer",
            9: "Not reported",
        },
        {},
        (8, 9),
    ),
}
POPULATION_COLUMN = {
    "memcat": "career_stage",
    "worksetting": "sector",
    "profrole": "role",
    "gender": "gender",
    "disab": "disability_self",
}
RACE_TRUTH = {1: "aian", 2: "asian", 3: "black", 4: "nhpi", 5: "white", 7: "other"}
STRAY_CODES = {
    "memcat": (0, 7),
    "worksetting": (0, 7),
    "profrole": (0, 9),
    "gender": (0, 5),
    "disab": (0, 3),
    "hispanic": (0, 3),
    "race": (0, 10),
}
OTHER_LABELS = {
    "memberid": "Member number",
    "email": "E-mail address",
    "birthyr": "Year of birth",
    "state": "State (US members)",
    "country": "Country of residence (ISO 3166 code)",
}
VARIABLES = (
    "memberid",
    "email",
    "memcat",
    "worksetting",
    "profrole",
    "gender",
    "disab",
    "hispanic",
    "race",
    "birthyr",
    "state",
    "country",
)
# Members who joined before race, ethnicity and disability were asked have none of them
# ("Not reported").
LEGACY_RACE_NOT_ASKED = 0.03


def encode_1997(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two 1997 questions for each race/ethnicity set: (hispanic code, race code)."""
    hispanic = np.where(codes.has_race(masks, "hispanic"), 1.0, 2.0)
    races = np.zeros(len(masks))
    count = np.zeros(len(masks), dtype=np.int64)
    # MENA counts as White in 1997, so a MENA and White member has one race, not two.
    white_like = codes.has_race(masks, "white") | codes.has_race(masks, "mena")
    for code, value in (("aian", 1), ("asian", 2), ("black", 3), ("nhpi", 4), ("other", 7)):
        present = codes.has_race(masks, code)
        races = np.where(present, value, races)
        count += present
    races = np.where(white_like, 5, races)
    count += white_like
    races = np.where(count >= 2, 6, races)
    races = np.where(count == 0, NOT_REPORTED, races)  # Hispanic only: race left unanswered
    declined = codes.has_race(masks, "declined")
    return np.where(declined, DECLINED, hispanic), np.where(declined, DECLINED, races)


def race_truth(hispanic: np.ndarray, race: np.ndarray) -> np.ndarray:
    """What the two answers truthfully say, in standard codes (the 1997 crosswalk).

    Hispanic yes adds `hispanic` beside the race; "More than one race" names no race and the
    standard has no code for "several, unspecified", so those races are `unknown` and only
    `hispanic` survives when answered yes. Without a yes/no Hispanic answer the combined set
    cannot be known (was `hispanic` in it?), so a known race alone is `unknown` too, the
    default of `workforce.standard.from_omb1997`.
    """
    races = np.zeros(len(race), dtype=np.int64)
    for value, code in RACE_TRUTH.items():
        races = np.where(race == value, codes.RACE_BIT[code], races)
    yes, no = hispanic == 1, hispanic == 2
    masks = np.where(yes, races | codes.RACE_BIT["hispanic"], np.where(no, races, 0))
    race_without_ethnicity = ~yes & ~no & (races != 0)
    declined = ((hispanic == DECLINED) | (race == DECLINED)) & ~race_without_ethnicity
    missing = np.where(declined, codes.RACE_BIT["declined"], codes.RACE_BIT["unknown"])
    masks = np.where(masks == 0, missing, masks)
    return codes.race_text(masks.astype(np.int64))


def decode(variable: str, values: np.ndarray) -> np.ndarray:
    """Standard codes for one coded variable; blank, not reported or unlabelled: unknown."""
    result = filled(len(values), "unknown")
    for code, standard in CODED[variable][2].items():
        result[values == code] = standard
    return result


def acmg_rows(population: Population, profiles: dict[str, Any], *, seed: int) -> ExportRows:
    """The ACMG file's values and the truth they encode, dirt included."""

    def rng(step: str) -> np.random.Generator:
        return stream(seed, "exports", "acmg", step)

    person = seniority_order(rng("order"), population)
    size = len(person)
    cells: dict[str, np.ndarray] = {}
    for variable, column in POPULATION_COLUMN.items():
        inverse = {standard: float(code) for code, standard in CODED[variable][2].items()}
        cells[variable] = relabel(population[column][person], inverse).astype(float)
    hispanic, race = encode_1997(population["race_mask"][person])
    legacy = rng("legacy").random(size) < LEGACY_RACE_NOT_ASKED
    cells["hispanic"] = np.where(legacy, NOT_REPORTED, hispanic)
    cells["race"] = np.where(legacy, NOT_REPORTED, race)
    cells["disab"] = np.where(legacy, NOT_REPORTED, cells["disab"])
    cells["birthyr"] = np.where(
        population["age_declined"][person], np.nan, population["birth_year"][person]
    ).astype(float)
    country = population["country"][person]
    cells["state"] = population["us_state"][person].copy()
    cells["country"] = country.copy()
    cells["email"] = email_cells(rng("email"), population, person)

    truth = blank_truth(size)
    truth["age_band"] = known_age_band(population, person)
    truth["country"] = country.copy()
    truth["us_region"] = population["us_region"][person].copy()
    table = ExportRows(cells, truth, person, increasing_ids(rng("ids"), size, 20000).astype(float))
    add_dirt(table, profiles["dirt"], seed=seed, year=population.year)
    for variable, column in POPULATION_COLUMN.items():
        table.truth[column] = decode(variable, table.cells[variable])
    table.truth["race_ethnicity"] = race_truth(table.cells["hispanic"], table.cells["race"])
    return table


def add_dirt(table: ExportRows, dirt: dict[str, Any], *, seed: int, year: int) -> None:
    rates = dirt["per_cell"]
    for variable, stray in STRAY_CODES.items():
        rng = stream(seed, "dirt", "acmg", variable)
        blank_numbers(rng, table, variable, rates["blank"])
        stray_codes(rng, table, variable, rates["out_of_list"], out_of_list=stray)
    birth_rng = stream(seed, "dirt", "acmg", "birthyr")
    unknown = table.loses
    blank_numbers(birth_rng, table, "birthyr", rates["blank"], lose=unknown("age_band"))
    impossible_birth_years(birth_rng, table, "birthyr", year, dirt, as_text=False)
    for variable, lose, out_of_list in (
        ("state", table.loses_us_state, ("XX", "ZZ")),
        ("country", unknown("country", "us_region"), ("XX", "ZZ", "U")),
        ("email", lambda rows: None, ()),
    ):
        dirty_text_column(
            stream(seed, "dirt", "acmg", variable),
            table,
            variable,
            rates,
            out_of_list=out_of_list,
            lose=lose,
            kinds=("whitespace", "mixed_case")
            if variable == "email"
            else ("blank", "na_token", "whitespace", "mixed_case", "out_of_list"),
        )
    shared_and_duplicated_ids(stream(seed, "dirt", "acmg", "ids"), table, dirt)
