"""Load one version of the standard from its YAML files, checking them as it goes.

A version lives in ``workforce/standard/data/v<version>/``:

- ``standard.yaml``: record columns, dimensions with their codes, derived views
- ``countries.yaml``: ISO 3166-1 alpha-2 codes (the ``country`` dimension's codes)
- ``us_states.yaml``: states and the District of Columbia with their Census regions
- ``synonyms.yaml``: common source labels per dimension (for ``match_label``)
- ``country_names.yaml``: country names in other languages, from the CLDR (generated)
- ``crosswalks.yaml``: OMB 1997 two-question form, CDC Race & Ethnicity codes, sex at birth
- ``benchmarks.yaml``: reference populations with source, year, universe and view

Any problem raises ``StandardDataError`` naming the file and the key, e.g.
``standard.yaml, dimensions[2] (gender).codes[1]: code 'Non-binary' is not lowercase snake case``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from workforce.standard.labels import normalize_label
from workforce.standard.model import (
    DECLINED,
    MISSING_CODES,
    UNKNOWN,
    Benchmark,
    CdcBranch,
    Code,
    Crosswalks,
    Dimension,
    RecordColumn,
    Standard,
    StandardDataError,
    StandardError,
    UsState,
    View,
    cdc_code_number,
)

DATA_ROOT = Path(__file__).parent / "data"

SNAKE_CASE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")
DETAIL_CODE = re.compile(r"([a-z0-9]+(?:_[a-z0-9]+)*)\.([a-z0-9]+(?:_[a-z0-9]+)*)")
COUNTRY_CODE = re.compile(r"[A-Z]{2}")
VIEW_COLUMN = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*(?:_\{code\})?")

# Published percentages are rounded; a mutually exclusive set may add up a little past 100.
PERCENT_ROUNDING_SLACK = 0.2
# The view whose categories overlap by design (shares may sum past 100%).
OVERLAPPING_VIEW = "alone_or_in_combination"
NOT_HISPANIC = "not_hispanic"


def load_standard(version: str = "1") -> Standard:
    """The standard of the given version, loaded once per process and shared."""
    return _load_version(str(version))


@functools.cache
def _load_version(version: str) -> Standard:
    directory = DATA_ROOT / f"v{version}"
    if not directory.is_dir():
        raise StandardError(
            f"there is no standard version {version!r}; "
            f"available: {', '.join(available_versions())}"
        )
    standard = load_standard_from(directory)
    if standard.version != version:
        raise StandardDataError(
            f"standard.yaml, version: says {standard.version!r} but lives in {directory.name}/"
        )
    return standard


def available_versions() -> tuple[str, ...]:
    return tuple(
        sorted(path.name[1:] for path in DATA_ROOT.glob("v*") if (path / "standard.yaml").is_file())
    )


def load_standard_from(directory: Path | str) -> Standard:
    """Load and check the standard in ``directory`` (not cached; tests use it on tmp copies)."""
    directory = Path(directory)
    main = _YamlFile(directory, "standard.yaml")
    root = main.mapping(main.data, "top level")

    version = main.text(root, "version", "top level")
    separator = main.text(root, "multi_separator", "top level")
    missing = _parse_missing(main, root)
    base_columns = _parse_record_columns(main, root)

    countries_file = _YamlFile(directory, "countries.yaml")
    countries = _parse_countries(countries_file)

    dimensions = _parse_dimensions(main, root, missing, countries)
    _check_record_columns(main, base_columns, dimensions)
    views = _parse_views(main, root, dimensions, base_columns)

    us_states = _parse_us_states(_YamlFile(directory, "us_states.yaml"), dimensions)
    synonyms, ambiguous = _parse_synonyms(_YamlFile(directory, "synonyms.yaml"), dimensions)
    names_file = _YamlFile(directory, "country_names.yaml")
    _add_country_names(names_file, countries, synonyms, ambiguous)
    crosswalks = _parse_crosswalks(_YamlFile(directory, "crosswalks.yaml"), dimensions, synonyms)
    benchmarks = _parse_benchmarks(_YamlFile(directory, "benchmarks.yaml"), dimensions, views)

    return Standard(
        version=version,
        title=main.text(root, "title", "top level"),
        data_dir=directory,
        record_columns=tuple(column.name for column in base_columns) + tuple(dimensions),
        base_columns=base_columns,
        dimensions=dimensions,
        views=views,
        missing=missing,
        countries=countries,
        us_states=us_states,
        synonyms=synonyms,
        ambiguous_labels=ambiguous,
        crosswalks=crosswalks,
        benchmarks=benchmarks,
        multi_separator=separator,
    )


# libyaml's parser when PyYAML was built with it: the same documents, read ten times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):
    """SafeLoader that refuses duplicated keys instead of silently keeping the last one."""


def _construct_mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)


class _YamlFile:
    """One parsed YAML file, with helpers that raise errors naming the file and the key."""

    def __init__(self, directory: Path, name: str) -> None:
        self.name = name
        path = directory / name
        if not path.is_file():
            raise StandardDataError(f"{name}: file missing from {directory}")
        try:
            with path.open(encoding="utf-8") as stream:  # so that YAML errors name the file
                self.data = yaml.load(stream, Loader=_StrictLoader)
        except yaml.YAMLError as error:
            raise StandardDataError(f"{name}: not valid YAML: {error}") from error

    def error(self, key: str, problem: str) -> StandardDataError:
        return StandardDataError(f"{self.name}, {key}: {problem}")

    def mapping(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a mapping, found {_kind(value)}")
        return value

    def sequence(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, found {_kind(value)}")
        return value

    def text(self, mapping: dict, field: str, key: str, *, required: bool = True) -> str:
        value = mapping.get(field)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{key}.{field}", f"expected non-empty text, found {_kind(value)}")
        return value.strip()

    def flag(self, mapping: dict, field: str, key: str, default: bool) -> bool:
        value = mapping.get(field, default)
        if not isinstance(value, bool):
            raise self.error(f"{key}.{field}", f"expected true or false, found {_kind(value)}")
        return value

    def code(self, value: Any, key: str, pattern: re.Pattern[str], described: str) -> str:
        if isinstance(value, bool):
            raise self.error(key, f"code {value!r} was read as a boolean; quote it: \"yes\"")
        if isinstance(value, int | float):
            raise self.error(key, f"code {value!r} was read as a number; quote it")
        if not isinstance(value, str):
            raise self.error(key, f"code must be text, found {_kind(value)}")
        if not pattern.fullmatch(value):
            raise self.error(key, f"code {value!r} is not {described}")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"[:80]


def _parse_missing(file: _YamlFile, root: dict) -> tuple[Code, ...]:
    entries = file.sequence(root.get("missing"), "missing")
    codes = tuple(_parse_code(file, entry, f"missing[{i}]", SNAKE_CASE, "lowercase snake case")
                  for i, entry in enumerate(entries))
    if tuple(code.code for code in codes) != MISSING_CODES:
        raise file.error("missing", f"must define {', '.join(MISSING_CODES)}, in that order")
    return codes


def _parse_code(
    file: _YamlFile, entry: Any, key: str, pattern: re.Pattern[str], described: str
) -> Code:
    entry = file.mapping(entry, key)
    unexpected = set(entry) - {"code", "label", "definition"}
    if unexpected:
        raise file.error(key, f"unexpected keys {sorted(map(str, unexpected))}")
    code = file.code(entry.get("code"), f"{key}.code", pattern, described)
    return Code(
        code=code,
        label=file.text(entry, "label", key),
        definition=file.text(entry, "definition", key, required=False),
    )


def _parse_record_columns(file: _YamlFile, root: dict) -> tuple[RecordColumn, ...]:
    columns = []
    for i, entry in enumerate(file.sequence(root.get("record_columns"), "record_columns")):
        key = f"record_columns[{i}]"
        entry = file.mapping(entry, key)
        name = file.code(entry.get("name"), f"{key}.name", SNAKE_CASE, "lowercase snake case")
        columns.append(RecordColumn(
            name=name,
            definition=file.text(entry, "definition", key),
            blank_allowed=file.flag(entry, "blank_allowed", key, default=False),
        ))
    return tuple(columns)


def _parse_countries(file: _YamlFile) -> dict[str, str]:
    root = file.mapping(file.data, "top level")
    file.text(root, "source", "top level")
    countries = file.mapping(root.get("countries"), "countries")
    parsed = {}
    for code, name in countries.items():
        key = f"countries.{code}"
        file.code(code, key, COUNTRY_CODE, "an upper-case ISO 3166-1 alpha-2 code")
        if not isinstance(name, str) or not name.strip():
            raise file.error(key, f"expected the country's name, found {_kind(name)}")
        parsed[code] = name.strip()
    return parsed


def _parse_dimensions(
    file: _YamlFile, root: dict, missing: tuple[Code, ...], countries: Mapping[str, str]
) -> dict[str, Dimension]:
    dimensions: dict[str, Dimension] = {}
    for index, raw in enumerate(file.sequence(root.get("dimensions"), "dimensions")):
        dimension = _parse_dimension(file, raw, index, missing, countries)
        if dimension.name in dimensions:
            raise file.error(f"dimensions[{index}]", f"dimension {dimension.name!r} defined twice")
        dimensions[dimension.name] = dimension
    for index, dimension in enumerate(dimensions.values()):
        if dimension.parent_dimension:
            _check_detail_parents(file, index, dimension, dimensions)
    return dimensions


def _parse_dimension(
    file: _YamlFile, raw: Any, index: int, missing: tuple[Code, ...], countries: Mapping[str, str]
) -> Dimension:
    key = f"dimensions[{index}]"
    raw = file.mapping(raw, key)
    name = file.code(raw.get("name"), f"{key}.name", SNAKE_CASE, "lowercase snake case")
    key = f"{key} ({name})"
    kind = raw.get("kind")
    if kind not in ("single", "multi"):
        raise file.error(f"{key}.kind", f"expected single or multi, found {_kind(kind)}")
    blank_allowed = file.flag(raw, "blank_allowed", key, default=False)
    has_missing_codes = file.flag(raw, "has_missing_codes", key, default=True)
    parent_dimension = raw.get("parent_dimension")
    if parent_dimension is not None and not isinstance(parent_dimension, str):
        raise file.error(f"{key}.parent_dimension", "expected a dimension name")

    if "codes_from" in raw:
        if raw["codes_from"] != "countries.yaml":
            raise file.error(f"{key}.codes_from", "only countries.yaml can supply codes")
        codes = [Code(code=code, label=label) for code, label in countries.items()]
    else:
        if parent_dimension:
            pattern, described = DETAIL_CODE, "a parent.sub code in lowercase snake case"
        else:
            pattern, described = SNAKE_CASE, "lowercase snake case"
        entries = file.sequence(raw.get("codes"), f"{key}.codes")
        if not entries:
            raise file.error(f"{key}.codes", "a dimension needs at least one code")
        codes = [_parse_code(file, entry, f"{key}.codes[{i}]", pattern, described)
                 for i, entry in enumerate(entries)]

    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code.code in MISSING_CODES:
            raise file.error(
                f"{key}.codes[{i}]",
                f"{code.code!r} is added to every dimension from `missing`; do not list it",
            )
        if code.code in seen:
            raise file.error(f"{key}.codes[{i}]", f"code {code.code!r} is listed twice")
        seen.add(code.code)

    if has_missing_codes:
        codes.extend(missing)
    elif not blank_allowed:
        raise file.error(
            key, "a dimension without declined/unknown must allow blanks (blank_allowed: true)"
        )

    open_pattern = None
    open_definition = ""
    example = ""
    if "open_codes" in raw:
        open_codes = file.mapping(raw["open_codes"], f"{key}.open_codes")
        open_pattern = file.text(open_codes, "pattern", f"{key}.open_codes")
        try:
            compiled = re.compile(open_pattern)
        except re.error as error:
            raise file.error(
                f"{key}.open_codes.pattern", f"not a regular expression: {error}"
            ) from error
        example = file.text(open_codes, "example", f"{key}.open_codes")
        if not compiled.fullmatch(example):
            raise file.error(f"{key}.open_codes.example", f"{example!r} does not match the pattern")
        open_definition = file.text(open_codes, "definition", f"{key}.open_codes")

    return Dimension(
        name=name,
        title=file.text(raw, "title", key),
        multi=kind == "multi",
        definition=" ".join(file.text(raw, "definition", key).split()),
        codes=tuple(codes),
        source=" ".join(file.text(raw, "source", key).split()),
        group=file.text(raw, "group", key, required=False),
        missing_codes=MISSING_CODES if has_missing_codes else (),
        blank_allowed=blank_allowed,
        open_code_pattern=open_pattern,
        open_code_definition=open_definition,
        open_code_example=example,
        parent_dimension=parent_dimension,
    )


def _check_detail_parents(
    file: _YamlFile, index: int, dimension: Dimension, dimensions: Mapping[str, Dimension]
) -> None:
    key = f"dimensions[{index}] ({dimension.name})"
    parent = dimensions.get(dimension.parent_dimension or "")
    if parent is None:
        raise file.error(f"{key}.parent_dimension", f"no dimension {dimension.parent_dimension!r}")
    for i, code in enumerate(dimension.codes):
        if code.code in dimension.missing_codes:
            continue
        parent_code = code.code.split(".", 1)[0]
        if parent_code not in parent.answer_codes:
            raise file.error(
                f"{key}.codes[{i}]",
                f"{code.code!r}: {parent_code!r} is not a code of {parent.name}",
            )


def _check_record_columns(
    file: _YamlFile, base_columns: tuple[RecordColumn, ...], dimensions: Mapping[str, Dimension]
) -> None:
    seen: set[str] = set()
    for column in (*(column.name for column in base_columns), *dimensions):
        if column in seen:
            raise file.error("record_columns", f"column {column!r} appears twice")
        seen.add(column)


def _parse_views(
    file: _YamlFile, root: dict, dimensions: Mapping[str, Dimension],
    base_columns: tuple[RecordColumn, ...],
) -> dict[str, View]:
    views: dict[str, View] = {}
    taken_columns = {column.name for column in base_columns} | set(dimensions)
    for index, raw in enumerate(file.sequence(root.get("views"), "views")):
        key = f"views[{index}]"
        raw = file.mapping(raw, key)
        name = file.code(raw.get("name"), f"{key}.name", SNAKE_CASE, "lowercase snake case")
        key = f"{key} ({name})"
        if name in views or name in dimensions:
            raise file.error(key, f"the name {name!r} is already used")
        column = file.text(raw, "column", key)
        if not VIEW_COLUMN.fullmatch(column):
            raise file.error(
                f"{key}.column", f"{column!r} is not snake case (optionally ending _{{code}})"
            )
        dimension = raw.get("dimension")
        if dimension is not None and dimension not in dimensions:
            raise file.error(f"{key}.dimension", f"no dimension {dimension!r}")
        inputs = tuple(file.sequence(raw.get("inputs", []), f"{key}.inputs"))
        for i, input_name in enumerate(inputs):
            if input_name not in dimensions:
                raise file.error(f"{key}.inputs[{i}]", f"no dimension {input_name!r}")
        if (dimension is None) == (not inputs):
            raise file.error(key, "a view needs either a dimension or inputs, not both")
        entries = file.sequence(raw.get("codes"), f"{key}.codes")
        codes = tuple(_parse_code(file, entry, f"{key}.codes[{i}]", SNAKE_CASE,
                                  "lowercase snake case") for i, entry in enumerate(entries))
        if len({code.code for code in codes}) != len(codes):
            raise file.error(f"{key}.codes", "a code is listed twice")
        view = View(
            name=name,
            title=file.text(raw, "title", key),
            column=column,
            definition=" ".join(file.text(raw, "definition", key).split()),
            codes=codes,
            source=" ".join(file.text(raw, "source", key).split()),
            dimension=dimension,
            inputs=inputs,
        )
        for view_column in view.columns:
            if view_column in taken_columns:
                raise file.error(f"{key}.column", f"column {view_column!r} is already taken")
            taken_columns.add(view_column)
        views[name] = view
    return views


def _parse_us_states(file: _YamlFile, dimensions: Mapping[str, Dimension]) -> tuple[UsState, ...]:
    root = file.mapping(file.data, "top level")
    file.text(root, "source", "top level")
    regions = set(dimensions["us_region"].answer_codes) if "us_region" in dimensions else set()
    states = []
    spellings: set[str] = set()
    for i, raw in enumerate(file.sequence(root.get("states"), "states")):
        key = f"states[{i}]"
        raw = file.mapping(raw, key)
        postal = file.code(raw.get("postal"), f"{key}.postal", COUNTRY_CODE,
                           "a two-letter upper-case postal code")
        key = f"{key} ({postal})"
        region = file.text(raw, "region", key)
        if region not in regions:
            raise file.error(f"{key}.region", f"{region!r} is not a us_region code")
        aliases = tuple(file.sequence(raw.get("aliases", []), f"{key}.aliases"))
        state = UsState(postal=postal, name=file.text(raw, "name", key), region=region,
                        division=file.text(raw, "division", key), aliases=aliases)
        for spelling in (state.postal, state.name, *state.aliases):
            if not isinstance(spelling, str):
                raise file.error(f"{key}.aliases", f"expected text, found {_kind(spelling)}")
            normalized = normalize_label(spelling)
            if normalized in spellings:
                raise file.error(key, f"{spelling!r} names two states")
            spellings.add(normalized)
        states.append(state)
    return tuple(states)


def _label_lists(file: _YamlFile, raw: Any, key: str) -> dict[Any, list[str]]:
    """A mapping of code → list of labels, checked for shape."""
    raw = file.mapping(raw, key)
    for code, labels in raw.items():
        labels = file.sequence(labels, f"{key}.{code}")
        for i, label in enumerate(labels):
            if not isinstance(label, str):
                raise file.error(f"{key}.{code}[{i}]", f"expected a label, found {_kind(label)}")
    return raw


def _parse_synonyms(
    file: _YamlFile, dimensions: Mapping[str, Dimension]
) -> tuple[dict[str, dict[str, str]], dict[str, frozenset[str]]]:
    root = file.mapping(file.data, "top level")
    missing = _label_lists(file, root.get("missing"), "missing")
    if set(missing) != set(MISSING_CODES):
        raise file.error("missing", f"expected exactly {', '.join(MISSING_CODES)}")

    ambiguous: dict[str, frozenset[str]] = {}
    for name, labels in file.mapping(root.get("ambiguous", {}), "ambiguous").items():
        if name not in dimensions:
            raise file.error(f"ambiguous.{name}", f"no dimension {name!r}")
        labels = file.sequence(labels, f"ambiguous.{name}")
        ambiguous[name] = frozenset(normalize_label(label) for label in labels)

    declared = file.mapping(root.get("dimensions"), "dimensions")
    for name in declared:
        if name not in dimensions:
            raise file.error(f"dimensions.{name}", f"no dimension {name!r}")

    tables: dict[str, dict[str, str]] = {}
    for name, dimension in dimensions.items():
        table: dict[str, str] = {}
        # A code's own spelling and label always match (unless the label is ambiguous).
        for code in dimension.codes:
            for spelling in (code.code, code.label):
                normalized = normalize_label(spelling)
                if normalized not in ambiguous.get(name, ()):
                    table.setdefault(normalized, code.code)
        key = f"dimensions.{name}"
        for code, labels in _label_lists(file, declared.get(name, {}), key).items():
            if isinstance(code, bool) or not isinstance(code, str) or not dimension.is_code(code):
                hint = "; quote yes/no" if isinstance(code, bool) else ""
                raise file.error(f"{key}.{code}", f"{code!r} is not a code of {name}{hint}")
            for i, label in enumerate(labels):
                normalized = normalize_label(label)
                if normalized in ambiguous.get(name, ()):
                    raise file.error(f"{key}.{code}[{i}]", f"{label!r} is also listed as ambiguous")
                if table.get(normalized, code) != code:
                    raise file.error(
                        f"{key}.{code}[{i}]",
                        f"{label!r} already means {table[normalized]!r} for {name}",
                    )
                table[normalized] = code
        if dimension.missing_codes:
            for code, labels in missing.items():
                for label in labels:
                    normalized = normalize_label(label)
                    if normalized not in ambiguous.get(name, ()):
                        table.setdefault(normalized, code)
        tables[name] = table
    return tables, ambiguous


def _add_country_names(
    file: _YamlFile,
    countries: Mapping[str, str],
    synonyms: dict[str, dict[str, str]],
    ambiguous: Mapping[str, frozenset[str]],
) -> None:
    """Country names in other languages join the country synonyms, after every English one.

    The file is generated from the CLDR (scripts/build_country_names.py) without names that
    are ambiguous or already English, so finding one here means it is out of date.
    """
    table = synonyms["country"]
    english = dict(table)
    root = file.mapping(file.data, "top level")
    file.text(root, "source", "top level")
    for code, names in _label_lists(file, root.get("names"), "names").items():
        if code not in countries:
            raise file.error(f"names.{code}", f"{code!r} is not a code of countries.yaml")
        for i, name in enumerate(names):
            normalized = normalize_label(name)
            if not normalized or normalized in ambiguous.get("country", ()):
                raise file.error(f"names.{code}[{i}]", f"{name!r} is empty or ambiguous")
            taken = english.get(normalized) or table.get(normalized, code)
            if taken != code:
                raise file.error(f"names.{code}[{i}]", f"{name!r} already means {taken!r}")
            table[normalized] = code


def _parse_crosswalks(
    file: _YamlFile, dimensions: Mapping[str, Dimension], synonyms: Mapping[str, Mapping[str, str]]
) -> Crosswalks:
    root = file.mapping(file.data, "top level")
    race = dimensions["race_ethnicity"]
    detail = dimensions["race_ethnicity_detail"]
    missing_table = {label: code for label, code in synonyms["race_ethnicity"].items()
                     if code in MISSING_CODES}

    omb = file.mapping(root.get("omb1997"), "omb1997")
    omb_source = " ".join(file.text(omb, "source", "omb1997").split())
    hispanic_table = _answer_table(file, omb.get("hispanic"), "omb1997.hispanic",
                                   ("yes", "no", DECLINED, UNKNOWN), missing_table)
    race_codes = tuple(code for code in race.answer_codes if code != "mena") + MISSING_CODES
    race_table = _answer_table(file, omb.get("race"), "omb1997.race", race_codes, missing_table)
    # A 1997 "White" may or may not be MENA; the crosswalk must never produce mena.
    for code in race.answer_codes:
        if code != "mena":
            race_table.setdefault(normalize_label(code), code)

    cdc = file.mapping(root.get("cdc"), "cdc")
    cdc_source = " ".join(file.text(cdc, "source", "cdc").split())
    cdc_targets = set(race.answer_codes) | {NOT_HISPANIC}
    cdc_codes: dict[str, str] = {}
    for code, target in file.mapping(cdc.get("codes"), "cdc.codes").items():
        _cdc_code(file, code, f"cdc.codes.{code}")
        if target not in cdc_targets:
            raise file.error(f"cdc.codes.{code}", f"{target!r} is not a race_ethnicity code")
        cdc_codes[code] = target
    branches = []
    for i, raw in enumerate(file.sequence(cdc.get("branches"), "cdc.branches")):
        key = f"cdc.branches[{i}]"
        raw = file.mapping(raw, key)
        first = _cdc_code(file, raw.get("first"), f"{key}.first")
        last = _cdc_code(file, raw.get("last"), f"{key}.last")
        if first > last:
            raise file.error(key, "first comes after last")
        target = file.text(raw, "code", key)
        if target not in race.answer_codes:
            raise file.error(f"{key}.code", f"{target!r} is not a race_ethnicity code")
        branches.append(CdcBranch(first=first, last=last, code=target,
                                  title=file.text(raw, "title", key, required=False)))
    for i, branch in enumerate(branches):
        for other in branches[i + 1:]:
            if branch.first <= other.last and other.first <= branch.last:
                raise file.error(
                    "cdc.branches", f"branches {branch.title!r} and {other.title!r} overlap"
                )
    cdc_detail: dict[str, str] = {}
    for code, target in file.mapping(cdc.get("detail"), "cdc.detail").items():
        number = _cdc_code(file, code, f"cdc.detail.{code}")
        if not isinstance(target, str) or not detail.is_code(target):
            raise file.error(
                f"cdc.detail.{code}", f"{target!r} is not a race_ethnicity_detail code"
            )
        rolled_up = next((b.code for b in branches if b.first <= number <= b.last), None)
        if rolled_up != target.split(".", 1)[0]:
            raise file.error(
                f"cdc.detail.{code}", f"{code} rolls up to {rolled_up!r}, not {target!r}"
            )
        cdc_detail[code] = target
    null_flavors: dict[str, str] = {}
    for flavor, target in file.mapping(cdc.get("null_flavors"), "cdc.null_flavors").items():
        if target not in MISSING_CODES:
            raise file.error(f"cdc.null_flavors.{flavor}", "must map to declined or unknown")
        null_flavors[str(flavor)] = target

    sex = file.mapping(root.get("sex_at_birth"), "sex_at_birth")
    file.text(sex, "source", "sex_at_birth")
    sex_table = _answer_table(
        file, {k: v for k, v in sex.items() if k != "source"}, "sex_at_birth",
        ("female", "male", DECLINED, UNKNOWN), missing_table,
    )

    return Crosswalks(
        omb1997_source=omb_source,
        omb1997_hispanic=hispanic_table,
        omb1997_race=race_table,
        cdc_source=cdc_source,
        cdc_codes=cdc_codes,
        cdc_branches=tuple(branches),
        cdc_detail=cdc_detail,
        cdc_null_flavors=null_flavors,
        sex_at_birth=sex_table,
    )


def _answer_table(
    file: _YamlFile, raw: Any, key: str, codes: tuple[str, ...], missing_table: Mapping[str, str]
) -> dict[str, str]:
    """normalized label → code for a crosswalk question; codes match themselves."""
    table: dict[str, str] = {}
    for code, labels in _label_lists(file, raw, key).items():
        if code not in codes:
            hint = "; quote yes/no" if isinstance(code, bool) else ""
            raise file.error(f"{key}.{code}", f"expected one of {', '.join(codes)}{hint}")
        for label in labels:
            normalized = normalize_label(label)
            if table.get(normalized, code) != code:
                raise file.error(f"{key}.{code}", f"{label!r} already means {table[normalized]!r}")
            table[normalized] = code
    for code in codes:
        table.setdefault(normalize_label(code), code)
    for label, code in missing_table.items():
        table.setdefault(label, code)
    return table


def _cdc_code(file: _YamlFile, code: Any, key: str) -> int:
    number = cdc_code_number(code) if isinstance(code, str) else None
    if number is None:
        raise file.error(key, f"{code!r} is not a CDC code (nnnn-c with a valid check digit)")
    return number


def _parse_benchmarks(
    file: _YamlFile, dimensions: Mapping[str, Dimension], views: Mapping[str, View]
) -> tuple[Benchmark, ...]:
    root = file.mapping(file.data, "top level")
    benchmarks = []
    ids: set[str] = set()
    for index, raw in enumerate(file.sequence(root.get("benchmarks"), "benchmarks")):
        key = f"benchmarks[{index}]"
        raw = file.mapping(raw, key)
        benchmark_id = file.code(raw.get("id"), f"{key}.id", SNAKE_CASE, "lowercase snake case")
        key = f"{key} ({benchmark_id})"
        if benchmark_id in ids:
            raise file.error(key, "id used twice")
        ids.add(benchmark_id)

        view_name = file.text(raw, "view", key)
        dimension = file.text(raw, "dimension", key)
        if view_name in views:
            view = views[view_name]
            expected_dimension = view.dimension or view.name
            view_codes = set(view.code_list)
        elif view_name in dimensions:
            expected_dimension = view_name
            view_codes = set(dimensions[view_name].code_list)
        else:
            raise file.error(
                f"{key}.view",
                f"{view_name!r} is neither a view ({', '.join(views)}) nor a dimension",
            )
        if dimension != expected_dimension:
            raise file.error(
                f"{key}.dimension",
                f"view {view_name!r} tabulates {expected_dimension!r}, not {dimension!r}",
            )

        groups: dict[str, tuple[str, ...]] = {}
        for group, members in file.mapping(raw.get("groups", {}), f"{key}.groups").items():
            file.code(group, f"{key}.groups.{group}", SNAKE_CASE, "lowercase snake case")
            members = file.sequence(members, f"{key}.groups.{group}")
            unknown = [member for member in members if member not in view_codes]
            if group in view_codes or not members or unknown:
                raise file.error(
                    f"{key}.groups.{group}",
                    f"a group needs codes of view {view_name!r}; bad: {unknown or group}",
                )
            groups[group] = tuple(members)

        percent = file.mapping(raw.get("percent"), f"{key}.percent")
        shares: dict[str, float] = {}
        covered: list[str] = []
        for code, value in percent.items():
            if isinstance(code, bool) or code not in view_codes | set(groups):
                raise file.error(f"{key}.percent.{code}",
                                 f"{code!r} is not a code of view {view_name!r}")
            if not _is_percentage(value):
                raise file.error(
                    f"{key}.percent.{code}", f"expected a percentage, found {_kind(value)}"
                )
            shares[code] = value / 100
            covered.extend(groups.get(code, (code,)))
        if not shares:
            raise file.error(f"{key}.percent", "a benchmark needs at least one share")
        if view_name != OVERLAPPING_VIEW:
            if len(covered) != len(set(covered)):
                raise file.error(
                    f"{key}.percent", "a code is counted twice in a mutually exclusive view"
                )
            if sum(percent.values()) > 100 + PERCENT_ROUNDING_SLACK:
                raise file.error(f"{key}.percent", "mutually exclusive shares add up past 100%")

        unmapped = file.mapping(raw.get("unmapped", {}), f"{key}.unmapped")
        for label, value in unmapped.items():
            if not _is_percentage(value):
                raise file.error(
                    f"{key}.unmapped.{label}", f"expected a percentage, found {_kind(value)}"
                )

        year = raw.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
            raise file.error(f"{key}.year", f"expected a year, found {_kind(year)}")
        url = file.text(raw, "url", key)
        if not url.startswith(("https://", "http://")):
            raise file.error(f"{key}.url", f"expected a web address, found {url!r}")
        counts = {}
        for field in ("respondents", "invited"):
            value = raw.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise file.error(f"{key}.{field}", f"expected a whole number, found {_kind(value)}")
            counts[field] = value

        benchmarks.append(Benchmark(
            id=benchmark_id,
            title=" ".join(file.text(raw, "title", key).split()),
            source=" ".join(file.text(raw, "source", key).split()),
            citation=" ".join(file.text(raw, "citation", key).split()),
            url=url,
            year=year,
            universe=file.text(raw, "universe", key),
            dimension=dimension,
            view=view_name,
            shares=shares,
            groups=groups,
            unmapped={str(label): value / 100 for label, value in unmapped.items()},
            respondents=counts["respondents"],
            invited=counts["invited"],
            notes=" ".join(file.text(raw, "notes", key, required=False).split()),
        ))
    return tuple(benchmarks)


def _is_percentage(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and 0 <= value <= 100)
