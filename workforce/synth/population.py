"""The true population of each synthetic society: who its members are, in standard codes.

A member's attributes here are what the member would say about themselves in a complete
survey (so `declined` is a real answer); the membership exports and the survey are views of
this population. Everything is drawn column by column with numpy, never person by person.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from workforce.synth import codes
from workforce.synth.codes import filled
from workforce.synth.randomness import (
    calibrated_draw,
    draw_from,
    draw_index,
    offset_matrix,
    random_hex,
    stream,
)

# Categories a person can answer with (`unknown` is never a self-report).
STAGES = tuple(c for c in codes.CAREER_STAGE if c != "unknown")
ROLES = tuple(c for c in codes.ROLE if c != "unknown")
SECTORS = tuple(c for c in codes.SECTOR if c != "unknown")
GENDERS = tuple(c for c in codes.GENDER if c != "unknown")
ORIENTATIONS = tuple(c for c in codes.SEXUAL_ORIENTATION if c != "unknown")
PRIMARY_RACES = ("white", "asian", "black", "hispanic", "mena", "aian", "nhpi", "other", "declined")
US_CITIZENSHIPS = ("us_citizen", "permanent_resident", "visa_holder", "declined")
ABROAD_CITIZENSHIPS = ("non_us", "us_citizen", "declined")


@dataclass
class Population:
    """One society's members: a dict of equally long numpy columns."""

    org: str
    year: int
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["person_key"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]


def _named(levels: tuple[str, ...], indexes: np.ndarray) -> np.ndarray:
    return np.array(levels, dtype=object)[indexes]


def _decline_shift(categories: tuple[str, ...], shift: float) -> np.ndarray:
    """Shift table for the privacy covariate: private people lean towards `declined`."""
    table = np.zeros((2, len(categories)))
    if "declined" in categories:
        table[1, categories.index("declined")] = shift
    return table


def draw_society(
    profiles: dict[str, Any], org: str, size: int, *, seed: int, year: int
) -> Population:
    """Draw `size` members of `org` with the correlations the profiles describe."""
    society = profiles["societies"][org]
    offsets = profiles["offsets"]
    decline_shift = offsets["declines_when_private"]

    def rng(step: str) -> np.random.Generator:
        return stream(seed, "population", org, step)

    private = (rng("privacy").random(size) < profiles["privacy_minded"]).astype(np.int64)

    stage_i = calibrated_draw(
        rng("career_stage"),
        society["career_stage"],
        STAGES,
        [(private, _decline_shift(STAGES, decline_shift))],
    )
    stage = _named(STAGES, stage_i)

    primary_i = calibrated_draw(
        rng("race"),
        society["race_primary"],
        PRIMARY_RACES,
        [
            (stage_i, offset_matrix(offsets["race_by_career_stage"], STAGES, PRIMARY_RACES)),
            (private, _decline_shift(PRIMARY_RACES, decline_shift)),
        ],
    )
    race_mask, details = _draw_race_set(profiles, rng("race_second"), primary_i, stage)

    gender_i = calibrated_draw(
        rng("gender"),
        society["gender"],
        GENDERS,
        [
            (stage_i, offset_matrix(offsets["gender_by_career_stage"], STAGES, GENDERS)),
            (primary_i, offset_matrix(offsets["gender_by_race"], PRIMARY_RACES, GENDERS)),
            (private, _decline_shift(GENDERS, decline_shift)),
        ],
    )
    gender = _named(GENDERS, gender_i)

    trans_levels = ("yes", "no", "declined")
    transgender = _named(
        trans_levels,
        calibrated_draw(
            rng("transgender"),
            profiles["transgender"]["margin"],
            trans_levels,
            [
                (
                    gender_i,
                    offset_matrix(
                        profiles["transgender"]["offsets_by_gender"], GENDERS, trans_levels
                    ),
                ),
                (private, _decline_shift(trans_levels, decline_shift)),
            ],
        ),
    )

    orientation = _named(
        ORIENTATIONS,
        calibrated_draw(
            rng("sexual_orientation"),
            society["sexual_orientation"],
            ORIENTATIONS,
            [
                (
                    stage_i,
                    offset_matrix(offsets["orientation_by_career_stage"], STAGES, ORIENTATIONS),
                ),
                (gender_i, offset_matrix(offsets["orientation_by_gender"], GENDERS, ORIENTATIONS)),
                (private, _decline_shift(ORIENTATIONS, decline_shift)),
            ],
        ),
    )

    intersex_levels = ("yes", "no", "dont_know", "declined")
    intersex = _named(
        intersex_levels,
        calibrated_draw(
            rng("intersex"),
            profiles["intersex"],
            intersex_levels,
            [(private, _decline_shift(intersex_levels, decline_shift))],
        ),
    )

    role_i = calibrated_draw(
        rng("role"),
        society["role"],
        ROLES,
        [
            (stage_i, offset_matrix(offsets["role_by_career_stage"], STAGES, ROLES)),
            (private, _decline_shift(ROLES, decline_shift)),
        ],
    )
    role = _named(ROLES, role_i)
    sector = _draw_sector(profiles, rng("sector"), role_i, stage_i, private)

    country, us_state, us_region = _draw_place(profiles, society, rng("place"), primary_i)
    citizenship = _draw_citizenship(
        profiles, society, rng("citizenship"), country, stage_i, primary_i, private
    )

    age, age_declined = _draw_age(profiles, rng("age"), stage, private)
    birth_year = year - age
    age_band = codes.age_band(age.astype(float))
    age_band[age_declined] = "declined"

    washington = _draw_washington_group(profiles, rng("washington_group"), age, private)
    disability_self = _self_identified_disability(profiles, rng("disability_self"), washington)
    urm = np.zeros(size, dtype=bool)
    for code in codes.URM_NIH:
        urm |= codes.has_race(race_mask, code)
    disadvantaged = _draw_disadvantaged(
        profiles, rng("nih_disadvantaged"), urm, country != "US", private
    )

    email_on_file = calibrated_draw(
        rng("email"),
        {"yes": society["email_on_file"], "no": 1 - society["email_on_file"]},
        ("no", "yes"),
        [(stage_i, offset_matrix(offsets["email_by_career_stage"], STAGES, ("no", "yes")))],
    ).astype(bool)

    columns: dict[str, np.ndarray] = {
        "person_key": random_hex(rng("person_key"), size, 16),
        "career_stage": stage,
        "race_mask": race_mask,
        **{f"detail_{parent}": details[parent] for parent in codes.DETAIL_PARENTS},
        "gender": gender,
        "transgender": transgender,
        "intersex": intersex,
        "sexual_orientation": orientation,
        **washington,
        "disability_self": disability_self,
        **disadvantaged,
        "role": role,
        "sector": sector,
        "country": country,
        "us_state": us_state,
        "us_region": us_region,
        "citizenship": citizenship,
        "age": age,
        "birth_year": birth_year,
        "age_declined": age_declined,
        "age_band": age_band,
        "private": private.astype(bool),
        "email_on_file": email_on_file,
    }
    return Population(org, year, columns)


def _draw_race_set(
    profiles: dict[str, Any], rng: np.random.Generator, primary_i: np.ndarray, stage: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The full multi-select answer: first choice, maybe a second, maybe detailed subgroups."""
    size = len(primary_i)
    second = profiles["race_second_choice"]
    choices = codes.RACE_CATEGORIES
    by_primary = np.array([second["probability"].get(p, 0.0) for p in PRIMARY_RACES])
    probability = by_primary[primary_i]
    probability = np.where(
        stage == "student", probability * second["student_multiplier"], probability
    )
    adds_second = rng.random(size) < np.minimum(probability, 0.95)

    weights = np.array([second["weights"][c] for c in choices], dtype=float)
    position_of = np.array([choices.index(p) if p in choices else -1 for p in PRIMARY_RACES])
    primary_index = position_of[primary_i]
    # A second choice is never the first one again; row -1 (declined) is never used.
    matrix = np.tile(weights, (len(choices) + 1, 1))
    for position in range(len(choices)):
        matrix[position, position] = 0.0
    second_index = draw_index(rng, matrix[primary_index])

    bits = np.array([codes.RACE_BIT[c] for c in choices], dtype=np.int64)
    mask = np.where(primary_index >= 0, bits[primary_index], codes.RACE_BIT["declined"])
    mask = np.where(adds_second & (primary_index >= 0), mask | bits[second_index], mask)

    details: dict[str, np.ndarray] = {}
    detail_weights = profiles["race_detail"]
    for parent in codes.DETAIL_PARENTS:
        present = codes.has_race(mask, parent)
        gives_detail = present & (rng.random(size) < second["detail_probability"])
        chosen = draw_from(
            rng, [detail_weights[parent][sub] for sub in codes.RACE_DETAIL[parent]], size
        )
        details[parent] = np.where(gives_detail, chosen, -1).astype(np.int8)
    return mask.astype(np.int64), details


def _draw_sector(
    profiles: dict[str, Any],
    rng: np.random.Generator,
    role_i: np.ndarray,
    stage_i: np.ndarray,
    private: np.ndarray,
) -> np.ndarray:
    """Sector given role (the role-sector link), shifted by career stage."""
    given_role = np.array(
        [[profiles["sector_given_role"][r][s] for s in SECTORS] for r in ROLES], dtype=float
    )
    given_role /= given_role.sum(axis=1, keepdims=True)
    stage_shift = offset_matrix(profiles["offsets"]["sector_by_career_stage"], STAGES, SECTORS)
    privacy_shift = _decline_shift(SECTORS, profiles["offsets"]["declines_when_private"])
    logits = np.log(given_role)[role_i] + stage_shift[stage_i] + privacy_shift[private]
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return _named(SECTORS, draw_index(rng, probabilities))


def _draw_place(
    profiles: dict[str, Any],
    society: dict[str, Any],
    rng: np.random.Generator,
    primary_i: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Country (ISO alpha-2), US state and Census region; international members by origin."""
    size = len(primary_i)
    shifts = profiles["offsets"]["international_by_race"]
    table = np.zeros((len(PRIMARY_RACES), 2))
    for race, shift in shifts.items():
        table[PRIMARY_RACES.index(race), 1] = shift
    share = society["international"]
    abroad = calibrated_draw(
        rng, {"us": 1 - share, "abroad": share}, ("us", "abroad"), [(primary_i, table)]
    ).astype(bool)

    country = filled(size, "US")
    pools = profiles["international_countries"]
    for position, race in enumerate(PRIMARY_RACES):
        pool = pools.get(race, pools["other"])
        chosen = abroad & (primary_i == position)
        names = list(pool)
        country[chosen] = np.array(names, dtype=object)[
            draw_from(rng, [pool[n] for n in names], int(chosen.sum()))
        ]

    states = profiles["us_states"]
    state_names = list(states)
    state_index = draw_from(rng, [states[s][0] for s in state_names], size)
    us_state = np.where(abroad, "", np.array(state_names, dtype=object)[state_index])
    region_of_state = np.array([states[s][1] for s in state_names], dtype=object)
    us_region = np.where(abroad, "", region_of_state[state_index])
    return country, us_state.astype(object), us_region.astype(object)


def _draw_citizenship(
    profiles: dict[str, Any],
    society: dict[str, Any],
    rng: np.random.Generator,
    country: np.ndarray,
    stage_i: np.ndarray,
    primary_i: np.ndarray,
    private: np.ndarray,
) -> np.ndarray:
    offsets = profiles["offsets"]
    decline_shift = offsets["declines_when_private"]
    in_us = country == "US"
    citizenship = np.empty(len(country), dtype=object)
    us_draw = calibrated_draw(
        rng,
        society["us_citizenship"],
        US_CITIZENSHIPS,
        [
            (
                stage_i[in_us],
                offset_matrix(offsets["citizenship_by_career_stage"], STAGES, US_CITIZENSHIPS),
            ),
            (
                primary_i[in_us],
                offset_matrix(offsets["citizenship_by_race"], PRIMARY_RACES, US_CITIZENSHIPS),
            ),
            (private[in_us], _decline_shift(US_CITIZENSHIPS, decline_shift)),
        ],
    )
    citizenship[in_us] = _named(US_CITIZENSHIPS, us_draw)
    if (~in_us).any():
        abroad_draw = calibrated_draw(
            rng,
            profiles["non_us_citizenship"],
            ABROAD_CITIZENSHIPS,
            [(private[~in_us], _decline_shift(ABROAD_CITIZENSHIPS, decline_shift))],
        )
        citizenship[~in_us] = _named(ABROAD_CITIZENSHIPS, abroad_draw)
    return citizenship


def _draw_age(
    profiles: dict[str, Any], rng: np.random.Generator, stage: np.ndarray, private: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whole years of age by career stage (the stage-age link), and who gives no birth year."""
    size = len(stage)
    age = np.zeros(size)
    noise = rng.standard_normal(size)
    for level, (mean, sd, low, high) in profiles["age_by_career_stage"].items():
        chosen = stage == level
        age[chosen] = np.clip(mean + sd * noise[chosen], low, high)
    declined_probability = np.where(private.astype(bool), 0.5, profiles["age_declined"])
    declined = rng.random(size) < declined_probability
    return np.rint(age).astype(np.int64), declined


def _ordinal_from_latent(latent: np.ndarray, upper_tail_shares: list[float]) -> np.ndarray:
    """Level 0..k by where a standard-normal score falls, given the shares above each cut."""
    cuts = np.array([NormalDist().inv_cdf(1 - share) for share in upper_tail_shares])
    return np.searchsorted(cuts, latent, side="right")


def _draw_washington_group(
    profiles: dict[str, Any], rng: np.random.Generator, age: np.ndarray, private: np.ndarray
) -> dict[str, np.ndarray]:
    """Six functioning domains sharing one latent, worse with age."""
    wg = profiles["washington_group"]
    size = len(age)
    rho = wg["latent_correlation"]
    shared = rng.standard_normal(size)
    age_shift = wg["age_slope_per_decade"] * (age - 45) / 10
    decline_probability = np.where(private.astype(bool), 0.5, wg["declined"])
    declines = rng.random(size) < decline_probability
    levels = np.array(("none", "some", "a_lot", "cannot"), dtype=object)
    result = {}
    for domain in codes.WG_DOMAINS:
        some, a_lot, cannot = wg["domains"][domain]
        latent = np.sqrt(rho) * shared + np.sqrt(1 - rho) * rng.standard_normal(size) + age_shift
        level = levels[
            _ordinal_from_latent(latent, [some + a_lot + cannot, a_lot + cannot, cannot])
        ]
        result[domain] = np.where(declines, "declined", level).astype(object)
    return result


def _self_identified_disability(
    profiles: dict[str, Any], rng: np.random.Generator, washington: dict[str, np.ndarray]
) -> np.ndarray:
    """The legacy "do you have a disability?" answer, which only partly agrees with the
    functional Washington Group measure (many with a lot of difficulty answer no)."""
    shares = profiles["washington_group"]["self_identify"]
    size = len(washington["wg_seeing"])
    functional = np.zeros(size, dtype=bool)
    some = np.zeros(size, dtype=bool)
    for values in washington.values():
        functional |= np.isin(values, ("a_lot", "cannot"))
        some |= values == "some"
    chance = np.where(
        functional, shares["with_a_lot"], np.where(some, shares["with_some"], shares["with_none"])
    )
    answer = np.array(("yes", "no"), dtype=object)[(rng.random(size) >= chance).astype(np.int64)]
    answer[washington["wg_seeing"] == "declined"] = "declined"
    return answer


def _draw_disadvantaged(
    profiles: dict[str, Any],
    rng: np.random.Generator,
    urm: np.ndarray,
    abroad: np.ndarray,
    private: np.ndarray,
) -> dict[str, np.ndarray]:
    """NIH disadvantaged-background items sharing one latent, more common among URM members."""
    nih = profiles["nih_disadvantaged"]
    size = len(urm)
    rho = nih["latent_correlation"]
    shared = rng.standard_normal(size) + nih["urm_shift"] * urm
    us_programme = ("dis_free_lunch", "dis_pell", "dis_wic")
    decline_probability = np.where(private.astype(bool), 0.5, nih["declined"])
    declines = rng.random(size) < decline_probability
    result = {}
    for item in codes.DIS_ITEMS:
        latent = np.sqrt(rho) * shared + np.sqrt(1 - rho) * rng.standard_normal(size)
        if item in us_programme:
            latent = latent + nih["non_us_shift"] * abroad
        yes = _ordinal_from_latent(latent, [nih["items"][item]]) == 1
        answer = np.array(("no", "yes"), dtype=object)[yes.astype(np.int64)]
        result[item] = np.where(declines, "declined", answer).astype(object)
    return result


EMAIL_PREFIX = {
    "researcher": "sci",
    "clinician": "md",
    "genetic_counselor": "gc",
    "laboratory_professional": "lab",
    "nurse": "rn",
    "educator": "teach",
    "administrator": "admin",
}
# Only reserved example domains (RFC 2606): example.org, example.com, example.net.
EMAIL_HOST = {
    "academia": ("univ", ".example.org"),
    "clinical": ("hospital", ".example.org"),
    "government": ("agency", ".example.net"),
    "industry": ("biotech", ".example.com"),
    "policy": ("foundation", ".example.org"),
}


def assign_emails(populations: dict[str, Population], *, seed: int) -> None:
    """Give every member a synthetic address, unique across the consortium.

    The local part is a role prefix and a number from one shuffled sequence for everyone, so
    no two members share an address and the address says nothing about the person.
    """
    rng = stream(seed, "population", "emails")
    total = sum(len(p) for p in populations.values())
    numbers = rng.permutation(total) + 100_000
    start = 0
    for population in populations.values():
        size = len(population)
        role, sector = population["role"], population["sector"]
        prefix = np.array([EMAIL_PREFIX.get(r, "member") for r in ROLES], dtype=object)[
            codes_index(role, ROLES)
        ]
        local = (prefix + numbers[start : start + size].astype(str).astype(object)).astype(object)
        host_number = rng.integers(1, 41, size).astype(str).astype(object)
        domain = filled(size, "mail.example.com")
        for sector_code, (host, suffix) in EMAIL_HOST.items():
            rows = sector == sector_code
            domain[rows] = host + host_number[rows] + suffix
        population.columns["email_local"] = local
        population.columns["email"] = local + "@" + domain
        start += size


def codes_index(values: np.ndarray, levels: tuple[str, ...]) -> np.ndarray:
    """Positions of text values in `levels` (each value must be one of them)."""
    index = np.full(len(values), -1, dtype=np.int64)
    for position, level in enumerate(levels):
        index[values == level] = position
    if (index < 0).any():
        raise ValueError(f"values outside {levels}")
    return index
