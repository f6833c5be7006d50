"""Site-wide pages: the public home page, the signed-in dashboard, and the health check."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from workforce.platform.intake.models import awaiting_decision
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import (
    Action,
    VisibleOrganization,
    public,
    signed_in,
    visible_organizations,
)
from workforce.platform.reports.models import PublishedReport
from workforce.platform.surveys.models import Wave


@public
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    consortia = Organization.objects.filter(kind=Organization.Kind.CONSORTIUM).prefetch_related(
        "societies"
    )
    return render(request, "home.html", {"consortia": consortia})


@signed_in
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    visible = visible_organizations(request.user)
    organizations = [v.organization for v in visible]
    reports = dict(
        PublishedReport.objects.filter(organization__in=organizations)
        .values_list("organization")
        .annotate(count=Count("id"))
    )
    waves = dict(
        Wave.objects.filter(organization__in=organizations)
        .values_list("organization")
        .annotate(count=Count("id"))
    )
    waiting = dict(
        awaiting_decision()
        .filter(organization__in=organizations)
        .order_by()
        .values_list("organization")
        .annotate(count=Count("id"))
    )
    rows = [
        DashboardRow(
            item,
            reports.get(item.organization.pk, 0),
            waves.get(item.organization.pk, 0) if item.can(Action.VIEW_SURVEY_MONITORING) else None,
            waiting.get(item.organization.pk, 0) if item.can_view_data else 0,
        )
        for item in visible
    ]
    return render(request, "dashboard.html", {"visible": rows})


@dataclass(frozen=True)
class DashboardRow:
    """One organization on the dashboard: the role, and what there is to open."""

    item: VisibleOrganization
    report_count: int
    wave_count: int | None  # None: this role does not see the society's surveys
    awaiting_decision: int  # uploads whose mapping waits for a steward (0 if not shown)


@public
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and the demo: is the process up, and does the database answer?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
