"""Sizes follow the scale; the generator refuses a scale that makes no sense."""

from __future__ import annotations

import pytest

from workforce.synth import generate


def test_sizes_follow_the_scale(small, full):
    for org, members in full.manifest.members.items():
        assert small.manifest.members[org] == pytest.approx(members / 10, rel=0.01)
    assert full.manifest.members == {"ashg": 8000, "nsgc": 6000, "acmg": 2500}
    exported = sum(f.rows for f in full.manifest.files if f.path.startswith("exports/"))
    assert 16_500 < exported < 16_500 * 1.02  # members plus a few duplicate rows
    assert full.rows("truth/standard_records.csv") == exported
    small_responses = small.rows("survey/responses.csv")
    assert small_responses == pytest.approx(full.rows("survey/responses.csv") / 10, rel=0.15)


def test_scale_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)


def test_readme_describes_every_file(small):
    readme = small.path("README.md").read_text(encoding="utf-8")
    for f in small.manifest.files:
        if f.path != "README.md":
            assert f"`{f.path}`" in readme
