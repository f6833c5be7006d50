"""URL configuration: public pages, sign-in, the dashboard, organization pages, the admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from workforce.platform import views
from workforce.platform.accounts.forms import EmailAuthenticationForm
from workforce.platform.organizations import views as organization_views
from workforce.platform.permissions import public
from workforce.platform.uploads import views as upload_views

admin.site.site_header = "Workforce platform administration"
admin.site.site_title = "Workforce admin"

urlpatterns = [
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
    path("admin/", admin.site.urls),
]
