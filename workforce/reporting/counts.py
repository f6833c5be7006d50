"""Counts tables behind the report, protected together by the disclosure gate.

Every count the report or the data package shows, and every count an estimate rests on, is a
cell of a table of organization × one or more dimensions. The tables of one source share
their margins (each society's total is the same cell in all of them), so they are protected
together as linked tables: a cell has one status everywhere, and no pair of tables can be
differenced to recover a small group. The consortium is the total over societies, so a
society's figures and the consortium's are protected as one table — the per-society report
cannot reveal another society's small cells by subtraction.

Membership and frame tables are also protected against each society as an insider (it knows
its own members); survey tables are not, since no society sees its members' answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.disclosure.gate import GateResult, TableSpec, protect_tables
from workforce.disclosure.table import TOTAL

ORG = "org"
CONSORTIUM = "consortium"


@dataclass
class CountTables:
    """The counts tables of one source (membership, survey, frame) and their gate result."""

    source: str
    records: pd.DataFrame  # one row per person, every requested column as a code
    insiders: bool
    specs: dict[str, TableSpec] = field(default_factory=dict)
    result: GateResult | None = None
    # Each table's gated cells, read once from the result: many indicators rest on one table.
    _cells: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def request(self, *dims: str) -> str:
        """The name of the table of org × `dims` (built once however often it is asked for)."""
        name = f"{self.source}_by_" + "_and_".join(dims)
        if name not in self.specs and self.result is not None:
            # Its cells would be outside the protected pattern: ask for every table first.
            raise RuntimeError(f"the table {name!r} was asked for after protection")
        if name not in self.specs:
            columns = [ORG, *dims]
            data = self.records[columns].replace("", "unknown")
            counts = data.groupby(columns, sort=True).size()
            # Every combination of the codes seen, zeros included: a zero is published as a
            # zero, and the attacker's program must know it.
            levels = [sorted(data[c].unique()) for c in columns]
            full = counts.reindex(pd.MultiIndex.from_product(levels, names=columns), fill_value=0)
            inner = full.rename("count").reset_index()
            self.specs[name] = TableSpec(name, inner, "count", tuple(columns))
        return name

    def protect(self, threshold: int, protection: float | None = None) -> GateResult:
        self.result = protect_tables(
            list(self.specs.values()),
            threshold=threshold,
            protection=protection,
            insiders=ORG if self.insiders else None,
            cost="counts",
        )
        return self.result

    def cells(self, name: str) -> pd.DataFrame:
        """The gated cells of one table: population, its dims, count (None if held), status,
        and each cell's share of its population's total (None unless cell and total shown).
        """
        if self.result is None:
            raise RuntimeError("protect() first")
        if name not in self._cells:
            self._cells[name] = self._gated_cells(name)
        return self._cells[name]

    def _gated_cells(self, name: str) -> pd.DataFrame:
        spec = self.specs[name]
        result = self.result
        dims = list(spec.dims)
        rows = pd.DataFrame(result.cells(name))
        rows = rows[dims + ["count", "status"]].copy()
        space = result.space
        values = space.value_array()
        index = space.index
        status = result.status
        share = []
        for key_values in rows[dims].itertuples(index=False):
            by_dim = dict(zip(dims, key_values, strict=True))
            cell_key = tuple(by_dim.get(d, TOTAL) for d in space.dimensions)
            base_key = tuple(by_dim[ORG] if d == ORG else TOTAL for d in space.dimensions)
            cell, base = index[cell_key], index[base_key]
            shown = (status[cell] == "published" and status[base] == "published"
                     and values[base] > 0)
            share.append(round(float(values[cell] / values[base]), 12) if shown else None)
        rows["share"] = share
        rows[ORG] = rows[ORG].replace(TOTAL, CONSORTIUM)
        if not result.publishable:
            # The gate could not prove the pattern safe: nothing of these tables is shown.
            rows["count"] = None
            rows["share"] = None
            rows["status"] = np.where(rows["status"] == "published", "secondary", rows["status"])
        return rows.rename(columns={ORG: "population"})

    def status_of(self, name: str) -> dict[tuple[str, ...], str]:
        """(population, code of each dim) → status, with Total for a margin."""
        cells = self.cells(name)
        dims = list(self.specs[name].dims[1:])
        return {
            (row[0], *row[1:-1]): row[-1]
            for row in cells[["population", *dims, "status"]].itertuples(index=False)
        }
