"""What a report is computed from: membership records, survey waves, goals and versions.

`load_inputs(config)` reads a small YAML file that names every input (paths relative to
the file), reads each as text so that a bad value is reported by file, line and column, and
records each file's SHA-256 so the report can say exactly what it rests on:

```yaml
title: Genomics Workforce Benchmark Report
consortium: Genomics Workforce Consortium (synthetic)
organizations: {ashg: American Society of Human Genetics (synthetic), ...}
membership: [truth/standard_records.csv]        # standard records, with an `org` column
waves:
  - wave: "2025"
    responses: survey/responses.csv              # answers, with standard columns and items
    frame: survey/frame.csv                      # the invitation frame (frame_id, org, ...)
    completed: truth/survey_respondents.csv      # frame_id of every member who completed
    instrument: consortium standard modules 1
goals: goals.yaml                                # optional
weighting: [org, career_stage, sector, gender]   # frame variables raked on
versions: {mappings: ashg 3, nsgc 2, acmg 2}    # optional, recorded in the report
created: "2025-06-30"                           # the report's date: never the clock
seed: 2025
focus_groups:                                    # optional: see reporting/focus_groups.py
  project: focus-groups
  participants: focus-groups/participants.csv
  identifying: focus-groups/identifying.yaml
  by: [career_stage, sector]
open_text:                                       # optional: open-text answers, coded
  project: open-text
```

`completed` is what the platform knows from invitation statuses (who finished), never a
link from an answer to a person: the response-rate indicators need nothing more.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from workforce.qual.codings import QualError
from workforce.reporting.focus_groups import (
    FOCUS_GROUPS,
    OPEN_TEXT,
    FocusGroupInputs,
    load_focus_group_inputs,
)
from workforce.reporting.goals import Goal, load_goals

DEFAULT_WEIGHTING = ("org", "career_stage", "sector", "gender")


class InputError(ValueError):
    """An input of the report is missing or malformed; the message names the file and key."""


@dataclass(frozen=True)
class SourceFile:
    path: str  # as named in the configuration
    sha256: str
    rows: int
    description: str


@dataclass(frozen=True)
class WaveData:
    wave: str
    responses: pd.DataFrame
    frame: pd.DataFrame
    completed: frozenset[str]  # frame ids of invited members who completed
    instrument: str = ""


@dataclass(frozen=True)
class ReportInputs:
    title: str
    consortium: str
    organizations: dict[str, str]  # code -> name, in display order
    membership: pd.DataFrame
    waves: dict[str, WaveData]  # in wave order
    goals: tuple[Goal, ...] = ()
    weighting: tuple[str, ...] = DEFAULT_WEIGHTING
    versions: dict[str, str] = field(default_factory=dict)
    created: str = ""
    seed: int | None = None
    sources: tuple[SourceFile, ...] = ()
    focus_groups: FocusGroupInputs | None = None
    open_text: FocusGroupInputs | None = None

    @property
    def qualitative(self) -> list[FocusGroupInputs]:
        return [q for q in (self.focus_groups, self.open_text) if q is not None]

    def wave(self, wave: str | None) -> WaveData:
        if not self.waves:
            raise InputError("the report inputs name no survey wave")
        if wave is None:
            return self.waves[list(self.waves)[-1]]
        if wave not in self.waves:
            raise InputError(f"no wave {wave!r}; the inputs hold {', '.join(self.waves)}")
        return self.waves[wave]

    def waves_through(self, wave: str) -> list[WaveData]:
        names = list(self.waves)
        return [self.waves[w] for w in names[: names.index(wave) + 1]]


def read_text_table(path: Path) -> tuple[pd.DataFrame, str]:
    """A CSV with every value as text (blank stays blank) and the SHA-256 of its bytes, from
    one read of the file; or an error naming the file."""
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: the file does not exist") from None
    try:
        table = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False,
                            encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputError(f"{path}: cannot be read as UTF-8 CSV ({error})") from None
    return table, hashlib.sha256(content).hexdigest()


def load_inputs(config: Path) -> ReportInputs:
    config = Path(config)
    try:
        raw = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(f"{config}: the file does not exist") from None
    except yaml.YAMLError as error:
        raise InputError(f"{config}: not valid YAML ({error})") from None
    base = config.parent
    sources: list[SourceFile] = []

    def table(relative: str, description: str, needed: tuple[str, ...]) -> pd.DataFrame:
        path = base / relative
        frame, sha256 = read_text_table(path)
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        sources.append(SourceFile(relative, sha256, len(frame), description))
        return frame

    for key in ("consortium", "organizations", "membership", "waves"):
        if key not in raw:
            raise InputError(f"{config}: missing key {key!r}")
    organizations = {str(k): str(v) for k, v in raw["organizations"].items()}
    membership = pd.concat(
        [table(p, "Membership records (standard records)", ("org",)) for p in
         _as_list(raw["membership"])],
        ignore_index=True,
    )
    _check_orgs(membership, organizations, f"{config}: membership")
    waves: dict[str, WaveData] = {}
    for position, entry in enumerate(raw["waves"], start=1):
        where = f"{config}: waves[{position}]"
        for key in ("wave", "responses", "frame", "completed"):
            if key not in entry:
                raise InputError(f"{where}: missing key {key!r}")
        name = str(entry["wave"])
        responses = table(entry["responses"], f"Survey responses, wave {name}", ("org",))
        frame = table(entry["frame"], f"Invitation frame, wave {name}", ("frame_id", "org"))
        completed = table(entry["completed"], f"Members who completed, wave {name}",
                          ("frame_id",))
        unknown = set(completed["frame_id"]) - set(frame["frame_id"])
        if unknown:
            raise InputError(
                f"{base / entry['completed']}: {len(unknown)} frame_id(s) are not in the frame, "
                f"e.g. {sorted(unknown)[0]!r}"
            )
        _check_orgs(responses, organizations, f"{base / entry['responses']}")
        waves[name] = WaveData(name, responses, frame, frozenset(completed["frame_id"]),
                               str(entry.get("instrument", "")))
    goals: tuple[Goal, ...] = ()
    if raw.get("goals"):
        goals_path = base / raw["goals"]
        goals = load_goals(goals_path)
        sources.append(SourceFile(raw["goals"], hashlib.sha256(goals_path.read_bytes())
                                  .hexdigest(), len(goals), "Goals"))
    qualitative: dict[str, FocusGroupInputs] = {}
    for kind in (FOCUS_GROUPS, OPEN_TEXT):
        if not raw.get(kind.key):
            continue
        try:
            read = load_focus_group_inputs(raw[kind.key], base, str(config), kind)
        except QualError as error:
            raise InputError(f"{config}: {kind.key}: {error}") from None
        qualitative[kind.key] = read
        sources += [SourceFile(name, sha256, 0, description)
                    for name, sha256, description in read.files]
    return ReportInputs(
        title=str(raw.get("title", "Workforce Benchmark Report")),
        consortium=str(raw["consortium"]),
        organizations=organizations,
        membership=membership,
        waves=dict(sorted(waves.items())),
        goals=goals,
        weighting=tuple(raw.get("weighting", DEFAULT_WEIGHTING)),
        versions={str(k): str(v) for k, v in (raw.get("versions") or {}).items()},
        created=str(raw.get("created", "")),
        seed=raw.get("seed"),
        sources=tuple(sources),
        focus_groups=qualitative.get(FOCUS_GROUPS.key),
        open_text=qualitative.get(OPEN_TEXT.key),
    )


def _check_orgs(frame: pd.DataFrame, organizations: dict[str, str], where: str) -> None:
    unknown = sorted(set(frame["org"]) - set(organizations))
    if unknown:
        raise InputError(
            f"{where}: org {unknown[0]!r} is not one of the organizations "
            f"({', '.join(organizations)})"
        )


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]
