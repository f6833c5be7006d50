"""The synthetic consortium's assumptions, read from `profiles.yaml` next to this module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PROFILES_PATH = Path(__file__).with_name("profiles.yaml")
ORGS = ("ashg", "nsgc", "acmg")


def load_profiles(path: Path = PROFILES_PATH) -> dict[str, Any]:
    """The profiles as plain dictionaries; every figure carries its source in the YAML."""
    with path.open(encoding="utf-8") as handle:
        profiles = yaml.safe_load(handle)
    missing = [org for org in ORGS if org not in profiles["societies"]]
    if missing:
        raise ValueError(f"{path}: societies {missing} are missing")
    return profiles


def society_size(profiles: dict[str, Any], org: str, scale: float) -> int:
    """Members of one society at this scale (at least a few, so tiny runs still work)."""
    return max(20, round(profiles["societies"][org]["members"] * scale))
