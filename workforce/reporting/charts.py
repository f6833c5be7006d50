"""The benchmark report's charts (and the survey monitoring's), as accessible, responsive SVG.

Each function takes the rows of a published table (after the disclosure gate) and returns one
SVG string to place in the report's HTML, which WeasyPrint also prints to PDF; the survey
staff's page draws a wave's responses over time the same way. Charts are
Vega-Lite specs built with Altair and rendered by vl-convert, so no browser is needed and the
same input gives the same bytes.

What every chart promises, because the report is public, printed, read on phones and read
aloud by screen readers:
- the root `<svg>` has `role="img"`, an `aria-label` (the title), a `<title>` and a `<desc>`
  (the caller's one-sentence description); the data table after the chart gives the numbers;
- no fixed width or height: a `viewBox`, `width:100%` and a `max-width` of its drawn width
  (about 560 px) let it shrink to a phone or a page and keep its proportions;
- a row whose `status` is not published draws no bar, point or line, whatever its value
  column holds; its category stays on the axis with the word "suppressed", so a reader sees
  that a figure exists and is withheld;
- Okabe-Ito colours (safe for colour-blind readers), shapes as a second cue, text of 11-12 px
  measured in DejaVu Sans, the font WeasyPrint prints with.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from xml.sax.saxutils import escape, unescape

import altair as alt
import pandas as pd
import vl_convert as vlc

from workforce.reporting.tables import PUBLISHED

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
WIDTH = 560  # the whole chart, labels included; it scales down to a phone from here
# Okabe & Ito (2008), ordered so that the first colours contrast best on white; yellow last.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
SHAPES = ("circle", "square", "triangle-up", "diamond", "triangle-down", "cross", "wedge", "stroke")
INK = "#222222"
MUTED = "#555555"  # 7:1 on white: still readable for the "suppressed" notes
TARGET_COLOUR = "#D55E00"
TARGET_TEXT = "#A84A00"  # the same vermilion, darkened to 5:1 on white for small text
SUPPRESSED = "suppressed"
VEGA_LITE_VERSION = "6.4"  # pinned: a newer Vega-Lite could move a pixel and break reproducibility

THEME: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "padding": 8,
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": "normal",
        "labelColor": INK,
        "titleColor": INK,
        "gridColor": "#e4e4e4",
        "domainColor": "#767676",
        "tickColor": "#767676",
        "labelLimit": 220,
        "titlePadding": 8,
    },
    "legend": {
        "orient": "top",
        "direction": "horizontal",
        "labelFontSize": 12,
        "titleFontSize": 12,
        "labelColor": INK,
        "labelLimit": 240,
        "symbolSize": 90,
        "offset": 22,  # room under the legend for the "parity" label above the plot
        "title": None,
    },
    "title": {"fontSize": 15, "anchor": "start", "color": INK, "offset": 12},
    "text": {"fontSize": 12, "color": INK},
    "range": {"category": list(PALETTE)},
}

TITLE_WRAP = 60  # characters of 15 px bold text that fit in WIDTH
LABEL_WRAP = 26  # characters of a category label on one line: about a third of WIDTH
ROW_STEP = 28  # height per category of a horizontal chart
SERIES_STEP = 17  # height per series within a category of a grouped chart
PLOT_HEIGHT = 260  # height of the plot area of the vertical charts
POINTS_UP_TO_DAYS = 21  # a daily series longer than three weeks is a line without dots

_ROOT = re.compile(r"<svg\b([^>]*)>")
_ATTRIBUTE = re.compile(r'([\w:.-]+)="([^"]*)"')


# ----------------------------------------------------------------------------- the charts


def composition_chart(
    rows: pd.DataFrame,
    *,
    title: str,
    description: str,
    series: str | None = None,
    axis_title: str = "Share, with 95% confidence interval",
) -> str:
    """Horizontal bars of shares with 95% CI whiskers, one bar per `label` (in row order).

    Columns: `label`, `estimate`, `ci_low`, `ci_high` (proportions 0-1; a NaN interval draws no
    whisker), `status`. With `series` (a column name), each label gets one bar per series value,
    in order of first appearance, coloured, with a legend.
    """
    _require(rows, ["label", "estimate", "ci_low", "ci_high", "status"], "composition_chart")
    if series is not None:
        _require(rows, [series], "composition_chart")
    labels = _in_order(rows["label"])
    series_values = _in_order(rows[series]) if series is not None else []

    published, suppressed = [], []
    for row in rows.to_dict("records"):
        item: dict[str, Any] = {"label": str(row["label"])}
        if series is not None:
            item["series"] = str(row[series])
        if not _is_published(row):
            note = SUPPRESSED if series is None else f"{SUPPRESSED} ({item['series']})"
            suppressed.append({**item, "note": note})
            continue
        estimate = _number(row["estimate"])
        if estimate is None:
            continue
        ci_low, ci_high = _interval(row)
        published.append(
            {
                **item,
                "estimate": estimate,
                "ci_low": ci_low,
                "ci_high": ci_high,
                # The value label sits just past the whisker so the two never overlap.
                "label_at": max(estimate, ci_high if ci_high is not None else estimate),
                "value_text": _percent(estimate),
            }
        )

    top = max((item["label_at"] for item in published), default=0.0)
    x = alt.X(
        "estimate:Q",
        title=axis_title,
        # Room past the longest bar for its value label; shares never pass 100%.
        scale=alt.Scale(domain=[0, _share_ceiling(top * 1.18) if published else 1], nice=False),
        axis=alt.Axis(format="%", tickCount=5),
    )
    y = _category_axis(labels)
    grouped: dict[str, Any] = {}
    if series is not None:
        grouped["yOffset"] = alt.YOffset(
            "series:N", sort=None, scale=alt.Scale(domain=series_values, paddingInner=0.1)
        )
    colour: Any = alt.value(PALETTE[0])
    if series is not None:
        colour = alt.Color("series:N", sort=None, scale=alt.Scale(domain=series_values))

    bars = _layer(published).mark_bar().encode(x=x, y=y, color=colour, **grouped)
    whiskers = (
        _layer([item for item in published if item["ci_low"] is not None])
        .mark_rule(color=INK, strokeWidth=1.5)
        .encode(x=alt.X("ci_low:Q"), x2="ci_high:Q", y=y, **grouped)
    )
    values = (
        _layer(published)
        .mark_text(align="left", baseline="middle", dx=5, fontSize=11)
        .encode(x="label_at:Q", y=y, text="value_text:N", **grouped)
    )
    notes = _suppressed_notes(suppressed).encode(y=y, **grouped)

    # With an offset, Vega-Lite's step is the height of one series' bar, not of a category.
    step = _row_step(labels) if series is None else SERIES_STEP
    chart = alt.layer(bars, whiskers, values, notes).properties(height=alt.Step(step))
    return _render(chart, title=title, description=description)


def representation_chart(
    rows: pd.DataFrame,
    *,
    title: str,
    description: str,
    axis_title: str = "Representation ratio (log scale; 1 = parity)",
) -> str:
    """Dot plot of representation ratios on a log axis, with a rule at 1 labelled "parity".

    Columns: `label` (row order is display order), `ratio`, `ci_low`, `ci_high`, `status`, and
    optionally `series` (one colour and shape per benchmark, in order of first appearance).
    """
    _require(rows, ["label", "ratio", "ci_low", "ci_high", "status"], "representation_chart")
    has_series = "series" in rows.columns
    labels = _in_order(rows["label"])
    series_values = _in_order(rows["series"]) if has_series else []

    published, suppressed, extremes = [], [], [1.0]
    for row in rows.to_dict("records"):
        item: dict[str, Any] = {"label": str(row["label"])}
        if has_series:
            item["series"] = str(row["series"])
        if not _is_published(row):
            note = SUPPRESSED if not has_series else f"{SUPPRESSED} ({item['series']})"
            suppressed.append({**item, "note": note})
            continue
        ratio = _number(row["ratio"])
        if ratio is None:
            continue
        ci_low, ci_high = _interval(row)
        item.update(ratio=ratio, ci_low=ci_low, ci_high=ci_high)
        published.append(item)
        extremes += [v for v in (ratio, ci_low, ci_high) if v is not None and v > 0]

    # A log axis symmetric about parity, so "twice" and "half" are the same distance from 1.
    reach = max(max(extremes), 1 / min(extremes)) * 1.15
    reach = max(reach, 2.2)
    low, high = 1 / reach, reach
    for item in published:
        # Zero has no place on a log axis: an interval reaching it is drawn to the edge, and a
        # ratio of zero is written, not plotted.
        if item["ci_low"] is not None and item["ci_low"] <= 0:
            item["ci_low"] = low
    zeros = [{**item, "note": "ratio 0"} for item in published if item["ratio"] <= 0]
    published = [item for item in published if item["ratio"] > 0]

    x = alt.X(
        "ratio:Q",
        title=axis_title,
        scale=alt.Scale(type="log", domain=[low, high], nice=False, clamp=True),
        axis=alt.Axis(values=_log_ticks(low, high), format="~g"),
    )
    y = _category_axis(labels)
    grouped: dict[str, Any] = {}
    look: dict[str, Any] = {"color": alt.value(PALETTE[0])}
    if has_series:
        grouped["yOffset"] = alt.YOffset(
            "series:N", sort=None, scale=alt.Scale(domain=series_values)
        )
        look = {
            "color": alt.Color("series:N", sort=None, scale=alt.Scale(domain=series_values)),
            "shape": alt.Shape(
                "series:N",
                sort=None,
                scale=alt.Scale(domain=series_values, range=list(SHAPES)),
            ),
        }

    parity = _layer([{"parity": 1.0}])
    parity_rule = parity.mark_rule(color=INK, strokeDash=[5, 4], strokeWidth=1.2).encode(
        x=alt.X("parity:Q")
    )
    parity_label = parity.mark_text(
        text="parity", baseline="bottom", dy=-4, fontSize=11, color=INK
    ).encode(x=alt.X("parity:Q"), y=alt.value(0))
    intervals = (
        _layer([item for item in published if item["ci_low"] is not None])
        .mark_rule(strokeWidth=2)
        .encode(x=alt.X("ci_low:Q"), x2="ci_high:Q", y=y, color=look["color"], **grouped)
    )
    points = (
        _layer(published)
        .mark_point(filled=True, size=90, opacity=1, stroke="white", strokeWidth=1)
        .encode(x=x, y=y, **look, **grouped)
    )
    notes = _suppressed_notes(suppressed + zeros).encode(y=y, **grouped)

    step = _row_step(labels) if not has_series else SERIES_STEP
    chart = alt.layer(parity_rule, parity_label, intervals, points, notes).properties(
        height=alt.Step(step)
    )
    return _render(chart, title=title, description=description)


def pipeline_chart(
    rows: pd.DataFrame,
    *,
    title: str,
    description: str,
    axis_title: str = "Share, with 95% confidence interval",
) -> str:
    """The share of each group at each career stage: one line per `group` across the stages.

    Columns: `stage` (x axis, in order of first appearance), `group` (one colour and shape
    each, in order of first appearance), `estimate`, `ci_low`, `ci_high` (proportions), `status`.
    A suppressed value breaks its group's line rather than being bridged.
    """
    _require(rows, ["stage", "group", "estimate", "ci_low", "ci_high", "status"], "pipeline_chart")
    stages = _in_order(rows["stage"])
    groups = _in_order(rows["group"])

    line, published = [], []
    withheld: dict[str, list[str]] = {}
    for row in rows.to_dict("records"):
        item: dict[str, Any] = {"stage": str(row["stage"]), "group": str(row["group"])}
        estimate = _number(row["estimate"]) if _is_published(row) else None
        if not _is_published(row):
            withheld.setdefault(item["stage"], []).append(item["group"])
        # A null estimate breaks the line there, so no value is implied between two stages.
        line.append({**item, "estimate": estimate})
        if estimate is not None:
            ci_low, ci_high = _interval(row)
            published.append({**item, "estimate": estimate, "ci_low": ci_low, "ci_high": ci_high})

    x = alt.X(
        "stage:N",
        title=None,
        sort=None,
        scale=alt.Scale(domain=stages),
        # One word per line, so long stage names fit under narrow columns on a phone.
        axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ' ')", labelLimit=120),
    )
    y_scale = alt.Scale(zero=True, domain=[0, 1] if not published else alt.Undefined)
    y = alt.Y("estimate:Q", title=axis_title, scale=y_scale, axis=alt.Axis(format="%"))
    colour = alt.Color("group:N", sort=None, scale=alt.Scale(domain=groups))
    shape = alt.Shape("group:N", sort=None, scale=alt.Scale(domain=groups, range=list(SHAPES)))
    offset = alt.XOffset("group:N", sort=None, scale=alt.Scale(domain=groups, paddingOuter=1))

    lines = (
        _layer(line)
        .mark_line(strokeWidth=2, invalid="break-paths-filter-domains")
        .encode(x=x, y=y, color=colour, xOffset=offset)
    )
    intervals = (
        _layer([item for item in published if item["ci_low"] is not None])
        .mark_rule(strokeWidth=1.5)
        .encode(x=x, y="ci_low:Q", y2="ci_high:Q", color=colour, xOffset=offset)
    )
    points = (
        _layer(published)
        .mark_point(filled=True, size=80, opacity=1, stroke="white", strokeWidth=1)
        .encode(x=x, y=y, color=colour, shape=shape, xOffset=offset)
    )
    notes = _stacked_notes(withheld, several=len(groups) > 1, x=x)
    chart = alt.layer(lines, intervals, points, *notes).properties(height=PLOT_HEIGHT)
    return _render(chart, title=title, description=description)


def trend_chart(
    points: pd.DataFrame,
    *,
    title: str,
    description: str,
    target: float | None = None,
    target_year: int | None = None,
    baseline_year: int | None = None,
    axis_title: str | None = None,
) -> str:
    """An indicator across survey waves, with its 95% CI and, if set, the goal to reach.

    Columns: `wave` (year), `estimate`, `ci_low`, `ci_high`, `status`. The y axis is in percent
    unless every published estimate is above 1 (a score). With `target` and `target_year`, a
    diamond marks the target and, if the `baseline_year` wave is published, a dashed line runs
    from the baseline estimate to it. A suppressed wave breaks the line and is labelled.
    """
    _require(points, ["wave", "estimate", "ci_low", "ci_high", "status"], "trend_chart")
    if target is not None and target_year is None:
        raise ValueError("trend_chart: a target needs its target_year to be drawn")

    line, published, notes = [], [], []
    for row in sorted(points.to_dict("records"), key=lambda row: int(row["wave"])):
        wave = int(row["wave"])
        estimate = _number(row["estimate"]) if _is_published(row) else None
        if not _is_published(row):
            notes.append({"wave": wave, "note": SUPPRESSED})
        line.append({"wave": wave, "estimate": estimate})
        if estimate is not None:
            ci_low, ci_high = _interval(row)
            published.append(
                {"wave": wave, "estimate": estimate, "ci_low": ci_low, "ci_high": ci_high}
            )

    is_share = not published or not all(item["estimate"] > 1 for item in published)
    years = sorted(
        {item["wave"] for item in line} | ({target_year} if target is not None else set())
    )
    x = alt.X(
        "wave:Q",
        title="Survey wave",
        # Half a year of margin so the first and last points are not cut by the plot's edge.
        scale=alt.Scale(domain=[years[0] - 0.5, years[-1] + 0.5] if years else [0, 1], nice=False),
        axis=alt.Axis(values=years, format="d", labelAngle=0, grid=False),
    )
    has_values = bool(published) or target is not None
    y = alt.Y(
        "estimate:Q",
        title=axis_title or ("Share, with 95% confidence interval" if is_share else "Score"),
        # Shares start at zero so that a change is not exaggerated; a score has no true zero.
        scale=alt.Scale(zero=is_share, domain=[0, 1] if not has_values else alt.Undefined),
        axis=alt.Axis(format="%" if is_share else "~g"),
    )
    layers: list[alt.Chart] = [
        _layer(line)
        .mark_line(color=PALETTE[0], strokeWidth=2, invalid="break-paths-filter-domains")
        .encode(x=x, y=y),
        _layer([item for item in published if item["ci_low"] is not None])
        .mark_rule(color=PALETTE[0], strokeWidth=1.5)
        .encode(x=x, y="ci_low:Q", y2="ci_high:Q"),
        _layer(published)
        .mark_point(filled=True, size=80, opacity=1, color=PALETTE[0], stroke="white")
        .encode(x=x, y=y),
        _layer(notes)
        .mark_text(baseline="bottom", dy=-4, fontSize=11, fontStyle="italic", color=MUTED)
        .encode(x=x, y=alt.value(PLOT_HEIGHT), text="note:N"),
    ]
    if target is not None:
        behind, above = _target_layers(published, x, target, target_year, baseline_year, is_share)
        # The dashed path goes under the data, so it never hides the measured line.
        layers = behind + layers + above
    chart = alt.layer(*layers).properties(height=PLOT_HEIGHT)
    return _render(chart, title=title, description=description)


def gap_chart(
    rows: pd.DataFrame,
    *,
    title: str,
    description: str,
    reference_label: str,
    scale_domain: tuple[float, float] | None = None,
    group_label: str = "Group",
    axis_title: str | None = None,
) -> str:
    """Climate gaps as a dumbbell: each group's score beside the reference group's.

    Columns: `label` (row order is display order), `estimate` with `ci_low`/`ci_high` (the
    group's score and its 95% CI), `reference` (the reference group's score), `status`. The
    group is a filled dot, the reference a hollow one, joined by a grey bar. The x axis spans
    `scale_domain` (e.g. (1, 5) for a Likert score) or, if None, is a share in percent.
    """
    _require(rows, ["label", "estimate", "ci_low", "ci_high", "reference", "status"], "gap_chart")
    labels = _in_order(rows["label"])

    published, suppressed, dots = [], [], []
    for row in rows.to_dict("records"):
        label = str(row["label"])
        if not _is_published(row):
            suppressed.append({"label": label, "note": SUPPRESSED})
            continue
        estimate, reference = _number(row["estimate"]), _number(row["reference"])
        ci_low, ci_high = _interval(row)
        published.append(
            {
                "label": label,
                "estimate": estimate,
                "reference": reference,
                "ci_low": ci_low,
                "ci_high": ci_high,
            }
        )
        dots += [
            {"label": label, "who": who, "score": score}
            for who, score in ((reference_label, reference), (group_label, estimate))
            if score is not None
        ]

    if scale_domain is None:
        scale = alt.Scale(zero=True, domain=[0, 1] if not dots else alt.Undefined)
        axis = alt.Axis(format="%", tickCount=5)
    else:
        low, high = scale_domain
        scale = alt.Scale(domain=[low, high], nice=False, zero=False)
        whole = float(low).is_integer() and float(high).is_integer() and high - low <= 10
        axis = (
            alt.Axis(values=list(range(int(low), int(high) + 1)), format="d")
            if whole
            else alt.Axis(format="~g")
        )
    title_x = axis_title or ("Share" if scale_domain is None else "Mean score")
    x = alt.X("score:Q", title=title_x, scale=scale, axis=axis)
    y = _category_axis(labels)
    who = [group_label, reference_label]

    connectors = (
        _layer([item for item in published if None not in (item["estimate"], item["reference"])])
        .mark_rule(color="#c8c8c8", strokeWidth=6)
        .encode(x=alt.X("estimate:Q"), x2="reference:Q", y=y)
    )
    intervals = (
        _layer([item for item in published if item["ci_low"] is not None])
        .mark_rule(color=INK, strokeWidth=1.5)
        .encode(x=alt.X("ci_low:Q"), x2="ci_high:Q", y=y)
    )
    points = (
        _layer(dots)
        .mark_point(size=110, opacity=1, strokeWidth=2, shape="circle")
        .encode(
            x=x,
            y=y,
            # Filled for the group, hollow for the reference: distinct without colour too.
            fill=alt.Fill(
                "who:N", sort=None, scale=alt.Scale(domain=who, range=[PALETTE[0], "white"])
            ),
            stroke=alt.Stroke(
                "who:N", sort=None, scale=alt.Scale(domain=who, range=[PALETTE[0], INK])
            ),
        )
    )
    notes = _suppressed_notes(suppressed).encode(y=y)
    chart = alt.layer(connectors, intervals, points, notes).properties(
        height=alt.Step(_row_step(labels))
    )
    return _render(chart, title=title, description=description)


# ----------------------------------------------------------------------------- shared parts


def responses_over_time_chart(
    days: Sequence[tuple[date, int | None]],
    mailings: Sequence[tuple[date, str]] = (),
    *,
    title: str,
    description: str,
) -> str:
    """A survey wave's completed responses, added up day by day, with the days e-mails went out.

    `days` holds, for each day in order, the number of responses completed by its end, or
    None where that number is not shown (a count from 1 to 4); no point is drawn there.
    `mailings` marks days with a labelled vertical rule ("Invitations", "Reminders"), so a
    reader sees what each reminder brought in. Drawn once per distinct input: the staff's
    page asks for it on every visit and the numbers change only as responses arrive.
    """
    return _responses_over_time(tuple(days), tuple(mailings), title, description)


@functools.lru_cache(maxsize=64)
def _responses_over_time(
    days: tuple[tuple[date, int | None], ...],
    mailings: tuple[tuple[date, str], ...],
    title: str,
    description: str,
) -> str:
    if not days:
        raise ValueError("responses_over_time_chart: no day to draw")
    points = [{"day": day.isoformat(), "completed": count} for day, count in days]
    shown = [point for point in points if point["completed"] is not None]
    first, last = days[0][0], days[-1][0]
    # A label reads to the right of its rule, or to its left in the last eighth of the days,
    # where it would run past the chart's edge (a tenth of the plot holds "Reminders").
    turn = first + (last - first) * 7 / 8
    marks = [
        {"day": day.isoformat(), "label": label, "left": day > turn}
        for day, label in mailings
        if first <= day <= last
    ]
    x = alt.X(
        "day:T",
        title=None,
        scale=alt.Scale(domain=[first.isoformat(), last.isoformat()]),
        axis=alt.Axis(format="%-d %b", labelAngle=0, grid=False, tickCount=8),
    )
    y = alt.Y(
        "completed:Q",
        title="Completed responses",
        scale=alt.Scale(zero=True, domain=[0, 5] if not shown else alt.Undefined),
        axis=alt.Axis(format=",d", tickMinStep=1),
    )
    layers: list[alt.Chart] = [
        _layer(marks).mark_rule(color=MUTED, strokeDash=[4, 3], strokeWidth=1).encode(x=x),
        _layer([mark for mark in marks if not mark["left"]])
        .mark_text(align="left", baseline="top", dx=4, dy=2, fontSize=11, color=MUTED)
        .encode(x=x, y=alt.value(0), text="label:N"),
        _layer([mark for mark in marks if mark["left"]])
        .mark_text(align="right", baseline="top", dx=-4, dy=2, fontSize=11, color=MUTED)
        .encode(x=x, y=alt.value(0), text="label:N"),
        _layer(points)
        .mark_line(
            color=PALETTE[0],
            strokeWidth=2,
            interpolate="step-after",
            invalid="break-paths-filter-domains",
        )
        .encode(x=x, y=y),
    ]
    if len(days) <= POINTS_UP_TO_DAYS:
        layers.append(
            _layer(shown)
            .mark_point(filled=True, size=28, opacity=1, color=PALETTE[0])
            .encode(x=x, y=y)
        )
    chart = alt.layer(*layers).properties(height=PLOT_HEIGHT)
    return _render(chart, title=title, description=description)


def _render(chart: alt.LayerChart, *, title: str, description: str) -> str:
    """Apply the theme and layout, render with vl-convert and make the SVG accessible."""
    chart = chart.properties(
        width=WIDTH,
        title=alt.Title(textwrap.wrap(title, TITLE_WRAP) or [""]),
        # The whole chart, axis labels and legend included, is WIDTH wide.
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    ).configure(**THEME)
    svg = vlc.vegalite_to_svg(
        chart.to_dict(),
        vl_version=VEGA_LITE_VERSION,
        format_locale="en-US",
        allowed_base_urls=[],  # the data is inline: a chart never fetches anything
    )
    return _finalise_svg(svg, title=title, description=description)


def _finalise_svg(svg: str, *, title: str, description: str) -> str:
    """Make vl-convert's SVG accessible and responsive.

    The root gets `role="img"`, the title as `aria-label` and the description through
    `aria-describedby` (the most widely supported pairing among screen readers), and loses its
    fixed size for a `viewBox` and a width of 100% up to its drawn width, so it shrinks to a
    phone or a narrow printed page and keeps its proportions.
    """
    root = _ROOT.match(svg)
    if root is None:
        raise ValueError("vl-convert did not return an SVG document")
    attributes = {name: unescape(value) for name, value in _ATTRIBUTE.findall(root.group(1))}
    width, height = attributes.pop("width", None), attributes.pop("height", None)
    if "viewBox" not in attributes and width and height:
        attributes["viewBox"] = f"0 0 {width} {height}"
    natural_width = _number(attributes["viewBox"].split()[2])
    body = svg[root.end() :]
    # Several charts share one HTML page, so the id must differ between charts; derived from
    # the content, it stays the same from one build to the next.
    digest = hashlib.sha256(f"{title}\0{description}\0{body}".encode()).hexdigest()[:12]
    desc_id = f"chart-{digest}-desc"
    attributes.update(
        {
            "role": "img",
            "aria-label": title,
            "aria-describedby": desc_id,
            # `width:100%` because WeasyPrint draws an inline SVG without a width at zero size;
            # `max-width` keeps the drawn size on a wide screen, so text never grows past 12 px.
            "style": f"width:100%;max-width:{natural_width:g}px;height:auto",
        }
    )
    opening = " ".join(f'{name}="{_attribute(value)}"' for name, value in attributes.items())
    # The chart speaks through its title and description (and the table that follows it);
    # Vega's per-mark roles inside would be read as dozens of unlabelled graphics, so the
    # drawing itself is hidden from assistive technology.
    body = body.replace("<g", '<g aria-hidden="true"', 1)
    return (
        f"<svg {opening}><title>{escape(title)}</title>"
        f'<desc id="{desc_id}">{escape(description)}</desc>{body}'
    )


def _attribute(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _layer(values: Sequence[dict[str, Any]]) -> alt.Chart:
    # Inline values, not a DataFrame: Altair would name a DataFrame's dataset by a hash and
    # could reorder or retype columns; plain JSON keeps the spec, and so the SVG, reproducible.
    return alt.Chart(alt.Data(values=list(values)))


def _suppressed_notes(notes: list[dict[str, Any]]) -> alt.Chart:
    """The word "suppressed" at the start of a horizontal chart's row, in place of a mark."""
    return (
        _layer(notes)
        .mark_text(
            align="left", baseline="middle", dx=6, fontSize=11, fontStyle="italic", color=MUTED
        )
        .encode(x=alt.value(0), text="note:N")
    )


def _target_layers(
    published: list[dict[str, Any]],
    x: alt.X,
    target: float,
    target_year: int | None,
    baseline_year: int | None,
    is_share: bool,
) -> tuple[list[alt.Chart], list[alt.Chart]]:
    """The target's marker and label, and the dashed path to it from a published baseline."""
    goal = {
        "wave": target_year,
        "estimate": float(target),
        "text": f"target {_percent(target) if is_share else f'{target:g}'}",
    }
    above = [
        _layer([goal])
        .mark_point(shape="diamond", filled=True, size=170, opacity=1, color=TARGET_COLOUR)
        .encode(x=x, y=alt.Y("estimate:Q")),
        _layer([goal])
        .mark_text(baseline="bottom", dy=-11, fontSize=12, color=TARGET_TEXT, fontWeight="bold")
        .encode(x=x, y=alt.Y("estimate:Q"), text="text:N"),
    ]
    # The dashed path starts from a published baseline only: never from a withheld value.
    baseline = next((item for item in published if item["wave"] == baseline_year), None)
    behind: list[alt.Chart] = []
    if baseline is not None:
        path = [
            {
                "wave": baseline["wave"],
                "estimate": baseline["estimate"],
                "wave_to": target_year,
                "estimate_to": float(target),
            }
        ]
        behind.append(
            _layer(path)
            .mark_rule(color=TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=1.8)
            .encode(x=x, y=alt.Y("estimate:Q"), x2="wave_to:Q", y2="estimate_to:Q")
        )
    return behind, above


def _category_axis(labels: list[str]) -> alt.Y:
    """The category axis of a horizontal chart, in row order, long labels wrapped.

    Vega cannot wrap an axis label, only cut it short; a cut label would hide which group a
    bar is, so long labels are wrapped here and looked up by the label expression.
    """
    wrapped = {label: _wrap_label(label) for label in labels if len(_wrap_label(label)) > 1}
    label_expr = (
        f"{json.dumps(wrapped, sort_keys=True)}[datum.label] || datum.label"
        if wrapped
        else alt.Undefined
    )
    return alt.Y(
        "label:N",
        title=None,
        sort=None,
        scale=alt.Scale(domain=labels),
        axis=alt.Axis(labelExpr=label_expr),
    )


def _row_step(labels: list[str]) -> int:
    # A wrapped label needs about 15 px a line; short ones share the usual row height.
    lines = max((len(_wrap_label(label)) for label in labels), default=1)
    return max(ROW_STEP, 15 * lines + 6)


def _wrap_label(label: str) -> list[str]:
    return textwrap.wrap(label, LABEL_WRAP) or [label]


def _require(rows: pd.DataFrame, columns: Iterable[str], chart: str) -> None:
    missing = [column for column in columns if column not in rows.columns]
    if missing:
        raise ValueError(
            f"{chart}: the rows have no column {', '.join(map(repr, missing))} "
            f"(they have {', '.join(map(repr, rows.columns))})"
        )


def _is_published(row: dict[str, Any]) -> bool:
    return row["status"] == PUBLISHED


def _number(value: Any) -> float | None:
    """A plain float for the JSON spec, or None for a missing or infinite value."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _interval(row: dict[str, Any]) -> tuple[float | None, float | None]:
    low, high = _number(row["ci_low"]), _number(row["ci_high"])
    if low is None or high is None:
        return None, None  # half an interval would mislead: draw no whisker
    return low, high


def _in_order(values: pd.Series) -> list[str]:
    return list(dict.fromkeys(str(value) for value in values))


def _percent(value: float) -> str:
    # Below 1% a whole percent would round a real share to "0%".
    return f"{value:.1%}" if 0 < abs(value) < 0.01 else f"{value:.0%}"


def _share_ceiling(value: float) -> float:
    for ceiling in (0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8):
        if value <= ceiling:
            return ceiling
    return 1.0


def _log_ticks(low: float, high: float) -> list[float]:
    doubling = [2.0**k for k in range(-10, 11) if low <= 2.0**k <= high]
    if len(doubling) <= 9:
        return doubling
    return [10.0**k for k in range(-4, 5) if low <= 10.0**k <= high]


def _stacked_notes(withheld: dict[str, list[str]], *, several: bool, x: alt.X) -> list[alt.Chart]:
    """At the foot of each stage with withheld values, "suppressed:" and the groups, one a line.

    Vega anchors a multi-line text by its first line, so a block would run into the axis
    labels; instead each layer holds the n-th line counted from the bottom, raised n lines.
    """
    blocks = {
        stage: [f"{SUPPRESSED}:", *groups] if several else [SUPPRESSED]
        for stage, groups in withheld.items()
    }
    depth = max((len(lines) for lines in blocks.values()), default=0)
    return [
        _layer(
            [
                {"stage": stage, "note": lines[-1 - n]}
                for stage, lines in blocks.items()
                if len(lines) > n
            ]
        )
        .mark_text(baseline="bottom", dy=-4 - 14 * n, fontSize=11, fontStyle="italic", color=MUTED)
        .encode(x=x, y=alt.value(PLOT_HEIGHT), text="note:N")
        for n in range(depth)
    ]
