"""Pieces every membership export shares: label choice, member order and blank truth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from workforce.synth import codes
from workforce.synth.codes import filled
from workforce.synth.population import Population
from workforce.synth.randomness import draw_from

# Labels of one code: a single label, or (labels, weights) when people write it differently.
LabelChoice = str | tuple[Sequence[str], Sequence[float]]


def pick_labels(
    rng: np.random.Generator, values: np.ndarray, labels: Mapping[str, LabelChoice]
) -> np.ndarray:
    """The export's label for each standard code in `values` (a code missing from `labels`
    gets ""); codes with several labels draw one per person."""
    result = filled(len(values), "")
    for code, choice in labels.items():
        rows = np.flatnonzero(values == code)
        if len(rows) == 0:
            continue
        if isinstance(choice, str):
            result[rows] = choice
        else:
            options, weights = choice
            result[rows] = np.array(options, dtype=object)[draw_from(rng, weights, len(rows))]
    return result


def relabel(values: np.ndarray, mapping: Mapping[str, str]) -> np.ndarray:
    """Each value's label from `mapping` (every value must be a key), value by value."""
    result = np.empty(len(values), dtype=object)
    assigned = np.zeros(len(values), dtype=bool)
    for value, label in mapping.items():
        rows = values == value
        result[rows] = label
        assigned |= rows
    if not assigned.all():
        raise ValueError(f"no label for {sorted(set(values[~assigned]))[:5]}")
    return result


def seniority_order(rng: np.random.Generator, population: Population) -> np.ndarray:
    """Members in the order they joined: older members mostly joined earlier, so got lower
    IDs, as in any long-lived membership database."""
    joined = -population["age"] + rng.normal(0.0, 8.0, len(population))
    return np.argsort(joined, kind="stable")


def increasing_ids(rng: np.random.Generator, size: int, start: int) -> np.ndarray:
    """Increasing member numbers with gaps (lapsed members leave holes)."""
    return start + np.cumsum(rng.integers(1, 12, size))


def zero_padded(numbers: np.ndarray, width: int, prefix: str = "") -> np.ndarray:
    """Numbers as fixed-width text with leading zeros (object array), without a row loop."""
    digits = np.char.zfill(np.asarray(numbers).astype(np.int64).astype(str), width)
    return np.char.add(prefix, digits).astype(object)


def blank_truth(size: int) -> dict[str, np.ndarray]:
    """Truth columns for rows whose export says nothing yet: `unknown` everywhere, no
    race/ethnicity detail and no US region."""
    truth = {
        column: filled(size, "unknown")
        for column in codes.RECORD_COLUMNS
        if column not in ("record_id", "source", "org", "year", "person_key")
    }
    truth["race_ethnicity_detail"] = filled(size, "")
    return truth


def known_age_band(population: Population, person: np.ndarray) -> np.ndarray:
    """Age band an export's birth year supports: `unknown` where no birth year was given."""
    band = population["age_band"][person].copy()
    band[population["age_declined"][person]] = "unknown"
    return band


def email_cells(rng: np.random.Generator, population: Population, person: np.ndarray) -> np.ndarray:
    """The e-mail column: the address when on file, else blank or something unusable."""
    email = population["email"][person].copy()
    missing = np.flatnonzero(~population["email_on_file"][person])
    local = population["email_local"][person[missing]]
    kinds = rng.integers(0, 10, len(missing))
    email[missing] = np.where(
        kinds < 7,
        "",
        np.where(kinds == 7, local + "@", np.where(kinds == 8, local + "@example", "none")),
    )
    return email


def race_labels(
    masks: np.ndarray, labels: Mapping[str, str], order: Sequence[str], separator: str
) -> np.ndarray:
    """One cell of joined labels per race/ethnicity mask, in the form's fixed order."""
    uniques, inverse = np.unique(masks, return_inverse=True)
    texts = []
    for mask in uniques:
        chosen = [labels[code] for code in order if int(mask) & codes.RACE_BIT[code]]
        texts.append(separator.join(chosen))
    return np.array(texts, dtype=object)[inverse.reshape(-1)]
