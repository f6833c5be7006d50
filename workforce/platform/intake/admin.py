"""Admin for mappings and ingest runs: read-only, because both change through actions only."""

from __future__ import annotations

from django.contrib import admin

from workforce.platform.intake.models import IngestRun, Mapping


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Mapping)
class MappingAdmin(ReadOnlyAdmin):
    list_display = ["organization", "version", "confirmed", "upload", "created_by", "created_at"]
    list_filter = ["organization", "confirmed"]


@admin.register(IngestRun)
class IngestRunAdmin(ReadOnlyAdmin):
    list_display = [
        "upload",
        "status",
        "mapping",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "created_at",
    ]
    list_filter = ["status", "upload__organization"]
