"""Actions on reports: publish a benchmark report the reporting core wrote into a folder."""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Organization
from workforce.platform.reports.models import (
    HTML_FILE,
    PACKAGE_FILE,
    PDF_FILE,
    SUMMARY_FILE,
    PublishedReport,
)
from workforce.platform.reports.storage import (
    StoredFile,
    content_checksum,
    describe,
    read_report_files,
    store_report_files,
)
from workforce.reporting.datapackage import DESCRIPTOR, validate_data_package

# report.json names the consortium's report so; a society's report by the society's code.
CONSORTIUM = "consortium"
_WAVE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")


def report_organization_code(organization: Organization) -> str:
    """What report.json's ``organization`` says for a report of ``organization``."""
    return CONSORTIUM if organization.is_consortium else organization.code


def check_report_folder(report_dir: Path) -> None:
    """Raise ``ValidationError`` unless ``report_dir`` holds what a written report holds."""
    if not report_dir.is_dir():
        raise ValidationError(f"{report_dir} is not a folder.")
    needed = [HTML_FILE, SUMMARY_FILE, f"data/{DESCRIPTOR}"]
    missing = [name for name in needed if not (report_dir / name).is_file()]
    if missing:
        raise ValidationError(
            f"{report_dir} is not a written report: {', '.join(missing)} missing "
            "(write one with `workforce report`)."
        )


def parse_summary(content: bytes, where: Path) -> dict:
    """report.json's content, checked for what publishing needs."""
    try:
        summary = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"{where} is not valid JSON: {error}") from None
    if not isinstance(summary, dict):
        raise ValidationError(f"{where} is not a report summary.")
    for key in ("title", "wave", "organization"):
        if not isinstance(summary.get(key), str) or not summary[key]:
            raise ValidationError(f"{where} has no {key}.")
    if not _WAVE.match(summary["wave"]):
        raise ValidationError(f"{where}: wave {summary['wave']!r} is not usable.")
    return summary


def validate_zipped_package(package: bytes, where: Path) -> None:
    """Validate the package as zipped (what is stored), unpacked into a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="workforce-package-") as folder:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            archive.extractall(folder)
        validation = validate_data_package(Path(folder))
    if not validation.valid:
        shown = "; ".join(validation.errors[:5])
        more = f" (and {len(validation.errors) - 5} more)" if len(validation.errors) > 5 else ""
        raise ValidationError(
            f"The data package in {where} is not valid, so the report was not published: "
            f"{shown}{more}"
        )


def do_publish_report(
    organization: Organization, report_dir: Path, *, acting_user: User | None
) -> PublishedReport:
    """Publish the report in ``report_dir`` (``report.html``, ``report.json``, ``data/``, and
    ``report.pdf`` when there is one) as ``organization``'s.

    Refuses a folder that is not a written report, a report of another organization, and a
    data package frictionless finds invalid. The same bytes published again for the same
    organization and wave give back the earlier publication; anything else is a new version.
    The files are written aside and renamed into place, then the row and its audit event are
    written in one transaction.
    """
    report_dir = Path(report_dir)
    check_report_folder(report_dir)
    # Everything is read once, into memory: the checks below are of the bytes then stored.
    try:
        contents = read_report_files(report_dir)
    except ValueError as error:
        raise ValidationError(str(error)) from None
    summary = parse_summary(contents[SUMMARY_FILE], report_dir / SUMMARY_FILE)
    expected = report_organization_code(organization)
    if summary["organization"] != expected:
        said = summary["organization"]
        whose = "the consortium's" if said == CONSORTIUM else f"{said}'s"
        raise ValidationError(
            f"{report_dir} holds {whose} report ({summary['title']}), not "
            f"{organization.name}'s ({organization.code}); it was not published."
        )
    validate_zipped_package(contents[PACKAGE_FILE], report_dir / "data")
    files = {stored.name: stored for stored in describe(contents)}
    sha256 = content_checksum(list(files.values()))
    wave = summary["wave"]
    # The checks above read and validate files: done before the transaction, so the database
    # is not held while they run.
    try:
        with transaction.atomic():
            earlier = PublishedReport.objects.filter(
                organization=organization, wave=wave, sha256=sha256
            ).first()
            if earlier is not None:
                return earlier
            return _create(organization, summary, contents, files, sha256, acting_user)
    except IntegrityError:
        # Someone published the same bytes at the same moment: theirs is the publication.
        earlier = PublishedReport.objects.filter(
            organization=organization, wave=wave, sha256=sha256
        ).first()
        if earlier is None:
            raise
        return earlier


def _create(
    organization: Organization,
    summary: dict,
    contents: dict[str, bytes],
    files: dict[str, StoredFile],
    sha256: str,
    acting_user: User | None,
) -> PublishedReport:
    folder = f"{organization.code}/{summary['wave']}/{sha256[:12]}"
    # Files first, then the row: a failed database write leaves complete files behind, which
    # publishing again reuses.
    store_report_files(Path(settings.WORKFORCE_REPORTS_DIR), folder, contents)
    # The descriptor as zipped, so the row describes exactly the stored package.
    with zipfile.ZipFile(io.BytesIO(contents[PACKAGE_FILE])) as archive:
        package = json.loads(archive.read(DESCRIPTOR).decode("utf-8"))
    pdf = files.get(PDF_FILE)
    report = PublishedReport.objects.create(
        organization=organization,
        wave=summary["wave"],
        title=summary["title"][:300],
        published_by=acting_user if acting_user is not None else None,
        folder=folder,
        sha256=sha256,
        html_sha256=files[HTML_FILE].sha256,
        html_size=files[HTML_FILE].size,
        pdf_sha256=pdf.sha256 if pdf else "",
        pdf_size=pdf.size if pdf else None,
        summary_sha256=files[SUMMARY_FILE].sha256,
        package_sha256=files[PACKAGE_FILE].sha256,
        package_size=files[PACKAGE_FILE].size,
        summary=summary,
        package=package,
    )
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.REPORT_PUBLISHED,
        obj=report,
        organization=organization,
        details={
            "title": report.title,
            "wave": report.wave,
            "sha256": sha256,
            "files": {name: stored.sha256 for name, stored in sorted(files.items())},
        },
    )
    return report
