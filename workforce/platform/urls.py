"""URL configuration: public pages, sign-in, the dashboard, organization pages, the admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from workforce.platform import views
from workforce.platform.accounts.forms import EmailAuthenticationForm
from workforce.platform.intake import views as intake_views
from workforce.platform.organizations import views as organization_views
from workforce.platform.permissions import public
from workforce.platform.reports import views as report_views
from workforce.platform.uploads import views as upload_views

admin.site.site_header = "Workforce platform administration"
admin.site.site_title = "Workforce admin"

urlpatterns = [
    # First: the pages members answer a survey on are requested far more often than any
    # other, and Django tries the patterns in order (reaching them after every staff page's
    # pattern took 5% of a respondent page's time). Their addresses start with s/ and
    # survey/, which no other pattern does.
    path("", include("workforce.platform.surveys.respondent_urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        public(
            auth_views.LoginView.as_view(
                authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "organizations/<slug:code>/",
        organization_views.organization_detail,
        name="organization_detail",
    ),
    path("organizations/<slug:code>/uploads/", upload_views.upload_list, name="upload_list"),
    path("organizations/<slug:code>/uploads/new/", upload_views.upload_new, name="upload_new"),
    path(
        "organizations/<slug:code>/uploads/<int:pk>/download/",
        upload_views.upload_download,
        name="upload_download",
    ),
    path(
        "organizations/<slug:code>/uploads/<int:pk>/",
        intake_views.upload_detail,
        name="upload_detail",
    ),
    path(
        "organizations/<slug:code>/uploads/<int:pk>/set-aside/",
        upload_views.upload_set_aside,
        name="upload_set_aside",
    ),
    path(
        "organizations/<slug:code>/uploads/<int:pk>/take-back/",
        upload_views.upload_take_back,
        name="upload_take_back",
    ),
    path(
        "organizations/<slug:code>/uploads/<int:pk>/propose/",
        intake_views.upload_propose,
        name="upload_propose",
    ),
    path(
        "organizations/<slug:code>/uploads/<int:pk>/columns/",
        intake_views.upload_columns,
        name="upload_columns",
    ),
    path(
        "organizations/<slug:code>/uploads/<int:pk>/confirm/",
        intake_views.upload_confirm,
        name="upload_confirm",
    ),
    path(
        "organizations/<slug:code>/ingests/<int:pk>/",
        intake_views.ingest_report,
        name="ingest_report",
    ),
    path(
        "organizations/<slug:code>/ingests/<int:pk>/<str:filename>",
        intake_views.ingest_download,
        name="ingest_download",
    ),
    path("organizations/<slug:code>/mappings/", intake_views.mapping_list, name="mapping_list"),
    path(
        "organizations/<slug:code>/mappings/v<int:version>.yaml",
        intake_views.mapping_download,
        name="mapping_download",
    ),
    path("organizations/<slug:code>/reports/", report_views.report_list, name="report_list"),
    path(
        "organizations/<slug:code>/reports/<int:pk>/",
        report_views.report_detail,
        name="report_detail",
    ),
    path(
        "organizations/<slug:code>/reports/<int:pk>/report.html",
        report_views.report_html,
        name="report_html",
    ),
    path(
        "organizations/<slug:code>/reports/<int:pk>/report.pdf",
        report_views.report_pdf,
        name="report_pdf",
    ),
    path(
        "organizations/<slug:code>/reports/<int:pk>/datapackage.zip",
        report_views.report_package,
        name="report_package",
    ),
    path(
        "organizations/<slug:code>/reports/<int:pk>/tables/<slug:name>/",
        report_views.report_table,
        name="report_table",
    ),
    path(
        "organizations/<slug:code>/reports/<int:pk>/tables/<slug:name>.csv",
        report_views.report_table_csv,
        name="report_table_csv",
    ),
    # Staff pages for instruments and waves.
    path("", include("workforce.platform.surveys.urls")),
    # Focus-group projects: coding transcripts, the codebook, comparing coders.
    path("", include("workforce.platform.qual.urls")),
    path("admin/", admin.site.urls),
]
