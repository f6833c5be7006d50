"""The open data package: the published tables as CSV files plus a Frictionless descriptor.

`write_data_package` writes one CSV per `PublishedTable` into `data/<name>.csv`, any extra
files (the indicator catalog, the codebook), and `datapackage.json`; `validate_data_package`
checks the result with frictionless. Every table has already passed the disclosure gate, so
the package ships exactly what the report shows: a value the gate held back is an empty field
and the row's `status` says why.

Decisions (each is tested in `tests/reporting/test_datapackage.py`):

- Descriptor: Frictionless Data Package **v1** (what frictionless 5 validates natively). The
  package profile is `tabular-data-package` when every resource is a CSV table; frictionless
  refuses non-tabular resources in such a package, so a package that also lists e.g. the YAML
  indicator catalog is a `data-package` whose CSV resources are each still a
  `tabular-data-resource`.
- Keys are written in a fixed, readable order (not sorted), `indent=2`, UTF-8, trailing
  newline. `created` comes from the caller, never the clock; a bare date `YYYY-MM-DD` is
  written as `YYYY-MM-DDT00:00:00Z` because the v1 profile requires a date-time.
- Coded columns: the codes are enforced with `constraints: {enum: [...]}` (frictionless
  checks it on every row) and the labels are written as the Table Schema v2 field property
  `categories: [{value, label}]`. frictionless 5 does not interpret `categories` but accepts
  it (v1 allows extra properties), and v2-aware readers pick the labels up, so the labels need
  no home of our own. Units go in the custom field property `x-unit`.
- `hash` is `sha256:<hex>`, the form frictionless 5 checks (a bare hex digest means MD5).
- CSV: UTF-8 without BOM, `\n` line endings, minimal quoting, header = column names, a
  missing value (None, NaN, pd.NA) is an empty field and `missingValues` is `[""]` (so an
  empty string in a string column also reads back as missing). Integers are written without
  `.0` even when NaN turned the pandas column into floats (a non-integral value raises);
  numbers are written with Python's `repr(float(x))`, the shortest text that round-trips to
  the same double (`0.1`, `1e-05`, `12.0`), exact and identical on every platform; infinite
  numbers raise; booleans are `true`/`false`.
- Primary key: a published table carries no declared key, so one is derived: the string
  columns other than `status` and note-like columns (`note`, `notes`, `*_note`, `*_notes`)
  form the key when there is at least one, none of their cells is empty, and the rows are
  unique on them; otherwise the resource has no primary key.
- Writing is all or nothing: every file is built in memory, written to a temporary sibling
  directory, and that directory is renamed into place (a previous package at `out_dir` is
  moved aside first and deleted afterwards). A failure leaves `out_dir` as it was. Because
  the whole directory is replaced, `out_dir` must be absent, empty, or a previous data
  package (holding a `datapackage.json`); anything else is refused.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from workforce.reporting.tables import Column, PublishedTable, by_name

DESCRIPTOR = "datapackage.json"
DATA_DIR = "data"

DEFAULT_LICENSES: tuple[Mapping[str, str], ...] = (
    MappingProxyType(
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0 International",
        }
    ),
)

# The v1 pattern for package and resource names.
_NAME = re.compile(r"^[a-z0-9._-]+$")
_NOTE_COLUMN = re.compile(r"^(.*_)?notes?$")


@dataclass(frozen=True)
class ExtraFile:
    """A file shipped beside the tables (the indicator catalog, the codebook).

    `path` is relative to the package directory, with `/` separators. A file whose `format`
    is `csv` is listed as a tabular resource whose fields are all strings (named by its
    header row); any other file is a plain `data-resource`. `name` defaults to the file's
    stem, lower-cased with other characters turned into `-`.
    """

    path: str
    content: bytes
    title: str
    description: str = ""
    mediatype: str = "application/octet-stream"
    format: str = ""
    encoding: str | None = "utf-8"  # None for binary files
    name: str = ""

    def __post_init__(self) -> None:
        pure = PurePosixPath(self.path)
        if (
            not self.path
            or "\\" in self.path
            or pure.is_absolute()
            or any(part in ("..", ".", "") for part in self.path.split("/"))
        ):
            raise ValueError(f"extra file path {self.path!r} must be relative, inside the package")
        if pure.as_posix() == DESCRIPTOR:
            raise ValueError(f"extra file path {self.path!r} would replace the descriptor")
        if not isinstance(self.content, bytes):
            raise TypeError(f"extra file {self.path!r}: content must be bytes")

    @property
    def resource_name(self) -> str:
        if self.name:
            return self.name
        return re.sub(r"[^a-z0-9._-]+", "-", PurePosixPath(self.path).stem.lower()).strip("-")

    @property
    def tabular(self) -> bool:
        return self.format.lower() == "csv"


@dataclass(frozen=True)
class PackageValidation:
    """What frictionless said about a data package."""

    valid: bool
    errors: list[str] = field(default_factory=list)
    resources: int = 0  # resources frictionless validated
    rows: int = 0  # data rows read across the tabular resources


# ---------------------------------------------------------------------------------------------
# CSV


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


def _format_cell(table: str, column: Column, value: Any) -> str:
    """The CSV text of one cell; raises ValueError on a value the column's type cannot hold."""
    if _is_missing(value):
        return ""
    where = f"table {table!r}, column {column.name!r}"
    if column.type == "string":
        return value if isinstance(value, str) else str(value)
    if column.type == "boolean":
        if isinstance(value, bool | np.bool_):
            return "true" if bool(value) else "false"
        raise ValueError(f"{where}: {value!r} is not a boolean")
    if isinstance(value, bool | np.bool_ | str):
        raise ValueError(f"{where}: {value!r} is not a {column.type}")
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {value!r} is not a {column.type}") from error
    if math.isinf(number):
        raise ValueError(f"{where}: {value!r} is infinite")
    if column.type == "integer":
        if isinstance(value, int | np.integer):
            return str(int(value))
        if not number.is_integer():
            raise ValueError(f"{where}: {value!r} is not an integer")
        return str(int(number))
    return repr(number)  # "number": the shortest text that round-trips to the same double


def table_csv(table: PublishedTable) -> bytes:
    """The exact bytes of a published table's CSV file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([column.name for column in table.columns])
    for row in _formatted_rows(table):
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def _formatted_rows(table: PublishedTable) -> list[list[str]]:
    columns = table.columns
    return [
        [
            _format_cell(table.name, column, value)
            for column, value in zip(columns, row, strict=True)
        ]
        for row in table.data.itertuples(index=False, name=None)
    ]


def derived_primary_key(table: PublishedTable) -> list[str]:
    """The string columns (not `status`, not notes) when they identify every row, else []."""
    key = [
        column.name
        for column in table.columns
        if column.type == "string"
        and column.name != "status"
        and not _NOTE_COLUMN.match(column.name)
    ]
    if not key:
        return []
    positions = [i for i, column in enumerate(table.columns) if column.name in key]
    seen: set[tuple[str, ...]] = set()
    for row in _formatted_rows(table):
        values = tuple(row[i] for i in positions)
        if "" in values or values in seen:
            return []
        seen.add(values)
    return key


# ---------------------------------------------------------------------------------------------
# Descriptor


def _field(column: Column) -> dict[str, Any]:
    out: dict[str, Any] = {"name": column.name, "title": column.title, "type": column.type}
    if column.description:
        out["description"] = column.description
    if column.unit:
        out["x-unit"] = column.unit
    if column.categories:
        if column.type != "string":
            raise ValueError(
                f"column {column.name!r}: categories are only supported on string columns"
            )
        out["constraints"] = {"enum": [code for code, _ in column.categories]}
        out["categories"] = [{"value": code, "label": label} for code, label in column.categories]
    return out


def _digest(content: bytes) -> dict[str, Any]:
    return {"bytes": len(content), "hash": "sha256:" + hashlib.sha256(content).hexdigest()}


def _table_resource(table: PublishedTable, content: bytes) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [_field(column) for column in table.columns],
        "missingValues": [""],
    }
    key = derived_primary_key(table)
    if key:
        schema["primaryKey"] = key
    resource: dict[str, Any] = {
        "name": table.name,
        "profile": "tabular-data-resource",
        "path": f"{DATA_DIR}/{table.name}.csv",
        "title": table.title,
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        **_digest(content),
        "schema": schema,
        "sources": [{"title": source} for source in table.sources],
        "x-indicator": table.indicator,
        "x-gated-by": table.gated,
    }
    if table.notes:
        resource["x-notes"] = list(table.notes)
    return resource


def _extra_resource(extra: ExtraFile) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "name": extra.resource_name,
        "profile": "tabular-data-resource" if extra.tabular else "data-resource",
        "path": PurePosixPath(extra.path).as_posix(),
        "title": extra.title,
    }
    if extra.description:
        resource["description"] = extra.description
    if extra.format:
        resource["format"] = extra.format
    resource["mediatype"] = extra.mediatype
    if extra.encoding:
        resource["encoding"] = extra.encoding
    resource.update(_digest(extra.content))
    if extra.tabular:
        text = extra.content.decode(extra.encoding or "utf-8").removeprefix("\ufeff")
        header = next(csv.reader(io.StringIO(text)), [])
        if not header or "" in header or len(set(header)) != len(header):
            raise ValueError(f"extra file {extra.path!r}: the CSV header {header} is not usable")
        resource["schema"] = {
            "fields": [{"name": name, "type": "string"} for name in header],
            "missingValues": [""],
        }
    return resource


def _created(created: str) -> str:
    text = created.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat() + "T00:00:00Z"
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"created {created!r} is not an ISO 8601 date or date-time") from error
    return text


def build_descriptor(
    tables: Sequence[PublishedTable],
    contents: Mapping[str, bytes],
    *,
    name: str,
    title: str,
    description: str,
    version: str,
    created: str,
    licenses: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
    contributors: Sequence[Mapping[str, Any]],
    extra_files: Sequence[ExtraFile],
) -> dict[str, Any]:
    """The descriptor as a dict, keys in their written order. `contents` maps table names
    to their CSV bytes."""
    resources = [_table_resource(table, contents[table.name]) for table in tables]
    resources += [_extra_resource(extra) for extra in extra_files]
    tabular = all(resource["profile"] == "tabular-data-resource" for resource in resources)
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package" if tabular else "data-package",
        "name": name,
        "title": title,
        "description": description,
        "version": version,
        "created": _created(created),
        "licenses": [dict(license) for license in licenses],
        "sources": [dict(source) for source in sources],
        "contributors": [dict(contributor) for contributor in contributors],
        "resources": resources,
    }
    return descriptor


def _check_names(
    name: str, tables: Sequence[PublishedTable], extra_files: Sequence[ExtraFile]
) -> None:
    by_name(tables)  # raises on two tables with one name
    if not _NAME.match(name):
        raise ValueError(f"package name {name!r} must be lower case letters, digits, '.', '-', '_'")
    seen: dict[str, str] = {}
    paths: set[str] = {DESCRIPTOR}
    for resource_name, path in [(t.name, f"{DATA_DIR}/{t.name}.csv") for t in tables] + [
        (extra.resource_name, PurePosixPath(extra.path).as_posix()) for extra in extra_files
    ]:
        if not _NAME.match(resource_name):
            raise ValueError(
                f"resource name {resource_name!r} must be lower case letters, digits, '.', '-', '_'"
            )
        if resource_name in seen:
            raise ValueError(f"two resources are named {resource_name!r}")
        if path in paths:
            raise ValueError(f"two files would be written to {path!r}")
        seen[resource_name] = path
        paths.add(path)


# ---------------------------------------------------------------------------------------------
# Writing


def write_data_package(
    tables: Sequence[PublishedTable],
    out_dir: Path,
    *,
    name: str,
    title: str,
    description: str,
    version: str,
    created: str,
    licenses: Sequence[Mapping[str, Any]] = DEFAULT_LICENSES,
    sources: Sequence[Mapping[str, Any]] = (),
    contributors: Sequence[Mapping[str, Any]] = (),
    extra_files: Sequence[ExtraFile] = (),
) -> Path:
    """Write the data package into `out_dir` (replacing a previous one); return the path of
    its `datapackage.json`. Same arguments, same bytes."""
    out_dir = Path(out_dir)
    _check_names(name, tables, extra_files)
    if not licenses:
        raise ValueError("a data package needs at least one license")
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a directory")
        if any(out_dir.iterdir()) and not (out_dir / DESCRIPTOR).is_file():
            raise FileExistsError(
                f"{out_dir} is neither empty nor a data package; refusing to replace it"
            )

    # Everything is built in memory first, so most failures happen before any file exists.
    contents = {table.name: table_csv(table) for table in tables}
    descriptor = build_descriptor(
        tables,
        contents,
        name=name,
        title=title,
        description=description,
        version=version,
        created=created,
        licenses=licenses,
        sources=sources,
        contributors=contributors,
        extra_files=extra_files,
    )
    files: dict[str, bytes] = {f"{DATA_DIR}/{n}.csv": content for n, content in contents.items()}
    files.update({PurePosixPath(extra.path).as_posix(): extra.content for extra in extra_files})
    files[DESCRIPTOR] = (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )

    parent = out_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=parent))
    old: Path | None = None
    try:
        for relative, content in files.items():  # the descriptor is written last
            target = staging.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        staging.chmod(0o755)  # mkdtemp makes it private
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            old.rmdir()
            out_dir.rename(old)
        try:
            staging.rename(out_dir)
        except BaseException:
            if old is not None:
                old.rename(out_dir)
                old = None
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out_dir / DESCRIPTOR


# ---------------------------------------------------------------------------------------------
# Validation


def _describe_error(resource: str, error: Any) -> str:
    parts = [resource]
    row = getattr(error, "row_number", None)
    if row is not None:
        parts.append(f"row {row}")
    field_name = getattr(error, "field_name", None)
    if field_name is not None:
        parts.append(f"field {field_name}")
    return ", ".join(parts) + f": [{error.type}] {error.message}"


def validate_data_package(path: Path) -> PackageValidation:
    """Validate a data package (its directory or its descriptor) with frictionless.

    Each error names the resource, then the row (as frictionless counts them: the header is
    row 1, the first data row is row 2) and the field when the error has them.
    """
    path = Path(path)
    if path.is_dir():
        path = path / DESCRIPTOR
    if not path.is_file():
        return PackageValidation(valid=False, errors=[f"{path}: no such descriptor"])
    import frictionless  # heavy: only when validating

    # An absolute descriptor path makes its directory the basepath, so the resources'
    # relative paths pass frictionless's safety check; `type` stops it from guessing.
    report = frictionless.validate(str(path.absolute()), type="package")
    errors = [_describe_error("package", error) for error in report.errors]
    rows = 0
    for task in report.tasks:
        errors += [_describe_error(task.name, error) for error in task.errors]
        rows += task.stats.get("rows") or 0
    return PackageValidation(
        valid=bool(report.valid) and not errors,
        errors=errors,
        resources=len(report.tasks),
        rows=rows,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m workforce.reporting.datapackage PATH`: validate a package, print the result."""
    parser = argparse.ArgumentParser(
        prog="python -m workforce.reporting.datapackage",
        description="Validate an open data package with frictionless.",
    )
    parser.add_argument("path", type=Path, help="the package directory or its datapackage.json")
    args = parser.parse_args(argv)
    result = validate_data_package(args.path)
    for error in result.errors:
        print(error, file=sys.stderr)
    verdict = "valid" if result.valid else "INVALID"
    print(f"{args.path}: {verdict} ({result.resources} resources, {result.rows} rows)")
    return 0 if result.valid else 1


if __name__ == "__main__":
    raise SystemExit(main())
