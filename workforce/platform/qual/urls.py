"""URLs of focus-group projects: ``/focus-groups/`` and ``/organizations/<code>/focus-groups/``."""

from __future__ import annotations

from django.urls import path

from workforce.platform.qual import views

PROJECT = "organizations/<slug:code>/focus-groups/<int:pk>/"
SOURCE = PROJECT + "sources/<int:source_pk>/"

urlpatterns = [
    path("focus-groups/", views.all_projects, name="qual_all_projects"),
    path("organizations/<slug:code>/focus-groups/", views.project_list, name="qual_project_list"),
    path("organizations/<slug:code>/focus-groups/new/", views.project_new, name="qual_project_new"),
    path(PROJECT, views.project_detail, name="qual_project"),
    path(PROJECT + "blind/", views.project_blind, name="qual_project_blind"),
    path(PROJECT + "export.qdpx", views.project_export, name="qual_project_export"),
    path(PROJECT + "memos/", views.memo_add, name="qual_memo_add"),
    path(PROJECT + "codebook/", views.codebook, name="qual_codebook"),
    path(PROJECT + "codebook/v<int:number>/", views.codebook_version, name="qual_codebook_version"),
    # Code ids are paths ("climate/belonging"), so they come last.
    path(PROJECT + "codebook/codes/<path:code_id>", views.code_change, name="qual_code_change"),
    path(PROJECT + "compare/", views.compare, name="qual_compare"),
    path(PROJECT + "analysis/", views.analysis, name="qual_analysis"),
    path(PROJECT + "analysis/themes.csv", views.analysis_themes_csv, name="qual_analysis_csv"),
    path(PROJECT + "quotes/", views.quotes, name="qual_quotes"),
    path(PROJECT + "identifying/", views.identifying_list, name="qual_identifying"),
    path(PROJECT + "identifying/check/", views.identifying_check, name="qual_identifying_check"),
    path(
        PROJECT + "identifying/reapply/",
        views.identifying_reapply,
        name="qual_identifying_reapply",
    ),
    path(PROJECT + "coders/", views.coder_add, name="qual_coder_add"),
    path(PROJECT + "coders/<int:coder_pk>/remove/", views.coder_remove, name="qual_coder_remove"),
    path(PROJECT + "files/", views.project_files, name="qual_project_files"),
    path(PROJECT + "files/sources/", views.sources_upload, name="qual_sources_upload"),
    path(PROJECT + "files/codebook/", views.codebook_upload, name="qual_codebook_upload"),
    path(PROJECT + "files/qdpx/", views.qdpx_import, name="qual_qdpx_import"),
    path(SOURCE, views.source_page, name="qual_source"),
    path(SOURCE + "original/", views.source_original, name="qual_source_original"),
    path(SOURCE + "codings/", views.coding_add, name="qual_coding_add"),
    path(SOURCE + "codings/<int:coding_pk>/", views.coding_change, name="qual_coding_change"),
    path(
        SOURCE + "codings/<int:coding_pk>/delete/", views.coding_delete, name="qual_coding_delete"
    ),
]
