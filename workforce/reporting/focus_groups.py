"""The report's focus-group and open-text sections: themes by group through the gate,
agreement, quotes.

Numbers say how many; focus groups say why. This section reads a coded, de-identified
qualitative project (a `workforce qual import` directory) and gives the report:

- for each grouping the inputs name (a participant attribute such as ``career_stage``, or
  ``group`` for the focus group itself), a published table of how many participants raised
  each theme, built from `qual.analysis.theme_by_group`, whose counts pass the disclosure
  gate as linked tables (a row shows its figures only when the gate published both the
  count and the group's size);
- agreement between the coders for each code, on both bases, with the unit stated;
- exemplary quotes, each checked by `qual.analysis.check_quote` against the identifying list
  and the group sizes before it may be printed, and the number withheld and why.

The report's inputs name it:

```yaml
focus_groups:
  project: focus-groups             # the project directory (project.json)
  participants: participants.csv    # names, only to check quotes against; never shipped
  identifying: identifying.yaml     # institutions, places and other terms
  by: [career_stage, sector]        # how themes are shown by group
  quotes: 1                         # quotes per theme
open_text:                          # open-text survey answers coded the same way, optional
  project: open-text
  by: [career_stage]
```
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workforce.disclosure.gate import GateResult
from workforce.qual.agreement import Agreement, agreement
from workforce.qual.analysis import (
    GROUP,
    PARTICIPANTS,
    REASONS,
    Quote,
    exemplary_quotes,
    theme_by_group,
)
from workforce.qual.codings import QualError
from workforce.qual.deidentify import IdentifyingList, read_identifying_list
from workforce.qual.project import PROJECT_FILE, QualProject, parse_project
from workforce.qual.sources import read_participants
from workforce.reporting.counts import CONSORTIUM
from workforce.reporting.tables import (
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    Column,
    PublishedTable,
    status_column,
)
from workforce.standard.loader import load_standard


@dataclass(frozen=True)
class QualKind:
    """What a qualitative section is about, in the words its tables and pages use."""

    key: str  # its key in the report's inputs
    prefix: str  # of its tables' names
    title: str
    people: str  # who is counted
    anchor: str
    adjective: str  # before "themes", in tables' titles




FOCUS_GROUPS = QualKind("focus_groups", "focus_group", "Focus groups",
                        "focus-group participants", "focus-groups", "Focus-group")
OPEN_TEXT = QualKind("open_text", "open_text", "Open-text comments",
                     "respondents who wrote a comment", "open-text", "Open-text")
KINDS = {kind.key: kind for kind in (FOCUS_GROUPS, OPEN_TEXT)}
TOTAL = "Total"
DEFAULT_BY = ("career_stage",)
# The worse of two statuses, for a row resting on two gated counts.
_SEVERITY = {PUBLISHED: 0, SECONDARY: 1, PRIMARY: 2}


@dataclass(frozen=True)
class FocusGroupInputs:
    """What the report's `focus_groups:` entry names, read and checked."""

    project: QualProject
    identifying: IdentifyingList
    by: tuple[str, ...] = DEFAULT_BY
    quotes: int = 1
    coder: str | None = None
    # (path as named, sha256, description) of each file read, for the methods.
    files: tuple[tuple[str, str, str], ...] = ()
    kind: QualKind = FOCUS_GROUPS


@dataclass(frozen=True)
class FocusGroupSection:
    project: str
    sources: int
    focus_groups: int
    open_text: int
    participants: int
    coders: tuple[str, ...]
    codebook_version: int
    themes: tuple[tuple[str, str], ...]  # (code id, label) in codebook order, codable only
    tables: tuple[PublishedTable, ...]
    agreement: tuple[Agreement, ...]
    quotes: Mapping[str, tuple[Quote, ...]]
    withheld: Mapping[str, int]  # reason kind → candidate quotes withheld for it
    threshold: int
    gates: tuple[GateResult, ...] = ()  # one per grouping, for the methods' gate summary
    kind: QualKind = FOCUS_GROUPS

    @property
    def passed(self) -> bool:
        return all(gate.publishable for gate in self.gates)

    def label(self, code: str) -> str:
        return dict(self.themes).get(code, code)

    @property
    def withheld_reasons(self) -> list[tuple[str, int]]:
        return [(REASONS.get(kind, kind), n) for kind, n in self.withheld.items()]


def load_focus_group_inputs(entry: Mapping, base: Path, where: str,
                            kind: QualKind = FOCUS_GROUPS) -> FocusGroupInputs:
    """The `focus_groups:` (or `open_text:`) entry of a report's inputs (paths relative to
    `base`)."""
    if not isinstance(entry, Mapping) or "project" not in entry:
        raise QualError(f"{where}: {kind.key} needs at least 'project' (a project directory)")
    unknown = sorted(set(entry) - {"project", "participants", "identifying", "by", "quotes",
                                   "coder"})
    if unknown:
        raise QualError(f"{where}: {kind.key} has unknown key(s) {', '.join(unknown)}")
    files = []
    project_file = base / str(entry["project"]) / PROJECT_FILE
    try:
        content = project_file.read_bytes()
    except FileNotFoundError:
        raise QualError(f"{project_file}: no project here") from None
    # Read once: the same bytes are parsed and named by their checksum in the methods.
    project = parse_project(content, project_file)
    files.append((f"{entry['project']}/{PROJECT_FILE}", hashlib.sha256(content).hexdigest(),
                  f"{kind.title}: the coded, de-identified project"))
    identifying = IdentifyingList()
    if entry.get("identifying"):
        path = base / str(entry["identifying"])
        identifying = read_identifying_list(path)
        files.append(_file(str(entry["identifying"]), path,
                           f"{kind.title}: terms that identify (checked in every quote)"))
    if entry.get("participants"):
        path = base / str(entry["participants"])
        identifying = identifying.with_names(read_participants(path).names)
        files.append(_file(str(entry["participants"]), path,
                           f"{kind.title}: participants (names checked in every quote)"))
    by = entry.get("by", list(DEFAULT_BY))
    by = (by,) if isinstance(by, str) else tuple(str(b) for b in by)
    quotes = entry.get("quotes", 1)
    if not isinstance(quotes, int) or quotes < 0:
        raise QualError(f"{where}: {kind.key}.quotes is a whole number, not {quotes!r}")
    return FocusGroupInputs(project, identifying, by, quotes, entry.get("coder"), tuple(files),
                            kind)


def _file(name: str, path: Path, description: str) -> tuple[str, str, str]:
    return name, hashlib.sha256(Path(path).read_bytes()).hexdigest(), description


def build_focus_groups(inputs: FocusGroupInputs, *, threshold: int = 5) -> FocusGroupSection:
    project = inputs.project
    codable = [c for c in project.codes if c.codable]
    themes = tuple((c.id, _theme_label(project, c.id)) for c in codable)
    used = {c.code for c in project.codings}
    codes = [c for c, _ in themes if c in used]
    tables, gates = [], []
    for by in inputs.by:
        matrix = theme_by_group(project, by=by, codes=codes, coder=inputs.coder,
                                threshold=threshold)
        gates.append(matrix.gate)
        tables.append(_themes_table(matrix, by, themes, inputs.kind))
    figures: tuple[Agreement, ...] = ()
    if len(project.coders) >= 2:
        figures = tuple(agreement(project.codings, project.lengths(), codes=codes))
    chosen = exemplary_quotes(project, inputs.identifying, per_code=inputs.quotes,
                              coder=inputs.coder, threshold=threshold) if inputs.quotes else {}
    withheld: Counter = Counter()
    for choice in chosen.values():
        withheld.update(choice.withheld())
    kinds = Counter(s.kind for s in project.sources)
    return FocusGroupSection(
        project=project.name,
        sources=len(project.sources),
        focus_groups=len({s.group for s in project.sources if s.kind == "transcript"}),
        open_text=kinds.get("open_text", 0),
        participants=len(project.participants),
        coders=project.coders,
        codebook_version=project.codebook[-1].number if project.codebook else 0,
        themes=themes,
        tables=tuple(tables),
        agreement=figures,
        quotes={code: choice.accepted for code, choice in chosen.items() if choice.accepted},
        withheld=dict(sorted(withheld.items())),
        threshold=threshold,
        gates=tuple(gates),
        kind=inputs.kind,
    )


def _theme_label(project: QualProject, code_id: str) -> str:
    """"Climate: belonging": the parent's name before the code's, as a reader scans them."""
    codes = {c.id: c for c in project.codes}
    code = codes[code_id]
    parent = codes.get(code.parent)
    return f"{parent.name}: {code.name.lower()}" if parent else code.name


def _themes_table(matrix, by: str, themes: Sequence[tuple[str, str]],
                  kind: QualKind) -> PublishedTable:
    """Participants who raised each theme, by `by`, one row per theme and group (and Total):
    the count, the group's size and the share, all shown or none."""
    labels = _group_labels(by, matrix.groups)
    rows = []
    for code in matrix.codes:
        for group in (*matrix.groups, TOTAL):
            statuses = (matrix.status.at[code, group], matrix.status.at[PARTICIPANTS, group])
            status = max(statuses, key=lambda s: _SEVERITY.get(s, 2))
            shown = status == PUBLISHED
            rows.append({
                "population": CONSORTIUM,
                "theme": code,
                "group": group,
                "count": matrix.counts.at[code, group] if shown else None,
                "participants": matrix.counts.at[PARTICIPANTS, group] if shown else None,
                "share": matrix.shares.at[code, group] if shown else None,
                "status": status,
            })
    data = pd.DataFrame(rows, columns=["population", "theme", "group", "count",
                                       "participants", "share", "status"])
    data["count"] = data["count"].astype("Int64")
    data["participants"] = data["participants"].astype("Int64")
    data["share"] = pd.to_numeric(data["share"], errors="coerce").astype(float)
    what = "focus group" if by == GROUP else _dimension_title(by)
    columns = (
        # The focus groups are the consortium's: a society's report shows them as such.
        Column("population", "Population", description=f"Whose {kind.title.lower()} these "
               "are.",
               categories=((CONSORTIUM, "Consortium"),)),
        Column("theme", "Theme", description="A code of the codebook.",
               categories=tuple(themes)),
        Column("group", what.capitalize(), description=f"The participants' {what}; Total is "
               "every participant.", categories=(*labels, (TOTAL, "All"))),
        Column("count", "Participants who raised it", "integer",
               f"{kind.people.capitalize()} of the group with at least one coded passage of "
               "the theme in their own words.", unit="people"),
        Column("participants", "Participants in the group", "integer", unit="people"),
        Column("share", "Share who raised it", "number", "count / participants",
               unit="proportion"),
        status_column(),
    )
    return PublishedTable(
        name=f"{kind.prefix}_themes_by_{by}",
        title=f"{kind.adjective} themes by {what}",
        description=f"How many {kind.people} of each {what} raised each theme.",
        indicator=f"{kind.prefix}_themes",
        columns=columns,
        data=data,
        sources=(kind.title.lower(),),
        gated=f"{kind.prefix} themes by {by}",
        notes=(f"Counts of people, each theme protected together with the group sizes by the "
               f"disclosure gate (threshold {matrix.threshold}); a group smaller than the "
               "threshold is never shown on its own.",),
    )


def _dimension_title(by: str) -> str:
    dimension = load_standard().dimensions.get(by)
    return dimension.title.lower() if dimension else by.replace("_", " ")


def _group_labels(by: str, groups: Sequence[str]) -> list[tuple[str, str]]:
    if by == GROUP:
        return [(g, g.replace("_", " ").capitalize()) for g in groups]
    dimension = load_standard().dimensions.get(by)
    named = {c.code: c.label for c in dimension.codes} if dimension else {}
    return [(g, named.get(g, g.replace("_", " "))) for g in groups]
