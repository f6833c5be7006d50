"""Admin for uploads: read-only, because files arrive through the actions layer only."""

from __future__ import annotations

from django.contrib import admin

from workforce.platform.uploads.models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = [
        "original_filename",
        "organization",
        "kind",
        "size",
        "sha256_short",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["organization", "kind"]
    search_fields = ["original_filename", "sha256"]
    date_hierarchy = "uploaded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
