"""Keeping partner files on disk byte-for-byte, named by their SHA-256 checksum.

Files are written to ``<uploads dir>/<organization code>/<sha256>``: one folder per society
(so a society's files can be found, moved or handed back as a whole), and content-addressed
names (so a file sent twice is kept once and can never be overwritten by different bytes).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024

Content = bytes | Path | BinaryIO


@dataclass(frozen=True)
class StoredBlob:
    stored_name: str  # relative to the uploads directory
    sha256: str
    size: int


def iter_chunks(content: Content):
    if isinstance(content, bytes | bytearray | memoryview):
        yield bytes(content)
    elif isinstance(content, Path):
        with content.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk
    elif hasattr(content, "chunks"):  # Django's UploadedFile, which may live on disk
        yield from content.chunks(CHUNK_SIZE)
    else:
        while chunk := content.read(CHUNK_SIZE):
            yield chunk


def sha256_of(content: Content) -> str:
    digest = hashlib.sha256()
    for chunk in iter_chunks(content):
        digest.update(chunk)
    return digest.hexdigest()


def store_blob(uploads_dir: Path, folder: str, content: Content) -> StoredBlob:
    """Copy ``content`` into ``uploads_dir/folder/`` while hashing it; return where it went."""
    directory = Path(uploads_dir) / folder
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    # Write to a temporary name in the same folder, then rename: a crash never leaves a
    # half-written file under a checksum name.
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in iter_chunks(content):
                digest.update(chunk)
                size += len(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        sha256 = digest.hexdigest()
        final = directory / sha256
        if final.exists():
            os.unlink(temporary)
        else:
            os.chmod(temporary, 0o640)
            os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredBlob(stored_name=f"{folder}/{sha256}", sha256=sha256, size=size)
