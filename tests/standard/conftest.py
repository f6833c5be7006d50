"""Fixtures for the standard's tests: the loaded standard, valid records, a copy of the data."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from workforce.standard import Standard, load_standard
from workforce.standard.loader import DATA_ROOT

# One complete, valid record: a White straight cisgender woman in academia in the Northeast.
VALID_RECORD = {
    "record_id": "r0",
    "source": "ashg-2024",
    "org": "ashg",
    "year": "2024",
    "person_key": "",
    "race_ethnicity": "white",
    "race_ethnicity_detail": "",
    "gender": "woman",
    "transgender": "no",
    "intersex": "no",
    "sexual_orientation": "straight",
    "wg_seeing": "none",
    "wg_hearing": "none",
    "wg_walking": "none",
    "wg_cognition": "none",
    "wg_selfcare": "none",
    "wg_communication": "none",
    "disability_self": "no",
    "dis_homeless": "no",
    "dis_foster_care": "no",
    "dis_free_lunch": "no",
    "dis_first_gen": "no",
    "dis_pell": "no",
    "dis_wic": "no",
    "dis_rural_or_shortage": "no",
    "career_stage": "early",
    "sector": "academia",
    "role": "researcher",
    "age_band": "25_34",
    "country": "US",
    "us_region": "northeast",
    "citizenship": "us_citizen",
}


@pytest.fixture(scope="session")
def standard() -> Standard:
    return load_standard()


@pytest.fixture
def make_records() -> Callable[..., pd.DataFrame]:
    """make_records({"gender": "man"}, {...}) → one valid record per override, as strings."""

    def make(*overrides: dict[str, str]) -> pd.DataFrame:
        rows = [{**VALID_RECORD, "record_id": f"r{i}", **override}
                for i, override in enumerate(overrides or ({},))]
        return pd.DataFrame(rows, columns=list(VALID_RECORD)).astype("str")

    return make


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the v1 data files, for breaking them on purpose."""
    target = tmp_path / "v1"
    shutil.copytree(DATA_ROOT / "v1", target)
    return target


@pytest.fixture
def edit() -> Callable[[Path, str, str], None]:
    """edit(path, old, new): replace one exact piece of a data file, failing if it is absent."""

    def replace(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path.name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return replace
