"""Goals: a target on one figure of an indicator, and each wave's progress toward it.

A goal names an indicator of the catalog, the organization it is set for (the consortium or
one society), the figure (a category of a composition, or a group of a comparison), the
target value, the year it should be reached, and the wave it starts from. Each later wave's
progress is the change from the baseline with the uncertainty of both ends: the two waves are
separate samples of respondents, so the variance of the change is the sum of the two
variances (`change_se`). A change whose 95% interval includes zero is reported as not
distinguishable from noise, whatever its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from workforce.stats.intervals import t_quantile

CONSORTIUM = "consortium"


class GoalError(ValueError):
    """A goal file is malformed; the message names the file, goal and key."""


@dataclass(frozen=True)
class Goal:
    id: str
    title: str
    organization: str  # "consortium" or a society's code
    indicator: str
    target: float
    target_year: int
    baseline_wave: str
    category: str = ""  # for composition indicators: the category whose share is the goal
    comparison: str = ""  # for climate and harassment indicators: the comparison ...
    group: str = ""  # ... and its group

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v != ""}


@dataclass(frozen=True)
class WavePoint:
    """One wave's estimate of a goal's figure (None when the gate withheld it)."""

    wave: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: float
    status: str


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    points: tuple[WavePoint, ...]  # baseline first, through the report's wave
    change: float | None
    change_se: float | None
    change_low: float | None
    change_high: float | None
    distinguishable: bool | None  # None: no change can be computed yet
    share_of_way: float | None  # the change over the distance from baseline to target
    statement: str

    @property
    def baseline(self) -> WavePoint:
        return self.points[0]

    @property
    def latest(self) -> WavePoint:
        return self.points[-1]


def load_goals(path: Path) -> tuple[Goal, ...]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise GoalError(f"{path}: the file does not exist") from None
    goals = []
    for position, entry in enumerate(raw.get("goals", []), start=1):
        where = f"{path}: goal {entry.get('id', position)!r}"
        missing = [k for k in ("id", "title", "indicator", "target", "by", "baseline_wave")
                   if k not in entry]
        if missing:
            raise GoalError(f"{where}: missing {', '.join(missing)}")
        try:
            target = float(entry["target"])
            year = int(entry["by"])
        except (TypeError, ValueError):
            raise GoalError(f"{where}: target must be a number and by a year") from None
        goals.append(
            Goal(
                id=str(entry["id"]),
                title=str(entry["title"]),
                organization=str(entry.get("organization", CONSORTIUM)),
                indicator=str(entry["indicator"]),
                target=target,
                target_year=year,
                baseline_wave=str(entry["baseline_wave"]),
                category=str(entry.get("category", "")),
                comparison=str(entry.get("comparison", "")),
                group=str(entry.get("group", "")),
            )
        )
    ids = [g.id for g in goals]
    if len(set(ids)) != len(ids):
        raise GoalError(f"{path}: a goal id is used twice")
    return tuple(goals)


def progress(goal: Goal, points: list[WavePoint], level: float = 0.95) -> GoalProgress:
    """Change from the baseline wave to the last of `points`, and what it means."""
    if not points or points[0].wave != goal.baseline_wave:
        raise GoalError(f"goal {goal.id!r}: the first point must be the baseline wave "
                        f"{goal.baseline_wave}")
    base, last = points[0], points[-1]
    if base.estimate is None:
        return _no_change(goal, points, "The baseline figure was withheld by the disclosure "
                                        "gate, so progress cannot be measured.")
    if len(points) == 1:
        return _no_change(goal, points, f"Baseline {_fmt(base.estimate)} in {base.wave}; "
                                        f"target {_fmt(goal.target)} by {goal.target_year}.")
    if last.estimate is None:
        return _no_change(goal, points, f"The {last.wave} figure was withheld by the "
                                        "disclosure gate, so progress cannot be measured.")
    change = last.estimate - base.estimate
    se = math.sqrt((base.se or 0.0) ** 2 + (last.se or 0.0) ** 2)
    # Satterthwaite would need both designs' df; the smaller of the two is the safe side.
    df = min(base.df, last.df)
    half = t_quantile(level, df if df > 0 else math.inf) * se
    low, high = change - half, change + half
    distinguishable = bool(low > 0 or high < 0)
    distance = goal.target - base.estimate
    share = change / distance if distance != 0 else None
    share_scale = abs(goal.target) <= 1
    moved = (f"moved from {_fmt(base.estimate)} in {base.wave} to {_fmt(last.estimate)} in "
             f"{last.wave}, a change of {_change(change, share_scale)} (95% CI "
             f"{_change(low, share_scale)} to {_change(high, share_scale)})")
    if not distinguishable:
        verdict = "This change is not distinguishable from noise."
    elif share is not None and share > 0:
        verdict = (f"This is a real change toward the target of {_fmt(goal.target)} by "
                   f"{goal.target_year}: {min(share, 9.99):.0%} of the way from the baseline.")
    else:
        verdict = (f"This is a real change away from the target of {_fmt(goal.target)} by "
                   f"{goal.target_year}.")
    statement = f"{goal.title}: {moved}. {verdict}"
    return GoalProgress(goal, tuple(points), change, se, low, high, distinguishable, share,
                        statement)


def _no_change(goal: Goal, points: list[WavePoint], statement: str) -> GoalProgress:
    return GoalProgress(goal, tuple(points), None, None, None, None, None, None,
                        f"{goal.title}: {statement}")


def _fmt(value: float) -> str:
    return f"{value:.1%}" if abs(value) <= 1 else f"{value:.2f}"


def _change(value: float, share: bool) -> str:
    """A signed change: percentage points for a share, plain units for a score."""
    return f"{value * 100:+.1f} points" if share else f"{value:+.2f}"
