"""Benchmark estimates: rake a million respondents on 4 margins, 30 domain proportions with SEs.

The respondents are synthetic and seeded. A notional membership frame (2.75 members per
respondent) has career stage (5 categories), sector (6, depending on stage), gender (4, two of
them about 1 %), region (4) and race (6, small ones included); respondents are drawn from it
with a response propensity that depends on stage and sector, so the base weight (frame size /
respondents, the same for everyone) leaves the sample off the frame and raking matters. The
margins are the frame's counts, so they agree across variables. The 30 domains are race ×
stage (the smallest about a thousand respondents); the outcome y is 0/1 with a probability
depending on stage, sector, gender and race.

Timed, each in a fresh process so its peak resident memory (ru_maxrss) is its own, the fastest
of `--repeat` runs kept (the machine is shared; one slow run says nothing about the code):

- ours, in process, on the table already read with `read_data` (as the CLI reads it): build
  the design, rake (tolerance 1e-7 of the total weight, at most 100 sweeps, as R's
  ``epsilon=1e-7``), then `proportion(design, "y", "1", by=["group"])`;
- ours end to end: ``workforce stats estimate DATA.csv --weight w --rake MARGINS.csv
  --proportion y=1 --by group --json`` (start-up, reading the CSV, everything);
- R 4 + survey (`benchmarks/r/rake_and_estimate.R`): svydesign, rake, svyby(~y, ~group,
  svymean); its timings exclude reading the CSV, as ours in process does.

The 30 estimates and standard errors are compared with R's (largest relative difference).
R is skipped, and the result says so, when Rscript or the survey package is missing:

    python benchmarks/bench_stats.py --rows 1000000 \
        --out benchmarks/results/stats_rake_estimate.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
R_SCRIPT = HERE / "r" / "rake_and_estimate.R"
FRAME_PER_RESPONDENT = 2.75  # frame members per respondent: the base weight
RAKE_TOLERANCE = 1e-7  # relative to the total weight, as R's epsilon < 1
RAKE_MAX_ITERATIONS = 100
AGREEMENT = 1e-6  # relative, estimates and standard errors

STAGES = ("student", "early", "mid", "senior", "retired")
STAGE_SHARE = (0.10, 0.28, 0.30, 0.22, 0.10)
SECTORS = ("academic", "clinical", "industry", "government", "nonprofit", "other")
# Sector mix by stage: students are mostly academic, the retired mostly "other".
SECTOR_SHARE = (
    (0.70, 0.15, 0.05, 0.03, 0.04, 0.03),
    (0.35, 0.30, 0.18, 0.07, 0.06, 0.04),
    (0.28, 0.32, 0.22, 0.09, 0.06, 0.03),
    (0.30, 0.30, 0.20, 0.10, 0.07, 0.03),
    (0.15, 0.15, 0.10, 0.05, 0.10, 0.45),
)
GENDERS = ("woman", "man", "nonbinary", "another")
GENDER_SHARE = (0.62, 0.36, 0.012, 0.008)
REGIONS = ("northeast", "south", "midwest", "west")
REGION_SHARE = (0.24, 0.33, 0.18, 0.25)
RACES = ("white", "asian", "hispanic", "black", "multiracial", "indigenous")
RACE_SHARE = (0.60, 0.17, 0.10, 0.07, 0.045, 0.015)
# Response propensity: the young and industry answer least.
STAGE_RESPONSE = (0.22, 0.30, 0.38, 0.46, 0.55)
SECTOR_RESPONSE = (1.15, 1.05, 0.70, 0.95, 1.00, 0.85)


def log(message: str) -> None:
    sys.stderr.write(f"[bench_stats {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# -- data ----------------------------------------------------------------------------------------


def write_inputs(directory: Path, rows: int, seed: int) -> tuple[Path, Path]:
    """DATA.csv (w,stage,sector,gender,region,group,y) and MARGINS.csv from a seeded frame."""
    rng = np.random.default_rng(seed)
    size = int(round(rows * FRAME_PER_RESPONDENT))
    stage = rng.choice(len(STAGES), size=size, p=STAGE_SHARE)
    # Sector given stage: one uniform draw against each stage's cumulative mix.
    cumulative = np.cumsum(np.array(SECTOR_SHARE), axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(size)
    sector = (u[:, None] >= cumulative[stage]).sum(axis=1)
    gender = rng.choice(len(GENDERS), size=size, p=GENDER_SHARE)
    region = rng.choice(len(REGIONS), size=size, p=REGION_SHARE)
    race = rng.choice(len(RACES), size=size, p=RACE_SHARE)

    # Exactly `rows` respondents, drawn without replacement with probability proportional to
    # the propensity (Efraimidis-Spirakis keys: the largest u^(1/p) win).
    propensity = np.array(STAGE_RESPONSE)[stage] * np.array(SECTOR_RESPONSE)[sector]
    keys = np.log(rng.random(size)) / propensity
    chosen = np.sort(np.argpartition(keys, size - rows)[size - rows :])

    s, c, g, r, e = (a[chosen] for a in (stage, sector, gender, region, race))
    logit = (
        -1.1
        + np.array([-0.6, -0.2, 0.1, 0.4, 0.3])[s]
        + np.array([0.3, 0.5, -0.4, 0.0, 0.2, -0.3])[c]
        + np.array([0.0, -0.3, 0.5, 0.3])[g]
        + np.array([0.0, 0.2, -0.2, -0.3, 0.1, -0.5])[e]
    )
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    names = lambda labels, codes: np.array(labels, dtype=object)[codes]  # noqa: E731
    group = np.array(
        [f"{race_name}:{stage_name}" for race_name in RACES for stage_name in STAGES],
        dtype=object,
    )[e * len(STAGES) + s]
    data = pd.DataFrame(
        {
            "w": np.full(rows, size / rows),
            "stage": names(STAGES, s),
            "sector": names(SECTORS, c),
            "gender": names(GENDERS, g),
            "region": names(REGIONS, r),
            "group": group,
            "y": y,
        }
    )
    data_path = directory / "respondents.csv"
    data.to_csv(data_path, index=False, float_format="%.17g")

    lines = ["variable,category,total"]
    for variable, labels, codes in (
        ("stage", STAGES, stage),
        ("sector", SECTORS, sector),
        ("gender", GENDERS, gender),
        ("region", REGIONS, region),
    ):
        counts = np.bincount(codes, minlength=len(labels))
        lines.extend(
            f"{variable},{label},{count}"
            for label, count in zip(labels, counts, strict=True)
        )
    margins_path = directory / "margins.csv"
    margins_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data_path, margins_path


# -- the three jobs, each run in a child process -----------------------------------------------


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(data_path: str, margins_path: str) -> dict:
    """Design + rake + 30 domain proportions on the table already read (reading not timed)."""
    from workforce.stats.design import SurveyDesign
    from workforce.stats.estimates import proportion
    from workforce.stats.files import read_data, read_margins
    from workforce.stats.weighting import rake

    started = time.perf_counter()
    data = read_data(Path(data_path))
    margins = read_margins(Path(margins_path))
    seconds_read = time.perf_counter() - started
    peak_after_read = peak_mib()

    t0 = time.perf_counter()
    design = SurveyDesign.from_frame(data, weights="w")
    t1 = time.perf_counter()
    raked = rake(design, margins, tolerance=RAKE_TOLERANCE, max_iterations=RAKE_MAX_ITERATIONS)
    t2 = time.perf_counter()
    results = proportion(raked, "y", "1", by=["group"])
    t3 = time.perf_counter()
    return {
        "seconds_read": seconds_read,
        "seconds_design": t1 - t0,
        "seconds_rake": t2 - t1,
        "seconds_estimate": t3 - t2,
        "seconds_total": t3 - t0,
        "peak_after_read_mib": peak_after_read,
        "peak_mib": peak_mib(),
        "rake_iterations": raked.weighting.iterations,
        "rake_converged": raked.weighting.converged,
        "sum_weights_raked": float(raked.weights.sum()),
        "estimates": [
            {"group": r.group["group"], "estimate": r.estimate, "se": r.se} for r in results
        ],
    }


def profile_ours(data_path: str, margins_path: str, top: int) -> None:
    """cProfile of design + rake + estimate (reading excluded), printed to stderr."""
    import cProfile
    import pstats

    from workforce.stats.design import SurveyDesign
    from workforce.stats.estimates import proportion
    from workforce.stats.files import read_data, read_margins
    from workforce.stats.weighting import rake

    data = read_data(Path(data_path))
    margins = read_margins(Path(margins_path))
    profiler = cProfile.Profile()
    profiler.enable()
    design = SurveyDesign.from_frame(data, weights="w")
    raked = rake(design, margins, tolerance=RAKE_TOLERANCE, max_iterations=RAKE_MAX_ITERATIONS)
    proportion(raked, "y", "1", by=["group"])
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def workforce_command() -> list[str]:
    script = Path(sys.executable).parent / "workforce"
    if script.exists():
        return [str(script)]
    found = shutil.which("workforce")
    if found:
        return [found]
    raise SystemExit("the `workforce` command is not installed (pip install -e .)")


def timed(command: list[str]) -> tuple[float, float, str, str]:
    """Wall seconds, peak RSS (MiB) of that one process, stdout, stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited with {process.returncode}:\n{stderr[-3000:]}"
        )
    return seconds, usage.ru_maxrss / 1024, stdout, stderr


def run_cli(data_path: Path, margins_path: Path) -> dict:
    command = [
        *workforce_command(), "stats", "estimate", str(data_path),
        "--weight", "w", "--rake", str(margins_path),
        "--tolerance", repr(RAKE_TOLERANCE), "--max-iterations", str(RAKE_MAX_ITERATIONS),
        "--proportion", "y=1", "--by", "group", "--json",
    ]  # fmt: skip
    seconds, peak, stdout, _ = timed(command)
    document = json.loads(stdout)
    return {
        "seconds": seconds,
        "peak_mib": peak,
        "rake_iterations": document["weights"]["iterations"],
        "rake_converged": document["weights"]["converged"],
        "estimates": [
            {"group": e["group"]["group"], "estimate": e["estimate"], "se": e["se"]}
            for e in document["estimates"]
        ],
    }


def r_available() -> tuple[bool, str]:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return False, "Rscript not found"
    check = subprocess.run(
        [rscript, "-e", "for (p in c('survey','jsonlite')) library(p, character.only=TRUE); "
         "cat(R.version.string, as.character(packageVersion('survey')), sep='|')"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        return False, "R package survey or jsonlite missing: " + check.stderr.strip()[-300:]
    return True, check.stdout.strip()


def run_r(data_path: Path, margins_path: Path, directory: Path) -> dict:
    out = directory / "r_result.json"
    rscript = shutil.which("Rscript") or "Rscript"
    seconds, peak, _, _ = timed(
        [rscript, str(R_SCRIPT), str(data_path), str(margins_path), str(out)]
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    document["seconds_process"] = seconds
    document["peak_process_mib"] = peak
    document["estimates"] = [
        {"group": group, "estimate": estimate, "se": se}
        for group, estimate, se in zip(
            document.pop("groups"), document.pop("estimates"), document.pop("ses"), strict=True
        )
    ]
    return document


def child(data_path: str, margins_path: str) -> None:
    sys.stdout.write(json.dumps(run_ours(data_path, margins_path)))


def measure_ours(data_path: Path, margins_path: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(data_path), str(margins_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


# -- comparing with R --------------------------------------------------------------------------


def agreement(ours: list[dict], theirs: list[dict]) -> dict:
    mine = {e["group"]: e for e in ours}
    other = {e["group"]: e for e in theirs}
    only_ours = sorted(set(mine) - set(other))
    only_r = sorted(set(other) - set(mine))
    worst = {"estimate": (0.0, None), "se": (0.0, None)}
    for group in sorted(set(mine) & set(other)):
        for what in ("estimate", "se"):
            a, b = mine[group][what], other[group][what]
            difference = abs(a - b) / abs(b) if b else abs(a - b)
            if difference > worst[what][0] or worst[what][1] is None:
                worst[what] = (difference, group)
    largest = max(worst["estimate"][0], worst["se"][0])
    return {
        "groups_compared": len(set(mine) & set(other)),
        "groups_only_ours": only_ours,
        "groups_only_r": only_r,
        "largest_relative_difference_estimate": worst["estimate"][0],
        "largest_relative_difference_estimate_group": worst["estimate"][1],
        "largest_relative_difference_se": worst["se"][0],
        "largest_relative_difference_se_group": worst["se"][1],
        "threshold": AGREEMENT,
        "agree": not only_ours and not only_r and largest <= AGREEMENT,
    }


def fastest(runs: list[dict], key: str) -> dict:
    return min(runs, key=lambda run: run[key])


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours, fastest kept")
    parser.add_argument("--r-repeat", type=int, default=3, help="runs of R, fastest kept")
    parser.add_argument("--no-r", action="store_true", help="skip R")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N",
        help="only print cProfile's top N functions of ours in process (stderr), then stop",
    )  # fmt: skip
    parser.add_argument("--child", nargs=2, metavar=("DATA", "MARGINS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    if args.no_r:
        have_r, r_note = False, "skipped (--no-r)"
    else:
        have_r, r_note = r_available()
    if not have_r and not args.profile:
        log(f"R: {r_note}; R is skipped")

    with tempfile.TemporaryDirectory(prefix="bench_stats_") as name:
        directory = Path(name)
        log(f"writing {args.rows:,} synthetic respondents and the frame's margins")
        data_path, margins_path = write_inputs(directory, args.rows, args.seed)
        file_mib = data_path.stat().st_size / 2**20
        if args.profile:
            log("profiling ours in process (design + rake + estimate)")
            profile_ours(str(data_path), str(margins_path), args.profile)
            return
        ours_runs, cli_runs, r_runs = [], [], []
        for i in range(args.repeat):
            log(f"ours in process, run {i + 1} of {args.repeat}")
            ours_runs.append(measure_ours(data_path, margins_path))
            log(f"  total {ours_runs[-1]['seconds_total']:.2f} s, "
                f"peak {ours_runs[-1]['peak_mib']:.0f} MiB")
        for i in range(args.repeat):
            log(f"ours end to end (workforce stats estimate), run {i + 1} of {args.repeat}")
            cli_runs.append(run_cli(data_path, margins_path))
            log(f"  {cli_runs[-1]['seconds']:.2f} s, peak {cli_runs[-1]['peak_mib']:.0f} MiB")
        if have_r:
            for i in range(args.r_repeat):
                log(f"R survey (Rscript {R_SCRIPT.name}), run {i + 1} of {args.r_repeat}")
                r_runs.append(run_r(data_path, margins_path, directory))
                log(f"  total {r_runs[-1]['seconds_total']:.2f} s "
                    f"(read {r_runs[-1]['seconds_read']:.2f} s excluded), "
                    f"peak {r_runs[-1]['peak_mb']:.0f} MB")

    ours = fastest(ours_runs, "seconds_total")
    cli = fastest(cli_runs, "seconds")
    result = {
        "benchmark": (
            "rake 4 margins + 30 domain proportions with SEs: workforce.stats vs R survey"
        ),
        "rows": args.rows,
        "seed": args.seed,
        "file_mib": round(file_mib, 1),
        "domains": len(ours["estimates"]),
        "rake_margins": {"stage": 5, "sector": 6, "gender": 4, "region": 4},
        "rake_tolerance_relative": RAKE_TOLERANCE,
        "rake_max_iterations": RAKE_MAX_ITERATIONS,
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "processor": _processor(),
            "memory_gib": _memory_gib(),
            "system": platform.platform(),
        },
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scipy": _version("scipy"),
        },
        "ours": {
            "what": "design + rake + proportion(by=group) on the table read with read_data",
            "seconds_design": round(ours["seconds_design"], 3),
            "seconds_rake": round(ours["seconds_rake"], 3),
            "seconds_estimate": round(ours["seconds_estimate"], 3),
            "seconds_total": round(ours["seconds_total"], 3),
            "seconds_total_all": [round(run["seconds_total"], 3) for run in ours_runs],
            "seconds_read_excluded": round(ours["seconds_read"], 3),
            "peak_mib": round(max(run["peak_mib"] for run in ours_runs), 1),
            "peak_after_read_mib": round(max(run["peak_after_read_mib"] for run in ours_runs), 1),
            "rake_iterations": ours["rake_iterations"],
            "rake_converged": ours["rake_converged"],
        },
        "ours_cli": {
            "what": "workforce stats estimate ... --json: start-up, read, rake, estimate, JSON",
            "seconds": round(cli["seconds"], 3),
            "seconds_all": [round(run["seconds"], 3) for run in cli_runs],
            "peak_mib": round(max(run["peak_mib"] for run in cli_runs), 1),
            "rake_iterations": cli["rake_iterations"],
        },
    }
    cli_agrees = agreement(cli["estimates"], ours["estimates"])
    result["cli_matches_in_process"] = cli_agrees["agree"]
    if have_r:
        r = fastest(r_runs, "seconds_total")
        result["r"] = {
            "versions": r_note,
            "reader": r["reader"],
            "seconds_design": round(r["seconds_design"], 3),
            "seconds_rake": round(r["seconds_rake"], 3),
            "seconds_estimate": round(r["seconds_estimate"], 3),
            "seconds_total": round(r["seconds_total"], 3),
            "seconds_total_all": [round(run["seconds_total"], 3) for run in r_runs],
            "seconds_read_excluded": round(r["seconds_read"], 3),
            "seconds_process": round(r["seconds_process"], 3),
            "peak_heap_mb": round(max(run["peak_mb"] for run in r_runs), 1),
            "peak_rss_mib": round(max(run["peak_process_mib"] for run in r_runs), 1),
            "warnings": r["warnings"],
            "sum_weights_raked": r["sum_weights_raked"],
        }
        result["ratios"] = {
            "r_total_over_ours_total": round(r["seconds_total"] / ours["seconds_total"], 1),
            "r_rake_over_ours_rake": round(r["seconds_rake"] / ours["seconds_rake"], 1),
            "r_estimate_over_ours_estimate": round(
                r["seconds_estimate"] / ours["seconds_estimate"], 1
            ),
            "r_total_over_ours_cli": round(r["seconds_total"] / cli["seconds"], 1),
            "r_read_plus_total_over_ours_cli": round(
                (r["seconds_read"] + r["seconds_total"]) / cli["seconds"], 1
            ),
        }
        result["agreement_with_r"] = agreement(ours["estimates"], r["estimates"])
        agreed = result["agreement_with_r"]
        log(
            f"R total / ours total = {result['ratios']['r_total_over_ours_total']}x; "
            f"largest relative difference from R: estimate "
            f"{agreed['largest_relative_difference_estimate']:.1e}, SE "
            f"{agreed['largest_relative_difference_se']:.1e} "
            f"({'agree' if agreed['agree'] else 'DO NOT AGREE'} within {AGREEMENT:g})"
        )
        result["estimates"] = [
            {
                "group": e["group"],
                "estimate": e["estimate"],
                "se": e["se"],
                "r_estimate": other["estimate"],
                "r_se": other["se"],
            }
            for e in ours["estimates"]
            for other in r["estimates"]
            if other["group"] == e["group"]
        ]
    else:
        result["r"] = {"skipped": r_note}
        result["estimates"] = ours["estimates"]
    text = json.dumps(result, indent=2) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        log(f"wrote {args.out}")
    sys.stdout.write(text)


def _version(module: str) -> str | None:
    try:
        return __import__(module).__version__
    except ImportError:
        return None


def _processor() -> str:
    with contextlib.suppress(OSError):  # no /proc on this system: ask platform instead
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        return None


if __name__ == "__main__":
    main()
