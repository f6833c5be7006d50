"""Agreement between coders: percent agreement, Cohen's kappa and Krippendorff's alpha.

For each code, every character of the sources is a unit, and each coder's value for it is 1
(they applied the code there) or 0. Two bases, always stated with the figures:

- `ALL_TEXT`: every character of every source. Text nobody coded counts as agreement, which
  inflates the figures when most text is uncoded (the pitfall of tools that report only
  this).
- `CODED`: only characters at least one coder coded, with any code. Text nobody found worth
  coding drops out; on what remains, both "this code" and "not this code" are real
  decisions. (Restricting the units to the characters coded with the code itself would leave
  no unit on which both coders said no, and kappa there can never exceed zero.)

Percent agreement is the share of units on which all coders agree. Cohen's kappa is defined
for two coders only, ``(p_o − p_e) / (1 − p_e)`` with ``p_e`` from each coder's own rate;
it is a few lines of arithmetic on the 2×2 table, so it is written here rather than taken
from a machine-learning library. Krippendorff's alpha (nominal, any number of coders) is
computed in its closed form for yes/no values (the tests hold it equal to the
`krippendorff` package). A figure that is undefined (one coder only, or no variation at all)
is None, never NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from workforce.qual.codings import Coding, QualError, check_codings

ALL_TEXT = "all_text"
CODED = "coded"
BASES = {
    ALL_TEXT: "each character of all sources, coded or not",
    CODED: "each character that at least one coder coded, with any code",
}


@dataclass(frozen=True)
class Agreement:
    code: str
    basis: str  # ALL_TEXT or CODED
    unit: str  # the unit in words, for the methods
    units: int
    coders: tuple[str, ...]
    percent: float | None
    kappa: float | None  # two coders only
    alpha: float | None

    def as_dict(self) -> dict:
        return dict(self.__dict__) | {"coders": list(self.coders)}


def agreement(
    codings: Iterable[Coding],
    lengths: Mapping[str, int],
    *,
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    bases: Sequence[str] = (ALL_TEXT, CODED),
) -> list[Agreement]:
    """Agreement per code (sorted), on each basis, between `coders` (default: all found).

    `lengths` gives every source's length in characters: a source nobody coded still counts
    on the all-text basis. Each coder is taken to have read every source.
    """
    unknown = [b for b in bases if b not in BASES]
    if unknown:
        raise QualError(f"unknown basis {unknown[0]!r}; use {' or '.join(BASES)}")
    codings = check_codings(codings, lengths)
    coders = sorted({c.coder for c in codings}) if coders is None else list(coders)
    if len(coders) < 2:
        raise QualError(f"agreement needs at least two coders; found {coders or 'none'}")
    stray = sorted({c.coder for c in codings} - set(coders))
    codings = [c for c in codings if c.coder in coders] if stray else codings
    codes = sorted({c.code for c in codings}) if codes is None else list(codes)
    # Every source's characters laid end to end (in source order): one unit axis, so each
    # code's coders × units matrix is built in one vectorized pass over its codings.
    layout = _Layout(lengths, coders)
    # Characters anyone coded with anything: the units of the coded basis.
    coded_anywhere = layout.coverage(codings).any(axis=0)
    by_code: dict[str, list[Coding]] = {code: [] for code in codes}
    for coding in codings:
        if coding.code in by_code:
            by_code[coding.code].append(coding)
    out = []
    for code in codes:
        matrix = layout.coverage(by_code[code])
        for basis in bases:
            units = matrix if basis == ALL_TEXT else matrix[:, coded_anywhere]
            out.append(_figures(code, basis, units, tuple(coders)))
    return out


class _Layout:
    """The sources' characters end to end, and coverage of codings over all of them."""

    def __init__(self, lengths: Mapping[str, int], coders: Sequence[str]) -> None:
        self.row = {coder: i for i, coder in enumerate(coders)}
        self.offset, position = {}, 0
        for source, length in sorted(lengths.items()):
            self.offset[source] = position
            position += length
        self.total = position

    def coverage(self, codings: Sequence[Coding]) -> np.ndarray:
        """coders × all characters: True where that coder applied any of `codings` (a
        coder's overlapping passages count once). As `codings.coverage`, source by source."""
        marks = np.zeros((len(self.row), self.total + 1), dtype=np.int32)
        if codings:
            rows = np.fromiter((self.row[c.coder] for c in codings), dtype=np.int64,
                               count=len(codings))
            starts = np.fromiter((self.offset[c.source] + c.start for c in codings),
                                 dtype=np.int64, count=len(codings))
            ends = np.fromiter((self.offset[c.source] + c.end for c in codings),
                               dtype=np.int64, count=len(codings))
            # +1 at each start, −1 at each end: a passage never crosses its source's end, so
            # the running sum is back to zero at every boundary between sources.
            np.add.at(marks, (rows, starts), 1)
            np.add.at(marks, (rows, ends), -1)
        return np.cumsum(marks, axis=1, dtype=np.int32)[:, :self.total] > 0


def _figures(code: str, basis: str, units: np.ndarray, coders: tuple[str, ...]) -> Agreement:
    n = units.shape[1]
    if n == 0:
        return Agreement(code, basis, BASES[basis], 0, coders, None, None, None)
    agree = units.all(axis=0) | ~units.any(axis=0)
    percent = float(agree.mean())
    kappa = cohens_kappa(units[0], units[1]) if len(coders) == 2 else None
    return Agreement(code, basis, BASES[basis], n, coders, percent, kappa, nominal_alpha(units))


def cohens_kappa(first: np.ndarray, second: np.ndarray) -> float | None:
    """Cohen's kappa of two coders' yes/no over the same units; None when p_e is 1."""
    first, second = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    observed = float(np.mean(first == second))
    a, b = float(first.mean()), float(second.mean())
    expected = a * b + (1 - a) * (1 - b)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def nominal_alpha(units: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) of coders × units yes/no; None when undefined.

    Every coder gives every unit a value here, so the coincidence matrix reduces to counts:
    with m coders, n = m·units values of which n₀ are 0 and n₁ are 1, and a unit with u₀
    noes and u₁ yeses adding 2·u₀·u₁/(m − 1) disagreeing pairs,
    alpha = 1 − (n − 1)·Σ 2·u₀·u₁/(m − 1) / (2·n₀·n₁). One pass over the units: the
    `krippendorff` package's general computation takes a second on a survey's six million
    characters, this a few milliseconds; the tests hold the two equal.
    """
    coders = units.shape[0]
    yes = units.sum(axis=0, dtype=np.int64)
    no = coders - yes
    ones, zeros = int(yes.sum()), int(no.sum())
    if ones == 0 or zeros == 0:
        return None  # one value only: no variation, alpha is undefined
    disagreeing = float((2.0 * no * yes).sum()) / (coders - 1)
    total = ones + zeros
    return 1.0 - (total - 1) * disagreeing / (2.0 * zeros * ones)
