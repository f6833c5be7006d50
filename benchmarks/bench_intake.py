"""Benchmark intake: ingest a million-row, 15-column CSV export with a saved mapping.

The export is synthetic and seeded: NSGC-shaped columns whose labels come from the saved
NSGC mapping (`workforce/intake/mappings/nsgc.yaml`), plus three columns no dimension reads.
The floor, measured in the same run on the same file, is reading it with pyarrow alone
(`pyarrow.csv.read_csv`, every column as text), with each allocator pyarrow offers (its
default, mimalloc, and jemalloc, which ingest uses, and the system's): the fastest read of
any is the floor. After each timed ingest its outputs are written as `workforce ingest` writes
them (records, provenance, rejects), timed apart, so that work moved from ingest into writing
shows. Each timing runs in a fresh subprocess so its peak resident memory (ru_maxrss) is its
own; the runs are interleaved and repeated and the fastest kept, since one slow run on a
shared machine says nothing about the code (medians are recorded too, and the median of
each round's ingest against that round's floor, which the machine's drifting pace moves
least). pyarrow's read as it
comes, guessing each column's type, is timed too for comparison, though it is not the floor:

    python benchmarks/bench_intake.py --rows 1000000 --out benchmarks/results/intake.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
import pandas as pd

from workforce.intake.files import saved_mapping
from workforce.intake.mapping import BLANK_KEY, load_mapping

MISSING = ("declined", "unknown")


def labels(mapping, column: str) -> np.ndarray:
    keys = [key for key in mapping.column(column).values if key]
    return np.array([key.title() if key.islower() else key for key in keys], dtype=object)


def write_export(path: Path, rows: int, seed: int) -> None:
    """A seeded NSGC-shaped export of `rows` members, 15 columns, written as UTF-8 CSV."""
    rng = np.random.default_rng(seed)
    mapping = load_mapping(saved_mapping("nsgc"))

    def pick(options: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return options[rng.choice(len(options), size=rows, p=weights)]

    ethnicity = labels(mapping, "Ethnicity")
    # A second answer is a category: "Prefer not to say, White" is rare dirt, not the norm.
    decisions = mapping.column("Ethnicity").values
    categories = np.array(
        [label for label in ethnicity if decisions[label.casefold()].code not in MISSING],
        dtype=object,
    )
    first = pick(ethnicity)
    second = pick(categories)
    multi = rng.random(rows) < 0.1
    ethnic_cells = np.where(multi, first + ", " + second, first)
    states = np.array(["CA", "NY", "TX", "MA", "IL", "WA", "OH", "PA", "GA", "MN"], dtype=object)
    frame = pd.DataFrame(
        {
            "ID": np.char.zfill((np.arange(rows) * 3 + 1000).astype(str), 8),
            "Email Address": np.char.add(
                np.char.add("m", np.arange(rows).astype(str)), "@mail.example.org"
            ),
            "Member Category": pick(
                np.array(["Full", "Associate", "Student", "Retired"], dtype=object)
            ),
            "Career Stage": pick(labels(mapping, "Career Stage")),
            "Practice Setting": pick(labels(mapping, "Practice Setting")),
            "Primary Role": pick(labels(mapping, "Primary Role")),
            "Gender Identity": pick(labels(mapping, "Gender Identity")),
            "Ethnicity": ethnic_cells,
            "Birth Year": rng.integers(1940, 2004, rows).astype(str),
            "Employer": pick(np.array([f"Employer {i}" for i in range(500)], dtype=object)),
            "State": pick(states),
            "Country": pick(
                np.array(["US", "United States", "USA", "Canada", "México"], dtype=object),
                np.array([0.6, 0.2, 0.1, 0.05, 0.05]),
            ),
            "Joined": pick(
                np.array(
                    [f"{y}-0{m}-15" for y in range(1990, 2025) for m in range(1, 10)], dtype=object
                )
            ),
            "Membership Status": pick(np.array(["Active", "Grace", "Lapsed"], dtype=object)),
            "Chapter": pick(np.array([f"Chapter {i}" for i in range(40)], dtype=object)),
        }
    )
    frame.loc[frame["Ethnicity"].str.lower() == BLANK_KEY, "Ethnicity"] = ""
    frame.to_csv(path, index=False, encoding="utf-8")


def timed_read(read) -> dict:
    """Wall and CPU time of `read()`, which returns an Arrow table."""
    started, cpu = time.perf_counter(), time.process_time()
    table = read()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu_seconds": time.process_time() - cpu, "rows": table.num_rows}


def run_floor(path: str) -> dict:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def read():
        with open(path, "rb") as stream:
            names = stream.readline().decode("utf-8").strip().split(",")
        types = {name: pa.string() for name in names}
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))

    return timed_read(read)


def run_typed(path: str) -> dict:
    """`pyarrow.csv.read_csv` as it comes, guessing each column's type: not the floor (it
    reads member IDs such as 00001000 as numbers, losing their zeros, and so cannot be what
    ingest does), but what "reading with pyarrow" most often means."""
    import pyarrow.csv as pacsv

    return timed_read(lambda: pacsv.read_csv(path))


def run_ingest(path: str) -> dict:
    from workforce.intake.files import ingest_file, write_outputs
    from workforce.standard import load_standard

    load_standard()  # parse the standard's YAML once, outside the timing
    started, cpu = time.perf_counter(), time.process_time()
    result = ingest_file(Path(path), saved_mapping("nsgc"), org="nsgc", year=2025)
    seconds = time.perf_counter() - started
    ingest_cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = result.report
    with tempfile.TemporaryDirectory(prefix="bench_intake_out_") as directory:
        started, cpu = time.perf_counter(), time.process_time()
        write_outputs(result, Path(directory) / "records.csv", Path(directory) / "rejects.csv")
        write_seconds = time.perf_counter() - started
        write_cpu = time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu_seconds": ingest_cpu,
        "peak_mib": peak,  # ingest's own, before the writing
        "write_seconds": write_seconds,
        "write_cpu_seconds": write_cpu,
        "written_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows": report.rows_read,
        "accepted": report.accepted,
        "rejected": report.rejected,
    }


# pyarrow's allocators, chosen for a whole process by this variable before it imports pyarrow.
POOLS = ("mimalloc", "jemalloc", "system")


def child(kind: str, path: str) -> None:
    import pyarrow as pa

    runs = {"floor": run_floor, "typed": run_typed, "ingest": run_ingest}
    result = runs[kind](path)
    result.setdefault("peak_mib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    pool = pa.default_memory_pool()
    if kind == "ingest":
        from workforce.intake.allocator import jemalloc_pool

        pool = jemalloc_pool() or pool  # what ingest reads and maps with
    result["pool"] = pool.backend_name
    sys.stdout.write(json.dumps(result))


def measure(kind: str, path: Path, pool: str | None = None) -> dict:
    environment = dict(os.environ)
    environment.pop("ARROW_DEFAULT_MEMORY_POOL", None)
    if pool is not None:
        environment["ARROW_DEFAULT_MEMORY_POOL"] = pool
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, fastest kept")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.write:
        write_export(args.write, args.rows, args.seed)
        return
    with tempfile.TemporaryDirectory(prefix="bench_intake_") as directory:
        path = Path(directory) / "nsgc_roster_2025.csv"
        # Written by a process of its own: Linux keeps a process's peak resident memory
        # across exec, so a parent that had built the export would lend its peak to every
        # measured child.
        subprocess.run([sys.executable, __file__, "--write", str(path), "--rows",
                        str(args.rows), "--seed", str(args.seed)], check=True)
        size = path.stat().st_size
        floors: dict[str, list[dict]] = {}
        ingests, typed = [], []
        round_floors = []  # each round's fastest floor read, for the paired ratio
        for _ in range(args.repeat):
            in_round = []
            for pool in POOLS:
                run = measure("floor", path, pool)
                # A pool this pyarrow lacks falls back to another: keep what was used.
                floors.setdefault(run["pool"], []).append(run)
                in_round.append(run["seconds"])
            round_floors.append(min(in_round))
            typed.append(measure("typed", path))
            ingests.append(measure("ingest", path))
    every_floor = [run for runs in floors.values() for run in runs]
    floor = min(every_floor, key=lambda run: run["seconds"])
    ingested = min(ingests, key=lambda run: run["seconds"])
    floor["peak_mib"] = max(run["peak_mib"] for run in every_floor)
    ingested["peak_mib"] = max(run["peak_mib"] for run in ingests)
    default_floor = floors.get(POOLS[0], every_floor)
    result = {
        "benchmark": "intake.ingest_file (read + map + validate) vs pyarrow.csv.read_csv",
        "rows": args.rows,
        "columns": 15,
        "repeat": args.repeat,
        "floor_seconds_all": {pool: [round(run["seconds"], 3) for run in runs]
                              for pool, runs in floors.items()},
        "floor_pool": floor["pool"],
        "ingest_seconds_all": [round(run["seconds"], 3) for run in ingests],
        "ingest_pool": ingested["pool"],
        "floor_median_seconds": round(median(run["seconds"] for run in every_floor), 3),
        "floor_default_pool_median_seconds": round(
            median(run["seconds"] for run in default_floor), 3),
        "ingest_median_seconds": round(median(run["seconds"] for run in ingests), 3),
        "file_mib": round(size / 2**20, 1),
        "floor_seconds": round(floor["seconds"], 3),
        "floor_peak_mib": round(floor["peak_mib"], 1),
        "ingest_seconds": round(ingested["seconds"], 3),
        "ingest_peak_mib": round(ingested["peak_mib"], 1),
        "ratio": round(ingested["seconds"] / floor["seconds"], 2),
        # Typical runs: ingest's median against the median read with pyarrow's default.
        "median_ratio_to_default_read": round(
            median(run["seconds"] for run in ingests)
            / median(run["seconds"] for run in default_floor), 2),
        # Each round's ingest against the fastest floor read of the same round, the median
        # over rounds: the machine's pace drifts from round to round, and a pair measured
        # seconds apart shares it, where the fastest of 3 x repeat floor reads against the
        # fastest of repeat ingests favours the floor by its three times as many draws.
        "paired_median_ratio": round(
            median(run["seconds"] / floor_seconds
                   for run, floor_seconds in zip(ingests, round_floors, strict=True)), 2),
        # CPU time (every thread) of the typical run: the work done, whatever share of its
        # cores the machine gave it. Where the floor keeps every core busy, the ratio of wall
        # times cannot fall much below the ratio of CPU times.
        "floor_median_cpu_seconds": round(median(run["cpu_seconds"] for run in every_floor), 3),
        "ingest_median_cpu_seconds": round(median(run["cpu_seconds"] for run in ingests), 3),
        "median_cpu_ratio": round(
            median(run["cpu_seconds"] for run in ingests)
            / median(run["cpu_seconds"] for run in every_floor), 2),
        # How many cores ingest would have to keep busy, every moment, to finish its typical
        # work within 2x of the fastest floor read: above the machine's cores, no overlap of
        # steps can meet the aim by the fastest runs, only less work.
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cores_to_meet_aim_by_fastest": round(
            median(run["cpu_seconds"] for run in ingests) / (2 * floor["seconds"]), 2),
        # pyarrow's read as it comes, types guessed (not the floor: see `run_typed`).
        "typed_read_seconds_all": [round(run["seconds"], 3) for run in typed],
        "typed_read_median_seconds": round(median(run["seconds"] for run in typed), 3),
        "typed_read_median_cpu_seconds": round(median(run["cpu_seconds"] for run in typed), 3),
        "ratio_to_typed_read": round(
            ingested["seconds"] / min(run["seconds"] for run in typed), 2),
        "median_ratio_to_typed_read": round(
            median(run["seconds"] for run in ingests)
            / median(run["seconds"] for run in typed), 2),
        # Writing the outputs after each ingest, as `workforce ingest` does (not in the ratio).
        "write_seconds_all": [round(run["write_seconds"], 3) for run in ingests],
        "write_median_seconds": round(median(run["write_seconds"] for run in ingests), 3),
        "write_median_cpu_seconds": round(median(run["write_cpu_seconds"] for run in ingests), 3),
        "ingest_and_write_median_seconds": round(
            median(run["seconds"] + run["write_seconds"] for run in ingests), 3),
        "written_peak_mib": round(max(run["written_peak_mib"] for run in ingests), 1),
        "accepted": ingested["accepted"],
        "rejected": ingested["rejected"],
        "python": platform.python_version(),
        "pandas": pd.__version__,
    }
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
