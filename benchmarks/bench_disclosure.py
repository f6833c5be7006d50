"""Benchmark the disclosure gate on four-dimensional tables of growing size.

Each table is seeded: four dimensions of k categories each (k⁴ inner cells, (k+1)⁴ cells with
the margins), counts drawn from a negative binomial with many small values, as the race ×
gender × career stage × sector table of a society has. For each size, in a fresh process:
the time of `protect_tables` (primary rule, secondary suppression, pruning, audit against
the outsider and a member), the cells suppressed, whether the audit passed, how many audited
intervals were settled by certificates rather than solved, and two references for the count
of suppressed cells: the exact mixed-integer program against the same attackers (the
fewest suppressions where it finishes within its time limit, else the best pattern it found
and its lower bound), as ratios; and up to a size, the same gate asking every program of the
whole table (no boxes), as a ratio. Small sizes are also protected keeping the best of
several tries (`--tries`):

    python benchmarks/bench_disclosure.py --sizes 2 3 4 5 6 8 10 \
        --out benchmarks/results/disclosure.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ONE_SIZE = r"""
import json, sys, time, resource
import numpy as np, pandas as pd
sys.path.insert(0, {root!r})
from workforce.disclosure import gate, secondary
from workforce.disclosure.audit import MEMBER, OUTSIDER
from workforce.disclosure.gate import TableSpec, protect_tables
from workforce.disclosure.secondary import optimal

k, seed, optimum_limit, whole, tries = {k}, {seed}, {optimum_limit}, {whole}, {tries}
rng = np.random.default_rng(seed)
names = ["race", "gender", "stage", "sector"]
index = pd.MultiIndex.from_product([[f"{{n}}{{i}}" for i in range(k)] for n in names],
                                   names=names)
table = pd.DataFrame({{"n": rng.negative_binomial(1, 0.08, size=len(index))}},
                     index=index).reset_index()
start = time.perf_counter()
result = protect_tables([TableSpec("t", table, "n", tuple(names))])
seconds = time.perf_counter() - start
status = np.asarray(result.status)
out = {{
    "k": k,
    "inner_cells": k ** 4,
    "cells": int(result.space.size),
    "primary": int((status == "primary").sum()),
    "secondary": int((status == "secondary").sum()),
    "suppressed": int((status != "published").sum()),
    "seconds": round(seconds, 3),
    "audit_passed": bool(result.publishable),
    "intervals_from_certificates": sum(not i.exact for i in result.audit.intervals),
    "intervals_solved": sum(i.exact for i in result.audit.intervals),
    "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}}
if tries > 1:
    # The same gate keeping the best of several orders (`--tries`).
    start = time.perf_counter()
    tried = protect_tables([TableSpec("t", table, "n", tuple(names))], tries=tries)
    out["tries"] = tries
    out["tries_seconds"] = round(time.perf_counter() - start, 3)
    out["tries_suppressed"] = int((np.asarray(tried.status) != "published").sum())
    out["tries_audit_passed"] = bool(tried.publishable)
if whole and result.space.size >= secondary.LOCAL_FROM_CELLS:
    # The reference: the same gate with every deviation sought in the whole table.
    secondary.LOCAL_FROM_CELLS = gate.LOCAL_FROM_CELLS = 10 ** 12
    start = time.perf_counter()
    reference = protect_tables([TableSpec("t", table, "n", tuple(names))])
    out["whole_table_seconds"] = round(time.perf_counter() - start, 3)
    out["whole_table_suppressed"] = int((np.asarray(reference.status) != "published").sum())
    out["ratio_to_whole_table"] = round(out["suppressed"] / out["whole_table_suppressed"], 3)
if optimum_limit > 0:
    start = time.perf_counter()
    try:
        # Against the same attackers as the gate: the outsider and a member of a cell.
        exact = optimal(result.space, status == "primary", result.protection,
                        time_limit=optimum_limit, attackers=(OUTSIDER, MEMBER))
        out["optimal_seconds"] = round(time.perf_counter() - start, 3)
        out["optimal_proven"] = bool(exact.proven)
        if exact.proven:
            out["optimal_suppressed"] = int(exact.suppressed.sum())
            fewest = max(1, out["optimal_suppressed"])
            out["ratio_to_optimal"] = round(out["suppressed"] / fewest, 3)
            if "tries_suppressed" in out:
                out["tries_ratio_to_optimal"] = round(out["tries_suppressed"] / fewest, 3)
        else:
            # Not finished: the best pattern it found, and the bound no pattern can beat.
            # Protecting against both attackers protects against the outsider, so the
            # outsider's own program (smaller, its bound often higher) bounds it too.
            out["exact_incumbent"] = int(exact.suppressed.sum())
            out["exact_lower_bound"] = round(exact.lower_bound, 3)
            start = time.perf_counter()
            outsider = optimal(result.space, status == "primary", result.protection,
                               time_limit=optimum_limit, attackers=(OUTSIDER,))
            out["outsider_seconds"] = round(time.perf_counter() - start, 3)
            out["outsider_proven"] = bool(outsider.proven)
            out["outsider_lower_bound"] = round(outsider.lower_bound, 3)
            bound = max(1.0, exact.lower_bound, outsider.lower_bound)
            out["lower_bound"] = round(bound, 3)
            out["ratio_to_lower_bound"] = round(out["suppressed"] / bound, 3)
            out["ratio_to_exact_incumbent"] = round(
                out["suppressed"] / max(1, out["exact_incumbent"]), 3)
            if "tries_suppressed" in out:
                out["tries_ratio_to_lower_bound"] = round(out["tries_suppressed"] / bound, 3)
    except Exception as error:  # the exact program may not finish in its time limit
        out["optimal_error"] = str(error)[:200]
print(json.dumps(out))
"""


def measure(k: int, seed: int, optimum_limit: float, whole: bool, tries: int,
            timeout: float) -> dict:
    code = ONE_SIZE.format(root=str(Path(__file__).resolve().parents[1]), k=k, seed=seed,
                           optimum_limit=optimum_limit, whole=whole, tries=tries)
    print(f"[bench_disclosure] {k}^4 = {k ** 4:,} inner cells", file=sys.stderr, flush=True)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"k": k, "inner_cells": k ** 4, "timed_out_after_seconds": timeout}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"[bench_disclosure]   {result['seconds']} s, {result['suppressed']} suppressed",
          file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 3, 4, 5, 6, 8, 10])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--optimum-up-to", type=int, default=3,
                        help="compute the exact optimum for k up to this")
    parser.add_argument("--optimum-limit", type=float, default=120.0)
    parser.add_argument("--whole-table-up-to", type=int, default=6,
                        help="for k up to this, also protect with whole-table programs only")
    parser.add_argument("--tries", type=int, default=8,
                        help="also protect with this many tries (`--tries`) ...")
    parser.add_argument("--tries-up-to", type=int, default=4,
                        help="... for k up to this")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = [
        measure(k, args.seed, args.optimum_limit if k <= args.optimum_up_to else 0.0,
                k <= args.whole_table_up_to, args.tries if k <= args.tries_up_to else 1,
                args.timeout)
        for k in args.sizes
    ]
    document = {
        "benchmark": "disclosure gate on 4-dimensional tables with all margins",
        "seed": args.seed,
        "machine": {"cpus": 2, "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "sizes": rows,
        "own_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "measured_at": time.strftime("%Y-%m-%d"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"[bench_disclosure] wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
