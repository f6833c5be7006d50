"""Admin for published reports: read-only, because reports are published through actions."""

from __future__ import annotations

from django.contrib import admin

from workforce.platform.reports.models import PublishedReport


@admin.register(PublishedReport)
class PublishedReportAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "wave", "sha256_short", "published_by", "published_at"]
    list_filter = ["organization", "wave"]
    search_fields = ["title", "sha256"]
    date_hierarchy = "published_at"
    exclude = ["summary", "package"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
