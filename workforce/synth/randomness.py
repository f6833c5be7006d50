"""Seeded random streams and calibrated categorical draws for the synthetic consortium.

Every stage of the generator takes its own stream, named by what it draws (for example
`stream(seed, "population", "nsgc", "gender")`), so a change to one stage never shifts the
random numbers of another and the same seed always gives the same consortium.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np


def stream(seed: int, *names: str) -> np.random.Generator:
    """An independent generator for one named stage.

    The names become the spawn key of a `SeedSequence` (the mechanism behind
    `SeedSequence.spawn`), hashed with CRC-32 so the key is stable across Python runs.
    """
    key = tuple(zlib.crc32(name.encode("utf-8")) for name in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def draw_index(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category index per row of a (people x categories) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(probabilities.shape[0]) * cumulative[:, -1]
    index = (u[:, None] >= cumulative).sum(axis=1)
    return np.minimum(index, probabilities.shape[1] - 1)


def draw_from(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """`size` category indexes drawn with fixed weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def offset_matrix(
    effects: Mapping[str, Mapping[str, float]] | None,
    levels: Sequence[str],
    categories: Sequence[str],
) -> np.ndarray:
    """A (levels x categories) table of log-odds shifts from a sparse YAML mapping."""
    table = np.zeros((len(levels), len(categories)))
    for level, shifts in (effects or {}).items():
        if level not in levels:
            raise ValueError(f"offset for unknown level {level!r}; known: {list(levels)}")
        for category, shift in shifts.items():
            if category not in categories:
                raise ValueError(f"offset for unknown category {category!r}")
            table[levels.index(level), categories.index(category)] = shift
    return table


def calibrated_draw(
    rng: np.random.Generator,
    target: Mapping[str, float],
    categories: Sequence[str],
    covariates: Sequence[tuple[np.ndarray, np.ndarray]] = (),
) -> np.ndarray:
    """Draw one category per person so that the expected margin equals `target`.

    Each covariate is (codes per person, levels x categories shift table); a person's log-odds
    are a common baseline plus the shifts of their levels. The baseline is solved by
    iterative proportional fitting over the distinct covariate groups, so correlations come
    from the shifts while the margin stays what the profile says.
    """
    p_target = np.array([target.get(c, 0.0) for c in categories], dtype=float)
    p_target = p_target / p_target.sum()
    if not covariates:
        raise ValueError("calibrated_draw needs at least one covariate (use a constant code)")
    size = len(covariates[0][0])
    # People with the same covariate levels share probabilities: one combined key per person
    # (levels are small integers), then work on the distinct keys only.
    dims = tuple(table.shape[0] for _, table in covariates)
    key = np.ravel_multi_index(tuple(c.astype(np.int64) for c, _ in covariates), dims)
    counts = np.bincount(key, minlength=int(np.prod(dims)))
    present = np.flatnonzero(counts)
    lookup = np.zeros(len(counts), dtype=np.int64)
    lookup[present] = np.arange(len(present))
    inverse = lookup[key]
    counts = counts[present]
    groups = np.stack(np.unravel_index(present, dims), axis=1)
    shifts = np.zeros((len(groups), len(categories)))
    for column, (_, table) in enumerate(covariates):
        shifts += table[groups[:, column]]
    weights = counts / max(size, 1)
    positive = p_target > 0
    baseline = np.where(positive, np.log(np.where(positive, p_target, 1.0)), -np.inf)
    for _ in range(500):
        logits = baseline + shifts
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        margin = weights @ probabilities
        if np.max(np.abs(margin - p_target)) < 1e-9:
            break
        baseline[positive] += np.log(p_target[positive] / margin[positive])
    return draw_index(rng, probabilities[inverse])


def random_hex(rng: np.random.Generator, size: int, digits: int = 16) -> np.ndarray:
    """`size` random lowercase hex strings of `digits` characters, without a per-row loop."""
    if digits % 2:
        raise ValueError("random_hex needs an even number of digits")
    raw = rng.integers(0, 256, size=(size, digits // 2), dtype=np.uint8)
    text = raw.tobytes().hex().encode("ascii")
    return np.frombuffer(text, dtype=f"S{digits}").astype(f"U{digits}").astype(object)
