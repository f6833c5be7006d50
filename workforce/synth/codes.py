"""The standard's codes as the synthetic consortium emits them (STANDARD.md, version 1).

The generator must only ever write codes from the standard. These lists mirror the standard's
reference page; the tests check every truth record against `workforce.standard` when it is
importable and against these lists otherwise.
"""

from __future__ import annotations

import numpy as np

MISSING = ("declined", "unknown")

# Minimum categories of the combined race/ethnicity question (SPD-15, 2024), then the codes a
# source can force: `other`, and the coarse `asian_or_pi` for "Asian or Pacific Islander".
RACE_CATEGORIES = ("aian", "asian", "black", "hispanic", "mena", "nhpi", "white", "other")
RACE_CODES = (*RACE_CATEGORIES, "asian_or_pi", *MISSING)
RACE_DETAIL = {
    "asian": ("chinese", "asian_indian", "filipino", "vietnamese", "korean", "japanese"),
    "black": ("african_american", "jamaican", "haitian", "nigerian", "ethiopian", "somali"),
    "hispanic": ("mexican", "puerto_rican", "salvadoran", "cuban", "dominican", "guatemalan"),
    "mena": ("lebanese", "iranian", "egyptian", "syrian", "iraqi", "israeli"),
    "nhpi": ("native_hawaiian", "samoan", "chamorro", "tongan", "fijian", "marshallese"),
    "white": ("english", "german", "irish", "italian", "polish", "scottish"),
}
DETAIL_PARENTS = tuple(RACE_DETAIL)
URM_NIH = ("black", "hispanic", "aian", "nhpi")

GENDER = ("woman", "man", "nonbinary", "another", *MISSING)
TRANSGENDER = ("yes", "no", *MISSING)
INTERSEX = ("yes", "no", "dont_know", *MISSING)
SEXUAL_ORIENTATION = ("straight", "gay_lesbian", "bisexual", "another", *MISSING)
WG_DOMAINS = (
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_cognition",
    "wg_selfcare",
    "wg_communication",
)
WG_LEVELS = ("none", "some", "a_lot", "cannot", *MISSING)
DIS_ITEMS = (
    "dis_homeless",
    "dis_foster_care",
    "dis_free_lunch",
    "dis_first_gen",
    "dis_pell",
    "dis_wic",
    "dis_rural_or_shortage",
)
YES_NO = ("yes", "no", *MISSING)
CAREER_STAGE = ("student", "trainee", "early", "mid", "senior", "retired", *MISSING)
SECTOR = ("academia", "clinical", "government", "industry", "policy", "other", *MISSING)
ROLE = (
    "researcher",
    "clinician",
    "genetic_counselor",
    "laboratory_professional",
    "nurse",
    "educator",
    "administrator",
    "other",
    *MISSING,
)
AGE_BAND = ("under_25", "25_34", "35_44", "45_54", "55_64", "65_plus", *MISSING)
US_REGION = ("northeast", "midwest", "south", "west", *MISSING)
CITIZENSHIP = ("us_citizen", "permanent_resident", "visa_holder", "non_us", *MISSING)

# Single-valued dimensions of a standard record and their codes (race is multi-select and
# country is ISO 3166-1 alpha-2, so both are checked separately).
SINGLE_VALUED = {
    "gender": GENDER,
    "transgender": TRANSGENDER,
    "intersex": INTERSEX,
    "sexual_orientation": SEXUAL_ORIENTATION,
    **{domain: WG_LEVELS for domain in WG_DOMAINS},
    "disability_self": YES_NO,
    **{item: YES_NO for item in DIS_ITEMS},
    "career_stage": CAREER_STAGE,
    "sector": SECTOR,
    "role": ROLE,
    "age_band": AGE_BAND,
    "us_region": US_REGION,
    "citizenship": CITIZENSHIP,
}

RECORD_COLUMNS = (
    "record_id",
    "source",
    "org",
    "year",
    "person_key",
    "race_ethnicity",
    "race_ethnicity_detail",
    "gender",
    "transgender",
    "intersex",
    "sexual_orientation",
    *WG_DOMAINS,
    "disability_self",
    *DIS_ITEMS,
    "career_stage",
    "sector",
    "role",
    "age_band",
    "country",
    "us_region",
    "citizenship",
)

# Race/ethnicity sets travel through the generator as bit masks, one bit per code, so that
# whole columns can be coarsened, compared and turned into text without a loop over people.
RACE_BIT = {code: 1 << position for position, code in enumerate(RACE_CODES)}


def race_mask(*codes: str) -> int:
    mask = 0
    for code in codes:
        mask |= RACE_BIT[code]
    return mask


def filled(size: int | tuple[int, ...], value: object) -> np.ndarray:
    """An object array holding one shared `value` (np.full would copy a string per cell)."""
    result = np.empty(size, dtype=object)
    result.fill(value)
    return result


def interned(values: np.ndarray) -> np.ndarray:
    """An object array in which equal texts are one shared Python string.

    Converting a numpy text array with `astype(object)` makes a new string object per cell
    (about 60 bytes each); sharing them keeps a column of codes at 8 bytes per person, which
    is what lets a 1.6-million-member consortium fit in memory.
    """
    uniques, inverse = np.unique(values, return_inverse=True)
    return uniques.astype(object)[inverse.reshape(-1)]


def race_text(masks: np.ndarray) -> np.ndarray:
    """Masks as the standard's text: codes sorted and joined with `;` (object array)."""
    uniques, inverse = np.unique(masks, return_inverse=True)
    texts = np.array(
        [";".join(sorted(c for c in RACE_CODES if int(m) & RACE_BIT[c])) for m in uniques],
        dtype=object,
    )
    return texts[inverse]


def has_race(masks: np.ndarray, code: str) -> np.ndarray:
    return (masks & RACE_BIT[code]) != 0


def detail_text(details: dict[str, np.ndarray]) -> np.ndarray:
    """Per-parent subgroup indexes (-1 for none) as sorted `parent.sub` codes joined by `;`."""
    # One integer key per person (index + 1 in base 8 per parent), then text per distinct key.
    key = np.zeros(len(details[DETAIL_PARENTS[0]]), dtype=np.int64)
    for parent in DETAIL_PARENTS:
        key = key * 8 + (details[parent].astype(np.int64) + 1)
    uniques, inverse = np.unique(key, return_inverse=True)
    texts = []
    for value in uniques:
        found = []
        for parent in reversed(DETAIL_PARENTS):
            index = int(value % 8) - 1
            value //= 8
            if index >= 0:
                found.append(f"{parent}.{RACE_DETAIL[parent][index]}")
        texts.append(";".join(sorted(found)))
    return np.array(texts, dtype=object)[inverse.reshape(-1)]


def age_band(ages: np.ndarray) -> np.ndarray:
    """Age in years (NaN when not known) as the standard's age band (object array)."""
    edges = np.array([25, 35, 45, 55, 65])
    labels = np.array(["under_25", "25_34", "35_44", "45_54", "55_64", "65_plus"], dtype=object)
    known = ~np.isnan(ages)
    out = filled(ages.shape, "unknown")
    out[known] = labels[np.searchsorted(edges, ages[known], side="right")]
    return out
