"""The gate: a table in, the publishable table out, with the audit that proves it safe.

`protect_tables` takes one table or several linked ones, applies the primary rule, chooses
complementary cells (`secondary.protect`, which proves each primary cell protected with a
certificate), gives back the secondary cells nothing needs (`prune`: each one tried published
again, costliest first, kept published when every certificate it carried can be proven again
without it), and audits the result against every attacker. A pattern that
fails the audit is not published: `GateResult.publishable` is false and the reasons say why.
Suppressed counts are ``None`` in everything published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workforce.disclosure import primary as primary_rules
from workforce.disclosure.audit import (
    MEMBER,
    OUTSIDER,
    Attacker,
    AuditResult,
    audit,
    by_cell,
    entries,
)
from workforce.disclosure.errors import DisclosureError
from workforce.disclosure.secondary import (
    LOCAL_FROM_CELLS,
    Boxes,
    Certificate,
    DeviationProgram,
    Pattern,
    cell_costs,
    protect,
    reprove,
)
from workforce.disclosure.table import TOTAL, CellSpace, Hierarchy

PUBLISHED, PRIMARY, SECONDARY = "published", "primary", "secondary"


@dataclass(frozen=True)
class TableSpec:
    """One table to publish: its inner cells, count column, dimensions and hierarchies."""

    name: str
    inner: pd.DataFrame
    count: str
    dims: tuple[str, ...]
    hierarchies: Mapping[str, Hierarchy] = field(default_factory=dict)


@dataclass
class GateResult:
    space: CellSpace
    status: np.ndarray  # one of PUBLISHED, PRIMARY, SECONDARY per cell
    audit: AuditResult
    threshold: int
    protection: float
    insiders: tuple[str, ...] = ()

    @property
    def publishable(self) -> bool:
        return self.audit.passed

    def cells(self, table: str | None = None) -> list[dict]:
        indices = range(self.space.size) if table is None else self.space.tables[table]
        values = self.space.value_array()
        rows = []
        for i in indices:
            rows.append({
                **self.space.describe(i),
                "count": None if self.status[i] != PUBLISHED else int(round(values[i])),
                "status": str(self.status[i]),
            })
        return rows

    def shares(self, along: str) -> list[dict]:
        """Each cell as a share of its total along `along`, suppressed with what it rests on.

        A share gives its count back when its base is published (3 of 15 is 20%), so a
        share is published only when its cell and its base both are.
        """
        axis = self.space.dimensions.index(along)
        values = self.space.value_array()
        rows = []
        for i, key in enumerate(self.space.keys):
            base_key = (*key[:axis], TOTAL, *key[axis + 1:])
            base = self.space.index.get(base_key)
            shown = (self.status[i] == PUBLISHED and base is not None
                     and self.status[base] == PUBLISHED and values[base] > 0)
            rows.append({
                **self.space.describe(i),
                "share": round(float(values[i] / values[base]), 12) if shown else None,
                "status": str(self.status[i]) if self.status[i] != PUBLISHED or base is None
                or self.status[base] == PUBLISHED else SECONDARY,
            })
        return rows

    def as_dict(self, table: str | None = None) -> dict:
        shown = set(range(self.space.size) if table is None else self.space.tables[table])
        return {
            "threshold": self.threshold,
            "protection": self.protection,
            "cells": self.cells(table),
            "audit": {
                "passed": self.audit.passed,
                "attackers": sorted({i.attacker for i in self.audit.intervals}),
                "cells": [
                    {
                        **self.space.describe(i.cell),
                        "status": str(self.status[i.cell]),
                        "attacker": i.attacker,
                        "low": _finite(i.low),
                        "high": _finite(i.high),
                        "protected": i.protected,
                        # False: [low, high] is what certificates prove, within the interval.
                        "exact": i.exact,
                        **({"reason": i.reason} if i.reason else {}),
                    }
                    for i in self.audit.intervals
                    if i.cell in shown
                ],
            },
        }


def _finite(value: float) -> float | None:
    """Interval ends for JSON: an unbounded end is null (the attacker learns nothing)."""
    return None if not np.isfinite(value) else round(float(value), 9)


def protect_tables(
    tables: Sequence[TableSpec],
    threshold: int = primary_rules.DEFAULT_THRESHOLD,
    protection: float | None = None,
    cost: str = "cells",
    insiders: str | None = None,
    extra_primary: Mapping[str, Sequence[int]] | None = None,
    tries: int | None = None,
) -> GateResult:
    """Protect one table or several linked ones, and audit the result.

    `protection` (default: the threshold) is how far an attacker's interval must reach
    around a primary cell. `insiders` names a dimension whose members (say, societies) each
    know their own cells: the pattern must hold against each of them too. The tables are
    protected `tries` times in different orders and the pattern hiding least is kept (see
    `cheapest_pattern`); by default as many times as `default_tries` gives for their number
    of cells with the margins.
    """
    if not tables:
        raise DisclosureError("no table to protect")
    protection = float(threshold if protection is None else protection)
    if protection <= 0:
        raise DisclosureError(f"the protection width must be positive, not {protection:g}")
    if tries is not None and tries < 1:
        raise DisclosureError(f"tries must be at least 1, not {tries}")
    dims: list[str] = []
    for spec in tables:
        dims.extend(d for d in spec.dims if d not in dims)
    space = CellSpace(tuple(dims))
    for spec in tables:
        space.add_table(spec.name, spec.inner, spec.count, spec.dims, spec.hierarchies,
                        spec.name)
    values = space.value_array()
    primary = primary_rules.small_counts(values, threshold)
    for name, cells in (extra_primary or {}).items():
        table_cells = space.tables[name]
        primary[[table_cells[c] for c in cells]] = True
    attackers = _attackers(space, insiders)
    if tries is None:
        tries = default_tries(space.size)
    pattern = cheapest_pattern(space, primary, protection, cost, attackers, tries)
    suppressed = pattern.suppressed
    status = np.where(primary, PRIMARY, np.where(suppressed, SECONDARY, PUBLISHED))
    result = audit(space, suppressed, primary, protection, attackers, pattern.certificates)
    return GateResult(space, status, result, threshold, protection,
                      tuple(a.name for a in attackers))


# Tries unless asked otherwise: (fewer cells than this, with the margins; tries). Larger
# tables take one. On 1,000 random tables of 2 and 3 dimensions (up to 12 inner cells, 9 to
# 36 cells with the margins, counts 0–30), each against the exact program's fewest
# suppressions (11,360 in all), one try hid 4.6% more in all and more than a tenth more on
# 190 tables; four tries 1.2% and 24 tables; sixteen 0.2% and one (10 where 9 protect);
# thirty-two 0.1% and none, in 0.28 s a table. On the 4-dimensional 2⁴ tables of 81 cells
# drawn with seeds 1–12, thirty-two tries hide no more cells than the exact program's best
# pattern on any (four tries: up to 18% more), in 0.2–2.3 s. Tables of a few hundred
# cells take seconds a try and gain less (see `cheapest_pattern`).
TRIES_BY_SIZE = ((100, 32), (300, 4))


def default_tries(cells: int) -> int:
    """How many tries a table of `cells` cells (margins included) gets by default."""
    for below, tries in TRIES_BY_SIZE:
        if cells < below:
            return tries
    return 1


def cheapest_pattern(
    space: CellSpace,
    primary: np.ndarray,
    protection: float,
    cost: str,
    attackers: Sequence[Attacker],
    tries: int = 1,
) -> Pattern:
    """The cheapest of `tries` protecting patterns, each pruned.

    Which cells a pattern hides depends on the order primary cells are protected in: the
    first ones' deviations decide what later ones get for nothing. The first try takes the
    smallest cells first; each further one takes them in a random order with every cell's
    cost perturbed, seeded by its number, so the same table and tries give the same pattern
    on every machine. Measured on seeded 4-dimensional tables (suppressed cells summed over
    seeds 1–8 at 2⁴, 1–6 at 3⁴, 1–3 at 4⁴), 1 → 4 → 8 → 20 tries: 2⁴ 325 → 295 → 293 → 290,
    3⁴ 574 → 543 → 542 → 533, 4⁴ 689 → 663 → 647; each try costs about what the first
    does. The report's linked tables (104 to 484 cells, each society an insider, cost by
    counts) hid 22,592 members' counts in 1,153 cells with one try each: 22,309 with four
    and 22,086 with eight, for four and ten times the gate's 3.2 s.
    """
    weights = cell_costs(space.value_array(), cost)
    best, least = None, np.inf
    for number in range(tries):
        variation = np.random.default_rng(number) if number else None
        tried = prune(space, protect(space, primary, protection, cost, attackers,
                                     variation=variation), primary, cost)
        tried_cost = float(weights[tried.suppressed].sum())
        if tried_cost < least - 1e-9:
            best, least = tried, tried_cost
        if not (best.suppressed & ~primary).any():
            break  # only primary cells hidden: no pattern is cheaper
    return best


def _attackers(space: CellSpace, insiders: str | None) -> list[Attacker]:
    attackers = [OUTSIDER, MEMBER]
    if insiders is None:
        return attackers
    if insiders not in space.dimensions:
        raise DisclosureError(f"insiders: no dimension {insiders!r} in the tables")
    axis = space.dimensions.index(insiders)
    groups = sorted({key[axis] for key in space.keys} - {TOTAL})
    for group in groups:
        known = frozenset(i for i, key in enumerate(space.keys) if key[axis] == group)
        attackers.append(Attacker(f"{insiders} {group} (knows its own cells)", known))
    return attackers


# Proofs tried while pruning, at most. Each is a small linear program (a few milliseconds);
# the budget keeps a large table's pruning to seconds and, being a count rather than a clock,
# gives the same pattern on every machine. Cells not tried stay hidden, which is safe.
PRUNE_BUDGET = 600


def prune(
    space: CellSpace,
    pattern: Pattern,
    primary: np.ndarray,
    cost: str,
    budget: int = PRUNE_BUDGET,
) -> Pattern:
    """Publish again every secondary cell no certificate needs, costliest first.

    Publishing a cell invalidates only the certificates whose deviation moves it; each of
    those is proven again on the remaining suppressed cells (in a large table, those in a box
    around its cell: see `secondary.Boxes`), and the cell stays hidden if one cannot be.
    Returns the pattern with the certificates that prove it.
    """
    values = space.value_array()
    weights = cell_costs(values, cost)
    program = DeviationProgram(space.matrix())
    boxes = Boxes(space) if space.size >= LOCAL_FROM_CELLS else None
    suppressed = pattern.suppressed.copy()
    certificates = list(pattern.certificates)
    moving = _Incidence(space.size, certificates)
    secondary = np.flatnonzero(suppressed & ~primary)
    for cell in secondary[np.argsort(-weights[secondary], kind="stable")].tolist():
        if moving.at_least(cell) > budget:
            continue
        affected = moving.of(cell)
        if len(affected) > budget:
            continue
        budget -= len(affected)
        suppressed[cell] = False
        renewed = {}
        for index in affected:
            certificate = certificates[index]
            box = None if boxes is None else boxes.around(certificate.cell, suppressed, values)
            proof = reprove(program, values, suppressed, certificate, box)
            if proof is None:
                break
            renewed[index] = proof
        if len(renewed) < len(affected):
            suppressed[cell] = True
            continue
        for index, proof in renewed.items():
            moving.replace(index, certificates[index], proof)
            certificates[index] = proof
    # A secondary cell tried early may lose every certificate moving it when later ones are
    # proven again without cells published after it: it then protects nothing, and with its
    # neighbours published an attacker could work it out exactly. Publish it too (no
    # certificate moves it, so every proof still holds).
    return Pattern(suppressed & (moving.moved() | primary), certificates)


class _Incidence:
    """Which certificates move each cell: built at once, then kept as proofs are replaced."""

    def __init__(self, size: int, certificates: Sequence[Certificate]) -> None:
        cells, _, owners = entries(certificates)
        order, self.starts = by_cell(cells, size)
        self.owners = owners[order]
        self.replaced: set[int] = set()  # whose entries above no longer hold
        self.added: dict[int, set[int]] = {}  # cell → replaced certificates now moving it

    def at_least(self, cell: int) -> int:
        """A lower bound on how many certificates move `cell`, without listing them."""
        return int(self.starts[cell + 1] - self.starts[cell]) - len(self.replaced)

    def of(self, cell: int) -> list[int]:
        listed = self.owners[self.starts[cell]:self.starts[cell + 1]].tolist()
        if self.replaced:
            listed = [i for i in listed if i not in self.replaced]
        return sorted(set(listed) | self.added.get(cell, set()))

    def moved(self) -> np.ndarray:
        """Whether some certificate moves each cell."""
        counts = np.diff(self.starts)
        if self.replaced:
            holding = ~np.isin(self.owners, list(self.replaced))
            moved = np.zeros(len(counts), dtype=bool)
            moved[np.repeat(np.arange(len(counts)), counts)[holding]] = True
        else:
            moved = counts > 0
        moved[[cell for cell, owners in self.added.items() if owners]] = True
        return moved

    def replace(self, index: int, old: Certificate, new: Certificate) -> None:
        if index in self.replaced:
            for cell in old.cells.tolist():
                self.added.get(cell, set()).discard(index)
        self.replaced.add(index)
        for cell in new.cells.tolist():
            self.added.setdefault(cell, set()).add(index)
