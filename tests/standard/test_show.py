"""Showing the standard to people (what `workforce standard show` prints)."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.table import Table

from workforce.standard import UnknownDimensionError, render_dimension, show_standard


def printed(dimension: str | None = None) -> str:
    console = Console(record=True, width=160)
    show_standard(console, dimension)
    return console.export_text()


def test_show_everything_lists_every_dimension_and_view(standard):
    text = printed()
    for name in (*standard.dimensions, *standard.views):
        assert f"{name} — " in text, name
    assert "Washington Group" in text
    assert "workforce standard show country lists them all" in text


def test_show_one_dimension_in_full_with_labels_definition_and_source():
    text = printed("career_stage")
    assert "Postdoc, fellow, resident." in text
    assert "trainee" in text and "Trainee" in text
    assert "Source: Workforce data standard v1" in text


def test_show_country_lists_all_249_codes():
    text = printed("country")
    assert "ZW" in text and "Zimbabwe" in text and "Åland Islands" in text


def test_show_a_view():
    text = printed("urm_nih")
    assert "NOT-OD-20-031" in text and "derived view" in text


def test_an_unknown_dimension_raises_a_key_error_naming_the_valid_ones():
    with pytest.raises(UnknownDimensionError) as raised:
        printed("ethnicity")
    assert isinstance(raised.value, KeyError)
    assert "race_ethnicity" in str(raised.value) and "lgbtq" in str(raised.value)


def test_render_dimension_is_a_table_whose_labels_are_not_markup(standard):
    table = render_dimension(standard.dimension("race_ethnicity_detail"))
    assert isinstance(table, Table)
    console = Console(record=True, width=160)
    console.print(table)
    assert "aian.<slug>" in console.export_text()
