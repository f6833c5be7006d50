"""A society's mappings (versioned YAML) and the ingest runs that apply them to uploads.

A mapping version is never edited: correcting a mapping saves a new version, so every set of
standard records names the exact mapping that made it. Proposals are versions too
(``confirmed=False``), so a proposal can be downloaded and read like any saved mapping; only
confirmed versions are reused for a society's next export.

An ingest run's outputs (standard records, their provenance, the rejected rows and every
problem) are CSV files in the data directory beside the society's uploads,
``<uploads dir>/<society>/ingests/<run id>/``, each with its SHA-256 stored here: record-level
data stays in files that can be handed back whole, while the database keeps the counts and
the validation report that the pages show.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

# Outputs of one ingest run, by the name each is kept under in the run's folder.
RECORDS_FILE = "records.csv"
PROVENANCE_FILE = "records.provenance.csv"
REJECTS_FILE = "rejects.csv"
PROBLEMS_FILE = "problems.csv"


class Mapping(models.Model):
    """One version of a society's mapping of its export to the data standard, as YAML."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="mappings"
    )
    version = models.PositiveIntegerField()
    yaml = models.TextField(help_text="The mapping file, exactly as the command line reads it.")
    # False for a proposal a data steward has not confirmed yet.
    confirmed = models.BooleanField(default=False)
    # The upload this version was proposed for or confirmed on; null when saved without one.
    upload = models.ForeignKey(
        "uploads.Upload",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mappings",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="one_mapping_per_version"
            ),
        ]

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed else "proposed"
        return f"{self.organization.code} mapping v{self.version} ({state})"

    def parsed(self):
        """The version as ``workforce.intake.Mapping`` (imported here: pandas is heavy)."""
        import yaml

        from workforce.intake.mapping import mapping_from_dict

        return mapping_from_dict(yaml.safe_load(self.yaml), self.filename)

    @property
    def filename(self) -> str:
        return f"{self.organization.code}-mapping-v{self.version}.yaml"

    @classmethod
    def latest_confirmed(cls, organization) -> Mapping | None:
        return cls.objects.filter(organization=organization, confirmed=True).first()


class IngestRun(models.Model):
    """One upload on its way to standard records: the proposal, then the ingest and its report."""

    class Status(models.TextChoices):
        NEEDS_MAPPING = "needs_mapping", "Needs a mapping decision"
        INGESTED = "ingested", "Ingested"
        FAILED = "failed", "Failed"

    upload = models.ForeignKey("uploads.Upload", on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=20, choices=Status, default=Status.NEEDS_MAPPING)
    # The version shown to the data steward, and the confirmed version that was applied.
    proposal = models.ForeignKey(
        Mapping, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mapping = models.ForeignKey(
        Mapping, on_delete=models.PROTECT, null=True, blank=True, related_name="runs"
    )
    # The confirmed version the proposal started from, if any ("only new values are asked").
    previous = models.ForeignKey(
        Mapping, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Per mapped column, each distinct value's row count and whether it is new; counted once
    # when proposing so that showing the proposal never rereads a large file.
    values = models.JSONField(default=dict, blank=True)
    year = models.PositiveIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(null=True, blank=True)
    rows_accepted = models.PositiveIntegerField(null=True, blank=True)
    rows_rejected = models.PositiveIntegerField(null=True, blank=True)
    # The validation report (``IngestReport.summary()``), problems capped at REPORT_PROBLEMS;
    # every problem is in the run's problems.csv.
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="Why reading or ingesting the file failed.")
    # Relative to settings.WORKFORCE_UPLOADS_DIR, like uploads; blank until ingested.
    output_dir = models.CharField(max_length=255, blank=True)
    checksums = models.JSONField(
        default=dict, blank=True, help_text="SHA-256 of each output file, by file name."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ingested") | Q(mapping__isnull=False),
                name="an_ingested_run_names_its_mapping",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.upload} — {self.get_status_display()}"

    @property
    def organization(self):
        return self.upload.organization

    def output_path(self, name: str) -> Path:
        return Path(settings.WORKFORCE_UPLOADS_DIR) / self.output_dir / name

    @property
    def problems_shown(self) -> list[dict]:
        return self.report.get("problems", [])

    def previous_ingest(self) -> IngestRun | None:
        """The society's ingest just before this one, to compare with: any upload's, the same
        upload's with an earlier mapping included, but not one of a file set aside."""
        return (
            IngestRun.objects.filter(
                upload__organization_id=self.upload.organization_id,
                status=IngestRun.Status.INGESTED,
                upload__set_aside_at__isnull=True,
                created_at__lt=self.created_at,
            )
            .select_related("upload", "mapping")
            .order_by("-created_at", "-id")
            .first()
        )

    @property
    def problems_total(self) -> int:
        return int(self.report.get("problems_total", len(self.problems_shown)))


def awaiting_decision():
    """Uploads whose latest run waits for a steward's mapping decision, oldest first.

    A file set aside waits for nothing. One query: the latest run's status is a subquery.
    """
    from workforce.platform.uploads.models import Upload

    latest = IngestRun.objects.filter(upload=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Upload.objects.filter(set_aside_at__isnull=True)
        .annotate(latest_status=Subquery(latest.values("status")[:1]))
        .filter(latest_status=IngestRun.Status.NEEDS_MAPPING)
        .order_by("uploaded_at", "id")
    )
