"""Benchmark the standard's hot paths: derived views and validation of a million records.

Records are drawn (with replacement, seeded) from the synthetic consortium's ground truth, so
their codes and mixes are realistic. Reference, measured in the same run on the same frame:
one vectorized `Series.isin` membership test per dimension column — the least a validator
must do. Ratios against it are what to compare across machines:

    python benchmarks/bench_standard.py --rows 1000000 --out benchmarks/results/standard.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workforce.standard import load_standard, validate_records_frame
from workforce.standard.views import derive_views
from workforce.synth import generate


def sample_records(rows: int, seed: int) -> pd.DataFrame:
    with tempfile.TemporaryDirectory(prefix="bench_standard_") as directory:
        generate(Path(directory), scale=1.0, seed=seed)
        truth = pd.read_csv(
            Path(directory) / "truth" / "standard_records.csv", dtype=str, keep_default_na=False
        )
    picks = np.random.default_rng(seed).integers(0, len(truth), size=rows)
    records = truth.iloc[picks].reset_index(drop=True)
    records["record_id"] = [f"r{i}" for i in range(rows)]  # unique, as a real source has
    return records


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def reference_membership(records: pd.DataFrame) -> int:
    standard = load_standard()
    bad = 0
    for name, dimension in standard.dimensions.items():
        if name in records.columns and not dimension.multi:
            bad += int((~records[name].isin(list(dimension.code_set))).sum())
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = parser.parse_args()

    records = sample_records(args.rows, args.seed)
    load_standard()  # parse the YAML once, outside the timings
    reference_seconds, _ = timed(reference_membership, records)
    views_seconds, views = timed(derive_views, records)
    validate_seconds, violations = timed(validate_records_frame, records)
    result = {
        "benchmark": "standard.derive_views and standard.validate_records_frame",
        "rows": args.rows,
        "columns": len(records.columns),
        "reference": "Series.isin per single-select dimension column",
        "reference_seconds": round(reference_seconds, 3),
        "derive_views_seconds": round(views_seconds, 3),
        "derive_views_ratio": round(views_seconds / reference_seconds, 1),
        "derived_columns": len(views.columns) - len(records.columns),
        "validate_seconds": round(validate_seconds, 3),
        "validate_ratio": round(validate_seconds / reference_seconds, 1),
        "violations": len(violations),
        "python": platform.python_version(),
        "pandas": pd.__version__,
    }
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
