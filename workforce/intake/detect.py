"""Propose which source column feeds which standard dimension, and a first mapping file.

Evidence comes from header names (synonyms of each dimension's usual column titles) and from
values (the share of a column's rows whose values the standard's label lists recognize).
Recognized layouts: a combined race/ethnicity column (one answer, or several joined by ";",
",", "/" or "|"), the 1997 two questions (a Hispanic column beside a race column), "check all
that apply" (one yes/checked column per category), birth year or age (→ age_band), US state
(→ us_region), country names (→ ISO alpha-2) and a member ID (→ record_id). Every proposal
carries its reason and a confidence; a person confirms the result in the mapping file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from workforce.intake.mapping import (
    DEFAULT_SEPARATORS,
    ColumnMapping,
    Mapping,
    split_answers,
    value_key,
    with_proposals,
)
from workforce.intake.read import SourceTable
from workforce.standard import load_standard, match_label, normalize_label, us_region

HEADERS = {
    "record_id": (
        "id",
        "member id",
        "memberid",
        "member number",
        "member no",
        "membership number",
        "membership id",
        "record id",
        "person id",
        "customer id",
        "constituent id",
        "member",
    ),
    "race_ethnicity": (
        "race ethnicity",
        "race and ethnicity",
        "race",
        "ethnicity",
        "race ethnicity multi select",
        "racial ethnic identity",
    ),
    "hispanic": (
        "hispanic",
        "hispanic origin",
        "hispanic or latino",
        "hispanic latino",
        "latino",
        "are you hispanic or latino",
    ),
    "gender": ("gender", "gender identity", "sex", "sex gender"),
    "transgender": ("transgender", "trans", "transgender identity"),
    "sexual_orientation": ("sexual orientation", "orientation"),
    "career_stage": (
        "career stage",
        "member type",
        "membership type",
        "memcat",
        "career level",
        "membership category career stage",
    ),
    "sector": (
        "sector",
        "employer type",
        "primary employer type",
        "practice setting",
        "work setting",
        "worksetting",
        "primary work setting",
        "employment sector",
    ),
    "role": (
        "role",
        "primary role",
        "profession",
        "profrole",
        "professional role",
        "primary professional role",
        "job role",
    ),
    "birth_year": ("birth year", "year of birth", "birthyr", "yob", "birth yr", "birthyear"),
    "age": ("age", "age years", "age in years"),
    "us_state": ("state", "state province", "us state", "state us members", "province state"),
    "country": ("country", "country of residence", "nation", "country of residence iso 3166 code"),
    "citizenship": ("citizenship", "citizenship status"),
    "disability_self": ("disability", "disab", "do you have a disability", "disability status"),
}
VALUE_DIMENSIONS = (
    "gender",
    "career_stage",
    "sector",
    "role",
    "citizenship",
    "sexual_orientation",
    "transgender",
    "disability_self",
)
# Column titles for "check all that apply" columns: "Race: White", "Race - Asian", "White".
CHECKBOX_PREFIX = re.compile(
    r"^(race|ethnicity|race ethnicity|race and ethnicity)\s*[:\-_]?\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class ColumnProposal:
    """One source column proposed to feed one dimension, by a method, with why and how sure."""

    column: str
    dimension: str
    method: str
    confidence: float
    reason: str
    separators: tuple[str, ...] = ()
    code: str | None = None


def propose_columns(table: SourceTable) -> list[ColumnProposal]:
    """Column proposals for one export: at most one column per dimension, the likeliest."""
    frame = table.frame
    standard = load_standard()
    sample = _sample(frame)
    candidates: list[ColumnProposal] = []
    checkbox = _checkbox_columns(sample, standard)
    checkbox_names = {proposal.column for proposal in checkbox}
    for column in frame.columns:
        if column in checkbox_names:
            continue
        values = sample[column]
        labels = table.value_labels.get(column, {})
        shown = values.map(lambda v, labels=labels: labels.get(v.strip(), v))
        header = normalize_label(column)
        for dimension, names in HEADERS.items():
            header_score = (
                0.9
                if header in names
                else (
                    0.5
                    if any(re.search(rf"\b{re.escape(n)}\b", header) for n in names if len(n) > 3)
                    else 0.0
                )
            )
            value_score, extra = _value_evidence(dimension, shown, standard)
            if header_score == 0 and value_score < 0.8:
                continue
            if dimension == "record_id" and _repeats_too_often(values):
                continue  # "Member Category" names a member, but four values identify no one
            confidence = (
                max(header_score, value_score)
                if header_score == 0
                else min(1.0, header_score + 0.1 * value_score)
            )
            if header_score and value_score < 0.3 and dimension not in ("record_id",):
                confidence = header_score * 0.7
            reason = []
            if header_score:
                reason.append(f"header {column!r} names {dimension}")
            if value_score:
                reason.append(f"{value_score:.0%} of values recognized")
            candidates.append(
                ColumnProposal(column, dimension, "", confidence, "; ".join(reason), **extra)
            )
    chosen = _best_per_dimension(candidates)
    return _finish(chosen, checkbox, sample, table)


def _repeats_too_often(values: pd.Series) -> bool:
    """Whether a column's values are too few and too repeated to identify members.

    A member ID may repeat now and then (duplicate rows are rejected with their reason), so
    only a column where most filled values repeat another is ruled out, and only once there
    are enough values to say so.
    """
    filled = values[values.str.strip() != ""]
    return len(filled) >= 20 and filled.nunique() < len(filled) / 2


def _sample(frame: pd.DataFrame, size: int = 5000) -> pd.DataFrame:
    return frame.head(size).fillna("").astype(str)


def _value_evidence(dimension: str, values: pd.Series, standard) -> tuple[float, dict]:
    """Share of non-blank sampled rows recognized as this dimension, and layout details."""
    filled = values[values.str.strip() != ""]
    if filled.empty:
        return 0.0, {}
    counts = filled.value_counts()
    extra: dict = {}
    if dimension == "record_id":
        unique = filled.nunique() / len(filled)
        return (
            0.6 if unique > 0.95 and filled.str.fullmatch(r"\s*[\w\-]+\s*").mean() > 0.95 else 0.0
        ), {}
    if dimension in ("birth_year", "age"):
        numbers = pd.to_numeric(filled, errors="coerce")
        if dimension == "birth_year":
            share = float(numbers.between(1900, 2015).mean())
        else:
            share = float((numbers.between(14, 110) & (numbers == numbers.round())).mean())
        return share, {}
    if dimension == "us_state":
        regions = us_region(pd.Series(counts.index))
        recognized = counts.to_numpy()[(regions != "unknown").to_numpy()].sum()
        return float(recognized / counts.sum()), {}
    if dimension == "hispanic":
        table = standard.crosswalks.omb1997_hispanic
        recognized = sum(
            c
            for v, c in counts.items()
            if normalize_label(v) in table and table[normalize_label(v)] in ("yes", "no")
        )
        return recognized / counts.sum(), {}
    if dimension == "race_ethnicity":
        separators = tuple(
            s
            for s in DEFAULT_SEPARATORS
            if counts.index.str.contains(re.escape(s), regex=True).any()
        )
        recognized = 0
        for value, count in counts.items():
            answers = split_answers(value, separators)
            if all(
                match_label("race_ethnicity", a, standard) is not None
                or match_label("race_ethnicity_detail", a, standard) is not None
                for a in answers
            ):
                recognized += count
        extra = {"separators": separators}
        return recognized / counts.sum(), extra
    dim = "country" if dimension == "country" else dimension
    recognized = sum(
        c
        for v, c in counts.items()
        if match_label(dim, v, standard) not in (None, "unknown", "declined")
    )
    return recognized / counts.sum(), extra


def _checkbox_columns(sample: pd.DataFrame, standard) -> list[ColumnProposal]:
    found = []
    for column in sample.columns:
        stripped = CHECKBOX_PREFIX.sub("", column).strip()
        code = match_label("race_ethnicity", stripped, standard)
        if code in (None, "unknown"):
            continue
        values = {value_key(v) for v in sample[column].unique()}
        if values <= {
            "",
            "yes",
            "no",
            "y",
            "n",
            "x",
            "1",
            "0",
            "true",
            "false",
            "checked",
            "unchecked",
            "selected",
        }:
            found.append(
                ColumnProposal(
                    column,
                    "race_ethnicity",
                    "checkbox",
                    0.8,
                    f"one yes/checked column per category: {code}",
                    code=code,
                )
            )
    return found if len(found) >= 2 else []


def _best_per_dimension(candidates: list[ColumnProposal]) -> list[ColumnProposal]:
    ordered = sorted(candidates, key=lambda c: -c.confidence)
    used_columns: set[str] = set()
    used_dimensions: set[str] = set()
    chosen = []
    for candidate in ordered:
        if candidate.column in used_columns or candidate.dimension in used_dimensions:
            continue
        if candidate.confidence < 0.45:
            continue
        chosen.append(candidate)
        used_columns.add(candidate.column)
        used_dimensions.add(candidate.dimension)
    return chosen


def _finish(
    chosen: list[ColumnProposal],
    checkbox: list[ColumnProposal],
    sample: pd.DataFrame,
    table: SourceTable,
) -> list[ColumnProposal]:
    """Turn (column, dimension) picks into methods: the 1997 pair, age rules, regions."""
    by_dimension = {proposal.dimension: proposal for proposal in chosen}
    result = []
    hispanic = by_dimension.get("hispanic")
    race = by_dimension.get("race_ethnicity")
    for proposal in chosen:
        dimension, method = proposal.dimension, "label"
        extra = {}
        if dimension == "record_id":
            method = "record_id"
        elif dimension == "hispanic":
            if race is None and not checkbox:
                continue
            dimension, method = "race_ethnicity", "omb1997_hispanic"
        elif dimension == "race_ethnicity":
            if checkbox:
                continue
            if hispanic is not None:
                method = "omb1997_race"
                extra["separators"] = proposal.separators
                extra["reason"] = proposal.reason + "; race question of the 1997 two-question form"
            else:
                method = "multi"
                extra["separators"] = proposal.separators
        elif dimension in ("birth_year", "age"):
            dimension, method = "age_band", dimension
        elif dimension == "us_state":
            dimension, method = "us_region", "us_state"
        result.append(
            ColumnProposal(
                proposal.column,
                dimension,
                method,
                proposal.confidence,
                extra.get("reason", proposal.reason),
                extra.get("separators", proposal.separators),
            )
        )
    return result + checkbox


def propose_mapping(table: SourceTable, org: str, previous: Mapping | None = None) -> Mapping:
    """A mapping for this export: `previous` kept as is, everything new proposed."""
    if previous is not None:
        # Columns stay as the person decided them; only values not seen before are proposed.
        return with_proposals(previous, table.frame, table.value_labels)
    source = {"format": table.format, "file": table.name}
    if table.encoding:
        source["encoding"] = table.encoding
    if table.sheet:
        source["sheet"] = table.sheet
    if table.format in ("csv", "xlsx"):
        source["header_row"] = table.header_row
    mapping = Mapping(org, 1, tuple(_column_mappings(table)), 1, source)
    return with_proposals(mapping, table.frame, table.value_labels)


def _column_mappings(table: SourceTable) -> list[ColumnMapping]:
    return [
        ColumnMapping(
            p.column,
            p.dimension,
            p.method,
            {},
            p.separators,
            p.code,
            p.reason,
            round(float(p.confidence), 2),
        )
        for p in propose_columns(table)
    ]


def proposals_table(proposals: list[ColumnProposal]) -> pd.DataFrame:
    return (
        pd.DataFrame([p.__dict__ for p in proposals])
        if proposals
        else pd.DataFrame(columns=["column", "dimension", "method", "confidence", "reason"])
    )
