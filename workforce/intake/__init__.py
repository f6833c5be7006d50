"""Partner data intake: read a society's membership export, map it to standard records.

Reading, column detection, value mapping and validation live here as pure functions over
pandas/Arrow tables; the platform stores uploads and mappings and calls them.

- `read.read_source(path, sheet=, categorical=, columns=)` → `SourceTable` (raw text cells,
  checksum, decoding notes; the CSV columns named in `categorical` read as pandas
  categoricals; with `columns`, a CSV may hold only those, and `SourceTable.whole_rows`
  reads every cell of the rows shown whole)
- `detect.propose_columns(table)`, `detect.propose_mapping(table, org, previous=)` → `Mapping`
- `mapping.load_mapping(path)`, `Mapping.to_yaml()`, `mapping.undecided_values(mapping, frame)`,
  `mapping.column_keys` (every value with its rows), `mapping.with_proposals` (fill in
  proposals after a column changed) — the web review pages use these
- `ingest.ingest(table, mapping, year=)` → `IngestResult` (records, provenance, rejects, report);
  `ingest.decided_columns(mapping)`, the columns worth reading as categoricals;
  `ingest.read_columns(mapping)`, the columns ingest reads at all
- `files.ingest_file(...)`, `files.write_outputs(...)`: the same from and to files, atomically;
  `files.read_for_mapping(path, mapping)`, an export read as ingest with that mapping needs it
"""

from workforce.intake.detect import ColumnProposal, propose_columns, propose_mapping
from workforce.intake.errors import IntakeError, MappingIncomplete, UndecidedValue
from workforce.intake.files import ingest_file, saved_mapping, write_outputs
from workforce.intake.ingest import IngestResult, decided_columns, ingest, read_columns
from workforce.intake.mapping import (
    ANSWER_CODES,
    VALUE_METHODS,
    ColumnMapping,
    Mapping,
    ValueDecision,
    column_keys,
    load_mapping,
    mapping_from_dict,
    undecided_values,
    with_proposals,
)
from workforce.intake.read import SourceTable, read_source
from workforce.intake.report import IngestReport, Problem

__all__ = [
    "ANSWER_CODES",
    "VALUE_METHODS",
    "ColumnMapping",
    "ColumnProposal",
    "IngestReport",
    "IngestResult",
    "IntakeError",
    "Mapping",
    "MappingIncomplete",
    "Problem",
    "SourceTable",
    "UndecidedValue",
    "ValueDecision",
    "column_keys",
    "decided_columns",
    "ingest",
    "ingest_file",
    "load_mapping",
    "mapping_from_dict",
    "propose_columns",
    "propose_mapping",
    "read_columns",
    "read_source",
    "saved_mapping",
    "undecided_values",
    "with_proposals",
    "write_outputs",
]
