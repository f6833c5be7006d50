"""The pages everyone meets: home, dashboard, health check, and the access every view declares."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.html import escape
from test_respondent_pages import make_wave

from workforce.platform.permissions import Action

pytestmark = pytest.mark.platform


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) == "admin/":
                continue  # Django's admin checks is_staff itself
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_view_declares_who_may_open_it():
    undeclared = [
        route for route, view in walk(get_resolver().url_patterns) if not hasattr(view, "access")
    ]
    assert undeclared == []


def test_only_the_home_page_sign_in_health_check_and_survey_pages_are_public():
    public = sorted(
        route
        for route, view in walk(get_resolver().url_patterns)
        if getattr(view, "access", None) == "public"
    )
    # The survey pages admit a member by the token in their link or the signed cookie it
    # sets, never by a sign-in.
    assert public == [
        "",
        "healthz",
        "login/",
        "logout/",
        "s/<str:token>/",
        "s/<str:token>/opt-out/",
        "survey/<slug:slug>/",
        "survey/<slug:slug>/open/<str:key>/",
        "survey/<slug:slug>/review/",
        "survey/<slug:slug>/saved/",
        "survey/<slug:slug>/thanks/",
    ]


def test_organization_views_check_an_action():
    checked = {
        route: view.access
        for route, view in walk(get_resolver().url_patterns)
        if route.startswith("organizations/")
    }
    assert checked == {
        "organizations/<slug:code>/": Action.VIEW_ORGANIZATION,
        "organizations/<slug:code>/uploads/": Action.VIEW_ORG_DATA,
        "organizations/<slug:code>/uploads/new/": Action.UPLOAD_DATA,
        "organizations/<slug:code>/uploads/<int:pk>/download/": Action.VIEW_ORG_DATA,
        "organizations/<slug:code>/uploads/<int:pk>/": Action.VIEW_ORG_DATA,
        "organizations/<slug:code>/uploads/<int:pk>/set-aside/": Action.UPLOAD_DATA,
        "organizations/<slug:code>/uploads/<int:pk>/take-back/": Action.UPLOAD_DATA,
        "organizations/<slug:code>/uploads/<int:pk>/propose/": Action.UPLOAD_DATA,
        "organizations/<slug:code>/uploads/<int:pk>/columns/": Action.UPLOAD_DATA,
        "organizations/<slug:code>/uploads/<int:pk>/confirm/": Action.UPLOAD_DATA,
        "organizations/<slug:code>/ingests/<int:pk>/": Action.VIEW_ORG_DATA,
        "organizations/<slug:code>/ingests/<int:pk>/<str:filename>": Action.VIEW_ORG_DATA,
        "organizations/<slug:code>/mappings/": Action.VIEW_ORG_DATA,
        "organizations/<slug:code>/mappings/v<int:version>.yaml": Action.VIEW_ORG_DATA,
        "organizations/<slug:code>/reports/": Action.VIEW_ORGANIZATION,
        "organizations/<slug:code>/reports/<int:pk>/": Action.VIEW_ORGANIZATION,
        "organizations/<slug:code>/reports/<int:pk>/report.html": Action.VIEW_ORGANIZATION,
        "organizations/<slug:code>/reports/<int:pk>/report.pdf": Action.VIEW_ORGANIZATION,
        "organizations/<slug:code>/reports/<int:pk>/datapackage.zip": Action.VIEW_ORGANIZATION,
        "organizations/<slug:code>/reports/<int:pk>/tables/<slug:name>/": (
            Action.VIEW_ORGANIZATION
        ),
        "organizations/<slug:code>/reports/<int:pk>/tables/<slug:name>.csv": (
            Action.VIEW_ORGANIZATION
        ),
        "organizations/<slug:code>/surveys/": Action.VIEW_SURVEY_MONITORING,
        "organizations/<slug:code>/surveys/instruments/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/new/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/instruments/<int:pk>/try/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/instruments/<int:pk>/try/review/": (
            Action.MANAGE_SURVEYS
        ),
        "organizations/<slug:code>/surveys/instruments/<int:pk>/try/restart/": (
            Action.MANAGE_SURVEYS
        ),
        "organizations/<slug:code>/surveys/<slug:slug>/": Action.VIEW_SURVEY_MONITORING,
        "organizations/<slug:code>/surveys/<slug:slug>/settings/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/try/": Action.VIEW_SURVEY_MONITORING,
        "organizations/<slug:code>/surveys/<slug:slug>/try/review/": (
            Action.VIEW_SURVEY_MONITORING
        ),
        "organizations/<slug:code>/surveys/<slug:slug>/try/restart/": (
            Action.VIEW_SURVEY_MONITORING
        ),
        "organizations/<slug:code>/surveys/<slug:slug>/frame/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/open/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/close/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/open-link/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/invitations/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/reminders/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/reminders/schedule/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/mailings/<int:pk>/cancel/": (
            Action.MANAGE_SURVEYS
        ),
        "organizations/<slug:code>/surveys/<slug:slug>/bounces/": Action.MANAGE_SURVEYS,
        "organizations/<slug:code>/surveys/<slug:slug>/emails/<slug:kind>/": (
            Action.VIEW_SURVEY_MONITORING
        ),
        "organizations/<slug:code>/surveys/<slug:slug>/emails/<slug:kind>/test/": (
            Action.MANAGE_SURVEYS
        ),
        "organizations/<slug:code>/surveys/<slug:slug>/exports/": Action.EXPORT_SURVEY_RESPONSES,
        "organizations/<slug:code>/surveys/<slug:slug>/exports/<int:pk>/download/": (
            Action.EXPORT_SURVEY_RESPONSES
        ),
        # Focus groups: the right to take part, then the rights in the project
        # (permissions.ProjectRights; see tests/platform/test_qual.py).
        **{
            "organizations/<slug:code>/focus-groups/" + rest: Action.CODE_QUALITATIVE
            for rest in (
                "",
                "new/",
                "<int:pk>/",
                "<int:pk>/blind/",
                "<int:pk>/coders/",
                "<int:pk>/coders/<int:coder_pk>/remove/",
                "<int:pk>/files/",
                "<int:pk>/files/sources/",
                "<int:pk>/files/codebook/",
                "<int:pk>/files/qdpx/",
                "<int:pk>/analysis/",
                "<int:pk>/analysis/themes.csv",
                "<int:pk>/quotes/",
                "<int:pk>/identifying/",
                "<int:pk>/identifying/check/",
                "<int:pk>/identifying/reapply/",
                "<int:pk>/export.qdpx",
                "<int:pk>/memos/",
                "<int:pk>/codebook/",
                "<int:pk>/codebook/v<int:number>/",
                "<int:pk>/codebook/codes/<path:code_id>",
                "<int:pk>/compare/",
                "<int:pk>/sources/<int:source_pk>/",
                "<int:pk>/sources/<int:source_pk>/original/",
                "<int:pk>/sources/<int:source_pk>/codings/",
                "<int:pk>/sources/<int:source_pk>/codings/<int:coding_pk>/",
                "<int:pk>/sources/<int:source_pk>/codings/<int:coding_pk>/delete/",
            )
        },
    }


def test_the_home_page_explains_the_platform_and_lists_the_societies(orgs, client):
    page = client.get("/").content.decode()
    assert "Who is our workforce, and how is it treated?" in page
    assert escape("Human Genetics & Genomics Workforce Consortium") in page
    for code in ("ashg", "nsgc", "acmg"):
        assert escape(orgs[code].name) in page
    assert "data steward" in page.lower()
    assert 'href="/login/"' in page


def test_the_home_page_says_when_nothing_is_set_up(db, client):
    assert "workforce demo" in client.get("/").content.decode()


def test_the_dashboard_needs_a_sign_in(db, client):
    response = client.get("/dashboard/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/dashboard/")


def test_the_dashboard_lists_a_stewards_society_and_role_only(ashg_steward, orgs, client_for):
    page = client_for(ashg_steward).get("/dashboard/").content.decode()
    assert "American Society of Human Genetics" in page
    assert "Society data steward" in page
    assert "National Society of Genetic Counselors" not in page
    assert 'href="/organizations/ashg/uploads/"' in page


def test_the_dashboard_shows_staff_every_society_through_the_consortium(staff, orgs, client_for):
    page = client_for(staff).get("/dashboard/").content.decode()
    for code in ("ashg", "nsgc", "acmg"):
        assert f'href="/organizations/{code}/"' in page
    assert "(through Human Genetics" in page


def test_the_dashboard_tells_a_viewer_they_see_published_results_only(acmg_viewer, client_for):
    page = client_for(acmg_viewer).get("/dashboard/").content.decode()
    assert "Published results only" in page
    assert "/uploads/" not in page


def test_the_dashboard_links_each_societys_survey_waves(staff, orgs, client_for):
    make_wave(orgs["ashg"])
    page = client_for(staff).get("/dashboard/").content.decode()
    assert 'href="/organizations/ashg/surveys/">1 wave<' in page
    assert 'href="/organizations/nsgc/surveys/">None yet<' in page


def test_the_dashboard_tells_an_outsider_how_to_get_a_role(outsider, client_for):
    assert "Ask consortium staff" in client_for(outsider).get("/dashboard/").content.decode()


def test_staff_see_who_holds_roles_in_a_society(staff, ashg_steward, client_for):
    page = client_for(staff).get("/organizations/ashg/").content.decode()
    assert "People with a role here" in page
    assert "steward@ashg.example" in page


def test_a_steward_does_not_see_who_holds_roles(ashg_steward, client_for):
    page = client_for(ashg_steward).get("/organizations/ashg/").content.decode()
    assert "People with a role here" not in page
    assert "Upload a file" in page


def test_a_viewer_sees_published_results_and_no_data_section(acmg_viewer, client_for):
    page = client_for(acmg_viewer).get("/organizations/acmg/").content.decode()
    assert "Published results" in page
    assert "See uploads" not in page


def test_the_not_allowed_page_explains_why(ashg_steward, nsgc, client_for):
    response = client_for(ashg_steward).get("/organizations/nsgc/uploads/")
    assert response.status_code == 403
    assert "not allowed to see this page" in response.content.decode()


def test_healthz_reports_the_process_and_the_database(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/login/",
        "/dashboard/",
        "/organizations/ashg/",
        "/organizations/ashg/uploads/",
        "/organizations/ashg/uploads/new/",
    ],
)
def test_pages_have_landmarks_a_skip_link_and_a_viewport(path, ashg_steward, client_for):
    page = client_for(ashg_steward if path != "/login/" else None).get(path).content.decode()
    assert '<html lang="en">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert "<header" in page and "<nav" in page and "<footer" in page
    assert len(re.findall(r"<h1[ >]", page)) == 1
    assert "<script" not in page  # everything works without JavaScript


def test_every_form_field_has_a_label(ashg_steward, client_for):
    page = client_for(ashg_steward).get("/organizations/ashg/uploads/new/").content.decode()
    for field_id in re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', page):
        assert f'<label for="{field_id}"' in page


def test_the_site_css_is_served_without_collectstatic(db, client):
    response = client.get("/static/workforce/site.css")
    assert response.status_code == 200
    assert b":focus-visible" in b"".join(response.streaming_content)
