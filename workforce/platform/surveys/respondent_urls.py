"""Addresses of the pages members answer a survey on (included at the site's root)."""

from __future__ import annotations

from django.urls import path

from workforce.platform.surveys import respondent_views as views

urlpatterns = [
    # The e-mailed link and its opt-out: the token is in the address, so both pages send no
    # Referer and the link page redirects at once.
    path("s/<str:token>/", views.enter_with_link, name="respond_link"),
    path("s/<str:token>/opt-out/", views.opt_out_page, name="respond_opt_out"),
    # Everything else lives under the wave's address, where the signed cookie is sent.
    path("survey/<slug:slug>/", views.survey_page, name="respond_page"),
    path("survey/<slug:slug>/open/<str:key>/", views.enter_open, name="respond_open_link"),
    path("survey/<slug:slug>/review/", views.review, name="respond_review"),
    path("survey/<slug:slug>/saved/", views.saved_for_later, name="respond_saved"),
    path("survey/<slug:slug>/thanks/", views.thanks, name="respond_thanks"),
]
