"""Shared fixtures for intake tests: one synthetic consortium per session, small exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workforce.synth import generate

EXPORTS = {
    "ashg": "exports/ashg_members_2025.xlsx",
    "nsgc": "exports/nsgc_roster_2025.csv",
    "acmg": "exports/acmg_membership_2025.sav",
}


@pytest.fixture(scope="session")
def consortium(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("consortium")
    generate(directory, scale=0.1, seed=2025)
    return directory


@pytest.fixture(scope="session")
def truth(consortium) -> tuple[pd.DataFrame, pd.DataFrame]:
    records = pd.read_csv(
        consortium / "truth" / "standard_records.csv", dtype=str, keep_default_na=False
    )
    provenance = pd.read_csv(
        consortium / "truth" / "provenance.csv", dtype=str, keep_default_na=False
    )
    return records, provenance
