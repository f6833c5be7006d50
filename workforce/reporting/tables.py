"""A published table: what the report shows and the open data package ships, after the gate.

Every number the report prints or draws comes from a `PublishedTable`, and every
`PublishedTable` is built from what the disclosure gate let through: a value the gate held
back is null, and the row's `status` says why (`STATUSES`). The same object becomes a CSV
file and a resource of the data package, so the report and the package cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

# Why a value is shown or not, in every published row.
PUBLISHED = "published"
PRIMARY = "primary"  # the group is smaller than the threshold
SECONDARY = "secondary"  # held back so that a small group cannot be worked out from the rest
UNRELIABLE = "unreliable"  # too few respondents, or an interval too wide (NCHS standards)
STATUSES = {
    PUBLISHED: "Published.",
    PRIMARY: "Suppressed: fewer people than the disclosure threshold.",
    SECONDARY: "Suppressed so that a small group cannot be worked out from the other figures.",
    UNRELIABLE: "Suppressed: the estimate does not meet the NCHS reliability standards "
    "(too few respondents or too wide an interval).",
}

FIELD_TYPES = ("string", "integer", "number", "boolean")


@dataclass(frozen=True)
class Column:
    """One column of a published table, as a data package's table schema describes it."""

    name: str
    title: str
    type: str = "string"  # one of FIELD_TYPES
    description: str = ""
    # For a coded column: (code, label) in display order; the CSV holds the codes.
    categories: tuple[tuple[str, str], ...] = ()
    unit: str = ""  # e.g. "proportion", "people", "ratio", "score (1-5)"

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(
                f"column {self.name!r}: type {self.type!r} is not one of {FIELD_TYPES}"
            )


@dataclass(frozen=True)
class PublishedTable:
    """A table that passed the disclosure gate, ready to print, draw and ship.

    `data` has exactly the columns of `columns`, in order, and always a `status` column;
    a value the gate held back is missing (NaN or None) and its row's status is not
    `published`. `gated` names the counts table whose audit covers this table's numbers.
    """

    name: str  # file stem and data-package resource name: lower case, digits, '-', '_'
    title: str
    description: str
    indicator: str  # the catalog id this table publishes
    columns: tuple[Column, ...]
    data: pd.DataFrame
    sources: tuple[str, ...] = ()
    gated: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if list(self.data.columns) != names:
            raise ValueError(
                f"table {self.name!r}: data columns {list(self.data.columns)} differ from the "
                f"declared columns {names}"
            )
        if "status" not in names:
            raise ValueError(f"table {self.name!r} has no status column")
        unknown = set(self.data["status"]) - set(STATUSES)
        if unknown:
            raise ValueError(f"table {self.name!r}: unknown statuses {sorted(unknown)}")

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def suppressed(self) -> pd.DataFrame:
        return self.data[self.data["status"] != PUBLISHED]


def status_column() -> Column:
    return Column(
        "status",
        "Status",
        description="Whether the row's figures are published, and if not, why not.",
        categories=tuple(STATUSES.items()),
    )


def by_name(tables: Sequence[PublishedTable]) -> dict[str, PublishedTable]:
    out: dict[str, PublishedTable] = {}
    for table in tables:
        if table.name in out:
            raise ValueError(f"two published tables are named {table.name!r}")
        out[table.name] = table
    return out
