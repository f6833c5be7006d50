"""Reading codings and source texts from files, with every problem named by file and line."""

from __future__ import annotations

import csv
from pathlib import Path

from workforce.qual.codings import Coding, QualError

CODING_COLUMNS = ("source", "coder", "code", "start", "end")


def read_codings(path: Path) -> list[Coding]:
    """A CSV with columns source, coder, code, start, end (character offsets, end exclusive)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in CODING_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise QualError(f"{path}: missing column(s) {', '.join(missing)}; a codings "
                                f"file has {', '.join(CODING_COLUMNS)}")
            codings, problems = [], []
            for line, row in enumerate(reader, start=2):
                offsets = {}
                for column in ("start", "end"):
                    text = (row[column] or "").strip()
                    if not text.isdigit():
                        problems.append(f"{path}: line {line}, column {column}: {text!r} is "
                                        "not a whole number of characters")
                    else:
                        offsets[column] = int(text)
                blank = [c for c in ("source", "coder", "code") if not (row[c] or "").strip()]
                if blank:
                    problems.append(f"{path}: line {line}: {', '.join(blank)} is blank")
                if len(offsets) == 2 and not blank:
                    codings.append(Coding(row["source"].strip(), row["coder"].strip(),
                                          row["code"].strip(), offsets["start"],
                                          offsets["end"]))
    except FileNotFoundError:
        raise QualError(f"{path}: the file does not exist") from None
    except UnicodeDecodeError as error:
        raise QualError(f"{path}: not UTF-8 text ({error})") from None
    if problems:
        raise QualError("\n".join(problems))
    return codings


def read_texts(directory: Path) -> dict[str, str]:
    """Every `<source>.txt` of a directory (UTF-8), keyed by source id (the file's stem)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise QualError(f"{directory}: not a directory of source texts")
    texts = {}
    for path in sorted(directory.glob("*.txt")):
        try:
            texts[path.stem] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise QualError(f"{path}: not UTF-8 text ({error})") from None
    if not texts:
        raise QualError(f"{directory}: no .txt source in it")
    return texts


def write_codings(codings, path: Path) -> Path:
    """The codings as the CSV `read_codings` reads (written aside, then renamed)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CODING_COLUMNS)
        for coding in codings:
            writer.writerow([coding.source, coding.coder, coding.code, coding.start,
                             coding.end])
    partial.replace(path)
    return path
