"""Same seed and scale, same bytes; another seed, other files; the manifest tells the truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import openpyxl
import pyreadstat

from workforce.synth import generate


def _digests(directory):
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_same_seed_writes_byte_identical_files(tmp_path):
    generate(tmp_path / "first", scale=0.05, seed=5)
    generate(tmp_path / "second", scale=0.05, seed=5)
    first, second = _digests(tmp_path / "first"), _digests(tmp_path / "second")
    assert len(first) == 12
    assert first == second


def test_different_seeds_write_different_files(tmp_path):
    generate(tmp_path / "five", scale=0.05, seed=5)
    generate(tmp_path / "six", scale=0.05, seed=6)
    five, six = _digests(tmp_path / "five"), _digests(tmp_path / "six")
    assert five.keys() == six.keys()
    data_files = [
        name
        for name in five
        if name.startswith(("exports/", "truth/", "survey/frame", "survey/responses"))
    ]
    assert len(data_files) == 9
    for name in data_files:
        assert five[name] != six[name], name


def test_manifest_lists_every_file_with_its_checksum(small):
    listed = {f.path: f.sha256 for f in small.manifest.files}
    on_disk = _digests(small.directory)
    assert set(on_disk) == set(listed) | {"manifest.json"}
    for path, digest in listed.items():
        assert on_disk[path] == digest, path


def test_manifest_json_has_sorted_keys_and_no_timestamps(small):
    text = small.path("manifest.json").read_text(encoding="utf-8")
    payload = json.loads(text)
    assert text == json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert payload["seed"] == 11 and payload["scale"] == 0.1 and payload["year"] == 2025
    assert not re.search(r"\d{2}:\d{2}", text)
    readme = small.path("README.md").read_text(encoding="utf-8")
    assert not re.search(r"\d{2}:\d{2}", readme)


def test_binary_files_claim_a_fixed_creation_date_from_the_reference_year(small):
    workbook = openpyxl.load_workbook(small.path("exports/ashg_members_2025.xlsx"), read_only=True)
    assert workbook.properties.created == dt.datetime(2025, 1, 15)
    workbook.close()
    _, meta = pyreadstat.read_sav(small.path("exports/acmg_membership_2025.sav"), metadataonly=True)
    assert meta.creation_time == dt.datetime(2025, 1, 15, 0, 0, 0)


def test_reference_year_names_the_exports_and_the_wave(tmp_path):
    manifest = generate(tmp_path, scale=0.02, seed=1, year=2031)
    paths = {f.path for f in manifest.files}
    assert "exports/ashg_members_2031.xlsx" in paths
    assert "exports/nsgc_roster_2031.csv" in paths
    assert "exports/acmg_membership_2031.sav" in paths
    _, meta = pyreadstat.read_sav(tmp_path / "exports/acmg_membership_2031.sav", metadataonly=True)
    assert meta.creation_time.year == 2031


def test_progress_is_reported_for_every_society_and_file(tmp_path):
    calls = []
    generate(tmp_path, scale=0.02, seed=1, progress=lambda *call: calls.append(call))
    steps = {step for step, _, _ in calls}
    assert "Drawing members" in steps
    for name in ("ashg_members_2025.xlsx", "nsgc_roster_2025.csv", "acmg_membership_2025.sav"):
        assert f"Writing exports/{name}" in steps
    assert "Writing survey/responses.csv" in steps
    assert all(0 <= done <= total for _, done, total in calls)
