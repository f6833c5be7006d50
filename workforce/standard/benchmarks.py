"""Reference populations (benchmarks) and the rule that a comparison pairs like with like.

A benchmark holds the published shares of one tabulation view (``alone``,
``alone_or_in_combination``, ``omb1997``, a derived view such as ``lgbtq``, or a plain
dimension such as ``gender``) for one universe and year. A workforce share may only be set
beside a benchmark of the same view: ``benchmark_for`` and ``require_same_view`` raise
``ViewMismatchError`` otherwise, because "White alone" and "White alone or in combination"
differ by several points in the same population.
"""

from __future__ import annotations

from workforce.standard.labels import normalize_label
from workforce.standard.loader import load_standard
from workforce.standard.model import Benchmark, Standard, StandardError


class ViewMismatchError(StandardError, ValueError):
    """A comparison between tabulations of different views."""


class NoBenchmarkError(StandardError, LookupError):
    """No benchmark, or more than one, matches the request."""


def load_benchmarks(version: str = "1") -> list[Benchmark]:
    """Every reference population of the standard's version, in file order."""
    return list(load_standard(version).benchmarks)


def get_benchmark(benchmark_id: str, standard: Standard | None = None) -> Benchmark:
    """The benchmark with this id (e.g. ``census2020_race_1997``)."""
    standard = standard or load_standard()
    for benchmark in standard.benchmarks:
        if benchmark.id == benchmark_id:
            return benchmark
    ids = ", ".join(benchmark.id for benchmark in standard.benchmarks)
    raise NoBenchmarkError(f"no benchmark {benchmark_id!r}; known: {ids}")


def benchmarks_for(
    dimension: str, view: str, universe: str | None = None, standard: Standard | None = None
) -> list[Benchmark]:
    """Benchmarks of ``dimension`` tabulated in ``view`` (optionally within a universe).

    ``universe`` matches any part of a benchmark's universe, ignoring case and punctuation
    ("STEM workers", "aged 18-74"). An empty list when nothing matches.
    """
    standard = standard or load_standard()
    wanted_universe = normalize_label(universe) if universe else ""
    return [
        benchmark for benchmark in standard.benchmarks
        if benchmark.dimension == dimension and benchmark.view == view
        and wanted_universe in normalize_label(benchmark.universe)
    ]


def benchmark_for(
    dimension: str, view: str, universe: str | None = None, standard: Standard | None = None
) -> Benchmark:
    """The one benchmark of ``dimension`` in ``view`` (and ``universe``, when several match).

    Raises ``ViewMismatchError`` when benchmarks of the dimension exist only in other views,
    and ``NoBenchmarkError`` when none exists or the choice is ambiguous.
    """
    standard = standard or load_standard()
    of_dimension = [b for b in standard.benchmarks if b.dimension == dimension]
    if not of_dimension:
        dimensions = sorted({b.dimension for b in standard.benchmarks})
        raise NoBenchmarkError(
            f"no benchmark for {dimension!r}; benchmarks exist for {', '.join(dimensions)}"
        )
    if not any(b.view == view for b in of_dimension):
        available = sorted({b.view for b in of_dimension})
        raise ViewMismatchError(
            f"no benchmark for {dimension!r} in view {view!r}, only in "
            f"{', '.join(available)}; tabulate the workforce in one of those to compare like "
            "with like"
        )
    matches = benchmarks_for(dimension, view, universe, standard)
    if len(matches) == 1:
        return matches[0]
    candidates = [b for b in of_dimension if b.view == view]
    universes = "; ".join(f"{b.id}: {b.universe}" for b in candidates)
    if not matches:
        raise NoBenchmarkError(
            f"no benchmark for {dimension!r} in view {view!r} within {universe!r}; "
            f"universes: {universes}"
        )
    raise NoBenchmarkError(
        f"{len(matches)} benchmarks for {dimension!r} in view {view!r}; pass universe= to "
        f"choose: {universes}"
    )


def require_same_view(benchmark: Benchmark, view: str) -> None:
    """Raise ``ViewMismatchError`` unless a tabulation in ``view`` may sit beside ``benchmark``."""
    if benchmark.view != view:
        raise ViewMismatchError(
            f"benchmark {benchmark.id!r} is tabulated in view {benchmark.view!r}, not {view!r}; "
            "compare like with like"
        )
