"""Benchmark the synthetic consortium: wall time and peak memory of `generate` at a scale.

Runs `workforce.synth.generate` in a fresh subprocess (so the peak resident set size is the
generator's alone). Seconds depend on the machine, so the result also carries a reference
measured in the same run on the same output: pandas writing the ground-truth records table
(the same rows and columns) as CSV, the least any generator of these files must do. The
ratio generate / reference is what to compare across machines. Writes a JSON result:

    python benchmarks/bench_synth.py --scale 100 --out bench_synth.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, sys
from pathlib import Path
from workforce.synth import generate
manifest = generate(Path(sys.argv[1]), scale=float(sys.argv[2]), seed=int(sys.argv[3]))
print(json.dumps({"members": manifest.members,
                  "rows": {f.path: f.rows for f in manifest.files}}))
"""

REFERENCE = """
import sys, time
import pandas as pd
records = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, engine="pyarrow")
started = time.perf_counter()
records.to_csv(sys.argv[2], index=False)
print(time.perf_counter() - started)
"""


def run(scale: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_synth_") as directory:
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", CHILD, directory, str(scale), str(seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file())
        # On Linux ru_maxrss is in KiB: the largest resident set of any waited-for child,
        # read now, before the reference child runs.
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        truth = Path(directory) / "truth" / "standard_records.csv"
        reference = subprocess.run(
            [sys.executable, "-c", REFERENCE, str(truth), str(Path(directory) / "copy.csv")],
            check=True,
            capture_output=True,
            text=True,
        )
        reference_seconds = float(reference.stdout.strip())
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "benchmark": "synth.generate",
        "scale": scale,
        "seed": seed,
        "wall_seconds": round(wall, 2),
        "reference": "pandas to_csv of truth/standard_records.csv (same rows and columns)",
        "reference_seconds": round(reference_seconds, 2),
        "ratio_to_reference": round(wall / reference_seconds, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "output_mib": round(size / 2**20, 1),
        "members": result["members"],
        "rows": result["rows"],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = parser.parse_args()
    result = run(args.scale, args.seed)
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
