"""Benchmark focus-group and open-text work at the size of a large consortium survey.

Four hot paths, each with a reference measured in the same run on the same data:

- importing open-text answers (`workforce qual import --responses`), de-identifying each
  against an identifying list of several hundred names, institutions and places; reference:
  reading the CSV with pandas and one pass of a compiled e-mail pattern over every answer
  (the least a de-identifier does);
- agreement between two coders over every code (both bases); reference: Krippendorff's alpha
  from the `krippendorff` package on the same coders × characters matrices, alone;
- themes by career stage through the disclosure gate; reference: the same counts by pandas
  (no protection);
- choosing two checked quotes per code (`exemplary_quotes`, every candidate checked against
  the identifying list); reference: merging the codings into segments, the least it does;
- writing and reading the project as REFI-QDA `.qdpx`; reference: lxml parsing the written
  `project.qde` alone.

    python benchmarks/bench_qual.py --answers 50000 --out benchmarks/results/qual.json
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workforce.qual.agreement import agreement  # noqa: E402
from workforce.qual.analysis import exemplary_quotes, segments, theme_by_group  # noqa: E402
from workforce.qual.codings import Coding, coverage  # noqa: E402
from workforce.qual.deidentify import read_identifying_list  # noqa: E402
from workforce.qual.refi import read_qdpx, write_qdpx  # noqa: E402
from workforce.qual.workspace import OpenTextAnswers, import_into  # noqa: E402
from workforce.synth.comments import THEMES  # noqa: E402
from workforce.synth.focus_groups import DATA  # noqa: E402
from workforce.synth.open_text import THEME_CODES  # noqa: E402

STAGES = ("student", "trainee", "early", "mid", "senior")
SECTORS = ("academia", "clinical", "industry", "government", "policy")
FIRST = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kemal",
         "Lena", "Marco", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq")
LAST = ("Ruiz", "Okafor", "Nguyen", "Schmidt", "Haddad", "Kowalski", "Mensah", "Tanaka",
        "Oliveira", "Farouk", "Lindqvist", "Moreau", "Petrov", "Achebe", "Castillo")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def corpus(answers: int, seed: int, directory: Path) -> tuple[Path, Path]:
    """A responses CSV of `answers` comments from the synthetic sentences (one in twenty names
    a person, one in fifty an e-mail address) and the identifying list YAML."""
    rng = np.random.default_rng(seed)
    sentences = [s.replace("{place}", "my department") for t in THEMES.values() for s in t]
    names = [f"{f} {last}" for f in FIRST for last in LAST]  # 300 people
    institutions = [f"{last} Institute of Genomics" for last in LAST] + [
        f"University of {city}" for city in ("Northfield", "Eastmoor", "Riverton", "Lakeside")]
    picks = rng.integers(0, len(sentences), (answers, 2))
    texts = []
    for i, (a, b) in enumerate(picks):
        text = sentences[a] + " " + sentences[b]
        if i % 20 == 0:
            text += f" {names[i % len(names)]} at {institutions[i % len(institutions)]} saw it."
        if i % 50 == 0:
            text += f" Write to me at person{i}@example.org."
        texts.append(text)
    responses = pd.DataFrame({
        "response_id": [f"r{i:06d}" for i in range(answers)],
        "career_stage": rng.choice(STAGES, answers),
        "sector": rng.choice(SECTORS, answers),
        "comment": texts,
    })
    path = directory / "responses.csv"
    responses.to_csv(path, index=False)
    identifying = directory / "identifying.yaml"
    identifying.write_text(json.dumps({"institutions": institutions, "other": names,
                                       "places": ["Northfield", "Eastmoor"]}),
                           encoding="utf-8")
    return path, identifying


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results: dict = {"answers": args.answers}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        responses, identifying = corpus(args.answers, args.seed, directory)

        (project, originals, summary), seconds = timed(
            import_into, None, name="bench", identifying=identifying,
            codebook=DATA / "codebook.yaml",
            open_text=OpenTextAnswers(responses, "comment", "response_id",
                                      ("career_stage", "sector")))

        def reference_import():
            table = pd.read_csv(responses, dtype=str, keep_default_na=False)
            return sum(len(EMAIL.findall(text)) for text in table["comment"])

        _, reference = timed(reference_import)
        results["import_open_text"] = {
            "sources": len(project.sources), "replacements": summary.replacements,
            "seconds": round(seconds, 2), "reference_seconds": round(reference, 2),
            "ratio": round(seconds / reference, 1)}
        print(json.dumps(results["import_open_text"]), file=sys.stderr)

        # Two coders: A marks each theme sentence, B misses one in five and marks whole
        # answers for one in five.
        rng = np.random.default_rng(args.seed)
        lookup = {s.replace("{place}", "my department"): THEME_CODES[theme]
                  for theme, texts in THEMES.items() for s in texts}
        codings = []
        for source in project.sources:
            for sentence, code in lookup.items():
                at = source.text.find(sentence)
                if at < 0:
                    continue
                codings.append(Coding(source.id, "coder_a", code, at, at + len(sentence)))
                draw = rng.random()
                if draw < 0.6:
                    codings.append(Coding(source.id, "coder_b", code, at, at + len(sentence)))
                elif draw < 0.8:
                    codings.append(Coding(source.id, "coder_b", code, 0, len(source.text)))
        project = project.with_codings(codings)
        lengths = project.lengths()
        figures, seconds = timed(agreement, project.codings, lengths)

        def reference_alpha():
            import krippendorff

            by_code: dict[str, list[Coding]] = {}
            for coding in project.codings:
                by_code.setdefault(coding.code, []).append(coding)
            by_source: dict[str, list[Coding]] = {}
            for coding in project.codings:
                by_source.setdefault(coding.source, []).append(coding)
            matrices = {
                code: np.concatenate([coverage([c for c in by_source.get(s, ()) if c.code == code],
                                               n, ["coder_a", "coder_b"])
                                      for s, n in sorted(lengths.items())], axis=1)
                for code in by_code}
            start = time.perf_counter()
            for matrix in matrices.values():
                krippendorff.alpha(reliability_data=matrix.astype(float),
                                   level_of_measurement="nominal")
            return time.perf_counter() - start

        reference = reference_alpha()
        results["agreement"] = {
            "codings": len(project.codings), "characters": int(sum(lengths.values())),
            "codes": len({f.code for f in figures}), "seconds": round(seconds, 2),
            "reference_seconds": round(reference, 2), "ratio": round(seconds / reference, 1)}
        print(json.dumps(results["agreement"]), file=sys.stderr)

        coded = project
        coded_a = [c for c in coded.codings if c.coder == "coder_a"]
        matrix, seconds = timed(theme_by_group, coded, by="career_stage", coder="coder_a")

        def reference_counts():
            speaker = {s.id: s.turns[0].participant for s in coded.sources}
            stage = {p.id: p.attributes["career_stage"] for p in coded.participants}
            frame = pd.DataFrame({"code": [c.code for c in coded_a],
                                  "stage": [stage[speaker[c.source]] for c in coded_a],
                                  "who": [speaker[c.source] for c in coded_a]})
            return frame.drop_duplicates().groupby(["code", "stage"]).size()

        _, reference = timed(reference_counts)
        results["themes_by_career_stage"] = {
            "participants": len(coded.participants), "audit_passed": matrix.publishable,
            "seconds": round(seconds, 2), "reference_seconds": round(reference, 3),
            "ratio": round(seconds / reference, 1)}
        print(json.dumps(results["themes_by_career_stage"]), file=sys.stderr)

        terms = read_identifying_list(identifying)
        chosen, seconds = timed(exemplary_quotes, coded, terms, per_code=2)
        _, reference = timed(segments, coded.codings)
        results["quotes"] = {
            "accepted": sum(len(c.accepted) for c in chosen.values()),
            "withheld": sum(len(c.refused) for c in chosen.values()),
            "seconds": round(seconds, 2), "reference_seconds": round(reference, 2),
            "ratio": round(seconds / reference, 1)}
        print(json.dumps(results["quotes"]), file=sys.stderr)

        qdpx = directory / "bench.qdpx"
        _, write_seconds = timed(write_qdpx, project, qdpx)
        back, read_seconds = timed(read_qdpx, qdpx)
        assert len(back.project.codings) == len(project.codings)

        def reference_parse():
            from lxml import etree

            with zipfile.ZipFile(qdpx) as archive:
                etree.fromstring(archive.read("project.qde"))

        _, reference = timed(reference_parse)
        results["qdpx"] = {
            "bytes": qdpx.stat().st_size, "write_seconds": round(write_seconds, 2),
            "read_seconds": round(read_seconds, 2), "reference_parse_seconds": round(reference, 2),
            "read_ratio": round(read_seconds / reference, 1)}
        print(json.dumps(results["qdpx"]), file=sys.stderr)
    results["machine"] = {"python": platform.python_version(), "platform": platform.platform()}
    text = json.dumps(results, indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
