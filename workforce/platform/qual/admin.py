"""Admin for focus-group projects: read-only, because every change goes through actions.

The originals of de-identified sources and the identifying lists (names and identifying
terms) are not registered: only a project's lead uses them, on the project's pages, and the
admin is for operators.
"""

from __future__ import annotations

from django.contrib import admin

from workforce.platform.qual.models import (
    CodebookVersion,
    Coding,
    Memo,
    QualitativeProject,
    Source,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QualitativeProject)
class QualitativeProjectAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "lead", "blind", "created_at"]
    list_filter = ["organization", "blind"]
    search_fields = ["name"]
    exclude = ["participants"]


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["key", "project", "kind", "group", "deidentified"]
    list_filter = ["kind", "deidentified"]
    search_fields = ["key"]
    exclude = ["text", "turns"]


@admin.register(CodebookVersion)
class CodebookVersionAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "saved", "author"]


@admin.register(Coding)
class CodingAdmin(ReadOnlyAdmin):
    list_display = ["project", "source", "coder", "code", "start", "end", "changed_at"]
    list_filter = ["project"]


@admin.register(Memo)
class MemoAdmin(ReadOnlyAdmin):
    list_display = ["project", "key", "author_name", "target", "target_id", "created_at"]
    list_filter = ["project", "target"]
