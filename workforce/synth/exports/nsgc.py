"""The NSGC-like roster: a CSV of free-text-ish labels, cp1252 text behind a UTF-8 BOM.

Some export tools write a UTF-8 byte-order mark and then encode the text in the Windows
code page anyway; a reader that trusts the BOM gets mojibake or a decode error on the first
"é". Labels are typed as people type them ("White/Caucasian", "caucasian", "Latinx"), several
race/ethnicity answers share one cell separated by commas or slashes, and a few members name a
detailed subgroup ("Filipino", "Puerto Rican") instead of a category: the truth keeps that
detail (`asian.filipino`), as an intake that knows the SPD-15 checkboxes would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workforce.synth import codes
from workforce.synth.codes import filled
from workforce.synth.dirt import (
    ExportRows,
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
    relabel,
    seniority_order,
    zero_padded,
)
from workforce.synth.exports.places import COUNTRY_NAMES, LOCAL_COUNTRY_NAMES, employers, provinces
from workforce.synth.population import Population
from workforce.synth.randomness import draw_from, stream

ENCODING = "cp1252"
BOM = b"\xef\xbb\xbf"
COLUMNS = (
    "ID",
    "Email Address",
    "Member Category",
    "Career Stage",
    "Practice Setting",
    "Primary Role",
    "Gender Identity",
    "Ethnicity",
    "Birth Year",
    "Employer",
    "State",
    "Country",
)

CAREER_STAGE = {
    "student": "Student",
    "trainee": "Fellow/Resident",
    "early": "Early career (0-10 yrs)",
    "mid": "Mid-career (11-20 yrs)",
    "senior": "Senior (20+ yrs)",
    "retired": "Retired",
    "declined": "Prefer not to say",
}
PRACTICE_SETTING = {
    "academia": (("University/Academic", "Academic"), (0.7, 0.3)),
    "clinical": (("Hospital", "Clinic", "Health system"), (0.5, 0.3, 0.2)),
    "government": "Government/Public Health",
    "industry": (("Commercial Laboratory", "Biotech/Pharma", "Industry"), (0.6, 0.2, 0.2)),
    "policy": (("Non-profit/Advocacy", "Policy"), (0.7, 0.3)),
    "other": "Other",
    "declined": "Prefer not to say",
}
PRIMARY_ROLE = {
    "genetic_counselor": (
        ("Genetic Counselor", "Genetic counselor", "GC", "Certified Genetic Counselor"),
        (0.6, 0.2, 0.1, 0.1),
    ),
    "researcher": "Researcher",
    "clinician": "Physician",
    "laboratory_professional": "Laboratory professional",
    "nurse": "Nurse",
    "educator": "Educator",
    "administrator": "Administrator",
    "other": "Other",
    "declined": "Prefer not to say",
}
GENDER_IDENTITY = {
    "woman": (("Woman", "Female", "female", "F"), (0.6, 0.25, 0.1, 0.05)),
    "man": (("Man", "Male", "male", "M"), (0.6, 0.25, 0.1, 0.05)),
    "nonbinary": (("Non-binary", "Nonbinary", "Genderqueer"), (0.6, 0.25, 0.15)),
    "another": (("Another gender identity", "Self-describe"), (0.5, 0.5)),
    "declined": "Prefer not to say",
}
TRANSGENDER_LABELS = {
    "woman": (("Transgender woman", "Trans woman"), (0.6, 0.4)),
    "man": (("Transgender man", "Trans man"), (0.6, 0.4)),
}
ETHNICITY = {
    "white": (("White/Caucasian", "White", "Caucasian", "caucasian"), (0.4, 0.3, 0.2, 0.1)),
    "black": (("Black or African-American", "Black"), (0.7, 0.3)),
    "hispanic": (("Hispanic", "Latinx", "Latina/o", "Hispanic/Latino"), (0.4, 0.2, 0.2, 0.2)),
    "asian": (("Asian", "Asian American"), (0.7, 0.3)),
    "mena": (("Middle Eastern", "Middle Eastern/North African", "MENA"), (0.6, 0.3, 0.1)),
    "aian": (("Native American", "American Indian"), (0.6, 0.4)),
    "nhpi": "Pacific Islander",
    "other": (("Other", "Other (not listed)"), (0.7, 0.3)),
    "declined": (("Prefer not to say", "Decline to state"), (0.8, 0.2)),
}
ETHNICITY_ORDER = ("white", "black", "hispanic", "asian", "mena", "aian", "nhpi", "other")
# The subgroup's own name, as a member would write it in place of the category.
DETAIL_LABELS = {
    parent: {sub: sub.replace("_", " ").title() for sub in subs}
    for parent, subs in codes.RACE_DETAIL.items()
}
WRITES_SUBGROUP = 0.3
SEPARATORS = ((", ", "/", " / "), (0.7, 0.15, 0.15))
US_NAMES = (("US", "United States", "USA", "U.S."), (0.5, 0.3, 0.15, 0.05))
OUT_OF_LIST = {
    "Career Stage": ("Other", "N/A - see profile", "Unsure"),
    "Practice Setting": ("Multiple", "Various", "TBD"),
    "Primary Role": ("Multiple", "Consultant", "TBD"),
    "Gender Identity": ("Unknown", "?", "See notes"),
    "Ethnicity": ("Human", "American", "Mixed", "Unsure"),
    "Birth Year": ("19xx", "unknown", "198"),
    "State": ("XX", "Unknown", "??"),
    "Country": ("Earth", "Unknown", "??"),
}


def nsgc_rows(population: Population, profiles: dict[str, Any], *, seed: int) -> ExportRows:
    """The NSGC roster's cells and the truth they encode, dirt included."""

    def rng(step: str) -> np.random.Generator:
        return stream(seed, "exports", "nsgc", step)

    person = seniority_order(rng("order"), population)
    size = len(person)
    stage = population["career_stage"][person]
    role = population["role"][person]
    sector = population["sector"][person]
    gender = population["gender"][person]
    country = population["country"][person]
    labels = rng("labels")

    category = codes.interned(np.where(role == "genetic_counselor", "Full", "Associate"))
    category[stage == "student"] = "Student"
    category[stage == "retired"] = "Retired"

    gender_cells = pick_labels(labels, gender, GENDER_IDENTITY)
    transgender_binary = (population["transgender"][person] == "yes") & np.isin(
        gender, ("woman", "man")
    )
    writes_trans = np.flatnonzero(transgender_binary & (labels.random(size) < 0.5))
    gender_cells[writes_trans] = pick_labels(labels, gender[writes_trans], TRANSGENDER_LABELS)
    transgender_truth = filled(size, "unknown")
    transgender_truth[writes_trans] = "yes"

    ethnicity, detail_truth = _ethnicity_cells(rng("ethnicity"), population, person)

    birth = codes.interned(population["birth_year"][person].astype(str))
    birth[population["age_declined"][person]] = ""
    state = np.where(
        country == "US", population["us_state"][person], provinces(rng("places"), country)
    )
    country_cells = relabel(country, COUNTRY_NAMES | LOCAL_COUNTRY_NAMES)
    us_rows = np.flatnonzero(country == "US")
    country_cells[us_rows] = pick_labels(rng("us_names"), country[us_rows], {"US": US_NAMES})

    cells = {
        "Email Address": email_cells(rng("email"), population, person),
        "Member Category": category,
        "Career Stage": pick_labels(labels, stage, CAREER_STAGE),
        "Practice Setting": pick_labels(labels, sector, PRACTICE_SETTING),
        "Primary Role": pick_labels(labels, role, PRIMARY_ROLE),
        "Gender Identity": gender_cells,
        "Ethnicity": ethnicity,
        "Birth Year": birth,
        "Employer": employers(rng("employer"), country, sector),
        "State": state.astype(object),
        "Country": country_cells,
    }
    truth = blank_truth(size)
    truth["race_ethnicity"] = codes.race_text(population["race_mask"][person])
    truth["race_ethnicity_detail"] = detail_truth
    truth["gender"] = gender.copy()
    truth["transgender"] = transgender_truth
    truth["career_stage"] = stage.copy()
    truth["sector"] = sector.copy()
    truth["role"] = role.copy()
    truth["age_band"] = known_age_band(population, person)
    truth["country"] = country.copy()
    truth["us_region"] = population["us_region"][person].copy()

    ids = increasing_ids(rng("ids"), size, 1000)
    table = ExportRows(cells, truth, person, zero_padded(ids, 7))
    add_dirt(table, profiles["dirt"], seed=seed, year=population.year)
    return table


def _ethnicity_cells(
    rng: np.random.Generator, population: Population, person: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The free-text Ethnicity cell and the race/ethnicity detail it reveals."""
    size = len(person)
    masks = population["race_mask"][person]
    parts = filled(size, "")
    separator = np.array(SEPARATORS[0], dtype=object)[draw_from(rng, SEPARATORS[1], size)]
    shown_details = {parent: np.full(size, -1, dtype=np.int8) for parent in codes.DETAIL_PARENTS}
    for category in ETHNICITY_ORDER:
        present = codes.has_race(masks, category)
        label = pick_labels(rng, np.where(present, category, ""), {category: ETHNICITY[category]})
        if category in codes.RACE_DETAIL:
            detail = population[f"detail_{category}"][person]
            writes = present & (detail >= 0) & (rng.random(size) < WRITES_SUBGROUP)
            names = np.array(
                [DETAIL_LABELS[category][sub] for sub in codes.RACE_DETAIL[category]], dtype=object
            )
            label = np.where(writes, names[np.maximum(detail, 0)], label)
            shown_details[category] = np.where(writes, detail, -1).astype(np.int8)
        parts = np.where(present, np.where(parts == "", label, parts + separator + label), parts)
    declined = codes.has_race(masks, "declined")
    parts[declined] = pick_labels(rng, np.full(int(declined.sum()), "declined"), ETHNICITY)
    return parts, codes.detail_text(shown_details)


def add_dirt(table: ExportRows, dirt: dict[str, Any], *, seed: int, year: int) -> None:
    rates = dirt["per_cell"]
    unknown = table.loses

    losses = {
        "Career Stage": unknown("career_stage"),
        "Practice Setting": unknown("sector"),
        "Primary Role": unknown("role"),
        "Gender Identity": unknown("gender", "transgender"),
        "Ethnicity": unknown("race_ethnicity"),
        "Birth Year": unknown("age_band"),
        "State": table.loses_us_state,
        "Country": unknown("country", "us_region"),
    }
    for column, lose in losses.items():
        dirty_text_column(
            stream(seed, "dirt", "nsgc", column),
            table,
            column,
            rates,
            out_of_list=OUT_OF_LIST[column],
            lose=lose,
            kinds=("blank", "na_token", "whitespace", "out_of_list")
            if column == "Birth Year"
            else ("blank", "na_token", "whitespace", "mixed_case", "out_of_list"),
        )
    dirty_text_column(
        stream(seed, "dirt", "nsgc", "Email Address"),
        table,
        "Email Address",
        rates,
        out_of_list=(),
        lose=lambda rows: None,
        kinds=("whitespace", "mixed_case"),
    )
    impossible_birth_years(
        stream(seed, "dirt", "nsgc", "impossible"), table, "Birth Year", year, dirt, as_text=True
    )
    shared_and_duplicated_ids(stream(seed, "dirt", "nsgc", "ids"), table, dirt)


def encode(text: str) -> bytes:
    """The roster's bytes: a UTF-8 byte-order mark, then the text in cp1252."""
    return BOM + text.encode(ENCODING)
