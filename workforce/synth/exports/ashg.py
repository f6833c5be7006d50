"""The ASHG-like membership export: an XLSX workbook in the society's own vocabulary.

Sheet "Members" has one row per member, sheet "Notes" a few lines about the export. Race and
ethnicity is a multi-select written as "; "-joined labels from a form that only offers
"Asian or Pacific Islander", so Asian and Native Hawaiian / Pacific Islander members look the
same here and the truth keeps the coarse code `asian_or_pi`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workforce.synth import codes
from workforce.synth.dirt import (
    ExportRows,
    blank_numbers,
    dirty_text_column,
    impossible_birth_years,
    shared_and_duplicated_ids,
)
from workforce.synth.exports.common import (
    blank_truth,
    email_cells,
    increasing_ids,
    known_age_band,
    pick_labels,
    race_labels,
    relabel,
    seniority_order,
)
from workforce.synth.exports.places import COUNTRY_NAMES, provinces
from workforce.synth.population import Population
from workforce.synth.randomness import stream

SHEET = "Members"
COLUMNS = (
    "Member ID",
    "Member Type",
    "Primary Employer Type",
    "Primary Role",
    "Gender",
    "Race/Ethnicity",
    "Year of Birth",
    "State/Province",
    "Country",
    "Email",
)
NUMERIC_COLUMNS = ("Member ID", "Year of Birth")

MEMBER_TYPE = {
    "student": "Student",
    "trainee": "Trainee (Postdoc/Fellow)",
    "early": "Early Career Professional",
    "mid": "Mid-Career Professional",
    "senior": "Senior Professional",
    "retired": "Emeritus",
    # A member who gave no career stage is filed as a plain "Professional": the export cannot
    # tell which stage, so the truth says `unknown`.
    "declined": "Professional",
}
EMPLOYER_TYPE = {
    "academia": "Academic/University",
    "clinical": "Hospital/Clinic",
    "government": "Government",
    "industry": "Industry/Commercial",
    "policy": "Non-profit/Advocacy/Policy",
    "other": "Other",
    "declined": "Prefer not to answer",
}
PRIMARY_ROLE = {
    "researcher": "Researcher/Scientist",
    "clinician": "Physician/Clinical Geneticist",
    "genetic_counselor": "Genetic Counselor",
    "laboratory_professional": "Laboratory Professional",
    "nurse": "Nurse",
    "educator": "Educator",
    "administrator": "Administrator",
    "other": "Other",
    "declined": "Prefer not to answer",
}
GENDER = {
    "woman": "Female",
    "man": "Male",
    "nonbinary": "Non-binary",
    "another": "Prefer to self-describe",
    "declined": "Prefer not to answer",
}
RACE = {
    "aian": "American Indian or Alaska Native",
    "asian_or_pi": "Asian or Pacific Islander",
    "black": "Black or African American",
    "hispanic": "Hispanic or Latino",
    "mena": "Middle Eastern or North African",
    "white": "White",
    "other": "Other",
    "declined": "Prefer not to answer",
}
RACE_ORDER = ("aian", "asian_or_pi", "black", "hispanic", "mena", "white", "other", "declined")
US_NAMES = (("United States", "USA", "United States of America"), (0.85, 0.10, 0.05))
OUT_OF_LIST = {
    "Member Type": ("Honorary", "Lifetime", "Complimentary"),
    "Primary Employer Type": ("Self-employed", "Multiple", "See notes"),
    "Primary Role": ("Consultant", "Multiple roles", "TBD"),
    "Gender": ("Unknown", "?", "See notes"),
    "Race/Ethnicity": ("Human", "American", "Mixed", "See notes"),
    "State/Province": ("XX", "Unknown", "??"),
    "Country": ("Earth", "Unknown", "??"),
}
NOTES = (
    "Synthetic membership export for testing; no real person is described.",
    "One row per member; Member ID is the membership number.",
    "Race/Ethnicity: multiple selections are separated by semicolons.",
    "Member Type 'Professional' means the career stage was not given.",
    "Blank cells: not provided.",
)


def coarse_race(masks: np.ndarray) -> np.ndarray:
    """The form's categories: Asian and NHPI both become `asian_or_pi`; details are lost."""
    asian_or_pi = codes.has_race(masks, "asian") | codes.has_race(masks, "nhpi")
    cleared = masks & ~(codes.RACE_BIT["asian"] | codes.RACE_BIT["nhpi"])
    return np.where(asian_or_pi, cleared | codes.RACE_BIT["asian_or_pi"], cleared)


def ashg_rows(population: Population, profiles: dict[str, Any], *, seed: int) -> ExportRows:
    """The ASHG export's cells and the truth they encode, dirt included."""

    def rng(step: str) -> np.random.Generator:
        return stream(seed, "exports", "ashg", step)

    person = seniority_order(rng("order"), population)
    size = len(person)
    stage = population["career_stage"][person]
    country = population["country"][person]
    race = coarse_race(population["race_mask"][person])
    birth_year = np.where(
        population["age_declined"][person], np.nan, population["birth_year"][person]
    ).astype(float)
    state = np.where(
        country == "US", population["us_state"][person], provinces(rng("places"), country)
    )
    country_name = relabel(country, COUNTRY_NAMES)
    us_rows = np.flatnonzero(country == "US")
    country_name[us_rows] = pick_labels(rng("us_names"), country[us_rows], {"US": US_NAMES})

    labels = rng("labels")
    cells = {
        "Member Type": pick_labels(labels, stage, MEMBER_TYPE),
        "Primary Employer Type": pick_labels(labels, population["sector"][person], EMPLOYER_TYPE),
        "Primary Role": pick_labels(labels, population["role"][person], PRIMARY_ROLE),
        "Gender": pick_labels(labels, population["gender"][person], GENDER),
        "Race/Ethnicity": race_labels(race, RACE, RACE_ORDER, "; "),
        "Year of Birth": birth_year,
        "State/Province": state.astype(object),
        "Country": country_name,
        "Email": email_cells(rng("email"), population, person),
    }
    truth = blank_truth(size)
    truth["race_ethnicity"] = codes.race_text(race)
    truth["gender"] = population["gender"][person].copy()
    truth["career_stage"] = np.where(stage == "declined", "unknown", stage).astype(object)
    truth["sector"] = population["sector"][person].copy()
    truth["role"] = population["role"][person].copy()
    truth["age_band"] = known_age_band(population, person)
    truth["country"] = country.copy()
    truth["us_region"] = population["us_region"][person].copy()

    table = ExportRows(cells, truth, person, increasing_ids(rng("ids"), size, 100000))
    add_dirt(table, profiles["dirt"], seed=seed, year=population.year)
    return table


def add_dirt(table: ExportRows, dirt: dict[str, Any], *, seed: int, year: int) -> None:
    rates = dirt["per_cell"]
    unknown = table.loses

    losses = {
        "Member Type": unknown("career_stage"),
        "Primary Employer Type": unknown("sector"),
        "Primary Role": unknown("role"),
        "Gender": unknown("gender"),
        "Race/Ethnicity": unknown("race_ethnicity"),
        "State/Province": table.loses_us_state,
        "Country": unknown("country", "us_region"),
    }
    for column, lose in losses.items():
        dirty_text_column(
            stream(seed, "dirt", "ashg", column),
            table,
            column,
            rates,
            out_of_list=OUT_OF_LIST[column],
            lose=lose,
        )
    dirty_text_column(
        stream(seed, "dirt", "ashg", "Email"),
        table,
        "Email",
        rates,
        out_of_list=(),
        lose=lambda rows: None,
        kinds=("whitespace", "mixed_case"),
    )
    birth_rng = stream(seed, "dirt", "ashg", "Year of Birth")
    blank_numbers(birth_rng, table, "Year of Birth", rates["blank"], lose=unknown("age_band"))
    impossible_birth_years(birth_rng, table, "Year of Birth", year, dirt, as_text=False)
    shared_and_duplicated_ids(stream(seed, "dirt", "ashg", "ids"), table, dirt)
