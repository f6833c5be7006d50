"""Codings: a coder applied a code to a passage of a source, by character offsets.

Offsets follow REFI-QDA's plain-text selections: `start` is the first character, `end` the
one after the last (a passage of "abc" is 0-3), counted in Unicode code points of the
source's text, so a project moves to and from the desktop tools without shifting a passage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


class QualError(ValueError):
    """Bad qualitative input; the message names the source, coder, code and offsets."""


@dataclass(frozen=True)
class Coding:
    source: str
    coder: str
    code: str
    start: int
    end: int

    def describe(self) -> str:
        return (f"source {self.source!r}, coder {self.coder!r}, code {self.code!r}, "
                f"characters {self.start}-{self.end}")


def check_codings(codings: Iterable[Coding], lengths: Mapping[str, int]) -> list[Coding]:
    """The codings, each checked against its source's length; every problem named at once."""
    checked, problems = [], []
    for coding in codings:
        if coding.source not in lengths:
            problems.append(f"{coding.describe()}: no such source")
        elif not 0 <= coding.start < coding.end <= lengths[coding.source]:
            problems.append(
                f"{coding.describe()}: offsets must satisfy 0 ≤ start < end ≤ "
                f"{lengths[coding.source]} (the source's length)"
            )
        else:
            checked.append(coding)
    if problems:
        raise QualError("\n".join(problems))
    return checked


def coverage(codings: Iterable[Coding], length: int, coders: list[str]) -> np.ndarray:
    """coders × characters: True where that coder applied the code (codings of one source
    and one code; overlapping passages of one coder count once)."""
    row = {coder: i for i, coder in enumerate(coders)}
    # +1 at each start and −1 at each end, summed along the text: > 0 inside a passage.
    marks = np.zeros((len(coders), length + 1), dtype=np.int64)
    for coding in codings:
        marks[row[coding.coder], coding.start] += 1
        marks[row[coding.coder], coding.end] -= 1
    return np.cumsum(marks, axis=1)[:, :length] > 0
