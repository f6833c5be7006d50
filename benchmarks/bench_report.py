"""Benchmark the whole benchmark report for a synthetic consortium at a given scale.

Generates the consortium (`--scale 10`: about 160,000 members, three waves of about 45,000
responses), then runs `workforce report` in a fresh process, twice: once with the PDF and
once without, recording wall time and the process's peak memory, with the time of each
phase read from the progress the command reports. The reference, measured in the same run,
is reading every input with pandas (the floor any report on these files pays):

    python benchmarks/bench_report.py --scale 10 --out benchmarks/results/report_scale10.json
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

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PHASES = r"""
import json, sys, time, resource
sys.path.insert(0, {root!r})
from pathlib import Path
start = time.perf_counter()
marks = {{}}
def progress(step, done, total):
    # A phase lasts from its first report to the first report of the next phase.
    marks.setdefault(step, time.perf_counter() - start)
from workforce.reporting.inputs import load_inputs
from workforce.reporting.build import build_report
from workforce.reporting.write import write_report
inputs = load_inputs(Path({config!r}))
loaded = time.perf_counter() - start
report = build_report(inputs, progress_report=progress)
built = time.perf_counter() - start
marks["(end of build)"] = built
names = list(marks)
phases = {{a: round(marks[b] - marks[a], 2) for a, b in zip(names, names[1:])}}
written = write_report(report, Path({out!r}), pdf={pdf})
total = time.perf_counter() - start
print(json.dumps({{
    "seconds": round(total, 2),
    "load_seconds": round(loaded, 2),
    "build_seconds": round(built - loaded, 2),
    "write_seconds": round(total - built, 2),
    "phases": phases,
    "responses": sum(len(w.responses) for w in inputs.waves.values()),
    "members": len(inputs.membership),
    "tables": len(report.tables),
    "withheld": sum(int((t.data["status"] != "published").sum()) for t in report.tables),
    "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}}))
"""


def reference_read(config: Path) -> float:
    """Seconds to read every input file of the report with pandas, as text."""
    import yaml

    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    files = list(raw["membership"])
    for wave in raw["waves"]:
        files += [wave["responses"], wave["frame"], wave["completed"]]
    start = time.perf_counter()
    for name in files:
        pd.read_csv(config.parent / name, dtype=str, keep_default_na=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from workforce.synth import generate
    from workforce.synth.report_inputs import write_report_inputs
    from workforce.synth.waves import draw_demo_waves

    with tempfile.TemporaryDirectory() as tmp:
        synth = Path(tmp) / "synth"
        start = time.perf_counter()
        generate(synth, scale=args.scale, seed=args.seed)
        draw_demo_waves(synth)
        print(f"generated in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        config = write_report_inputs(synth, Path(tmp) / "report.yaml")
        reference = reference_read(config)
        runs = {}
        for pdf in (True, False):
            code = PHASES.format(root=str(ROOT), config=str(config),
                                 out=str(Path(tmp) / f"out_{pdf}"), pdf=pdf)
            wall = time.perf_counter()
            process = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                     text=True, check=True)
            measured = json.loads(process.stdout.strip().splitlines()[-1])
            measured["wall_seconds"] = round(time.perf_counter() - wall, 2)
            measured["ratio_to_reading_inputs"] = round(measured["seconds"] / reference, 1)
            runs["with_pdf" if pdf else "without_pdf"] = measured
            print(json.dumps(measured, indent=2), file=sys.stderr)
        pdf_path = Path(tmp) / "out_True" / "report.pdf"
        result = {
            "scale": args.scale,
            "seed": args.seed,
            "reference_read_inputs_seconds": round(reference, 2),
            "runs": runs,
            "pdf_bytes": pdf_path.stat().st_size,
            "machine": {"python": platform.python_version(), "cpus": _cpus(),
                        "platform": platform.platform()},
            "peak_mib_of_children": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        }
    text = json.dumps(result, indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    main()
