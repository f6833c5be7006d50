"""Trying a wave's questionnaire as members will see it, with nothing stored as a response.

Before a wave opens its questionnaire is frozen for good, and after it opens every answer
counts; so staff and stewards need to walk through it first: the consent page, every page
with its relevance rules, constraints and error messages, the review, and what a completed
response becomes as a standard record. The preview draws the respondent pages themselves
(the same templates and the same `workforce.survey.flow` rules) under a band that says it is
a preview. Its answers live in the person's own sign-in session, one trial per wave, never in
the wave's responses, its invitations or its counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, organization_view
from workforce.platform.surveys import respondent_forms as forms
from workforce.platform.surveys.models import Wave
from workforce.platform.surveys.respondent_views import (
    page_context,
    respondent_page,
    review_context,
    see_other,
    survey_context,
)
from workforce.standard import UnknownCodeError, load_standard
from workforce.survey import flow
from workforce.survey.instrument import Instrument
from workforce.survey.records import standard_dimensions, standard_record

# Shown instead of the "answers saved" page's promise, which a preview cannot keep.
SAVED_NOTICE = (
    "Preview: a member who chooses “Save and finish later” sees this page. Here the answers "
    "stay only while you are signed in."
)
SESSION_KEY = "workforce.survey_preview:{wave}"


@dataclass
class Trial:
    """One person's walk through one wave's questionnaire, kept in their session.

    Before "Start" it holds only the language chosen; while answering, the answers and how
    far they got (``len(pages)`` is the review, as for a response); after "Submit", the
    standard record the answers became.
    """

    language: str | None = None
    answers: dict | None = None
    reached: int = 0
    record: list[dict[str, Any]] | None = None

    @property
    def started(self) -> bool:
        return self.answers is not None

    @classmethod
    def of(cls, request: HttpRequest, wave: Wave) -> Trial:
        """The trial of this wave's questionnaire; a fresh one if the wave's draft changed it."""
        kept = request.session.get(SESSION_KEY.format(wave=wave.pk))
        if not isinstance(kept, dict) or kept.get("instrument") != wave.instrument_id:
            return cls()
        return cls(
            language=kept.get("language"),
            answers=kept.get("answers"),
            reached=int(kept.get("reached") or 0),
            record=kept.get("record"),
        )

    def keep(self, request: HttpRequest, wave: Wave) -> None:
        request.session[SESSION_KEY.format(wave=wave.pk)] = {
            "instrument": wave.instrument_id,
            "language": self.language,
            "answers": self.answers,
            "reached": self.reached,
            "record": self.record,
        }


def _trial_wave(organization: Organization, slug: str) -> Wave:
    return get_object_or_404(
        Wave.objects.select_related("organization", "instrument"),
        organization=organization,
        slug=slug,
    )


def _addresses(organization: Organization, wave: Wave) -> dict[str, str]:
    args = [organization.code, wave.slug]
    return {
        "page_action": reverse("survey_wave_try", args=args),
        "review_action": reverse("survey_wave_try_review", args=args),
        "restart": reverse("survey_wave_try_restart", args=args),
        "back": reverse("survey_wave", args=args),
    }


def _language(instrument: Instrument, trial: Trial) -> str:
    if trial.language in instrument.languages:
        return trial.language
    return instrument.default_language


def _render(
    request: HttpRequest,
    template: str,
    organization: Organization,
    wave: Wave,
    instrument: Instrument,
    language: str,
    context: dict[str, Any],
) -> HttpResponse:
    addresses = _addresses(organization, wave)
    return render(
        request,
        f"surveys/respond/{template}",
        {
            **survey_context(wave, instrument, language, None),
            "page_action": addresses["page_action"],
            "review_action": addresses["review_action"],
            "preview": {
                "wave_name": wave.name,
                "back": addresses["back"],
                "restart": addresses["restart"],
            },
            **context,
        },
    )


def _switch_language(request: HttpRequest, wave: Wave, instrument: Instrument, trial: Trial):
    language = request.GET["lang"]
    if language in instrument.languages:
        trial.language = language
        trial.keep(request, wave)
    back = request.path
    page = request.GET.get("page", "")
    return see_other(back + (f"?page={int(page)}" if page.isdigit() else ""))


@organization_view(Action.VIEW_SURVEY_MONITORING)
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def wave_try(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    """The consent page, then the pages of questions one by one, then what was submitted."""
    wave = _trial_wave(organization, slug)
    instrument = wave.instrument.load()
    trial = Trial.of(request, wave)
    if "lang" in request.GET:
        return _switch_language(request, wave, instrument, trial)
    language = _language(instrument, trial)
    here = _addresses(organization, wave)["page_action"]
    today = timezone.localdate()

    if trial.record is not None:
        if request.method == "POST":
            return see_other(here)
        record = trial.record
        return _render(
            request,
            "thanks.html",
            organization,
            wave,
            instrument,
            language,
            {"page_title": "Thank you", "preview_record": record},
        )

    if not trial.started:
        if request.method == "POST" and request.POST.get(forms.DIRECTION_FIELD) == "start":
            first = flow.first_page(instrument, {}, today=today)
            trial.answers = {}
            trial.reached = len(instrument.pages) if first is None else first
            trial.keep(request, wave)
        if request.method == "POST":
            return see_other(here)
        return _render(
            request,
            "consent.html",
            organization,
            wave,
            instrument,
            language,
            {"page_title": "Before you start"},
        )

    if request.method == "POST":
        return _save(request, organization, wave, instrument, trial, language)

    answers = trial.answers or {}
    if request.GET.get("saved") == "1":
        return _render(
            request,
            "saved.html",
            organization,
            wave,
            instrument,
            language,
            {"page_title": "Answers saved", "notice": SAVED_NOTICE},
        )
    pages = flow.route(instrument, answers, today=today)
    requested = request.GET.get("page", "")
    if requested.isdigit() and int(requested) in pages:
        page_index: int | None = int(requested)
    elif trial.reached in pages:
        page_index = trial.reached
    else:
        page_index = pages.after(trial.reached)
    if page_index is None:
        return see_other(_addresses(organization, wave)["review_action"])
    return _render(
        request,
        "page.html",
        organization,
        wave,
        instrument,
        language,
        {
            **page_context(
                instrument,
                page_index,
                answers=answers,
                language=language,
                pages=pages,
                return_to_review=request.GET.get("return") == "review",
            ),
            "revision": 0,
        },
    )


def _save(
    request: HttpRequest,
    organization: Organization,
    wave: Wave,
    instrument: Instrument,
    trial: Trial,
    language: str,
) -> HttpResponse:
    """A page posted: judged as a member's would be, kept in the trial, then where it leads."""
    page = request.POST.get(forms.PAGE_FIELD, "")
    direction = request.POST.get(forms.DIRECTION_FIELD, "next")
    if (
        not page.isdigit()
        or not 0 <= int(page) < len(instrument.pages)
        or direction not in ("next", "back", "save")
    ):
        return see_other(_addresses(organization, wave)["page_action"])
    page_index = int(page)
    today = timezone.localdate()
    posted = {
        name: values for name, values in request.POST.lists() if name not in forms.CONTROL_FIELDS
    }
    outcome = flow.submit_page(
        instrument, page_index, posted, trial.answers or {}, language=language, today=today
    )
    moved = flow.move(
        instrument,
        page=page_index,
        direction=direction,
        outcome=outcome,
        reached=trial.reached,
        today=today,
    )
    trial.answers = outcome.answers
    trial.reached = moved.reached
    trial.keep(request, wave)
    return_to_review = request.POST.get(forms.RETURN_FIELD) == "review"
    refused = direction == "save" and forms.typed_values_refused(outcome.drafts, outcome.errors)
    if (direction == "next" and outcome.errors) or refused:
        return _render(
            request,
            "page.html",
            organization,
            wave,
            instrument,
            language,
            {
                **page_context(
                    instrument,
                    page_index,
                    answers=outcome.answers,
                    language=language,
                    drafts=outcome.drafts,
                    errors=outcome.errors,
                    return_to_review=return_to_review and not refused,
                ),
                "revision": 0,
            },
        )
    addresses = _addresses(organization, wave)
    if direction == "save":
        return see_other(addresses["page_action"] + "?saved=1")
    if direction == "next" and (moved.finished or return_to_review):
        return see_other(addresses["review_action"])
    target = "" if moved.target is None else f"?page={moved.target}"
    return see_other(addresses["page_action"] + target)


@organization_view(Action.VIEW_SURVEY_MONITORING)
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def wave_try_review(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    """Every answer with a way back to it; "Submit" shows the standard record they become."""
    wave = _trial_wave(organization, slug)
    instrument = wave.instrument.load()
    trial = Trial.of(request, wave)
    addresses = _addresses(organization, wave)
    if "lang" in request.GET:
        return _switch_language(request, wave, instrument, trial)
    if not trial.started or trial.record is not None:
        return see_other(addresses["page_action"])
    language = _language(instrument, trial)
    answers = trial.answers or {}
    problems = flow.completion_errors(instrument, answers, language=language)
    if request.method == "POST" and not problems:
        trial.record = record_rows(instrument, answers, wave)
        trial.answers = None
        trial.keep(request, wave)
        return see_other(addresses["page_action"])
    return _render(
        request,
        "review.html",
        organization,
        wave,
        instrument,
        language,
        review_context(
            instrument, answers, language, problems, page_address=addresses["page_action"]
        ),
    )


@organization_view(Action.VIEW_SURVEY_MONITORING)
@require_POST
def wave_try_restart(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    """Forget this trial's answers and begin again at the consent page."""
    wave = _trial_wave(organization, slug)
    request.session.pop(SESSION_KEY.format(wave=wave.pk), None)
    return see_other(_addresses(organization, wave)["page_action"])


def record_rows(instrument: Instrument, answers: dict, wave: Wave) -> list[dict[str, Any]]:
    """The standard record these answers become, one row per dimension the form decides.

    Each row names the column, its code as the record holds it and what the code means, and
    the questions it was decided from, so a steward can check that their members' answers
    land where the standard says.
    """
    standard = load_standard()
    record = standard_record(
        instrument,
        answers,
        record_id="preview",
        source="preview",
        org=wave.organization.code,
        year=wave.year,
    )
    rows = []
    for column, questions in standard_dimensions(instrument).items():
        dimension = standard.dimension(column)
        code = record.get(column, "")
        meanings = []
        for part in code.split(";") if code else []:
            try:
                meanings.append(dimension.label(part))
            except UnknownCodeError:  # an open code, such as a tribal write-in: its code says it
                meanings.append(part)
        rows.append(
            {
                "column": column,
                "title": dimension.title,
                "code": code or "(blank)",
                "meaning": "; ".join(meanings) if meanings else "—",
                "questions": questions,
            }
        )
    return rows
