"""The standard's vocabulary as frozen dataclasses: codes, dimensions, views, benchmarks.

Instances are built by ``workforce.standard.loader`` from the versioned YAML files; nothing
here knows about files. Everything is immutable so that one loaded standard can be shared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from workforce.standard.labels import normalize_label

DECLINED = "declined"
UNKNOWN = "unknown"
MISSING_CODES: tuple[str, ...] = (DECLINED, UNKNOWN)
MULTI_SEPARATOR = ";"


class StandardError(Exception):
    """Base class of every error raised by ``workforce.standard``."""


class StandardDataError(StandardError, ValueError):
    """A data file of the standard is malformed; the message names the file and the key."""


class UnknownDimensionError(StandardError, KeyError):
    """A dimension or view name that the standard does not define."""

    def __init__(self, name: str, valid: tuple[str, ...], kind: str = "dimension") -> None:
        self.name = name
        self.valid = valid
        super().__init__(
            f"{name!r} is not a {kind} of the standard; valid names: {', '.join(valid)}"
        )

    def __str__(self) -> str:
        # KeyError would show the repr of the message, quotes and all.
        return str(self.args[0])


class UnknownCodeError(StandardError, KeyError):
    """A code that a dimension or view does not define."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Code:
    """One answer of a dimension (or one category of a view)."""

    code: str
    label: str
    definition: str = ""


class _CodeList:
    """Lookups shared by dimensions and views; both carry ``name`` and ``codes``."""

    name: str
    codes: tuple[Code, ...]

    @cached_property
    def code_set(self) -> frozenset[str]:
        return frozenset(code.code for code in self.codes)

    @cached_property
    def _labels(self) -> dict[str, str]:
        return {code.code: code.label for code in self.codes}

    def label(self, code: str) -> str:
        """The human label of ``code``; raises ``UnknownCodeError`` for a code not defined."""
        try:
            return self._labels[code]
        except KeyError:
            raise UnknownCodeError(
                f"{code!r} is not a code of {self.name}; codes: {', '.join(self._labels)}"
            ) from None

    @property
    def code_list(self) -> tuple[str, ...]:
        return tuple(code.code for code in self.codes)


@dataclass(frozen=True)
class Dimension(_CodeList):
    """A coded column of standard records, such as ``gender`` or ``race_ethnicity``."""

    name: str
    title: str
    multi: bool
    definition: str
    codes: tuple[Code, ...]
    source: str
    group: str = ""
    missing_codes: tuple[str, ...] = MISSING_CODES
    blank_allowed: bool = False
    # Codes outside the list that are still valid, e.g. AIAN tribal write-ins `aian.<slug>`.
    open_code_pattern: str | None = None
    open_code_definition: str = ""
    open_code_example: str = ""
    # For detail codes `parent.sub`: the dimension whose code each parent must be.
    parent_dimension: str | None = None

    @property
    def answer_codes(self) -> tuple[str, ...]:
        """The codes that are answers, i.e. every code but the missing codes."""
        return tuple(code.code for code in self.codes if code.code not in self.missing_codes)

    @cached_property
    def _open_code_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.open_code_pattern) if self.open_code_pattern else None

    def is_code(self, value: str) -> bool:
        """Whether ``value`` is one code of this dimension (listed or open-ended)."""
        if value in self.code_set:
            return True
        regex = self._open_code_regex
        return bool(regex is not None and regex.fullmatch(value))


@dataclass(frozen=True)
class View(_CodeList):
    """A derived tabulation such as ``alone`` or ``lgbtq`` (computed by ``views.py``)."""

    name: str
    title: str
    column: str
    definition: str
    codes: tuple[Code, ...]
    source: str
    # The one dimension a view tabulates (race views), or the inputs it combines.
    dimension: str | None = None
    inputs: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Record columns the view adds; one per code for alone-or-in-combination."""
        if "{code}" in self.column:
            return tuple(self.column.format(code=code) for code in self.code_list)
        return (self.column,)


@dataclass(frozen=True)
class RecordColumn:
    """One of the identifying columns that precede the dimensions in every record."""

    name: str
    definition: str
    blank_allowed: bool = False


@dataclass(frozen=True)
class UsState:
    """A U.S. state (or the District of Columbia) and its Census region and division."""

    postal: str
    name: str
    region: str
    division: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CdcBranch:
    """A contiguous range of CDC Race & Ethnicity codes that rolls up to one standard code."""

    first: int
    last: int
    code: str
    title: str = ""


@dataclass(frozen=True)
class Crosswalks:
    """Normalized lookup tables from crosswalks.yaml (keys are normalized labels)."""

    omb1997_source: str
    omb1997_hispanic: Mapping[str, str]
    omb1997_race: Mapping[str, str]
    cdc_source: str
    cdc_codes: Mapping[str, str]
    cdc_branches: tuple[CdcBranch, ...]
    cdc_detail: Mapping[str, str]
    cdc_null_flavors: Mapping[str, str]
    sex_at_birth: Mapping[str, str]


@dataclass(frozen=True)
class Benchmark:
    """A published reference population: shares of one view, with source, year and universe.

    ``shares`` are proportions (0-1) keyed by the view's codes or by a ``groups`` name;
    ``percent`` gives them back as published.
    """

    id: str
    title: str
    source: str
    citation: str
    url: str
    year: int
    universe: str
    dimension: str
    view: str
    shares: Mapping[str, float]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unmapped: Mapping[str, float] = field(default_factory=dict)
    respondents: int | None = None
    invited: int | None = None
    notes: str = ""

    @property
    def percent(self) -> dict[str, float]:
        return {code: round(share * 100, 6) for code, share in self.shares.items()}

    def codes_of(self, key: str) -> tuple[str, ...]:
        """The view codes a share covers: the group's members, or the code itself."""
        return tuple(self.groups.get(key, (key,)))


@dataclass(frozen=True, eq=False, repr=False)
class Standard:
    """One version of the standard: dimensions, views, record columns and reference data."""

    version: str
    title: str
    data_dir: Path
    record_columns: tuple[str, ...]
    base_columns: tuple[RecordColumn, ...]
    dimensions: Mapping[str, Dimension]
    views: Mapping[str, View]
    missing: tuple[Code, ...]
    countries: Mapping[str, str]
    us_states: tuple[UsState, ...]
    synonyms: Mapping[str, Mapping[str, str]]
    ambiguous_labels: Mapping[str, frozenset[str]]
    crosswalks: Crosswalks
    benchmarks: tuple[Benchmark, ...]
    multi_separator: str = MULTI_SEPARATOR

    def __repr__(self) -> str:
        return (f"Standard(version={self.version!r}, {len(self.dimensions)} dimensions, "
                f"{len(self.views)} views, {len(self.benchmarks)} benchmarks, "
                f"data_dir={str(self.data_dir)!r})")

    def dimension(self, name: str) -> Dimension:
        """The dimension called ``name``; ``UnknownDimensionError`` lists the valid names."""
        try:
            return self.dimensions[name]
        except KeyError:
            raise UnknownDimensionError(name, tuple(self.dimensions)) from None

    def view(self, name: str) -> View:
        """The derived view called ``name``; ``UnknownDimensionError`` lists the valid names."""
        try:
            return self.views[name]
        except KeyError:
            raise UnknownDimensionError(name, tuple(self.views), kind="view") from None

    @property
    def dimension_columns(self) -> tuple[str, ...]:
        return tuple(self.dimensions)

    @cached_property
    def us_state_regions(self) -> dict[str, str]:
        """Normalized postal code, name or alias of every state → its Census region."""
        lookup: dict[str, str] = {}
        for state in self.us_states:
            for spelling in (state.postal, state.name, *state.aliases):
                lookup[normalize_label(spelling)] = state.region
        return lookup


_CDC_CODE = re.compile(r"(\d{4})-(\d)")


def cdc_code_number(code: str) -> int | None:
    """The number of a CDC Race & Ethnicity code ("2106-3" → 2106), or None when malformed.

    The digit after the hyphen is a Luhn (mod 10) check digit over the four digits before it;
    a code that fails it is a typo, not a code.
    """
    match = _CDC_CODE.fullmatch(code)
    if match is None:
        return None
    digits = match.group(1) + match.group(2)
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return int(match.group(1)) if total % 10 == 0 else None
