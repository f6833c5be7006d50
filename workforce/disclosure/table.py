"""Tables as the disclosure gate sees them: cells, their values, and the sums that tie them.

A published table is its inner cells (one per combination of the dimensions' categories) and
every margin: each dimension also takes the value ``Total`` (summed over), and a dimension
with a hierarchy also takes its inner nodes (career stages within a sector, societies within
the consortium). What an attacker can exploit is additivity: every cell whose value in some
dimension is ``Total`` or an inner node is the sum of the cells one level below it.

Several tables published together (linked tables) share cells: the race margin of a
race × gender table is the race margin of a race × career stage table. `CellSpace` puts the
cells of all tables in one space, keyed by every dimension any table uses (``Total`` where a
table does not use it), so a shared cell is one cell with one status, and the constraints of
all tables hold together — which is what stops an attacker combining them.

The values are built with one tensor product per dimension (aggregation matrices applied
along each axis), not by summing rows cell by cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sparse

from workforce.disclosure.errors import DisclosureError

TOTAL = "Total"


@dataclass(frozen=True)
class Hierarchy:
    """The parent of every code of one dimension; codes without a parent sit under Total."""

    dimension: str
    parent: Mapping[str, str]

    def children(self, codes: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {TOTAL: []}
        known = set(codes) | set(self.parent.values())
        for code in sorted(known - {TOTAL}):
            out.setdefault(self.parent.get(code, TOTAL), []).append(code)
        return out


@dataclass(frozen=True)
class TableGrid:
    """One table's cells laid out by code: ``positions[i, j, ...]`` is a cell's index."""

    dims: tuple[str, ...]
    codes: tuple[tuple[str, ...], ...]
    positions: np.ndarray
    children: Mapping[str, Mapping[str, list[str]]]
    leaves: tuple[int, ...]

    def sum_of_inner(self, cell_values: np.ndarray) -> np.ndarray:
        """Every cell of the grid as the sum of `cell_values` over the inner cells under it."""
        inner = cell_values[self.positions[tuple(slice(0, n) for n in self.leaves)]]
        full = inner
        for axis, dim in enumerate(self.dims):
            leaves = list(self.codes[axis][: self.leaves[axis]])
            aggregate = _aggregation_matrix(leaves, self.children[dim])
            full = np.moveaxis(np.tensordot(aggregate, np.moveaxis(full, axis, 0), axes=1), 0,
                               axis)
        return full

    def siblings(self, axis: int, code_index: int) -> list[int]:
        """The other codes under the same parent as this leaf, as code indices."""
        code = self.codes[axis][code_index]
        for kids in self.children[self.dims[axis]].values():
            if code in kids:
                return [self.codes[axis].index(k) for k in kids if k != code]
        return []


@dataclass
class CellSpace:
    """Every cell of one or more linked tables, their values and additivity constraints."""

    dimensions: tuple[str, ...]
    keys: list[tuple[str, ...]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    # Each constraint: (index of the total cell, indices of the cells that add up to it).
    constraints: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    tables: dict[str, list[int]] = field(default_factory=dict)
    index: dict[tuple[str, ...], int] = field(default_factory=dict)
    # Per table: its dimensions, each dimension's codes (leaves first), the cell index of
    # every combination of codes, and each dimension's children: the table as a grid.
    grids: dict[str, TableGrid] = field(default_factory=dict)
    _matrix: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.keys)

    def value_array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float)

    def matrix(self) -> sparse.csr_matrix:
        """Constraints as rows of ``total − Σ parts = 0`` (duplicates removed).

        Built once per shape of the space: protection, pruning and the audit all ask for it.
        """
        shape = (self.size, len(self.constraints))
        if self._matrix is not None and self._matrix[0] == shape:
            return self._matrix[1]
        rows, cols, data = [], [], []
        seen = set()
        r = 0
        for total, parts in self.constraints:
            signature = (total, parts)
            if signature in seen:
                continue
            seen.add(signature)
            rows.append(r)
            cols.append(total)
            data.append(1.0)
            rows.extend([r] * len(parts))
            cols.extend(parts)
            data.extend([-1.0] * len(parts))
            r += 1
        built = sparse.csr_matrix((data, (rows, cols)), shape=(r, self.size))
        self._matrix = (shape, built)
        return built

    def add_table(
        self,
        name: str,
        inner: pd.DataFrame,
        count: str,
        dims: Sequence[str],
        hierarchies: Mapping[str, Hierarchy] | None = None,
        source: str = "table",
    ) -> list[int]:
        """Add a table (its inner cells and every margin) and return its cells' indices."""
        hierarchies = dict(hierarchies or {})
        unknown = [d for d in dims if d not in self.dimensions]
        if unknown:
            raise DisclosureError(f"{source}: dimension {unknown[0]!r} is not in the cell space")
        values, codes, children = inner_array(inner, count, dims, hierarchies, source)
        full = values
        for axis, dim in enumerate(dims):
            aggregate = _aggregation_matrix(codes[dim], children[dim])
            full = np.moveaxis(np.tensordot(aggregate, np.moveaxis(full, axis, 0), axes=1), 0,
                               axis)
        all_codes = [_all_codes(codes[d], children[d]) for d in dims]
        shape = tuple(len(c) for c in all_codes)
        positions = np.empty(shape, dtype=np.int64)
        flat_values = full.reshape(-1)
        for flat, combination in enumerate(np.ndindex(*shape)):
            key = self._key(dims, tuple(all_codes[a][i] for a, i in enumerate(combination)))
            positions[combination] = self._cell(key, float(flat_values[flat]), source)
        # One constraint per cell and per dimension in which the cell is a sum.
        for axis, dim in enumerate(dims):
            code_index = {c: i for i, c in enumerate(all_codes[axis])}
            for parent, kids in children[dim].items():
                if not kids:
                    continue
                p = code_index[parent]
                k = [code_index[c] for c in kids]
                totals = np.take(positions, p, axis=axis).reshape(-1)
                parts = np.take(positions, k, axis=axis)
                parts = np.moveaxis(parts, axis, -1).reshape(-1, len(k))
                for t, row in zip(totals, parts, strict=True):
                    self.constraints.append((int(t), tuple(int(x) for x in row)))
        cells = positions.reshape(-1).tolist()
        self.tables[name] = cells
        self.grids[name] = TableGrid(tuple(dims), tuple(tuple(c) for c in all_codes),
                                     positions, {d: children[d] for d in dims},
                                     tuple(len(codes[d]) for d in dims))
        return cells

    def _key(self, dims, values) -> tuple[str, ...]:
        by_dim = dict(zip(dims, values, strict=True))
        return tuple(by_dim.get(d, TOTAL) for d in self.dimensions)

    def _cell(self, key, value, source) -> int:
        if key in self.index:
            i = self.index[key]
            if abs(self.values[i] - value) > 1e-9 * max(1.0, abs(value)):
                described = ", ".join(f"{d}={v}" for d, v in zip(self.dimensions, key,
                                                                  strict=True))
                raise DisclosureError(
                    f"{source}: the cell {described} is {value:g} here but {self.values[i]:g} "
                    "in a table linked to it; linked tables must agree on the cells they share"
                )
            return i
        self.index[key] = len(self.keys)
        self.keys.append(key)
        self.values.append(value)
        return len(self.keys) - 1

    def describe(self, i: int) -> dict[str, str]:
        return dict(zip(self.dimensions, self.keys[i], strict=True))


def build(
    inner: pd.DataFrame,
    count: str,
    dims: Sequence[str],
    hierarchies: Mapping[str, Hierarchy] | None = None,
    source: str = "table",
) -> CellSpace:
    """One table with every margin, as a cell space."""
    space = CellSpace(tuple(dims))
    space.add_table(source, inner, count, dims, hierarchies, source)
    return space


def inner_array(inner, count, dims, hierarchies, source):
    """The inner cells as a dense array over the dimensions' leaf codes (missing rows = 0)."""
    if not dims:
        raise DisclosureError(f"{source}: a table needs at least one dimension")
    if len(dims) > 5:
        raise DisclosureError(f"{source}: tables of 1 to 5 dimensions are supported, not "
                              f"{len(dims)}")
    for column in (count, *dims):
        if column not in inner.columns:
            raise DisclosureError(
                f"{source}: no column {column!r} (columns: {', '.join(map(str, inner.columns))})"
            )
    raw = inner[count]
    numbers = pd.to_numeric(raw, errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (np.mod(numbers.fillna(0), 1) != 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DisclosureError(
            f"{source}: row {row + 2}, column {count!r}: {raw.iloc[row]!r} is not a count "
            "(a whole number, 0 or more)"
        )
    codes: dict[str, list[str]] = {}
    children: dict[str, dict[str, list[str]]] = {}
    positions = []
    for dim in dims:
        text = inner[dim].astype(str).str.strip()
        blank = inner[dim].isna() | (text == "")
        if blank.any():
            row = int(np.flatnonzero(blank.to_numpy())[0])
            raise DisclosureError(f"{source}: row {row + 2}, column {dim!r}: the category is "
                                  "blank")
        if (text == TOTAL).any():
            row = int(np.flatnonzero((text == TOTAL).to_numpy())[0])
            raise DisclosureError(
                f"{source}: row {row + 2}, column {dim!r}: {TOTAL!r} is reserved for margins; "
                "give only the inner cells"
            )
        hierarchy = hierarchies.get(dim)
        leaves = sorted(set(text))
        if hierarchy is not None:
            inner_nodes = set(hierarchy.parent.values()) - {TOTAL}
            clash = inner_nodes & set(leaves)
            if clash:
                raise DisclosureError(
                    f"{source}: column {dim!r}: {sorted(clash)[0]!r} is a group in the "
                    "hierarchy, so it cannot also be an inner cell"
                )
            children[dim] = hierarchy.children(leaves)
        else:
            children[dim] = {TOTAL: leaves}
        codes[dim] = leaves
        index = {c: i for i, c in enumerate(leaves)}
        positions.append(text.map(index).to_numpy())
    shape = tuple(len(codes[d]) for d in dims)
    duplicated = pd.DataFrame(dict(zip(dims, positions, strict=True))).duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise DisclosureError(f"{source}: row {row + 2}: this combination of {', '.join(dims)} "
                              "appears twice; give one row per inner cell")
    values = np.zeros(shape)
    values[tuple(positions)] = numbers.to_numpy(dtype=float)
    return values, codes, children


def _all_codes(leaves: list[str], children: dict[str, list[str]]) -> list[str]:
    """Leaves, then inner nodes, then Total: the codes a dimension takes in the full table."""
    nodes = [c for c in children if c != TOTAL and c not in leaves]
    return [*leaves, *sorted(nodes), TOTAL]


def _aggregation_matrix(leaves: list[str], children: dict[str, list[str]]) -> np.ndarray:
    """(all codes × leaves): 1 where the leaf lies under the code (or is it)."""
    codes = _all_codes(leaves, children)
    leaf_index = {c: i for i, c in enumerate(leaves)}

    def under(code: str) -> list[int]:
        if code in leaf_index:
            return [leaf_index[code]]
        return [i for kid in children.get(code, []) for i in under(kid)]

    matrix = np.zeros((len(codes), len(leaves)))
    for row, code in enumerate(codes):
        matrix[row, under(code)] = 1.0
    return matrix
