"""Realistic dirt in membership exports, injected at small deterministic rates and logged.

Real partner exports have blank cells, "N/A" placeholders, stray spaces, shouted or
lowercased labels, values from no list, impossible birth years and duplicated member IDs.
Each kind is injected here into an `ExportRows` table, and every row it touches gets a short
reason in the dirt log; when dirt destroys information, the truth for that row is degraded
to what an honest intake could still recover (usually `unknown`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workforce.synth.codes import filled

NA_TOKENS = ("N/A", "n/a", "-", "NA")
PER_CELL_KINDS = ("blank", "na_token", "whitespace", "mixed_case", "out_of_list")


@dataclass
class ExportRows:
    """One membership export before it is written: cells and the truth they encode, aligned.

    `cells` maps export column names to object arrays (text, "" for blank) or float arrays
    (numbers, NaN for blank); `truth` maps standard record columns to object arrays of codes;
    `person` is each row's index into the society's population.
    """

    cells: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]
    person: np.ndarray
    ids: np.ndarray
    dirt: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.dirt = filled(len(self.person), "")

    def __len__(self) -> int:
        return len(self.person)

    def log(self, rows: np.ndarray, reason: str) -> None:
        current = self.dirt[rows]
        self.dirt[rows] = np.where(current == "", reason, current + "; " + reason)

    def set_truth(self, rows: np.ndarray, **values: str) -> None:
        for column, value in values.items():
            self.truth[column][rows] = value

    def loses(self, *columns: str) -> Callable[[np.ndarray], None]:
        """What destroying a cell does to the truth: these columns become `unknown`.

        A lost race answer takes its detail with it: no honest intake can keep a subgroup
        whose category it can no longer read.
        """

        def lose(rows: np.ndarray) -> None:
            self.set_truth(rows, **{column: "unknown" for column in columns})
            if "race_ethnicity" in columns:
                self.set_truth(rows, race_ethnicity_detail="")

        return lose

    def loses_us_state(self, rows: np.ndarray) -> None:
        """A lost US state leaves the region unknown; outside the US there was none to lose."""
        self.set_truth(rows[self.truth["country"][rows] == "US"], us_region="unknown")

    def take(self, order: np.ndarray) -> None:
        """Reorder (and repeat) rows: cells, truth, person, ids and dirt together."""
        self.cells = {name: values[order] for name, values in self.cells.items()}
        self.truth = {name: values[order] for name, values in self.truth.items()}
        self.person = self.person[order]
        self.ids = self.ids[order]
        self.dirt = self.dirt[order]


def count_for(rate: float, size: int, minimum: int = 1) -> int:
    return max(minimum, round(rate * size))


def dirty_text_column(
    rng: np.random.Generator,
    table: ExportRows,
    column: str,
    rates: dict[str, float],
    *,
    out_of_list: Sequence[str],
    lose: Callable[[np.ndarray], None],
    kinds: Sequence[str] = PER_CELL_KINDS,
) -> None:
    """Blank, placeholder, pad, re-case or replace a few filled cells of one text column.

    `lose(rows)` degrades the truth of rows whose value is gone (blank, placeholder or a
    value from no list); padding and re-casing keep the meaning, so the truth stays.
    """
    values = table.cells[column]
    present = np.flatnonzero(values != "")
    order = rng.permutation(present)
    start = 0
    for kind in PER_CELL_KINDS:
        if kind not in kinds:
            continue
        rows = np.sort(order[start : start + count_for(rates[kind], len(values))])
        start += len(rows)
        if len(rows) == 0:
            continue
        if kind == "blank":
            values[rows] = ""
            lose(rows)
        elif kind == "na_token":
            values[rows] = np.array(NA_TOKENS, dtype=object)[
                rng.integers(0, len(NA_TOKENS), len(rows))
            ]
            lose(rows)
        elif kind == "whitespace":
            pads = rng.integers(0, 3, len(rows))
            cell = values[rows]
            values[rows] = np.where(
                pads == 0, " " + cell, np.where(pads == 1, cell + " ", "  " + cell + " ")
            )
        elif kind == "mixed_case":
            cell = values[rows]
            upper = np.array([text.upper() for text in cell], dtype=object)
            lower = np.array([text.lower() for text in cell], dtype=object)
            values[rows] = np.where(rng.random(len(rows)) < 0.5, upper, lower)
        elif kind == "out_of_list":
            values[rows] = np.array(out_of_list, dtype=object)[
                rng.integers(0, len(out_of_list), len(rows))
            ]
            lose(rows)
        table.log(rows, f"{kind.replace('_', ' ')}: {column}")


def blank_numbers(
    rng: np.random.Generator,
    table: ExportRows,
    column: str,
    rate: float,
    *,
    lose: Callable[[np.ndarray], None] = lambda rows: None,
) -> None:
    """Empty (NaN, system-missing in SPSS) a few filled cells of one numeric column."""
    values = table.cells[column]
    present = np.flatnonzero(~np.isnan(values))
    count = min(len(present), count_for(rate, len(values)))
    rows = np.sort(rng.choice(present, size=count, replace=False))
    values[rows] = np.nan
    lose(rows)
    table.log(rows, f"blank: {column}")


def stray_codes(
    rng: np.random.Generator,
    table: ExportRows,
    column: str,
    rate: float,
    *,
    out_of_list: Sequence[float],
) -> None:
    """A few codes that have no value label (a miskeyed or retired code)."""
    values = table.cells[column]
    present = np.flatnonzero(~np.isnan(values))
    count = min(len(present), count_for(rate, len(values)))
    rows = np.sort(rng.choice(present, size=count, replace=False))
    values[rows] = np.array(out_of_list, dtype=float)[rng.integers(0, len(out_of_list), len(rows))]
    table.log(rows, f"out of list: {column}")


def impossible_birth_years(
    rng: np.random.Generator,
    table: ExportRows,
    column: str,
    year: int,
    dirt: dict[str, Any],
    *,
    as_text: bool,
) -> None:
    """A few birth years no member can have (1890, six years ahead, 0)."""
    values = table.cells[column]
    present = np.flatnonzero(values != "") if as_text else np.flatnonzero(~np.isnan(values))
    count = min(
        len(present), count_for(dirt["impossible_birth_year"], len(values), dirt["minimum_count"])
    )
    rows = np.sort(rng.choice(present, size=count, replace=False))
    impossible = np.array([1890, year + 6, 0])[rng.integers(0, 3, len(rows))]
    values[rows] = impossible.astype(str).astype(object) if as_text else impossible.astype(float)
    table.set_truth(rows, age_band="unknown")
    table.log(rows, f"impossible birth year: {column}")


def shared_and_duplicated_ids(
    rng: np.random.Generator, table: ExportRows, dirt: dict[str, Any]
) -> None:
    """A few distinct people given another member's ID, then a few rows exported twice.

    Rows end sorted by ID, the way membership systems export, so a duplicate sits next to
    its original.
    """
    size = len(table)
    minimum = dirt["minimum_count"]
    shared = count_for(dirt["shared_id_rows"], size, minimum)
    chosen = rng.choice(size, size=2 * shared, replace=False)
    givers, takers = chosen[:shared], np.sort(chosen[shared:])
    table.ids[takers] = table.ids[givers]
    table.log(takers, "shared id: another member has the same ID")

    duplicates = np.sort(
        rng.choice(size, size=count_for(dirt["exact_duplicate_rows"], size, minimum), replace=False)
    )
    order = np.concatenate([np.arange(size), duplicates])
    table.take(order)
    copies = np.arange(size, len(order))
    table.log(copies, "exact duplicate row")
    # Stable sort by ID keeps each original before its copy and before a later sharer.
    table.take(np.argsort(table.ids, kind="stable"))
