"""``workforce manage publish_report DIR --org CODE``: publish a report folder on the platform."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from workforce.platform.actions.reports import do_publish_report
from workforce.platform.organizations.models import Organization
from workforce.platform.reports.models import PublishedReport


class Command(BaseCommand):
    help = (
        "Publish the benchmark report that `workforce report` wrote into DIR (report.html, "
        "report.json, data/, and report.pdf if present) as the report of organization CODE."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="the folder `workforce report` wrote")
        parser.add_argument(
            "--org",
            required=True,
            help="the organization's code: the consortium's, or a society's (e.g. nsgc)",
        )

    def handle(self, *args, directory: Path, org: str, **options):
        try:
            organization = Organization.objects.get(code=org)
        except Organization.DoesNotExist:
            codes = ", ".join(Organization.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No organization {org!r} (there are: {codes}).") from None
        before = PublishedReport.objects.count()
        try:
            report = do_publish_report(organization, directory, acting_user=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        fresh = PublishedReport.objects.count() > before
        verb = "Published" if fresh else "Already published (same bytes)"
        self.stdout.write(
            f"{verb}: {report.title}, wave {report.wave}, for {organization.name} "
            f"({organization.code}); report #{report.pk}, SHA-256 {report.sha256}"
        )
        files = [("report.html", report.html_size), ("datapackage.zip", report.package_size)]
        if report.has_pdf:
            files.insert(1, ("report.pdf", report.pdf_size))
        for name, size in files:
            self.stdout.write(f"  {report.path(name)} ({filesizeformat(size)})")
        self.stdout.write(
            f"  {len(report.tables())} tables, {report.withheld_total:,} values withheld; "
            f"on the web at /organizations/{organization.code}/reports/{report.pk}/"
        )
