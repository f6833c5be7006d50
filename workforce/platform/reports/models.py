"""A published report: the files of one benchmark report, as the reporting core wrote them.

The files live in ``<reports dir>/<organization code>/<wave>/<short checksum>/``:
``report.html``, ``report.pdf`` (when there is one), ``report.json`` and ``datapackage.zip``
(the data package folder zipped deterministically). The row keeps each file's SHA-256, the
summary (``report.json``) and the data package's descriptor, so pages read the published
numbers from what was published and never compute anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

HTML_FILE = "report.html"
PDF_FILE = "report.pdf"
SUMMARY_FILE = "report.json"
PACKAGE_FILE = "datapackage.zip"


class PublishedReport(models.Model):
    """One version of an organization's report for a wave. Rows are never edited."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="reports"
    )
    wave = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Null when published from the command line (the demo, `workforce manage publish_report`).
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Relative to settings.WORKFORCE_REPORTS_DIR, so the data directory can move.
    folder = models.CharField(max_length=255)
    # Of the four files together (their checksums in a fixed order): the same bytes published
    # again for the same organization and wave are found by it.
    sha256 = models.CharField("SHA-256", max_length=64)
    html_sha256 = models.CharField(max_length=64)
    html_size = models.BigIntegerField()
    pdf_sha256 = models.CharField(max_length=64, blank=True)  # empty: no PDF was written
    pdf_size = models.BigIntegerField(null=True, blank=True)
    summary_sha256 = models.CharField(max_length=64)
    package_sha256 = models.CharField(max_length=64)
    package_size = models.BigIntegerField()
    summary = models.JSONField(help_text="report.json as published.")
    package = models.JSONField(help_text="The data package's datapackage.json as published.")

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "wave", "sha256"], name="one_report_per_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.organization.code}, {self.sha256_short})"

    @property
    def sha256_short(self) -> str:
        return self.sha256[:12]

    @property
    def directory(self) -> Path:
        return Path(settings.WORKFORCE_REPORTS_DIR) / self.folder

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def has_pdf(self) -> bool:
        return bool(self.pdf_sha256)

    @property
    def download_stem(self) -> str:
        return f"workforce-report-{self.organization.code}-{self.wave}"

    # --- What report.json and datapackage.json say ----------------------------------------

    @property
    def withheld_total(self) -> int:
        return sum(int(n) for n in (self.summary.get("withheld") or {}).values())

    @property
    def gates(self) -> list[dict[str, Any]]:
        return list(self.summary.get("gates") or [])

    @property
    def gates_passed(self) -> bool:
        return bool(self.gates) and all(gate.get("passed") for gate in self.gates)

    @property
    def goals(self) -> list[dict[str, Any]]:
        return list(self.summary.get("goals") or [])

    @property
    def versions(self) -> dict[str, str]:
        return dict(self.summary.get("versions") or {})

    def tables(self) -> list[dict[str, Any]]:
        """The package's published tables (its resources for report.json's tables), in order."""
        names = list(self.summary.get("tables") or [])
        by_name = {resource.get("name"): resource for resource in self.resources()}
        return [by_name[name] for name in names if name in by_name]

    def resources(self) -> list[dict[str, Any]]:
        return list(self.package.get("resources") or [])

    def table(self, name: str) -> dict[str, Any] | None:
        for resource in self.tables():
            if resource.get("name") == name:
                return resource
        return None
