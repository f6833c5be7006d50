"""Admin for the audit trail: read-only."""

from __future__ import annotations

from django.contrib import admin

from workforce.platform.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "verb", "organization", "object_type", "object_id"]
    list_filter = ["verb", "organization"]
    search_fields = ["object_type", "object_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
