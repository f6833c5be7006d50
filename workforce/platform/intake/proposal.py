"""What a data steward decides on the upload page: the values to decide and the codes offered.

The proposal is a saved mapping version (``Mapping``, unconfirmed) plus, on its ingest run,
each mapped column's distinct values with row counts. This module turns the two into rows of
the page and its form, and turns the steward's choices back into a mapping to save.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from django import forms

from workforce.intake import ColumnMapping, ValueDecision
from workforce.intake import Mapping as IntakeMapping
from workforce.intake.mapping import ANSWER_CODES, VALUE_METHODS
from workforce.standard import load_standard

BLANK_LABEL = "(blank)"
REASONS = {
    "exact": "exact match",
    "synonym": "synonym",
    "crosswalk": "crosswalk",
    "value_label": "value label",
    "missing": "missing-value label",
    "person": "decided by a person",
    "fuzzy": "fuzzy match",
    "unmapped": "unmapped",
}


@cache
def code_choices(dimension: str, method: str) -> tuple[tuple[str, object], ...]:
    """The codes a value of this column may take, as ``<select>`` choices (groups allowed)."""
    if method in ANSWER_CODES:
        return tuple((code, code) for code in ANSWER_CODES[method])
    standard = load_standard()
    main = tuple(
        (code.code, f"{code.label} ({code.code})") for code in standard.dimension(dimension).codes
    )
    if dimension == "race_ethnicity" and method != "omb1997_race":
        detail = tuple(
            (code.code, f"{code.label} ({code.code})")
            for code in standard.dimension("race_ethnicity_detail").codes
        )
        return (("Categories", main), ("Detailed groups", detail))
    return main


def _flat_codes(choices) -> set[str]:
    codes = set()
    for value, label in choices:
        if isinstance(label, tuple):
            codes |= {code for code, _ in label}
        else:
            codes.add(value)
    return codes


@dataclass
class ValueRow:
    """One distinct value of a mapped column, its proposal and its field on the form."""

    column: str
    key: str
    rows: int
    new: bool
    decision: ValueDecision
    field_name: str
    bound: forms.BoundField | None = None  # set by MappingDecisionForm

    @property
    def shown(self) -> str:
        return self.key if self.key else BLANK_LABEL

    @property
    def blocking(self) -> bool:
        """No code proposed: the mapping cannot be confirmed until a person picks one."""
        return self.decision.code is None

    @property
    def needs_check(self) -> bool:
        return not self.decision.confirmed

    @property
    def reason(self) -> str:
        text = REASONS.get(self.decision.reason, self.decision.reason)
        if self.decision.reason == "fuzzy" and self.decision.score is not None:
            text += f", score {self.decision.score:.2f}"
        return text


@dataclass
class ColumnRows:
    mapping: ColumnMapping
    values: list[ValueRow] = field(default_factory=list)

    @property
    def has_values(self) -> bool:
        return self.mapping.method in VALUE_METHODS


def proposal_rows(proposal: IntakeMapping, values: dict) -> list[ColumnRows]:
    """The page's rows: every column of the proposal, and the values found in this file.

    New values (not in the confirmed mapping the proposal started from) come first, then
    undecided ones, then the rest, so the decisions that matter are at the top.
    """
    counted = values.get("columns", {})
    result = []
    for column_index, column in enumerate(proposal.columns):
        rows = ColumnRows(column)
        for value_index, entry in enumerate(counted.get(column.column, [])):
            decision = column.values.get(entry["key"], ValueDecision(None, "unmapped", False))
            rows.values.append(
                ValueRow(
                    column.column,
                    entry["key"],
                    int(entry["rows"]),
                    bool(entry["new"]),
                    decision,
                    f"value-{column_index}-{value_index}",
                )
            )
        rows.values.sort(key=lambda row: (not row.new, not row.needs_check))
        result.append(rows)
    return result


class MappingDecisionForm(forms.Form):
    """One ``<select>`` per value found in the file; every one needs a code to confirm."""

    def __init__(self, columns: list[ColumnRows], *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.columns = columns
        for column in columns:
            if not column.values:
                continue
            choices = code_choices(column.mapping.dimension, column.mapping.method)
            for row in column.values:
                field_choices = [("", "— choose a code —"), *choices]
                if row.decision.code and row.decision.code not in _flat_codes(choices):
                    # An open code (a tribal write-in such as aian.navajo_nation) stays offered.
                    field_choices.append((row.decision.code, row.decision.code))
                self.fields[row.field_name] = forms.ChoiceField(
                    choices=field_choices,
                    initial=row.decision.code or "",
                    label=row.shown,
                    error_messages={
                        "required": f"{row.shown!r} in column {row.column!r} needs a code: "
                        "choose one, or Unknown if it cannot be mapped.",
                    },
                    widget=forms.Select(attrs={"aria-describedby": f"{row.field_name}-reason"}),
                )
                row.bound = self[row.field_name]

    def decided(self, proposal: IntakeMapping) -> IntakeMapping:
        """The proposal with the steward's code for every value shown, each confirmed.

        A value whose proposal was certain and left as it was keeps its reason; anything the
        steward chose or accepted (a fuzzy match) is recorded as decided by a person.
        Values of earlier exports that are not in this file are kept as they were.
        """
        chosen = {
            (row.column, row.key): self.cleaned_data[row.field_name]
            for column in self.columns
            for row in column.values
        }
        columns = []
        for column in proposal.columns:
            values = dict(column.values)
            for key, decision in column.values.items():
                code = chosen.get((column.column, key))
                if code is None or (code == decision.code and decision.confirmed):
                    continue
                also = decision.also if code == decision.code else {}
                values[key] = ValueDecision(code, "person", True, None, also, decision.label)
            for (name, key), code in chosen.items():  # a value the proposal lacked
                if name == column.column and key not in values:
                    values[key] = ValueDecision(code, "person", True)
            columns.append(replace(column, values=values))
        return replace(proposal, columns=tuple(columns))


# --- Columns --------------------------------------------------------------------------------

NOT_USED = ""
# Dimensions a person can point any column at: one answer per row, read through the
# standard's labels. The others come from layouts that detection recognizes (multi-select,
# the 1997 two questions, checkboxes, birth year or age, US state) and are kept as proposed.
RULE_DERIVED = ("age_band", "us_region")


@cache
def label_dimensions() -> tuple[str, ...]:
    standard = load_standard()
    return tuple(
        dimension.name
        for dimension in standard.dimensions.values()
        if not dimension.multi and dimension.name not in RULE_DERIVED
    )


def column_choice(column: ColumnMapping | None) -> str:
    return f"{column.dimension}:{column.method}" if column is not None else NOT_USED


@dataclass
class ColumnRow:
    """One column of the file: what the proposal makes of it, and its field on the form."""

    name: str
    mapping: ColumnMapping | None
    bound: forms.BoundField | None = None


class ColumnsForm(forms.Form):
    """Which dimension each column of the file feeds, or that it is not used."""

    def __init__(self, proposal: IntakeMapping, file_columns: list[str], *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.rows: list[ColumnRow] = []
        for index, name in enumerate(file_columns):
            current = proposal.column(name)
            choices = [(NOT_USED, "Not used")]
            if current is not None and current.method not in ("label", "record_id"):
                choices.append((column_choice(current), f"{current.dimension} ({current.method})"))
            choices.append(("record_id:record_id", "record_id (the member ID)"))
            choices += [(f"{dimension}:label", dimension) for dimension in label_dimensions()]
            field_name = f"column-{index}"
            self.fields[field_name] = forms.ChoiceField(
                choices=choices,
                initial=column_choice(current),
                required=False,
                label=name,
            )
            self.rows.append(ColumnRow(name, current, self[field_name]))

    def clean(self):
        data = super().clean()
        seen: dict[str, str] = {}
        for row in self.rows:
            choice = data.get(row.bound.name, NOT_USED)
            if not choice or choice.startswith("race_ethnicity:"):
                continue  # several columns may together make race and ethnicity
            if choice in seen:
                raise forms.ValidationError(
                    f"Columns {seen[choice]!r} and {row.name!r} both feed "
                    f"{choice.split(':')[0]}; choose one, and set the other to Not used."
                )
            seen[choice] = row.name
        return data

    def chosen(self) -> dict[str, tuple[str, str] | None]:
        """Each file column's (dimension, method), or None when it is not used."""
        result = {}
        for row in self.rows:
            choice = self.cleaned_data.get(row.bound.name) or NOT_USED
            result[row.name] = tuple(choice.split(":", 1)) if choice else None
        return result
