"""Keeping a report's files on disk: copied byte for byte, the data package zipped.

A report is stored in ``<reports dir>/<organization code>/<wave>/<short checksum>/``. Every
file is written into a temporary sibling folder first, which is renamed into place once all
files are complete: a crash never leaves a half-written report under a checksum name. The
folder is named by the checksum of its content, so the same bytes are kept once.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from workforce.platform.reports.models import HTML_FILE, PACKAGE_FILE, PDF_FILE, SUMMARY_FILE

# 1980-01-01, the earliest date a zip file can hold: no clock in the bytes.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int


def zip_package(package_dir: Path) -> bytes:
    """The data package folder as a zip: same files, same bytes, whenever and wherever made.

    Entries are the folder's regular files in sorted order, with paths relative to it
    (``datapackage.json`` at the top, as frictionless reads a zipped package), a fixed date,
    fixed permissions and no extra fields. Symbolic links are refused: a package holds files.
    """
    package_dir = Path(package_dir)
    files: list[tuple[str, Path]] = []
    for path in package_dir.rglob("*"):
        if path.is_symlink():
            raise ValueError(f"{path}: the data package holds a symbolic link")
        if path.is_file():
            files.append((path.relative_to(package_dir).as_posix(), path))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below are read as such
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return buffer.getvalue()


def content_checksum(files: list[StoredFile]) -> str:
    """One SHA-256 for a report: of each file's name and checksum, in name order."""
    digest = hashlib.sha256()
    for stored in sorted(files, key=lambda f: f.name):
        digest.update(f"{stored.name}\0{stored.sha256}\n".encode())
    return digest.hexdigest()


def read_report_files(report_dir: Path) -> dict[str, bytes]:
    """The bytes to store, by stored name: the HTML, the PDF if any, the summary, the zip."""
    report_dir = Path(report_dir)
    contents = {
        HTML_FILE: (report_dir / HTML_FILE).read_bytes(),
        SUMMARY_FILE: (report_dir / SUMMARY_FILE).read_bytes(),
        PACKAGE_FILE: zip_package(report_dir / "data"),
    }
    if (report_dir / PDF_FILE).is_file():
        contents[PDF_FILE] = (report_dir / PDF_FILE).read_bytes()
    return contents


def describe(contents: dict[str, bytes]) -> list[StoredFile]:
    return [
        StoredFile(name, hashlib.sha256(content).hexdigest(), len(content))
        for name, content in contents.items()
    ]


def store_report_files(reports_dir: Path, folder: str, contents: dict[str, bytes]) -> Path:
    """Write ``contents`` into ``reports_dir/folder/`` all at once; return that folder.

    When the folder already exists (the same bytes, kept by an earlier publication whose row
    was then not written), it is kept as it is.
    """
    final = Path(reports_dir) / folder
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=final.parent))
    try:
        for name, content in contents.items():
            with (staging / name).open("wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(staging / name, 0o640)
        staging.chmod(0o750)
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():  # not another process that stored the same bytes first
                raise
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final
