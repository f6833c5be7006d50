"""The synthetic member survey: the invitation frame, who responds, and what they answer.

The frame is every member with a usable e-mail, with what the membership records say about
them (in standard codes) so that weighting can rake to it. Response follows a logistic
propensity by career stage, sector, society and gender (coefficients in profiles.yaml), so
respondents are a biased sample of the frame, as in real member surveys. Answers are the
members' own standard attributes, climate items on a 1-5 scale and behaviour-based
harassment items, with a realistic gap between groups. Responses carry no path back to the
frame: the response ID is random and no frame column is copied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from workforce.synth import codes
from workforce.synth.codes import filled
from workforce.synth.comments import theme_weights, write_comments
from workforce.synth.dirt import ExportRows
from workforce.synth.exports.common import zero_padded
from workforce.synth.population import Population
from workforce.synth.randomness import random_hex, stream

FRAME_COLUMNS = (
    "frame_id",
    "org",
    "email",
    "career_stage",
    "sector",
    "role",
    "gender",
    "age_band",
    "country",
    "us_region",
)
SELF_REPORTED = (
    "race_ethnicity",
    "race_ethnicity_detail",
    "gender",
    "transgender",
    "intersex",
    "sexual_orientation",
    *codes.WG_DOMAINS,
    *codes.DIS_ITEMS,
    "career_stage",
    "sector",
    "role",
    "age_band",
    "country",
    "us_region",
    "citizenship",
)
LIKERT_LABELS = {
    "1": "Strongly disagree",
    "2": "Disagree",
    "3": "Neither agree nor disagree",
    "4": "Agree",
    "5": "Strongly agree",
}
FREQUENCIES = ("never", "once", "sometimes", "often")


@dataclass
class Frame:
    """The invited members: the columns written to frame.csv, and who each one is."""

    columns: dict[str, np.ndarray]
    person: np.ndarray  # index into the member's society population (never written)

    def __len__(self) -> int:
        return len(self.person)


def build_frame(
    populations: dict[str, Population], exports: dict[str, ExportRows], *, seed: int
) -> Frame:
    """Every member with a usable e-mail, once, with the membership record's codes."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in (*FRAME_COLUMNS[1:], "person")}
    for org, population in populations.items():
        table = exports[org]
        # The first row of each member in the export (duplicates and sharers come later).
        people, first_row = np.unique(table.person, return_index=True)
        invited = population["email_on_file"][people]
        rows, people = first_row[invited], people[invited]
        parts["org"].append(filled(len(rows), org))
        parts["email"].append(population["email"][people])
        for column in FRAME_COLUMNS[3:]:
            parts[column].append(table.truth[column][rows])
        parts["person"].append(people)
    joined = {name: np.concatenate(values) for name, values in parts.items()}
    order = stream(seed, "survey", "frame_order").permutation(len(joined["person"]))
    columns = {name: values[order] for name, values in joined.items() if name != "person"}
    width = max(7, len(str(len(order))))
    columns = {"frame_id": zero_padded(np.arange(1, len(order) + 1), width, "F"), **columns}
    return Frame(columns, joined["person"][order])


def _true_attribute(
    populations: dict[str, Population], org: np.ndarray, person: np.ndarray, column: str
) -> np.ndarray:
    """One population column for people spread over several societies."""
    sample = next(iter(populations.values()))[column]
    result = np.empty(len(person), dtype=sample.dtype)
    for name, population in populations.items():
        rows = org == name
        result[rows] = population[column][person[rows]]
    return result


def response_propensity(
    model: dict[str, dict[str, float]], attributes: dict[str, np.ndarray], target_rate: float
) -> np.ndarray:
    """Each invitee's chance to respond: logistic in the model's terms, with the intercept
    solved (by bisection) so the expected response rate equals `target_rate`."""
    linear = np.zeros(len(next(iter(attributes.values()))))
    for term, coefficients in model.items():
        values = attributes[term]
        for level, coefficient in coefficients.items():
            linear = linear + np.where(values == level, coefficient, 0.0)
    low, high = -10.0, 10.0
    for _ in range(80):
        middle = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(middle + linear)))) < target_rate:
            low = middle
        else:
            high = middle
    return 1 / (1 + np.exp(-((low + high) / 2 + linear)))


@dataclass
class Responses:
    """The answers written to responses.csv, the themes behind each comment, and who answered.

    `frame_ids` (the frame row of each respondent) is truth only the generator knows: the
    responses file has no link back to the frame, but a demo that replays the responses
    through invitation links needs to know whose link each one came through.
    """

    columns: dict[str, np.ndarray]
    comment_themes: np.ndarray
    frame_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.columns["response_id"])


def draw_responses(
    profiles: dict[str, Any],
    populations: dict[str, Population],
    frame: Frame,
    *,
    seed: int,
    year: int,
    streams: tuple[str, ...] = ("survey",),
) -> Responses:
    """Who responds (biased by design) and everything they answer.

    `streams` names the random streams (`stream(seed, *streams, "climate")` and so on): the
    base wave uses `("survey",)`; a later wave of the same members gets its own names
    (see `workforce.synth.waves`), so its answers are drawn afresh.
    """
    survey = profiles["survey"]
    org = frame.columns["org"]

    def truly(column: str, rows: np.ndarray | None = None) -> np.ndarray:
        values = _true_attribute(populations, org, frame.person, column)
        return values if rows is None else values[rows]

    attributes = {
        "career_stage": truly("career_stage"),
        "sector": truly("sector"),
        "org": org,
        "gender": truly("gender"),
    }
    propensity = response_propensity(
        survey["response_model"], attributes, profiles["consortium_targets"]["response_rate"]
    )
    responds = stream(seed, *streams, "responds").random(len(frame)) < propensity
    rows = np.flatnonzero(responds)
    size = len(rows)

    masks = truly("race_mask", rows)
    details = {parent: truly(f"detail_{parent}", rows) for parent in codes.DETAIL_PARENTS}
    answers: dict[str, np.ndarray] = {
        "race_ethnicity": codes.race_text(masks),
        "race_ethnicity_detail": codes.detail_text(details),
    }
    for column in SELF_REPORTED[2:]:
        answers[column] = truly(column, rows)

    private = truly("private", rows)
    groups = survey_groups({**answers, "race_mask": masks})

    climate = _climate_items(survey["climate"], stream(seed, *streams, "climate"), groups, private)
    harassment = _harassment_items(
        survey["harassment"], stream(seed, *streams, "harassment"), groups, private
    )
    harassed = np.zeros(size, dtype=bool)
    for values in harassment.values():
        harassed |= np.isin(values, ("sometimes", "often"))
    comment_rng = stream(seed, *streams, "comments")
    writes = comment_rng.random(size) < survey["comments"]["share"]
    weights = theme_weights(
        student_or_trainee=groups["student"] | groups["trainee"],
        early=answers["career_stage"] == "early",
        woman=groups["woman"],
        harassed=harassed,
        low_belonging=np.isin(climate["climate_belonging"], ("1", "2")),
    )
    comment, themes = write_comments(comment_rng, writes, answers["sector"], weights)

    submitted = _submission_dates(survey, stream(seed, *streams, "dates"), size, year)
    response_id = random_hex(stream(seed, *streams, "response_id"), size, 16)
    # Sorted by submission date, then by the random ID: the order carries no trace of the
    # frame's order.
    order = np.lexsort((response_id, submitted))
    columns = {
        "response_id": response_id,
        "org": org[rows],
        "wave": filled(size, str(year)),
        "submitted_on": submitted,
        **answers,
        **climate,
        **harassment,
        "comment": comment,
    }
    return Responses(
        {name: values[order] for name, values in columns.items()},
        themes[order],
        frame.columns["frame_id"][rows][order],
    )


def survey_groups(attributes: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The groups whose climate and harassment differ (the `shifts` of profiles.yaml).

    `attributes` holds one array per person: gender, transgender, sexual_orientation,
    race_mask (the race bit mask), the Washington Group domains and career_stage.
    """
    gender = attributes["gender"]
    masks = attributes["race_mask"]
    gender_minority = np.isin(gender, ("nonbinary", "another")) | (
        attributes["transgender"] == "yes"
    )
    lgbtq = gender_minority | np.isin(
        attributes["sexual_orientation"], ("gay_lesbian", "bisexual", "another")
    )
    urm = np.zeros(len(gender), dtype=bool)
    for code in codes.URM_NIH:
        urm |= codes.has_race(masks, code)
    disability = np.zeros(len(gender), dtype=bool)
    for domain in codes.WG_DOMAINS:
        disability |= np.isin(attributes[domain], ("a_lot", "cannot"))
    stage = attributes["career_stage"]
    return {
        "woman": gender == "woman",
        "gender_minority": gender_minority,
        "lgbtq": lgbtq,
        "urm": urm,
        "disability": disability,
        "student": stage == "student",
        "trainee": stage == "trainee",
        "senior": stage == "senior",
    }


def _likert(latent: np.ndarray, cutpoints: list[float]) -> np.ndarray:
    levels = np.array(["1", "2", "3", "4", "5"], dtype=object)
    return levels[np.searchsorted(np.array(cutpoints), latent, side="right")]


def _climate_items(
    climate: dict[str, Any],
    rng: np.random.Generator,
    groups: dict[str, np.ndarray],
    private: np.ndarray,
) -> dict[str, np.ndarray]:
    """Five 1-5 items driven by one latent climate score with group shifts (the gap)."""
    size = len(private)
    latent = rng.standard_normal(size)
    for group, shift in climate["shifts"].items():
        latent = latent + shift * groups[group]
    loading = climate["loading"]
    decline = np.where(private, 0.3, climate["declined"])
    items = {}
    for item in climate["items"]:
        score = loading * latent + np.sqrt(1 - loading**2) * rng.standard_normal(size)
        answer = _likert(score, climate["cutpoints"])
        items[item] = np.where(rng.random(size) < decline, "declined", answer).astype(object)
    return items


def _harassment_items(
    harassment: dict[str, Any],
    rng: np.random.Generator,
    groups: dict[str, np.ndarray],
    private: np.ndarray,
) -> dict[str, np.ndarray]:
    """Behaviour-based items; one latent exposure with group shifts crosses item thresholds.

    For the reference group the share answering at least "once" is the item's `any`; the
    split among once / sometimes / often then sets the higher thresholds.
    """
    size = len(private)
    exposure = rng.standard_normal(size)
    for group, shift in harassment["shifts"].items():
        exposure = exposure + shift * groups[group]
    loading = harassment["loading"]
    split = harassment["split"]
    decline = np.where(private, 0.3, harassment["declined"])
    normal = NormalDist()
    items = {}
    for item, spec in harassment["items"].items():
        share = spec["any"]
        tails = [share, share * (split["sometimes"] + split["often"]), share * split["often"]]
        cuts = np.array([normal.inv_cdf(1 - tail) for tail in tails])
        score = loading * exposure + np.sqrt(1 - loading**2) * rng.standard_normal(size)
        answer = np.array(FREQUENCIES, dtype=object)[np.searchsorted(cuts, score, side="right")]
        items[item] = np.where(rng.random(size) < decline, "declined", answer).astype(object)
    return items


def _submission_dates(
    survey: dict[str, Any], rng: np.random.Generator, size: int, year: int
) -> np.ndarray:
    """ISO dates within the window: a burst at opening, smaller bursts after each reminder."""
    month, day = (int(part) for part in survey["opens"].split("-"))
    opens = dt.date(year, month, day)
    days = 7 * survey["window_weeks"]
    starts = np.array([0, *survey["reminders_days"]], dtype=float)
    share = np.array(
        [0.5, *([0.5 / len(survey["reminders_days"])] * len(survey["reminders_days"]))]
    )
    burst = rng.choice(len(starts), size=size, p=share / share.sum())
    start = starts[burst]
    offset = start + rng.exponential(2.5, size)
    # The link stops working when the window closes: late tails fall back inside the burst.
    late = offset >= days
    offset[late] = start[late] + rng.random(int(late.sum())) * (days - start[late])
    offset = np.floor(offset).astype(np.int64)
    calendar = np.array(
        [(opens + dt.timedelta(days=int(d))).isoformat() for d in range(days)], dtype=object
    )
    return calendar[offset]


def codebook_rows(profiles: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(file, column, label, values) for every column of frame.csv and responses.csv."""
    survey = profiles["survey"]
    value_lists = {
        "gender": codes.GENDER,
        "transgender": codes.TRANSGENDER,
        "intersex": codes.INTERSEX,
        "sexual_orientation": codes.SEXUAL_ORIENTATION,
        **{domain: codes.WG_LEVELS for domain in codes.WG_DOMAINS},
        **{item: codes.YES_NO for item in codes.DIS_ITEMS},
        "career_stage": codes.CAREER_STAGE,
        "sector": codes.SECTOR,
        "role": codes.ROLE,
        "age_band": codes.AGE_BAND,
        "us_region": codes.US_REGION,
        "citizenship": codes.CITIZENSHIP,
    }
    labels = {
        "org": "Society that sent the invitation",
        "race_ethnicity": "Race/ethnicity, select all that apply (SPD-15 minimum categories)",
        "race_ethnicity_detail": "Detailed race/ethnicity subgroups (SPD-15 checkboxes)",
        "gender": "Current gender (NASEM two-step, step 1)",
        "transgender": "Transgender (NASEM two-step, step 2)",
        "intersex": "Intersex (asked separately)",
        "sexual_orientation": "Sexual orientation (NASEM)",
        "wg_seeing": "Difficulty seeing, even if wearing glasses (Washington Group)",
        "wg_hearing": "Difficulty hearing, even if using a hearing aid (Washington Group)",
        "wg_walking": "Difficulty walking or climbing steps (Washington Group)",
        "wg_cognition": "Difficulty remembering or concentrating (Washington Group)",
        "wg_selfcare": "Difficulty with self-care, such as washing or dressing (Washington Group)",
        "wg_communication": "Difficulty communicating in the usual language (Washington Group)",
        "dis_homeless": "Experienced homelessness (NIH disadvantaged background)",
        "dis_foster_care": "Was in foster care (NIH disadvantaged background)",
        "dis_free_lunch": "Eligible for free or reduced-price school lunch (NIH)",
        "dis_first_gen": "No parent or guardian completed a bachelor's degree (NIH)",
        "dis_pell": "Received a Federal Pell grant (NIH)",
        "dis_wic": "Received WIC benefits (NIH)",
        "dis_rural_or_shortage": "Grew up in a rural or health-professional shortage area (NIH)",
        "career_stage": "Career stage",
        "sector": "Sector of primary employment",
        "role": "Primary professional role",
        "age_band": "Age band in the reference year",
        "country": "Country of residence",
        "us_region": "US Census region (members in the US)",
        "citizenship": "Citizenship status",
    }
    frame_labels = {
        "frame_id": ("Invitation frame row ID", "F followed by digits"),
        "email": ("E-mail address invited (synthetic, example domains)", "text"),
    }
    rows: list[tuple[str, str, str, str]] = []

    def values_of(column: str) -> str:
        if column == "race_ethnicity":
            return "codes " + "|".join(codes.RACE_CODES) + ", sorted and joined with ;"
        if column == "race_ethnicity_detail":
            return "parent.sub codes sorted and joined with ; (empty: none given)"
        if column == "country":
            return "ISO 3166-1 alpha-2, or unknown"
        if column == "us_region":
            return "|".join(value_lists[column]) + " (empty outside the US)"
        if column == "org":
            return "ashg|nsgc|acmg"
        return "|".join(value_lists[column])

    for column in FRAME_COLUMNS:
        if column in frame_labels:
            label, values = frame_labels[column]
        else:
            label, values = labels[column] + " (from membership records)", values_of(column)
        rows.append(("survey/frame.csv", column, label, values))
    likert = "|".join(f"{k}={v}" for k, v in LIKERT_LABELS.items()) + "|declined"
    frequency = "|".join(FREQUENCIES) + "|declined"
    response_rows = [
        ("response_id", "Random response ID (not derivable from any invitation)", "16 hex digits"),
        ("org", labels["org"], values_of("org")),
        ("wave", "Survey wave (reference year)", "year"),
        ("submitted_on", "Date the response was submitted", "ISO date YYYY-MM-DD"),
        *((column, labels[column], values_of(column)) for column in SELF_REPORTED),
        *((item, text, likert) for item, text in survey["climate"]["items"].items()),
        *(
            (item, spec["label"] + " (past 12 months)", frequency)
            for item, spec in survey["harassment"]["items"].items()
        ),
        ("comment", "Anything else you would like to tell us? (open text)", "text, may be empty"),
    ]
    rows.extend(("survey/responses.csv", *row) for row in response_rows)
    return rows
