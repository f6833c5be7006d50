"""The report's inputs file for a synthetic consortium (and its later waves, if drawn)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from workforce.synth.profiles import ORGS, load_profiles

GOALS = Path(__file__).parent / "goals.yaml"
INSTRUMENT = "consortium standard modules (demographics, climate and culture, experiences)"


def write_report_inputs(
    synth_dir: Path,
    config: Path,
    *,
    membership: Sequence[Path] | None = None,
    goals: Path | None = GOALS,
    versions: dict[str, str] | None = None,
    focus_groups: Path | None = None,
    open_text: Path | None = None,
) -> Path:
    """Write `config` (a report.yaml) naming the consortium's files, paths relative to it.

    `membership` are the standard records to report on (default: the generator's truth, what
    a perfect intake would give); the survey waves are the base wave and every later wave
    found under survey/waves/. The goals file is copied next to the config. `focus_groups` is a
    directory written by `synth.focus_groups.write_focus_group_project`, shown in the report's
    focus-group section; `open_text` a project directory written by
    `synth.open_text.write_open_text_project`, shown in the open-text section.
    """
    synth_dir, config = Path(synth_dir).resolve(), Path(config).resolve()
    config.parent.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((synth_dir / "manifest.json").read_text(encoding="utf-8"))
    profiles = load_profiles()

    def relative(path: Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), config.parent)).as_posix()

    waves = [{
        "wave": str(manifest["year"]),
        "responses": relative(synth_dir / "survey" / "responses.csv"),
        "frame": relative(synth_dir / "survey" / "frame.csv"),
        "completed": relative(synth_dir / "truth" / "survey_respondents.csv"),
        "instrument": INSTRUMENT,
    }]
    later = synth_dir / "survey" / "waves"
    for year in sorted(p.name for p in later.iterdir()) if later.is_dir() else []:
        waves.append({
            "wave": year,
            "responses": relative(later / year / "responses.csv"),
            "frame": relative(later / year / "frame.csv"),
            "completed": relative(synth_dir / "truth" / "waves" / year /
                                  "survey_respondents.csv"),
            "instrument": INSTRUMENT,
        })
    records = membership or [synth_dir / "truth" / "standard_records.csv"]
    content = {
        "title": "Genomics Workforce Benchmark Report",
        "consortium": "Genomics Workforce Consortium (synthetic)",
        "organizations": {org: profiles["societies"][org]["name"] for org in ORGS},
        "membership": [relative(p) for p in records],
        "waves": waves,
        "weighting": ["org", "career_stage", "sector", "gender"],
        "versions": {"synthetic consortium": f"seed {manifest['seed']}, scale "
                     f"{manifest['scale']:g}", **(versions or {})},
        "created": f"{waves[-1]['wave']}-06-30",
        "seed": int(manifest["seed"]),
    }
    if focus_groups is not None:
        focus_groups = Path(focus_groups)
        content["focus_groups"] = {
            "project": relative(focus_groups / "project"),
            "participants": relative(focus_groups / "participants.csv"),
            "identifying": relative(focus_groups / "identifying.yaml"),
            "by": ["career_stage", "sector"],
            "quotes": 1,
        }
    if open_text is not None:
        content["open_text"] = {"project": relative(open_text), "by": ["career_stage"],
                                "quotes": 1}
    if goals is not None:
        target = config.parent / "goals.yaml"
        if Path(goals).resolve() != target:
            target.write_bytes(Path(goals).read_bytes())
        content["goals"] = "goals.yaml"
    config.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    return config
