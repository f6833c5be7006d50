"""Site-wide pages: the public home page, the signed-in dashboard, and the health check."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import public, signed_in, visible_organizations
from workforce.platform.reports.models import PublishedReport


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
    counts = dict(
        PublishedReport.objects.filter(organization__in=[v.organization for v in visible])
        .values_list("organization")
        .annotate(count=Count("id"))
    )
    rows = [(item, counts.get(item.organization.pk, 0)) for item in visible]
    return render(request, "dashboard.html", {"visible": rows})


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
