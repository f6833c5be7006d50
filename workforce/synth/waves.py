"""Later survey waves of the synthetic consortium: the same members asked again.

The benchmark report follows indicators from wave to wave, and has to tell a real change
from noise. A later wave here is the base wave's frame (the same invited members, found
again in the populations redrawn from `manifest.json`) answering afresh: every random draw
(who responds, climate, harassment, comments, dates, response IDs) comes from streams named
after the wave's year, so wave 2027 shares nothing with wave 2025 but the members. The
model is the base wave's, plus an optional known `WaveChange`: shifts of a group's latent
climate score or harassment exposure, and a response-rate multiplier. No change means the
same model — any difference from the base wave is noise.

Because the model is known, so is each wave's truth: `expected_answers` gives every member's
chance to answer a derived yes/no item and to answer yes (what `workforce/demo.py`'s
`frame_truth` computes for the base wave; it could call this function with `change=None`),
and `expected_shares` the true share among invited members, overall and per group.

Written, next to the base files and never over them (paths relative to the consortium):

    survey/waves/<year>/frame.csv                 the frame, a byte copy of survey/frame.csv
    survey/waves/<year>/responses.csv             same columns as survey/responses.csv
    survey/waves/<year>/manifest.json             checksums, the change, the seed
    truth/waves/<year>/survey_respondents.csv     response_id -> frame_id
    truth/waves/<year>/comment_themes.csv         the themes behind each comment
    truth/waves/<year>/expected_shares.csv        true shares per group under the wave's model
"""

from __future__ import annotations

import copy
import json
import math
import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from workforce.synth import codes
from workforce.synth.files import sha256_of, write_csv
from workforce.synth.generate import SynthFile
from workforce.synth.population import Population, assign_emails, draw_society
from workforce.synth.profiles import ORGS, load_profiles, society_size
from workforce.synth.survey import (
    FRAME_COLUMNS,
    FREQUENCIES,
    Frame,
    _true_attribute,
    draw_responses,
    survey_groups,
)

Progress = Callable[[str, int, int], None]

# The groups a change can shift: those of profiles.yaml's survey.climate.shifts.
GROUPS = ("woman", "gender_minority", "lgbtq", "urm", "disability", "student", "trainee", "senior")
# Derived yes/no items: name -> (source item, answers counted as yes); `declined` is no answer.
# The same items as workforce/demo.py's DERIVED_ITEMS.
DERIVED_ITEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "belonging_agree": ("climate_belonging", ("4", "5")),
    "sexist_remarks_any": ("hx_sexist_remarks", ("once", "sometimes", "often")),
    "exclusion_any": ("hx_exclusion", ("once", "sometimes", "often")),
}
# Every climate item (agree: 4 or 5) and every harassment item (at least once).
ALL_DERIVED_ITEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "belonging_agree": ("climate_belonging", ("4", "5")),
    "respect_agree": ("climate_respect", ("4", "5")),
    "fairness_agree": ("climate_fairness", ("4", "5")),
    "voice_agree": ("climate_voice", ("4", "5")),
    "intent_to_stay_agree": ("intent_to_stay", ("4", "5")),
    "sexist_remarks_any": ("hx_sexist_remarks", ("once", "sometimes", "often")),
    "unwanted_attention_any": ("hx_unwanted_attention", ("once", "sometimes", "often")),
    "coercion_any": ("hx_coercion", ("once", "sometimes", "often")),
    "exclusion_any": ("hx_exclusion", ("once", "sometimes", "often")),
}
LIKERT_LEVELS = ("1", "2", "3", "4", "5")


def wave_streams(year: int) -> tuple[str, ...]:
    """The names of a later wave's random streams (the base wave's are `("survey",)`)."""
    return ("survey", "wave", str(year))


def _shifts(value: Mapping[str, float] | None, what: str) -> dict[str, float]:
    shifts = {}
    for group, shift in sorted((value or {}).items()):
        if group not in GROUPS:
            raise ValueError(f"{what}: unknown group {group!r}; known: {', '.join(GROUPS)}")
        shift = float(shift)
        if not math.isfinite(shift):
            raise ValueError(f"{what}: the shift of {group} must be a finite number")
        if shift != 0.0:
            shifts[group] = shift
    return shifts


@dataclass(frozen=True, eq=True)
class WaveChange:
    """A known, real change between the base wave and a later one.

    `climate_shifts` are added to the latent climate score of each member of a group (in
    standard deviations; positive is a warmer climate, it moves all five climate items),
    `harassment_shifts` to the latent harassment exposure (negative is less harassment, it
    moves every harassment item), on top of the base model's group shifts. A member in
    several groups gets the sum. `response_rate` multiplies the expected response rate (who
    responds, not what is true). Zero shifts are dropped.
    """

    climate_shifts: Mapping[str, float] = field(default_factory=dict)
    harassment_shifts: Mapping[str, float] = field(default_factory=dict)
    response_rate: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "climate_shifts", _shifts(self.climate_shifts, "climate"))
        object.__setattr__(self, "harassment_shifts", _shifts(self.harassment_shifts, "harassment"))
        rate = float(self.response_rate)
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"response_rate must be a positive multiplier, got {rate}")
        object.__setattr__(self, "response_rate", rate)

    def __hash__(self) -> int:
        return hash(
            (
                tuple(self.climate_shifts.items()),
                tuple(self.harassment_shifts.items()),
                self.response_rate,
            )
        )

    @property
    def is_none(self) -> bool:
        """True when nothing changes: the base wave's model."""
        return not self.climate_shifts and not self.harassment_shifts and self.response_rate == 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "climate_shifts": dict(self.climate_shifts),
            "harassment_shifts": dict(self.harassment_shifts),
            "response_rate": self.response_rate,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any] | None) -> WaveChange:
        value = dict(value or {})
        unknown = set(value) - {"climate_shifts", "harassment_shifts", "response_rate"}
        if unknown:
            raise ValueError(f"unknown wave change settings: {sorted(unknown)}")
        return cls(**value)

    def describe(self) -> str:
        parts = [f"climate {g} {v:+g}" for g, v in self.climate_shifts.items()]
        parts += [f"harassment {g} {v:+g}" for g, v in self.harassment_shifts.items()]
        if self.response_rate != 1:
            parts.append(f"response rate x{self.response_rate:g}")
        return ", ".join(parts) or "no change"

    def apply(self, profiles: dict[str, Any]) -> dict[str, Any]:
        """A copy of the profiles with this change in the survey model."""
        changed = copy.deepcopy(profiles)
        survey = changed["survey"]
        for model, shifts in (
            (survey["climate"], self.climate_shifts),
            (survey["harassment"], self.harassment_shifts),
        ):
            for group, shift in shifts.items():
                model["shifts"][group] = model["shifts"].get(group, 0.0) + shift
        targets = changed["consortium_targets"]
        rate = targets["response_rate"] * self.response_rate
        if not 0 < rate < 1:
            raise ValueError(
                f"response rate {targets['response_rate']} x {self.response_rate:g} is not a "
                "probability"
            )
        targets["response_rate"] = rate
        return changed


def _as_change(change: WaveChange | Mapping[str, Any] | None) -> WaveChange:
    if change is None:
        return WaveChange()
    if isinstance(change, WaveChange):
        return change
    return WaveChange.from_dict(change)


def demo_changes(profiles: dict[str, Any] | None = None) -> dict[int, WaveChange]:
    """The later waves the demo draws and their known changes (profiles.yaml's `waves`):
    2026 with no change, 2027 with URM members' climate +0.5."""
    profiles = profiles or load_profiles()
    return {
        int(year): WaveChange.from_dict(spec)
        for year, spec in sorted((profiles.get("waves") or {}).items())
    }


# --- the base consortium, found again ---------------------------------------------------------


@dataclass
class BaseWave:
    """A generated consortium's base wave: its manifest, the populations drawn again from
    the manifest's seed, scale and year, and its frame with each row's person found again."""

    directory: Path
    manifest: dict[str, Any]
    profiles: dict[str, Any]
    populations: dict[str, Population]
    frame: Frame

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    @property
    def year(self) -> int:
        return int(self.manifest["year"])

    def attribute(self, column: str) -> np.ndarray:
        """One population column for every frame row, in frame order."""
        return _true_attribute(
            self.populations, self.frame.columns["org"], self.frame.person, column
        )

    def groups(self) -> dict[str, np.ndarray]:
        """Each frame member's survey groups, as the survey model defines them."""
        columns = ("gender", "transgender", "sexual_orientation", "race_mask", "career_stage")
        return survey_groups({name: self.attribute(name) for name in (*columns, *codes.WG_DOMAINS)})


def load_base(synth_dir: Path) -> BaseWave:
    """Read a generated consortium and find every frame member in its redrawn populations.

    The frame must be the one the manifest describes (its checksum is checked): a frame row
    is matched to a member by society and e-mail, which are unique.
    """
    synth_dir = Path(synth_dir)
    manifest = json.loads((synth_dir / "manifest.json").read_text(encoding="utf-8"))
    seed, scale, year = manifest["seed"], manifest["scale"], manifest["year"]
    listed = {entry["path"]: entry for entry in manifest["files"]}
    frame_path = synth_dir / "survey/frame.csv"
    if sha256_of(frame_path) != listed["survey/frame.csv"]["sha256"]:
        raise ValueError(f"{frame_path} is not the frame its manifest.json describes")
    profiles = load_profiles()
    populations = {
        org: draw_society(profiles, org, society_size(profiles, org, scale), seed=seed, year=year)
        for org in ORGS
    }
    assign_emails(populations, seed=seed)
    table = pd.read_csv(frame_path, dtype=str, keep_default_na=False)
    if tuple(table.columns) != FRAME_COLUMNS:
        raise ValueError(f"{frame_path}: columns {list(table.columns)} are not the frame's")
    columns = {name: table[name].to_numpy(dtype=object) for name in FRAME_COLUMNS}
    person = np.full(len(table), -1, dtype=np.int64)
    for org, population in populations.items():
        rows = np.flatnonzero(columns["org"] == org)
        where = pd.Series(np.arange(len(population)), index=population["email"])
        if not where.index.is_unique:
            raise ValueError(f"e-mail addresses of {org} are not unique")
        found = where.reindex(columns["email"][rows]).to_numpy()
        if np.isnan(found.astype(float)).any():
            raise ValueError(f"frame members of {org} are missing from the redrawn population")
        person[rows] = found.astype(np.int64)
    if (person < 0).any():
        raise ValueError(f"{frame_path}: rows of no known society")
    return BaseWave(synth_dir, manifest, profiles, populations, Frame(columns, person))


# --- the truth under a wave's model ---------------------------------------------------------


def expected_answers(
    profiles: dict[str, Any],
    groups: Mapping[str, np.ndarray],
    private: np.ndarray,
    change: WaveChange | None = None,
    items: Mapping[str, tuple[str, tuple[str, ...]]] = DERIVED_ITEMS,
) -> pd.DataFrame:
    """Each person's chance to answer each derived item (`<item>_answers`, one minus the
    chance to decline) and to answer yes (`<item>_yes`), under the survey model of
    `profiles` plus `change`.

    An item's score is loading x (standard normal + group shifts) + noise of variance
    1 - loading², so it is normal with mean loading x shift and variance 1, and the chance of
    an answer is the normal mass between its cut points (those `workforce.synth.survey`
    draws with).
    """
    from scipy.special import ndtr

    survey = _as_change(change).apply(profiles)["survey"]
    private = np.asarray(private, dtype=bool)

    def mean_score(model: dict[str, Any]) -> np.ndarray:
        total = np.zeros(len(private))
        for group, value in model["shifts"].items():
            total = total + value * groups[group]
        return model["loading"] * total

    climate, harassment = survey["climate"], survey["harassment"]
    means = {"climate": mean_score(climate), "harassment": mean_score(harassment)}
    normal = NormalDist()
    result = {}
    for item, (source, yes_values) in items.items():
        if source in climate["items"]:
            kind, levels, cuts = "climate", LIKERT_LEVELS, climate["cutpoints"]
            declined = climate["declined"]
        elif source in harassment["items"]:
            share = harassment["items"][source]["any"]
            split = harassment["split"]
            tails = [share, share * (split["sometimes"] + split["often"]), share * split["often"]]
            kind, levels = "harassment", FREQUENCIES
            cuts = [normal.inv_cdf(1 - tail) for tail in tails]
            declined = harassment["declined"]
        else:
            raise ValueError(f"{item}: {source} is not a climate or harassment item")
        unknown = set(yes_values) - set(levels)
        if unknown:
            raise ValueError(f"{item}: {sorted(unknown)} are not answers to {source}")
        bounds = [-np.inf, *cuts, np.inf]
        mean = means[kind]
        yes = np.zeros(len(private))
        for position, level in enumerate(levels):
            if level in yes_values:
                # P(lower <= score < upper), as survival functions for accuracy in the tails.
                yes = yes + (ndtr(mean - bounds[position]) - ndtr(mean - bounds[position + 1]))
        result[f"{item}_yes"] = yes
        result[f"{item}_answers"] = 1 - np.where(private, 0.3, declined)
    return pd.DataFrame(result)


def expected_shares(
    synth_dir: Path | BaseWave,
    wave: int | WaveChange | None = None,
    *,
    items: Mapping[str, tuple[str, tuple[str, ...]]] = DERIVED_ITEMS,
) -> pd.DataFrame:
    """The true share answering yes to each derived item, among the invited members who
    answer it, under a wave's model: one row for all members (`all`) and one per group,
    with `members` (frame members in the group) and one column per item.

    `wave` is a `WaveChange`, `None` (the base model: no change), or a year — the base
    wave's, or a drawn wave's (its manifest says its change). The truth is about every
    invited member, whoever responds, so a response-rate change leaves it as it is.
    """
    base = synth_dir if isinstance(synth_dir, BaseWave) else load_base(Path(synth_dir))
    if isinstance(wave, int) and not isinstance(wave, bool):
        change = _change_of_year(base, wave)
    else:
        change = _as_change(wave)
    answers = expected_answers(
        base.profiles, base.groups(), base.attribute("private"), change, items
    )
    groups = {"all": np.ones(len(base.frame), dtype=bool), **base.groups()}
    rows = []
    for name, members in groups.items():
        row: dict[str, Any] = {"group": name, "members": int(members.sum())}
        for item in items:
            answering = answers[f"{item}_answers"].to_numpy()[members]
            yes = answers[f"{item}_yes"].to_numpy()[members]
            total = answering.sum()
            row[item] = float(np.sum(answering * yes) / total) if total > 0 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("group")


def _change_of_year(base: BaseWave, year: int) -> WaveChange:
    if year == base.year:
        return WaveChange()
    path = base.directory / f"survey/waves/{year}/manifest.json"
    if not path.exists():
        raise ValueError(f"no wave {year} in {base.directory} (draw it with draw_wave first)")
    return WaveChange.from_dict(json.loads(path.read_text(encoding="utf-8"))["change"])


# --- drawing and writing a wave ---------------------------------------------------------------


@dataclass(frozen=True)
class WaveFiles:
    """What `draw_wave` wrote: paths relative to the consortium directory."""

    directory: Path
    year: int
    seed: int
    change: WaveChange
    responses: int
    frame_members: int
    files: tuple[SynthFile, ...]
    manifest_path: Path

    def path(self, relative: str) -> Path:
        return self.directory / relative


def wave_paths(year: int) -> dict[str, str]:
    return {
        "frame": f"survey/waves/{year}/frame.csv",
        "responses": f"survey/waves/{year}/responses.csv",
        "manifest": f"survey/waves/{year}/manifest.json",
        "respondents": f"truth/waves/{year}/survey_respondents.csv",
        "comment_themes": f"truth/waves/{year}/comment_themes.csv",
        "expected_shares": f"truth/waves/{year}/expected_shares.csv",
    }


def draw_wave(
    synth_dir: Path,
    year: int,
    *,
    change: WaveChange | Mapping[str, Any] | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
) -> WaveFiles:
    """Draw survey wave `year` of the consortium in `synth_dir`: the same frame, fresh
    responses, and the base model plus `change` (`None`: no real change).

    `year` must come after the consortium's own year. `seed` defaults to the consortium's;
    the wave's random streams are named after its year, so two waves never share answers
    and the same seed and year give byte-identical files. Nothing of the base wave is
    rewritten; the wave's files and its `manifest.json` go under `survey/waves/<year>/` and
    `truth/waves/<year>/`.
    """
    synth_dir = Path(synth_dir)
    report = progress or (lambda step, done, total: None)
    base = load_base(synth_dir)
    if year <= base.year:
        raise ValueError(f"wave {year} must come after the consortium's year {base.year}")
    wave_change = _as_change(change)
    seed = base.seed if seed is None else int(seed)
    paths = wave_paths(year)
    written: list[SynthFile] = []

    def record(relative: str, rows: int, description: str) -> None:
        written.append(SynthFile(relative, sha256_of(synth_dir / relative), rows, description))

    (synth_dir / paths["frame"]).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(synth_dir / "survey/frame.csv", synth_dir / paths["frame"])
    record(
        paths["frame"],
        len(base.frame),
        f"Survey frame of wave {year}: the same invited members as survey/frame.csv (a copy)",
    )

    step = f"Drawing wave {year} responses"
    report(step, 0, 1)
    responses = draw_responses(
        wave_change.apply(base.profiles),
        base.populations,
        base.frame,
        seed=seed,
        year=year,
        streams=wave_streams(year),
    )
    report(step, 1, 1)
    rows = write_csv(
        synth_dir / paths["responses"],
        responses.columns,
        progress=report,
        step=f"Writing {paths['responses']}",
    )
    record(
        paths["responses"],
        rows,
        f"Survey responses of wave {year} ({wave_change.describe()}): the columns of "
        "survey/responses.csv, fresh answers of the same members",
    )
    with_comment = responses.columns["comment"] != ""
    record(
        paths["respondents"],
        write_csv(
            synth_dir / paths["respondents"],
            {"response_id": responses.columns["response_id"], "frame_id": responses.frame_ids},
        ),
        f"Ground truth of wave {year}: the frame row of each respondent",
    )
    record(
        paths["comment_themes"],
        write_csv(
            synth_dir / paths["comment_themes"],
            {
                "response_id": responses.columns["response_id"][with_comment],
                "themes": responses.comment_themes[with_comment],
            },
        ),
        f"Ground truth of wave {year}: the themes each synthetic comment was built on",
    )
    shares = expected_shares(base, wave_change, items=ALL_DERIVED_ITEMS)
    record(
        paths["expected_shares"],
        write_csv(
            synth_dir / paths["expected_shares"],
            {
                "group": shares.index.to_numpy(dtype=object),
                "members": shares["members"].astype(str).to_numpy(dtype=object),
                **{
                    item: np.array([f"{v:.6f}" for v in shares[item]], dtype=object)
                    for item in ALL_DERIVED_ITEMS
                },
            },
        ),
        f"Ground truth of wave {year}: the true share answering yes to each derived item "
        "among invited members who answer it, overall and per group, under the wave's model",
    )

    manifest_text = _wave_manifest(base, year, seed, wave_change, len(responses), written)
    (synth_dir / paths["manifest"]).write_bytes(manifest_text.encode("utf-8"))
    report("Done", 1, 1)
    return WaveFiles(
        synth_dir,
        year,
        seed,
        wave_change,
        len(responses),
        len(base.frame),
        tuple(written),
        synth_dir / paths["manifest"],
    )


def _wave_manifest(
    base: BaseWave,
    year: int,
    seed: int,
    change: WaveChange,
    responses: int,
    files: list[SynthFile],
) -> str:
    payload = {
        "generator": "workforce.synth.waves",
        "year": year,
        "seed": seed,
        "streams": list(wave_streams(year)),
        "change": change.to_dict(),
        "change_description": change.describe(),
        "base": {
            "year": base.year,
            "seed": base.seed,
            "scale": base.manifest["scale"],
            "manifest_sha256": sha256_of(base.directory / "manifest.json"),
        },
        "frame_members": len(base.frame),
        "responses": responses,
        "files": [asdict(f) for f in files],
    }
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def draw_demo_waves(synth_dir: Path, *, progress: Progress | None = None) -> list[WaveFiles]:
    """Draw the later waves of profiles.yaml's `waves` that come after the consortium's year
    (2026: no change; 2027: URM members' climate +0.5)."""
    manifest = json.loads((Path(synth_dir) / "manifest.json").read_text(encoding="utf-8"))
    return [
        draw_wave(synth_dir, year, change=change, progress=progress)
        for year, change in demo_changes().items()
        if year > int(manifest["year"])
    ]
