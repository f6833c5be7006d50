"""The codebook file: nested codes read in, written out, and every mistake named."""

from __future__ import annotations

import pytest

from workforce.qual.codebook import codebook_yaml, read_codebook
from workforce.qual.codings import QualError

NESTED = """\
codes:
  - name: Climate
    codable: false
    codes:
      - name: Belonging
        description: Feeling (not) welcome.
        examples: ["I feel welcome at the meeting."]
        color: "#1f77b4"
      - name: Respect
  - name: Pay & benefits
"""


def test_nested_codes_get_path_ids_under_their_parents(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(NESTED, encoding="utf-8")
    codes = read_codebook(path)
    assert [(c.id, c.parent) for c in codes] == [
        ("climate", ""), ("climate/belonging", "climate"), ("climate/respect", "climate"),
        ("pay-benefits", ""),
    ]
    assert codes[0].codable is False and codes[1].examples == ("I feel welcome at the meeting.",)


def test_a_written_codebook_reads_back_to_the_same_codes(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(NESTED, encoding="utf-8")
    codes = read_codebook(path)
    again = tmp_path / "again.yaml"
    again.write_text(codebook_yaml(codes), encoding="utf-8")
    assert read_codebook(again) == codes


def test_every_mistake_is_named_with_its_position(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text("codes:\n  - name: Climate\n    colour: red\n    codes:\n"
                    "      - description: no name\n      - name: Belonging\n"
                    "        color: blue\n  - name: Climate\n", encoding="utf-8")
    with pytest.raises(QualError) as raised:
        read_codebook(path)
    message = str(raised.value)
    assert "codes[0] ('Climate'): unknown key(s) colour" in message
    assert "codes[0].codes[0]: each code is a mapping with a 'name'" in message
    assert "codes[0].codes[1]: color 'blue' is not #RRGGBB" in message
    assert str(path) in message


def test_two_codes_of_one_name_under_one_parent_are_refused(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text("codes:\n  - name: Pay\n  - name: pay\n", encoding="utf-8")
    with pytest.raises(QualError, match="code 'pay' appears twice"):
        read_codebook(path)
