"""The report's charts: accessible, reproducible SVG that never draws a withheld value."""

from __future__ import annotations

import datetime
import math
import xml.etree.ElementTree as ET

import pandas as pd
import pypdfium2 as pdfium
import pytest
import weasyprint

from workforce.reporting.charts import (
    composition_chart,
    gap_chart,
    pipeline_chart,
    representation_chart,
    responses_over_time_chart,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
NAN = math.nan


def composition_rows() -> pd.DataFrame:
    # "Another gender" is suppressed although its estimate column still holds a number.
    return pd.DataFrame(
        {
            "label": ["Woman", "Man", "Another gender", "Non-binary"],
            "estimate": [0.62, 0.33, 0.004, 0.02],
            "ci_low": [0.58, 0.29, 0.001, NAN],
            "ci_high": [0.66, 0.37, 0.01, NAN],
            "status": ["published", "published", "primary", "published"],
        }
    )


def representation_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Asian", "Black or African American", "White", "Multiracial"],
            "ratio": [1.8, 0.35, 1.05, 0.9],
            "ci_low": [1.5, 0.2, 0.98, 0.7],
            "ci_high": [2.1, 0.55, 1.12, 1.1],
            "status": ["published", "published", "published", "unreliable"],
        }
    )


def pipeline_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": ["Graduate student"] * 2 + ["Postdoc"] * 2 + ["Faculty"] * 2,
            "group": ["Women", "Men"] * 3,
            "estimate": [0.6, 0.38, 0.55, 0.43, 0.31, 0.66],
            "ci_low": [0.55, 0.33, 0.5, 0.38, 0.25, 0.6],
            "ci_high": [0.65, 0.43, 0.6, 0.48, 0.37, 0.72],
            "status": ["published"] * 4 + ["secondary", "published"],
        }
    )


def trend_points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "wave": [2018, 2020, 2022, 2024],
            "estimate": [0.12, 0.14, 0.15, 0.17],
            "ci_low": [0.10, 0.12, 0.13, 0.15],
            "ci_high": [0.14, 0.16, 0.17, 0.19],
            "status": ["published", "published", "unreliable", "published"],
        }
    )


def gap_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": ["Women", "Non-binary", "Disabled"],
            "estimate": [3.6, 3.1, 3.2],
            "ci_low": [3.5, 2.8, 3.0],
            "ci_high": [3.7, 3.4, 3.4],
            "reference": [4.0, 4.0, 3.9],
            "status": ["published", "published", "primary"],
        }
    )


def all_suppressed(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(status="primary")


def draw_composition(rows=None, **options) -> str:
    rows = composition_rows() if rows is None else rows
    return composition_chart(
        rows, title="Gender of members", description="Most members are women.", **options
    )


def draw_representation(rows=None) -> str:
    rows = representation_rows() if rows is None else rows
    return representation_chart(
        rows, title="Representation", description="Black members are under-represented."
    )


def draw_pipeline(rows=None) -> str:
    rows = pipeline_rows() if rows is None else rows
    return pipeline_chart(rows, title="Pipeline", description="Women leave as careers advance.")


def draw_trend(points=None, **options) -> str:
    points = trend_points() if points is None else points
    options = {"target": 0.25, "target_year": 2030, "baseline_year": 2018} | options
    return trend_chart(points, title="Trend", description="Slowly rising.", **options)


def draw_gap(rows=None) -> str:
    rows = gap_rows() if rows is None else rows
    return gap_chart(
        rows,
        title="Sense of belonging",
        description="Every group feels less at home than men.",
        reference_label="Men",
        scale_domain=(1, 5),
    )


OPENED = datetime.date(2027, 3, 1)


def response_days(counts=(None, None, 6, 6, 9, 15, 15, 40)):
    return [(OPENED + datetime.timedelta(days=n), count) for n, count in enumerate(counts)]


def draw_responses(days=None, mailings=((OPENED, "Invitations"),)) -> str:
    return responses_over_time_chart(
        response_days() if days is None else days,
        mailings,
        title="Completed responses, day by day",
        description="40 completed responses by 8 March 2027.",
    )


# The report's charts, whose withheld rows say "suppressed"; and every chart.
REPORT_DRAWINGS = [draw_composition, draw_representation, draw_pipeline, draw_trend, draw_gap]
DRAWINGS = [*REPORT_DRAWINGS, draw_responses]


def marks(svg: str, kind: str) -> list[str]:
    """The aria-label Vega writes on every drawn item of a kind ("bar", "point", ...)."""
    root = ET.fromstring(svg)
    return [
        element.get("aria-label", "")
        for element in root.iter()
        if element.get("aria-roledescription") == kind
    ]


def texts(svg: str) -> list[str]:
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter(f"{SVG}text")]


# ----------------------------------------------------------------------------- every chart


@pytest.mark.parametrize("draw", DRAWINGS)
def test_chart_is_an_accessible_image_with_title_and_description(draw):
    svg = draw()
    root = ET.fromstring(svg)  # well-formed XML, or this raises

    assert svg.startswith("<svg")
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title").text
    assert root.get("aria-label") == title
    desc = root.find(f"{SVG}desc")
    assert root.get("aria-describedby") == desc.get("id")
    assert desc.text.endswith(".")


@pytest.mark.parametrize("draw", DRAWINGS)
def test_chart_scales_to_its_container_instead_of_a_fixed_size(draw):
    root = ET.fromstring(draw())

    assert root.get("width") is None and root.get("height") is None
    _, _, width, height = map(float, root.get("viewBox").split())
    assert 500 <= width <= 600 and height > 0
    assert "width:100%" in root.get("style") and "height:auto" in root.get("style")


@pytest.mark.parametrize("draw", DRAWINGS)
def test_same_input_gives_the_same_bytes(draw):
    assert draw() == draw()


@pytest.mark.parametrize("draw", REPORT_DRAWINGS)
def test_suppressed_row_is_labelled_suppressed(draw):
    assert any(text.startswith("suppressed") for text in texts(draw()))


@pytest.mark.parametrize(
    ("draw", "rows"),
    [
        (draw_composition, composition_rows),
        (draw_representation, representation_rows),
        (draw_pipeline, pipeline_rows),
        (draw_trend, trend_points),
        (draw_gap, gap_rows),
    ],
)
def test_chart_with_every_row_suppressed_still_renders(draw, rows):
    svg = draw(all_suppressed(rows()))

    ET.fromstring(svg)
    assert marks(svg, "bar") == []
    assert all("label:" not in label for label in marks(svg, "point"))
    assert any(text.startswith("suppressed") for text in texts(svg))


def test_title_and_description_are_escaped():
    svg = composition_chart(
        composition_rows(), title='Pay < "fair" & square', description="R&D staff <50."
    )
    root = ET.fromstring(svg)

    assert root.find(f"{SVG}title").text == 'Pay < "fair" & square'
    assert root.get("aria-label") == 'Pay < "fair" & square'
    assert root.find(f"{SVG}desc").text == "R&D staff <50."


def test_two_charts_on_one_page_have_different_ids():
    ids = {ET.fromstring(draw()).find(f"{SVG}desc").get("id") for draw in DRAWINGS}
    assert len(ids) == len(DRAWINGS)


@pytest.mark.parametrize("draw", DRAWINGS)
def test_only_id_is_the_description_so_charts_can_share_a_page(draw):
    # Vega's clip paths and gradients carry ids such as "clip1" that would clash between
    # two charts in one HTML page.
    root = ET.fromstring(draw())
    assert [element.get("id") for element in root.iter() if element.get("id")] == [
        root.get("aria-describedby")
    ]


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="'ci_high'"):
        composition_chart(composition_rows().drop(columns="ci_high"), title="t", description="d.")


# ----------------------------------------------------------------------------- composition


def test_suppressed_category_is_labelled_not_drawn():
    svg = draw_composition()
    bars = marks(svg, "bar")

    assert len(bars) == 3
    assert not any("Another gender" in bar for bar in bars)
    assert "suppressed" in texts(svg)
    # The category keeps its place on the axis.
    assert "Another gender" in texts(svg)


def test_suppressed_value_is_not_printed_even_if_the_column_holds_one():
    svg = draw_composition()
    assert "0.4%" not in texts(svg)
    assert {"62%", "33%", "2%"} <= set(texts(svg))


def test_missing_interval_draws_no_whisker():
    whiskers = marks(draw_composition(), "rule mark")
    assert len(whiskers) == 2  # Woman and Man; Non-binary has no interval
    assert not any("Non-binary" in whisker for whisker in whiskers)


def test_categories_keep_row_order():
    labels = texts(draw_composition())
    order = [labels.index(name) for name in ["Woman", "Man", "Another gender", "Non-binary"]]
    assert order == sorted(order)


def test_series_draws_one_bar_per_series_with_a_legend():
    rows = pd.concat(
        [
            composition_rows().assign(population="Consortium"),
            composition_rows().assign(population="Society X", status="published"),
        ]
    )
    svg = draw_composition(rows, series="population")
    bars = marks(svg, "bar")

    assert len(bars) == 7
    assert sum("Society X" in bar for bar in bars) == 4
    assert marks(svg, "legend") != []
    assert "suppressed (Consortium)" in texts(svg)


def test_long_category_label_is_wrapped_not_cut():
    rows = composition_rows().assign(
        label=["Hispanic, Latino, or Spanish origin (any race)", "Man", "Another", "None"]
    )
    labels = texts(draw_composition(rows))

    assert "Hispanic, Latino, orSpanish origin (any race)" in labels  # two lines, no ellipsis
    assert not any("…" in label for label in labels)


def test_axis_is_in_percent():
    assert "60%" in texts(draw_composition())


# ----------------------------------------------------------------------------- representation


def test_representation_has_a_parity_rule_at_one():
    svg = draw_representation()

    assert any("parity: 1" in rule for rule in marks(svg, "rule mark"))
    assert "parity" in texts(svg)
    assert "1" in texts(svg)  # a tick at parity on the log axis


def test_representation_draws_no_point_for_a_suppressed_group():
    points = marks(draw_representation(), "point")
    assert len(points) == 3
    assert not any("Multiracial" in point for point in points)


def test_representation_writes_a_zero_ratio_instead_of_plotting_it():
    rows = representation_rows().assign(ratio=[1.8, 0.0, 1.05, 0.9], ci_low=[1.5, 0, 0.98, 0.7])
    svg = draw_representation(rows)

    assert "ratio 0" in texts(svg)
    assert not any("Black" in point for point in marks(svg, "point"))


def test_representation_series_get_their_own_points():
    rows = pd.concat(
        [
            representation_rows().assign(series="Census"),
            representation_rows().assign(series="PhD graduates"),
        ]
    )
    points = marks(draw_representation(rows), "point")
    assert len(points) == 6
    assert sum("PhD graduates" in point for point in points) == 3


# ----------------------------------------------------------------------------- pipeline


def test_pipeline_draws_no_point_for_a_suppressed_stage():
    svg = draw_pipeline()
    points = marks(svg, "point")

    assert len(points) == 5
    assert not any("Faculty" in point and "Women" in point for point in points)
    assert {"suppressed:", "Women"} <= set(texts(svg))


def test_pipeline_draws_one_line_per_group():
    assert len(marks(draw_pipeline(), "line mark")) == 2


# ----------------------------------------------------------------------------- trend


def test_trend_shows_the_target_as_a_diamond_with_a_dashed_path():
    svg = draw_trend()

    assert "target 25%" in texts(svg)
    root = ET.fromstring(svg)
    target_path = [
        element
        for element in root.iter()
        if element.get("aria-roledescription") == "rule mark"
        and "wave_to" in element.get("aria-label", "")
    ]
    assert len(target_path) == 1 and target_path[0].get("stroke-dasharray")
    assert "2030" in texts(svg)


def test_trend_draws_no_point_for_a_suppressed_wave():
    svg = draw_trend()
    points = marks(svg, "point")

    assert len(points) == 4  # three published waves and the target
    assert not any("2022" in point and "15" in point for point in points)
    assert "suppressed" in texts(svg)


def test_trend_line_breaks_at_a_suppressed_wave_instead_of_bridging_it():
    root = ET.fromstring(draw_trend())
    (line,) = [e for e in root.iter() if e.get("aria-roledescription") == "line mark"]
    assert line.get("d").count("M") == 2  # 2018-2020, then 2024 on its own


def test_trend_does_not_start_the_target_path_from_a_withheld_baseline():
    svg = draw_trend(baseline_year=2022)
    assert not any("wave_to" in rule for rule in marks(svg, "rule mark"))
    assert "target 25%" in texts(svg)


def test_trend_of_scores_uses_plain_numbers():
    scores = trend_points().assign(
        estimate=[3.1, 3.2, 3.3, 3.4], ci_low=[3.0, 3.1, 3.2, 3.3], ci_high=[3.2, 3.3, 3.4, 3.5]
    )
    labels = texts(draw_trend(scores, target=4.0))

    assert not any(label.endswith("%") for label in labels)
    assert "target 4" in labels


def test_trend_target_needs_a_year():
    with pytest.raises(ValueError, match="target_year"):
        trend_chart(trend_points(), title="t", description="d.", target=0.3)


def test_trend_without_a_target_draws_none():
    svg = trend_chart(trend_points(), title="Trend", description="Slowly rising.")
    assert not any(text.startswith("target") for text in texts(svg))


# ----------------------------------------------------------------------------- gap


def test_gap_draws_group_and_reference_for_published_rows_only():
    svg = draw_gap()
    points = marks(svg, "point")

    assert len(points) == 4
    assert not any("Disabled" in point for point in points)
    assert sum("who: Men" in point for point in points) == 2
    assert {"1", "5"} <= set(texts(svg))  # the Likert scale's ends


def test_gap_without_a_scale_is_in_percent():
    rows = gap_rows().assign(estimate=[0.2, 0.3, 0.1], ci_low=NAN, ci_high=NAN, reference=0.1)
    svg = gap_chart(rows, title="Harassment", description="Higher for all.", reference_label="Men")
    assert any(text.endswith("%") for text in texts(svg))


# ----------------------------------------------------------------------------- print


def test_charts_print_to_pdf(tmp_path):
    html = (
        "<html><head><style>@page { size: A4; margin: 15mm }</style></head><body>"
        f"<figure>{draw_composition()}</figure><figure>{draw_trend()}</figure></body></html>"
    )
    pdf = weasyprint.HTML(string=html).write_pdf()
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=1).to_pil().convert("L")
    image.save(tmp_path / "charts.png")

    width, height = image.size
    # WeasyPrint draws an inline SVG without a width at zero size: ink in the upper half of
    # the page (both charts) shows the charts were actually drawn.
    chart_area = image.crop((0, 0, width, height // 2))
    dark = sum(1 for value in chart_area.tobytes() if value < 160)
    assert dark > 2000


# ----------------------------------------------------------------------------- responses over time


def test_responses_over_time_draws_no_point_where_the_count_is_under_five():
    points = marks(draw_responses(), "point")
    assert len(points) == 6  # eight days, the first two hidden
    assert not any("Mar 1," in point or "Mar 2," in point for point in points)


def test_responses_over_time_marks_the_days_e_mails_went_out():
    reminder = OPENED + datetime.timedelta(days=4)
    svg = draw_responses(mailings=((OPENED, "Invitations"), (reminder, "Reminders")))
    assert {"Invitations", "Reminders"} <= set(texts(svg))
    assert len(marks(svg, "rule mark")) == 2


def test_a_long_wave_is_a_line_without_a_dot_a_day():
    days = response_days(tuple(range(5, 5 + 56)))
    assert marks(draw_responses(days), "point") == []
    assert marks(draw_responses(days), "line mark")


def test_responses_over_time_needs_a_day():
    with pytest.raises(ValueError, match="no day to draw"):
        draw_responses(days=[])


def test_a_label_near_the_end_reads_to_the_left_of_its_rule():
    last = OPENED + datetime.timedelta(days=7)
    svg = draw_responses(mailings=((OPENED, "Invitations"), (last, "Reminders")))
    anchors = {
        "".join(text.itertext()): text.get("text-anchor")
        for text in ET.fromstring(svg).iter(f"{SVG}text")
    }
    assert anchors["Invitations"] == "start" and anchors["Reminders"] == "end"
