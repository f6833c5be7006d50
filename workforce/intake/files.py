"""Intake from and to files: one call from an export's path to written records, all or nothing.

Outputs are written to a temporary file beside the target and renamed into place, so a
failure (a bad file, a full disk, an interrupted run) never leaves a half-written records
file that could be mistaken for a complete one.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pandas as pd

from workforce.intake.ingest import IngestResult, decided_columns, ingest, read_columns
from workforce.intake.mapping import Mapping, load_mapping
from workforce.intake.read import SourceTable, read_source

MAPPINGS_DIR = Path(__file__).parent / "mappings"
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


def saved_mapping(org: str) -> Path:
    """The mapping shipped for one of the synthetic societies (ashg, nsgc, acmg)."""
    return MAPPINGS_DIR / f"{org}.yaml"


def year_from_name(path: Path) -> int | None:
    """The reference year written in a file name ("nsgc_roster_2025.csv" → 2025), if any."""
    found = _YEAR_IN_NAME.findall(path.stem)
    return int(found[-1]) if found else None


def ingest_file(
    path: Path,
    mapping_path: Path,
    *,
    org: str | None = None,
    sheet: str | None = None,
    year: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestResult:
    """Read an export and apply a saved mapping (see `workforce.intake.ingest`)."""
    mapping = load_mapping(mapping_path)
    if org is not None and org != mapping.org:
        from workforce.intake.errors import IntakeError

        raise IntakeError(
            f"{Path(mapping_path).name}: this mapping belongs to {mapping.org!r}, not {org!r}"
        )
    table = read_for_mapping(path, mapping, sheet=sheet)
    year = year or year_from_name(Path(path)) or date.today().year
    return ingest(table, mapping, year=year, progress=progress)


def read_for_mapping(path: Path, mapping: Mapping, *, sheet: str | None = None) -> SourceTable:
    """An export read as `ingest` with `mapping` needs it: the mapped columns alone where the
    reader can (`read_columns`), the decided ones as categoricals (`decided_columns`), from
    `sheet` or else the sheet the mapping names."""
    return read_source(
        path,
        sheet=sheet if sheet is not None else mapping.source.get("sheet"),
        categorical=decided_columns(mapping),
        columns=read_columns(mapping),
    )


def provenance_path(records_path: Path) -> Path:
    """Where the provenance sidecar of a records file goes: records.csv → records.provenance.csv."""
    return records_path.with_name(f"{records_path.stem}.provenance.csv")


def write_outputs(result: IngestResult, out: Path, rejects: Path | None = None) -> list[Path]:
    """Write records, their provenance sidecar and (optionally) the rejects, atomically."""
    targets = [(out, result.records), (provenance_path(out), result.provenance)]
    if rejects is not None:
        targets.append((rejects, result.rejects))
    written: list[tuple[Path, Path]] = []
    try:
        for target, frame in targets:
            written.append((_write_temporary(frame, target), target))
    except BaseException:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in written:
        os.replace(temporary, target)
    return [target for _, target in written]


def _usual_permissions(name: str) -> None:
    """mkstemp makes files only the owner can read; a written output gets the umask's usual."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(name, 0o666 & ~mask)


def text_table(frame: pd.DataFrame):
    """`frame` as an Arrow table of text columns, ready to be written as CSV.

    A categorical column (ingest's records hold their codes so) is spelled out whole with
    Arrow's take, two columns at a time, and once for every column sharing its codes and
    categories (the many columns that are ``unknown`` throughout): the CSV writer would
    otherwise cast each batch of a thousand rows of each column on its own, at several
    times the cost.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def spelled(column: pd.Series):
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = pa.array(column.cat.categories.astype(str), type=pa.large_string())
            codes = column.cat.codes.to_numpy()
            missing = codes < 0
            indices = pa.array(codes, mask=missing) if missing.any() else pa.array(codes)
            return pc.take(categories, indices)  # a missing cell is written empty
        return pa.array(column.astype(str), from_pandas=True)

    def sharing(column: pd.Series) -> tuple:
        """What makes two columns spell the same: their codes' memory and categories."""
        if not isinstance(column.dtype, pd.CategoricalDtype):
            return (id(column),)
        codes = column.array.codes
        memory = codes.__array_interface__["data"][0]
        return (memory, codes.shape, codes.strides, codes.dtype.str,
                tuple(column.cat.categories))

    columns = [frame.iloc[:, position] for position in range(frame.shape[1])]
    keys = [sharing(column) for column in columns]
    distinct = {key: column for key, column in zip(keys, columns, strict=True)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = dict(zip(distinct, pool.map(spelled, distinct.values()), strict=True))
    return pa.table([texts[key] for key in keys], names=[str(name) for name in frame.columns])


def _write_temporary(frame: pd.DataFrame, target: Path) -> Path:
    import pyarrow.csv as pacsv

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    _usual_permissions(name)
    try:
        pacsv.write_csv(
            text_table(frame), name, write_options=pacsv.WriteOptions(quoting_style="needed")
        )
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
