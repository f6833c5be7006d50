"""Admin for surveys: read-only, because every change goes through the actions layer.

Responses are not listed at all: the admin is an operator's tool, and answers are read
through exports, which honour the wave's mode and the reader's rights.
"""

from __future__ import annotations

from django.contrib import admin

from workforce.platform.surveys.models import Export, Instrument, Mailing, Wave


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Instrument)
class InstrumentAdmin(ReadOnlyAdmin):
    list_display = ["form_id", "version", "title", "filename", "imported_by", "imported_at"]
    exclude = ["xlsform", "definition"]


@admin.register(Wave)
class WaveAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "slug", "mode", "status", "opens_on", "closes_on"]
    list_filter = ["organization", "mode", "status"]
    exclude = ["open_link_hash"]


@admin.register(Mailing)
class MailingAdmin(ReadOnlyAdmin):
    list_display = ["wave", "kind", "status", "total", "sent", "failed", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    list_display = ["wave", "format", "status", "identified", "rows", "created_at"]
    list_filter = ["format", "status"]
