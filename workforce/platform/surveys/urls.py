"""Staff pages of surveys, under each organization (the respondent pages are elsewhere)."""

from __future__ import annotations

from django.urls import path

from workforce.platform.surveys import preview_views, staff_views

WAVE = "organizations/<slug:code>/surveys/<slug:slug>/"

urlpatterns = [
    path("organizations/<slug:code>/surveys/", staff_views.wave_list, name="survey_waves"),
    path(
        "organizations/<slug:code>/surveys/instruments/",
        staff_views.instrument_list,
        name="survey_instruments",
    ),
    path(
        "organizations/<slug:code>/surveys/instruments/<int:pk>/try/",
        preview_views.instrument_try,
        name="survey_instrument_try",
    ),
    path(
        "organizations/<slug:code>/surveys/instruments/<int:pk>/try/review/",
        preview_views.instrument_try_review,
        name="survey_instrument_try_review",
    ),
    path(
        "organizations/<slug:code>/surveys/instruments/<int:pk>/try/restart/",
        preview_views.instrument_try_restart,
        name="survey_instrument_try_restart",
    ),
    path("organizations/<slug:code>/surveys/new/", staff_views.wave_new, name="survey_wave_new"),
    path(WAVE, staff_views.wave_detail, name="survey_wave"),
    path(WAVE + "settings/", staff_views.wave_settings, name="survey_wave_settings"),
    path(WAVE + "try/", preview_views.wave_try, name="survey_wave_try"),
    path(WAVE + "try/review/", preview_views.wave_try_review, name="survey_wave_try_review"),
    path(WAVE + "try/restart/", preview_views.wave_try_restart, name="survey_wave_try_restart"),
    path(WAVE + "frame/", staff_views.wave_frame, name="survey_wave_frame"),
    path(WAVE + "open/", staff_views.wave_open, name="survey_wave_open"),
    path(WAVE + "close/", staff_views.wave_close, name="survey_wave_close"),
    path(WAVE + "open-link/", staff_views.wave_open_link, name="survey_wave_open_link"),
    path(WAVE + "invitations/", staff_views.wave_invitations, name="survey_wave_invitations"),
    path(WAVE + "reminders/", staff_views.wave_reminders, name="survey_wave_reminders"),
    path(
        WAVE + "reminders/schedule/",
        staff_views.wave_schedule_reminders,
        name="survey_wave_schedule_reminders",
    ),
    path(
        WAVE + "mailings/<int:pk>/cancel/",
        staff_views.mailing_cancel,
        name="survey_mailing_cancel",
    ),
    path(WAVE + "bounces/", staff_views.wave_bounces, name="survey_wave_bounces"),
    path(WAVE + "emails/<slug:kind>/", staff_views.email_preview, name="survey_email_preview"),
    path(WAVE + "emails/<slug:kind>/test/", staff_views.email_test, name="survey_email_test"),
    path(WAVE + "exports/", staff_views.export_new, name="survey_export_new"),
    path(
        WAVE + "exports/<int:pk>/download/",
        staff_views.export_download,
        name="survey_export_download",
    ),
]
