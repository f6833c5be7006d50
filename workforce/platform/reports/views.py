"""Pages of published reports: the list, a report, one of its tables, and the downloads.

Every page needs ``VIEW_ORGANIZATION`` in the report's organization: the consortium's report
is for consortium staff, a society's for the society's people and consortium staff. A report
is looked up within the organization of the URL, so another organization's id is not found.
Pages show what the stored files hold and compute nothing.
"""

from __future__ import annotations

import io
import zipfile
from contextlib import contextmanager

import structlog
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, organization_view
from workforce.platform.reports.models import (
    HTML_FILE,
    PACKAGE_FILE,
    PDF_FILE,
    PublishedReport,
)
from workforce.platform.reports.tables import read_member, render_table, table_member

log = structlog.get_logger(__name__)

# The stored report.html is self-contained (inline CSS and SVG, no scripts): nothing else may
# load or run, even if a future report were to carry something it should not.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _report(organization: Organization, pk: int) -> PublishedReport:
    return get_object_or_404(
        PublishedReport.objects.select_related("published_by"), pk=pk, organization=organization
    )


def _open(report: PublishedReport, name: str):
    try:
        return report.path(name).open("rb")
    except FileNotFoundError:
        log.error("report.file_missing", report_id=report.pk, folder=report.folder, file=name)
        raise Http404("The stored file is missing; consortium staff have been told.") from None


def _table(report: PublishedReport, name: str) -> dict:
    """The data package's resource for table `name`, or a 404."""
    resource = report.table(name)
    if resource is None:
        raise Http404(f"{report.title} has no table {name!r}.")
    return resource


@contextmanager
def _stored_table(report: PublishedReport, name: str):
    """Reading a table out of the stored zip; a missing or broken file is a logged 404."""
    try:
        yield
    except (FileNotFoundError, KeyError, zipfile.BadZipFile):
        log.error("report.table_missing", report_id=report.pk, table=name)
        raise Http404("The stored table is missing; consortium staff have been told.") from None


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def report_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    reports = list(organization.reports.select_related("published_by"))
    newest: dict[str, int] = {}
    for report in reports:  # newest first: the first of each wave is its current version
        newest.setdefault(report.wave, report.pk)
    rows = [(report, newest[report.wave] != report.pk) for report in reports]
    return render(
        request, "reports/list.html", {"organization": organization, "rows": rows}
    )


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def report_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    report = _report(organization, pk)
    newer = (
        organization.reports.filter(wave=report.wave, published_at__gt=report.published_at)
        .order_by("-published_at", "-id")
        .first()
    )
    withheld = report.summary.get("withheld") or {}
    tables = [
        {
            "name": resource["name"],
            "title": resource.get("title") or resource["name"],
            "description": resource.get("description", ""),
            "withheld": withheld.get(resource["name"]),
        }
        for resource in report.tables()
    ]
    return render(
        request,
        "reports/detail.html",
        {"organization": organization, "report": report, "newer": newer, "tables": tables},
    )


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def report_table(
    request: HttpRequest, organization: Organization, pk: int, name: str
) -> HttpResponse:
    report = _report(organization, pk)
    resource = _table(report, name)
    with _stored_table(report, name):
        table = render_table(report, resource)
    return render(
        request,
        "reports/table.html",
        {"organization": organization, "report": report, "table": table},
    )


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def report_table_csv(
    request: HttpRequest, organization: Organization, pk: int, name: str
) -> FileResponse:
    report = _report(organization, pk)
    resource = _table(report, name)
    with _stored_table(report, name):
        content = read_member(report, table_member(resource))
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{report.download_stem}-{name}.csv",
        content_type="text/csv; charset=utf-8",
    )


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def report_html(request: HttpRequest, organization: Organization, pk: int) -> FileResponse:
    report = _report(organization, pk)
    response = FileResponse(
        _open(report, HTML_FILE),
        filename=f"{report.download_stem}.html",
        content_type="text/html; charset=utf-8",
    )
    response["Content-Security-Policy"] = REPORT_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def report_pdf(request: HttpRequest, organization: Organization, pk: int) -> FileResponse:
    report = _report(organization, pk)
    if not report.has_pdf:
        raise Http404(f"{report.title} was published without a PDF.")
    return FileResponse(
        _open(report, PDF_FILE),
        as_attachment=True,
        filename=f"{report.download_stem}.pdf",
        content_type="application/pdf",
    )


@organization_view(Action.VIEW_ORGANIZATION)
@require_safe
def report_package(request: HttpRequest, organization: Organization, pk: int) -> FileResponse:
    report = _report(organization, pk)
    return FileResponse(
        _open(report, PACKAGE_FILE),
        as_attachment=True,
        filename=f"{report.download_stem}-data.zip",
        content_type="application/zip",
    )
