"""Trying a questionnaire as members will see it, with nothing stored as a response.

Once a wave opens its questionnaire is frozen for good, and every answer counts; so staff and
stewards need to walk through it first: the consent page, every page with its relevance
rules, constraints and error messages, the review, and what a completed response becomes as
a standard record. The preview draws the respondent pages themselves (the same templates and
the same `workforce.survey.flow` rules) under a band that says it is a preview. Its answers
live in the person's own sign-in session, one trial per wave or questionnaire, never in a
wave's responses, its invitations or its counts.

A wave's preview (`.../surveys/<slug>/try/`) shows its own consent text, dates and address;
a questionnaire's (`.../surveys/instruments/<pk>/try/`, for staff choosing one before a
wave exists) shows what no wave has decided yet as such.
"""

from __future__ import annotations

import datetime
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
from workforce.platform.surveys.models import Instrument as StoredInstrument
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

# Shown on the "answers saved" page, whose promise a preview does not keep.
SAVED_NOTICE = (
    "Preview: a member who chooses “Save and finish later” sees this page. Here the answers "
    "stay only while you are signed in."
)
# What a questionnaire tried outside any wave shows where a wave's own words would be.
NO_WAVE_CONSENT = (
    "The wave's consent text appears here: what the survey is for, who sees the answers, "
    "and that taking part is voluntary. It is written when a wave is created with this "
    "questionnaire."
)
SESSION_KEY = "workforce.survey_preview:{subject}"


@dataclass(frozen=True)
class Subject:
    """What is tried: a wave, or a questionnaire with a stand-in wave around it.

    `wave` is what the respondent templates read (consent text, dates, contact address,
    mode); for a questionnaire it is an unsaved wave that is never stored.
    """

    key: str
    title: str
    wave: Wave
    stored: StoredInstrument
    page_action: str
    review_action: str
    restart: str
    back: str
    back_label: str

    def instrument(self) -> Instrument:
        return self.stored.load()


def _wave_subject(organization: Organization, slug: str) -> Subject:
    wave = get_object_or_404(
        Wave.objects.select_related("organization", "instrument"),
        organization=organization,
        slug=slug,
    )
    args = [organization.code, wave.slug]
    return Subject(
        key=f"wave:{wave.pk}",
        title=wave.name,
        wave=wave,
        stored=wave.instrument,
        page_action=reverse("survey_wave_try", args=args),
        review_action=reverse("survey_wave_try_review", args=args),
        restart=reverse("survey_wave_try_restart", args=args),
        back=reverse("survey_wave", args=args),
        back_label="Back to the wave",
    )


def _instrument_subject(organization: Organization, pk: int) -> Subject:
    stored = get_object_or_404(StoredInstrument, pk=pk)
    today = timezone.localdate()
    stand_in = Wave(
        organization=organization,
        instrument=stored,
        name=stored.title,
        mode=Wave.Mode.ANONYMOUS,
        opens_on=today,
        closes_on=today + datetime.timedelta(weeks=6),
        consent_text=NO_WAVE_CONSENT,
        year=today.year,
    )
    args = [organization.code, stored.pk]
    return Subject(
        key=f"instrument:{stored.pk}",
        title=f"{stored.title} (form {stored.form_id}, version {stored.version})",
        wave=stand_in,
        stored=stored,
        page_action=reverse("survey_instrument_try", args=args),
        review_action=reverse("survey_instrument_try_review", args=args),
        restart=reverse("survey_instrument_try_restart", args=args),
        back=reverse("survey_instruments", args=[organization.code]),
        back_label="Back to the questionnaires",
    )


@dataclass
class Trial:
    """One person's walk through one questionnaire, kept in their session.

    Before "Start" it holds only the language chosen; while answering, the answers and how
    far they got (``len(pages)`` is the review, as for a response); after "Submit", the
    standard record the answers became.
    """

    language: str | None = None
    answers: dict | None = None
    reached: int = 0
    record: list[dict[str, Any]] | None = None
    # A questionnaire tried outside a wave: whose wording to show, an anonymous or a
    # confidential wave's (a wave's own preview always shows its own mode).
    mode: str | None = None

    @property
    def started(self) -> bool:
        return self.answers is not None

    @classmethod
    def of(cls, request: HttpRequest, subject: Subject) -> Trial:
        """The trial of this questionnaire; a fresh one if a draft wave was given another."""
        kept = request.session.get(SESSION_KEY.format(subject=subject.key))
        if not isinstance(kept, dict) or kept.get("instrument") != subject.stored.pk:
            return cls()
        return cls(
            language=kept.get("language"),
            answers=kept.get("answers"),
            reached=int(kept.get("reached") or 0),
            record=kept.get("record"),
            mode=kept.get("mode"),
        )

    def keep(self, request: HttpRequest, subject: Subject) -> None:
        request.session[SESSION_KEY.format(subject=subject.key)] = {
            "instrument": subject.stored.pk,
            "language": self.language,
            "answers": self.answers,
            "reached": self.reached,
            "record": self.record,
            "mode": self.mode,
        }

    def word(self, subject: Subject) -> None:
        """Give a questionnaire's stand-in wave the mode chosen for its wording."""
        if subject.wave.pk is None and self.mode in Wave.Mode.values:
            subject.wave.mode = self.mode


def _language(instrument: Instrument, trial: Trial) -> str:
    if trial.language in instrument.languages:
        return trial.language
    return instrument.default_language


def _render(
    request: HttpRequest,
    template: str,
    subject: Subject,
    instrument: Instrument,
    language: str,
    context: dict[str, Any],
) -> HttpResponse:
    return render(
        request,
        f"surveys/respond/{template}",
        {
            **survey_context(subject.wave, instrument, language, None),
            "page_action": subject.page_action,
            "review_action": subject.review_action,
            "preview": {
                "title": subject.title,
                "in_wave": subject.wave.pk is not None,
                "back": subject.back,
                "back_label": subject.back_label,
                "restart": subject.restart,
                "modes": _modes(request, subject),
            },
            **context,
        },
    )


def _modes(request: HttpRequest, subject: Subject) -> list[dict[str, Any]]:
    """For a questionnaire outside a wave: a link to each mode's wording, the shown one marked."""
    if subject.wave.pk is not None:
        return []
    return [
        {
            "label": f"{label.lower()} wave",
            "href": f"{request.path}?mode={value}",
            "current": subject.wave.mode == value,
        }
        for value, label in Wave.Mode.choices
    ]


def _resume(request: HttpRequest, subject: Subject):
    """The questionnaire and this person's trial of it, its wording as the trial chose; or,
    when the address asks for another language or mode, the redirect that switches it."""
    instrument = subject.instrument()
    trial = Trial.of(request, subject)
    if "lang" in request.GET or "mode" in request.GET:
        return instrument, trial, _switch(request, subject, instrument, trial)
    trial.word(subject)
    return instrument, trial, None


def _switch(request: HttpRequest, subject: Subject, instrument: Instrument, trial: Trial):
    """Show another language, or another mode's wording, and come back to the same page."""
    if "lang" in request.GET and request.GET["lang"] in instrument.languages:
        trial.language = request.GET["lang"]
    if subject.wave.pk is None and request.GET.get("mode") in Wave.Mode.values:
        trial.mode = request.GET["mode"]
    trial.keep(request, subject)
    page = request.GET.get("page", "")
    return see_other(request.path + (f"?page={int(page)}" if page.isdigit() else ""))


# --- The views, for a wave and for a questionnaire ---------------------------------------------


@organization_view(Action.VIEW_SURVEY_MONITORING)
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def wave_try(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    """A wave's questionnaire as its members will see it (`try_pages`)."""
    return try_pages(request, _wave_subject(organization, slug))


@organization_view(Action.VIEW_SURVEY_MONITORING)
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def wave_try_review(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    return try_review(request, _wave_subject(organization, slug))


@organization_view(Action.VIEW_SURVEY_MONITORING)
@require_POST
def wave_try_restart(request: HttpRequest, organization: Organization, slug: str) -> HttpResponse:
    return restart(request, _wave_subject(organization, slug))


@organization_view(Action.MANAGE_SURVEYS)
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def instrument_try(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """A questionnaire as members would see it, before any wave uses it (`try_pages`)."""
    return try_pages(request, _instrument_subject(organization, pk))


@organization_view(Action.MANAGE_SURVEYS)
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def instrument_try_review(
    request: HttpRequest, organization: Organization, pk: int
) -> HttpResponse:
    return try_review(request, _instrument_subject(organization, pk))


@organization_view(Action.MANAGE_SURVEYS)
@require_POST
def instrument_try_restart(
    request: HttpRequest, organization: Organization, pk: int
) -> HttpResponse:
    return restart(request, _instrument_subject(organization, pk))


# --- Walking through ---------------------------------------------------------------------------


def try_pages(request: HttpRequest, subject: Subject) -> HttpResponse:
    """The consent page, then the pages of questions one by one, then what was submitted."""
    instrument, trial, switched = _resume(request, subject)
    if switched is not None:
        return switched
    language = _language(instrument, trial)
    today = timezone.localdate()

    if trial.record is not None:
        if request.method == "POST":
            return see_other(subject.page_action)
        return _render(
            request,
            "thanks.html",
            subject,
            instrument,
            language,
            {"page_title": "Thank you", "preview_record": trial.record},
        )

    if not trial.started:
        if request.method == "POST" and request.POST.get(forms.DIRECTION_FIELD) == "start":
            first = flow.first_page(instrument, {}, today=today)
            trial.answers = {}
            trial.reached = len(instrument.pages) if first is None else first
            trial.keep(request, subject)
        if request.method == "POST":
            return see_other(subject.page_action)
        return _render(
            request,
            "consent.html",
            subject,
            instrument,
            language,
            {"page_title": "Before you start"},
        )

    if request.method == "POST":
        return _save(request, subject, instrument, trial, language)

    if request.GET.get("saved") == "1":
        return _render(
            request,
            "saved.html",
            subject,
            instrument,
            language,
            {"page_title": "Answers saved", "notice": SAVED_NOTICE},
        )
    answers = trial.answers or {}
    pages = flow.route(instrument, answers, today=today)
    requested = request.GET.get("page", "")
    if requested.isdigit() and int(requested) in pages:
        page_index: int | None = int(requested)
    elif trial.reached in pages:
        page_index = trial.reached
    else:
        page_index = pages.after(trial.reached)
    if page_index is None:
        return see_other(subject.review_action)
    return _render(
        request,
        "page.html",
        subject,
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
    subject: Subject,
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
        return see_other(subject.page_action)
    page_index = int(page)
    today = timezone.localdate()
    posted = forms.posted_answers(request.POST)
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
    trial.keep(request, subject)
    return_to_review = request.POST.get(forms.RETURN_FIELD) == "review"
    refused = direction == "save" and forms.typed_values_refused(outcome.drafts, outcome.errors)
    if (direction == "next" and outcome.errors) or refused:
        return _render(
            request,
            "page.html",
            subject,
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
    if direction == "save":
        return see_other(subject.page_action + "?saved=1")
    if direction == "next" and (moved.finished or return_to_review):
        return see_other(subject.review_action)
    target = "" if moved.target is None else f"?page={moved.target}"
    return see_other(subject.page_action + target)


def try_review(request: HttpRequest, subject: Subject) -> HttpResponse:
    """Every answer with a way back to it; "Submit" shows the standard record they become."""
    instrument, trial, switched = _resume(request, subject)
    if switched is not None:
        return switched
    if not trial.started or trial.record is not None:
        return see_other(subject.page_action)
    language = _language(instrument, trial)
    answers = trial.answers or {}
    problems = flow.completion_errors(instrument, answers, language=language)
    if request.method == "POST" and not problems:
        trial.record = record_rows(instrument, answers, subject.wave, language=language)
        trial.answers = None
        trial.keep(request, subject)
        return see_other(subject.page_action)
    return _render(
        request,
        "review.html",
        subject,
        instrument,
        language,
        review_context(instrument, answers, language, problems, page_address=subject.page_action),
    )


def restart(request: HttpRequest, subject: Subject) -> HttpResponse:
    """Forget this trial's answers and begin again at the consent page."""
    request.session.pop(SESSION_KEY.format(subject=subject.key), None)
    return see_other(subject.page_action)


def record_rows(
    instrument: Instrument, answers: dict, wave: Wave, *, language: str | None = None
) -> list[dict[str, Any]]:
    """The standard record these answers become, one row per dimension the form decides.

    Each row names the column, its code as the record holds it and what the code means, and
    the questions it was decided from (their labels in `language`, and names), so a steward
    can check that their members' answers land where the standard says.
    """
    language = language or instrument.default_language
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
                "questions": [
                    {
                        "name": name,
                        "label": forms.question_label(instrument, name, answers, language) or name,
                    }
                    for name in questions
                ],
            }
        )
    return rows
