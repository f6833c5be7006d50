"""Files a lead uploads to a project, read through the core and de-identified before storing.

The reading is the command line's (``workforce.qual.workspace.add_sources``); what the web
adds is where it keeps what identifies people: not a file beside the project but
``ProjectIdentifyingList``, grown by every upload, so a transcript added later is
de-identified with every name known so far and its speaker labels link to the same
participants. (A ``.qdpx`` is read with ``outside_files=False``, and its lead is not taken
from the file: see ``actions.qual.do_import_qdpx``.)

Everything here only reads: it returns the core project with the new parts added, the
originals and what was learned about identifying people; ``actions.qual`` stores them.
Uploaded files are copied to a temporary folder under their own names first, so the core's
messages ("group-1.txt, line 3: ...") name the file the lead chose once the folder is taken
out of them (``without_folder``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from workforce.qual.deidentify import IdentifyingList, Original
from workforce.qual.project import Participant, QualProject, Source
from workforce.qual.sources import ROLE_LABEL, label_key
from workforce.qual.workspace import TRANSCRIPT_SUFFIXES, OpenTextAnswers, add_sources

# Upload limits: a focus group's transcript is tens of kilobytes; these leave a wide margin
# and keep one request from holding the server's memory and disk for long.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 50
__all__ = ["TRANSCRIPT_SUFFIXES", "OpenTextUpload", "KeptIdentifying", "SourcesRead",
           "read_sources", "files_on_disk", "safe_file_name", "without_folder"]

# Open-text answers of an uploaded survey export: the command line's description of them.
OpenTextUpload = OpenTextAnswers


@dataclass(frozen=True)
class KeptIdentifying:
    """What identifies the project's people, as ``ProjectIdentifyingList`` keeps it."""

    identifying: IdentifyingList = field(default_factory=IdentifyingList)
    speakers: Mapping[str, str] = field(default_factory=dict)  # label → participant id


@dataclass(frozen=True)
class SourcesRead:
    """An upload read: the project with the new sources and participants, and what to keep."""

    project: QualProject
    new_sources: tuple[Source, ...]
    new_participants: tuple[Participant, ...]
    originals: dict[str, Original]
    kept: KeptIdentifying
    replacements: dict[str, int]  # kind → how many were replaced
    unlinked_speakers: dict[str, tuple[str, ...]]  # source → labels tied to no participant


def read_sources(
    project: QualProject,
    kept: KeptIdentifying,
    *,
    transcripts: Iterable[Path] = (),
    participants: Path | None = None,
    identifying: Path | None = None,
    open_text: OpenTextUpload | None = None,
    encoding: str | None = None,
) -> SourcesRead:
    """``project`` with the uploaded sources added, each de-identified with everything
    ``kept`` so far; every problem of every file is raised at once as one ``QualError``."""
    added = add_sources(project, transcripts=transcripts, participants=participants,
                        identifying=identifying, open_text=open_text,
                        known=kept.identifying, speakers=kept.speakers, encoding=encoding)
    # A moderator is expected to belong to no participant; other loose labels are news.
    unlinked = {source: loose for source, labels in added.unlinked_speakers.items()
                if (loose := tuple(label for label in labels
                                   if not ROLE_LABEL.fullmatch(label_key(label))))}
    return SourcesRead(added.project, added.new_sources, added.new_participants,
                       added.originals, KeptIdentifying(added.identifying, added.speakers),
                       added.replacements, unlinked)


# --- uploaded files on disk -------------------------------------------------------------------


def safe_file_name(name: str) -> str:
    """The last part of an uploaded file's name, with only characters safe in a path."""
    base = re.split(r"[\\/]", name)[-1].strip()
    cleaned = re.sub(r"[^\w.\- ]", "_", base).lstrip(".")
    return cleaned[:150] or "upload"


@contextmanager
def files_on_disk(uploaded: Mapping[str, Iterable]) -> Iterator[tuple[dict[str, list[Path]], str]]:
    """Each group of uploaded files (Django ``UploadedFile``) copied into a temporary folder
    under its own name: ``({group: [paths]}, folder)``; the folder goes away afterwards.

    Groups get folders of their own, so a transcript and a participants list may share a name.
    """
    with tempfile.TemporaryDirectory(prefix="workforce-qual-upload-") as folder:
        paths: dict[str, list[Path]] = {}
        for group, files in uploaded.items():
            target = Path(folder) / group
            target.mkdir()
            paths[group] = []
            for upload in files:
                path = target / safe_file_name(upload.name)
                with path.open("wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
                paths[group].append(path)
        yield paths, folder


def without_folder(message: str, folder: str) -> str:
    """A core message as the web says it: the temporary folder taken out of its paths, and
    advice meant for the command line's options pointed at the form's."""
    message = re.sub(re.escape(folder) + r"/[^/\s]+/", "", message)
    return message.replace(
        "give its encoding (encoding='cp1252' for most Windows text)",
        "choose its text encoding in the form (Windows for most Windows text)",
    )

