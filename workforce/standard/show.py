"""Show the standard to people: rich tables of dimensions, codes, views and sources.

``show_standard(console)`` prints everything (long code lists such as ``country`` are
shortened); ``show_standard(console, "gender")`` prints one dimension or view in full. The
CLI command ``workforce standard show [DIMENSION]`` is a thin layer over it.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from workforce.standard.loader import load_standard
from workforce.standard.model import Dimension, Standard, UnknownDimensionError, View

# In the overview, a dimension with more codes than this shows only the first ones.
OVERVIEW_CODE_LIMIT = 12
# Wide enough that the definition and source beneath a short code list stay readable.
CAPTIONED_TABLE_WIDTH = 88
LABEL_WIDTH_LIMIT = 36


def render_dimension(item: Dimension | View, max_codes: int | None = None) -> Table:
    """One dimension or view as a table of its codes, with definition and source beneath."""
    if isinstance(item, Dimension):
        kind = "multi-select" if item.multi else "single"
        missing = set(item.missing_codes)
    else:
        kind = "derived view"
        missing = {code for code in item.code_list if code in ("declined", "unknown")}
    table = Table(
        title=Text(f"{item.name} — {item.title} ({kind})"),
        caption=Text(_caption(item)),
        caption_justify="left",
        title_justify="left",
        min_width=CAPTIONED_TABLE_WIDTH,
    )
    codes = item.codes if max_codes is None else item.codes[:max_codes]
    # Labels are what people read first: keep them on one line where they reasonably fit,
    # and let the definitions wrap instead.
    label_width = min(max((len(code.label) for code in codes), default=5), LABEL_WIDTH_LIMIT)
    table.add_column("code", style="bold", no_wrap=True)
    table.add_column("label", min_width=label_width)
    table.add_column("definition")
    for code in codes:
        style = "dim" if code.code in missing else ""
        # Text, not markup: a label such as "[other]" must print as written.
        table.add_row(Text(code.code), Text(code.label), Text(code.definition), style=style)
    if max_codes is not None and len(item.codes) > max_codes:
        table.add_row("…", f"{len(item.codes) - max_codes} more codes",
                      Text(f"workforce standard show {item.name} lists them all"), style="dim")
    if isinstance(item, Dimension) and item.open_code_pattern:
        table.add_row(Text(f"{item.open_code_example.split('.')[0]}.<slug>"),
                      Text(item.open_code_definition),
                      Text(f"e.g. {item.open_code_example}"), style="italic")
    return table


def _caption(item: Dimension | View) -> str:
    lines = [item.definition]
    if isinstance(item, Dimension):
        if item.blank_allowed:
            lines.append("May be blank.")
        if item.missing_codes:
            lines.append("Missing values (greyed): " + ", ".join(item.missing_codes) + ".")
    else:
        reads = item.dimension or ", ".join(item.inputs)
        lines.append(f"Reads {reads}; adds column(s) {', '.join(item.columns)}.")
    lines.append(f"Source: {item.source}")
    return "\n".join(lines)


def render_standard(standard: Standard | None = None) -> Table:
    """An overview: one row per record column, dimension and view."""
    standard = standard or load_standard()
    table = Table(title=standard.title, title_justify="left")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("kind", no_wrap=True)
    table.add_column("codes")
    for column in standard.base_columns:
        table.add_row(column.name, Text(column.definition), "record column", "")
    for dimension in standard.dimensions.values():
        codes = dimension.code_list
        shown = ", ".join(codes[:OVERVIEW_CODE_LIMIT])
        if len(codes) > OVERVIEW_CODE_LIMIT:
            shown += f", … ({len(codes)} codes)"
        table.add_row(dimension.name, Text(dimension.title),
                      "multi-select" if dimension.multi else "single", Text(shown))
    for view in standard.views.values():
        table.add_row(view.name, Text(view.title), "derived view", Text(", ".join(view.code_list)))
    return table


def render_item(name: str, standard: Standard | None = None) -> Table:
    """The dimension or view called ``name`` in full; ``UnknownDimensionError`` otherwise."""
    standard = standard or load_standard()
    if name in standard.dimensions:
        return render_dimension(standard.dimensions[name])
    if name in standard.views:
        return render_dimension(standard.views[name])
    raise UnknownDimensionError(name, (*standard.dimensions, *standard.views),
                                kind="dimension or view")


def show_standard(
    console: Console, dimension: str | None = None, standard: Standard | None = None
) -> None:
    """Print the whole standard, or one dimension or view (raises for an unknown name)."""
    standard = standard or load_standard()
    if dimension is not None:
        console.print(render_item(dimension, standard))
        return
    parts = [render_standard(standard), Text("")]
    for item in (*standard.dimensions.values(), *standard.views.values()):
        parts.extend([render_dimension(item, max_codes=OVERVIEW_CODE_LIMIT), Text("")])
    console.print(Group(*parts))
