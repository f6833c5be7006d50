"""Shared synthetic consortia for the synth tests: generated once per test session."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from workforce.synth import SynthManifest, generate
from workforce.synth.population import Population, assign_emails, draw_society
from workforce.synth.profiles import ORGS, load_profiles, society_size

ASHG = "exports/ashg_members_2025.xlsx"
NSGC = "exports/nsgc_roster_2025.csv"
ACMG = "exports/acmg_membership_2025.sav"


@dataclass
class Consortium:
    directory: Path
    manifest: SynthManifest

    def csv(self, relative: str) -> pd.DataFrame:
        """A generated CSV as text, blanks kept as "" (never NaN)."""
        return pd.read_csv(self.directory / relative, dtype=str, keep_default_na=False)

    def path(self, relative: str) -> Path:
        return self.directory / relative

    def rows(self, relative: str) -> int | None:
        return next(f.rows for f in self.manifest.files if f.path == relative)

    def ashg(self) -> pd.DataFrame:
        """The ASHG workbook's Members sheet as text ("" for blank cells)."""
        frame = pd.read_excel(self.path(ASHG), sheet_name="Members", engine="calamine", dtype=str)
        return frame.fillna("")

    def nsgc(self) -> pd.DataFrame:
        """The NSGC roster, decoded the only way that works: skip the BOM, read cp1252."""
        text = self.path(NSGC).read_bytes()[3:].decode("cp1252")
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)

    def acmg(self) -> tuple[pd.DataFrame, object]:
        """The ACMG file with user-missing codes kept (8/9 and 98/99 stay numbers)."""
        return pyreadstat.read_sav(self.path(ACMG), user_missing=True)


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Consortium:
    """Scale 0.1: about 1,650 members; fast enough for most tests."""
    directory = tmp_path_factory.mktemp("synth_small")
    return Consortium(directory, generate(directory, scale=0.1, seed=11))


@pytest.fixture(scope="session")
def full(tmp_path_factory) -> Consortium:
    """Scale 1: about 16,500 members, for margins that need the real size."""
    directory = tmp_path_factory.mktemp("synth_full")
    return Consortium(directory, generate(directory, scale=1.0, seed=2025))


@pytest.fixture(scope="session")
def populations() -> dict[str, Population]:
    """The true populations behind the scale-1 consortium (seed 2025)."""
    profiles = load_profiles()
    drawn = {
        org: draw_society(profiles, org, society_size(profiles, org, 1.0), seed=2025, year=2025)
        for org in ORGS
    }
    assign_emails(drawn, seed=2025)
    return drawn
