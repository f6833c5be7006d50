"""The pages members answer a survey on: server-rendered forms that need no JavaScript.

A member arrives with the link from their invitation (``/s/<token>/``) or a wave's open link
(``/survey/<slug>/open/<key>/``). The link is checked once and then kept in a signed,
HttpOnly cookie scoped to ``/survey/<slug>/``, and the browser is sent on to that address so
the token leaves the address bar and the history. Django's session table is never used: a
row there would be a stored path from a browser to an invitation, which an anonymous wave
must not have.

Every answer goes through `workforce.platform.actions.surveys`; these views read the cookie,
draw pages and pass the posted fields on.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from workforce.platform.actions.surveys import (
    Entry,
    IncompleteResponse,
    SurveyLinkError,
    complete_response,
    current_response,
    enter_open_link,
    enter_with_token,
    opt_out,
    resume_entry,
    save_page,
    start_response,
)
from workforce.platform.permissions import public
from workforce.platform.surveys import respondent_forms as forms
from workforce.platform.surveys.mail import contact_address
from workforce.platform.surveys.models import Response, Wave
from workforce.survey.flow import Route, completion_errors, route
from workforce.survey.instrument import DEFAULT_LANGUAGE, Instrument

COOKIE_NAME = "workforce_survey"

STALE_NOTICE = "This page was already saved in another window; here are your latest answers."
# Shown once to someone who opens their link again with answers already saved, perhaps days
# later or on another device, so that landing in the middle of the survey makes sense.
RESUMED_NOTICE = "Welcome back. Your earlier answers are saved; carry on where you left off."
RESUMED = "resumed"  # the query parameter that asks for it
# The same, to someone who had answered every page and left before submitting.
RESUMED_AT_REVIEW_NOTICE = (
    "Welcome back. You have answered every page and your answers are saved; check them and "
    "submit them below."
)
SAVE_REFUSED_NOTICE = (
    "Your other answers are saved. The answers marked below could not be saved: correct "
    "them and choose “Save and finish later” again, or leave now without them."
)

# Status codes of the polite pages, one per kind of link problem.
LINK_PROBLEM_STATUS = {
    "not_found": 404,
    "not_open": 403,
    "closed": 410,
    "used": 410,
    "opted_out": 410,
    "no_cookie": 403,
}


# --- Headers every respondent page carries ----------------------------------------------------


View = Callable[..., HttpResponse]


def respondent_page(view: View) -> View:
    """Answers and links must not sit in a shared cache, nor pages in a search engine."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # includes Cache-Control: no-store
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def secret_in_address(view: View) -> View:
    """A page whose address holds a token or key: never send that address to another site."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped


# --- The cookie that holds the link -----------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """This browser's way into one wave: the link it came with and the language it reads."""

    entry: Entry
    language: str | None
    token: str | None
    resume_key: str
    # The closing day the cookie was set to last until, as written in it (None in a cookie
    # from before it was written there).
    cookie_closes_on: str | None = None

    @property
    def open_link(self) -> bool:
        return self.token is None


def cookie_path(slug: str) -> str:
    return reverse("respond_page", args=[slug])


def cookie_salt(slug: str) -> str:
    # A cookie signed for one wave is worthless at another's address.
    return f"workforce.surveys.respondent:{slug}"


def read_cookie(request: HttpRequest, slug: str) -> dict[str, Any] | None:
    """The cookie's content, or None when it is missing, tampered with or malformed."""
    raw = request.get_signed_cookie(COOKIE_NAME, default=None, salt=cookie_salt(slug))
    if raw is None:
        return None
    try:
        content = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(content, dict) or not isinstance(content.get("resume_key"), str):
        return None
    return content


def write_cookie(
    response: HttpResponse,
    request: HttpRequest,
    wave: Wave,
    *,
    token: str | None,
    resume_key: str,
    language: str | None,
) -> None:
    content = json.dumps(
        {
            "token": token,
            "resume_key": resume_key,
            "language": language,
            "closes_on": wave.closes_on.isoformat(),
        }
    )
    response.set_signed_cookie(
        COOKIE_NAME,
        content,
        salt=cookie_salt(wave.slug),
        max_age=int(cookie_lifetime(wave).total_seconds()),
        path=cookie_path(wave.slug),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def keep_cookie_until_close(
    response: HttpResponse, request: HttpRequest, visit: Visit
) -> HttpResponse:
    """Set the cookie again when the wave's closing day moved since it was set.

    The cookie lasts until the wave closes. When staff extend a wave, a member of an open
    link who saved their answers for later holds the only way back to them in that cookie:
    it must not expire on the old closing day while the survey still takes answers. (One
    who came with an e-mailed link can open it again, but their cookie follows too.)
    """
    wave = visit.entry.wave
    if visit.cookie_closes_on == wave.closes_on.isoformat() or COOKIE_NAME in response.cookies:
        return response  # current, or this response already sets or deletes it
    write_cookie(
        response,
        request,
        wave,
        token=visit.token,
        resume_key=visit.resume_key,
        language=visit.language,
    )
    return response


def forget_cookie(response: HttpResponse, slug: str) -> None:
    response.delete_cookie(COOKIE_NAME, path=cookie_path(slug), samesite="Lax")


def cookie_lifetime(wave: Wave) -> datetime.timedelta:
    """Until the end of the wave's closing day: after that the link opens nothing anyway."""
    end = datetime.datetime.combine(
        wave.closes_on + datetime.timedelta(days=1),
        datetime.time.min,
        timezone.get_current_timezone(),
    )
    return max(end - timezone.now(), datetime.timedelta(0))


def current_visit(request: HttpRequest, slug: str) -> Visit | HttpResponse:
    """The visit the cookie describes, or the polite page saying why there is none."""
    content = read_cookie(request, slug)
    if content is None:
        return link_problem(request, "no_cookie", wave=_wave_at(slug))
    token = content.get("token") if isinstance(content.get("token"), str) else None
    try:
        entry = resume_entry(slug, token, content["resume_key"])
    except SurveyLinkError as error:
        return link_problem(request, error.kind, wave=_error_wave(error, slug))
    language = content.get("language") if isinstance(content.get("language"), str) else None
    closes_on = content.get("closes_on") if isinstance(content.get("closes_on"), str) else None
    return Visit(entry, language, token, content["resume_key"], closes_on)


def _error_wave(error: SurveyLinkError, slug: str | None = None) -> Wave | None:
    """The wave to name on the polite page (an unknown link names none, unless by address)."""
    if error.wave is None and slug is not None:
        return _wave_at(slug)
    return error.wave


def _wave_at(slug: str) -> Wave | None:
    return Wave.objects.for_respondents().filter(slug=slug).first()


# --- Entering with a link ---------------------------------------------------------------------


@public
@respondent_page
@secret_in_address
@require_safe
def enter_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: check it, keep it in the cookie, continue at the wave's address."""
    try:
        entry = enter_with_token(token)
    except SurveyLinkError as error:
        return link_problem(request, error.kind, wave=_error_wave(error))
    saved = current_response(entry)
    response = see_other(_continue_at(entry.wave.slug, resumed=saved is not None))
    write_cookie(
        response, request, entry.wave, token=token, resume_key=entry.resume_key, language=None
    )
    return response


@public
@respondent_page
@secret_in_address
@require_safe
def enter_open(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """A wave's open link: a new respondent, unless this browser already has answers here."""
    try:
        entry = enter_open_link(slug, key)
    except SurveyLinkError as error:
        return link_problem(request, error.kind, wave=_error_wave(error, slug))
    returning = _resumable(request, slug)
    if returning is not None:
        # Coming back on the same device: carry on where they left.
        return keep_cookie_until_close(
            see_other(_continue_at(slug, resumed=True)), request, returning
        )
    response = see_other(cookie_path(slug))
    write_cookie(
        response, request, entry.wave, token=None, resume_key=entry.resume_key, language=None
    )
    return response


def _continue_at(slug: str, *, resumed: bool) -> str:
    """The wave's address, asking the page shown there to welcome back a returning respondent."""
    return cookie_path(slug) + (f"?{RESUMED}=1" if resumed else "")


def _welcome_back(request: HttpRequest) -> str:
    return RESUMED_NOTICE if request.GET.get(RESUMED) == "1" else ""


def _resumable(request: HttpRequest, slug: str) -> Visit | None:
    """This browser's visit, when it holds unfinished answers in the wave."""
    if read_cookie(request, slug) is None:
        return None
    visit = current_visit(request, slug)
    if isinstance(visit, HttpResponse):
        return None
    saved = current_response(visit.entry)
    return visit if saved is not None and saved.status == "partial" else None


@public
@csrf_exempt
@respondent_page
@secret_in_address
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out_page(request: HttpRequest, token: str) -> HttpResponse:
    """Stop reminders: a confirmation form first, so a link scanner cannot opt anyone out.

    No CSRF token: the 256-bit token in the address already proves the request comes from
    the e-mail's holder, which is all a CSRF check would. And it could not pass: with
    ``Referrer-Policy: no-referrer`` browsers post this form with ``Origin: null``. Mail
    programs' one-click unsubscribe (RFC 8058) posts here without a form at all.
    """
    if request.method != "POST":
        return render(request, "surveys/respond/opt_out.html", {"html_lang": _site_lang()})
    try:
        opt_out(token)
    except SurveyLinkError as error:
        return link_problem(request, error.kind, wave=_error_wave(error))
    return render(request, "surveys/respond/opted_out.html", {"html_lang": _site_lang()})


# --- The survey -------------------------------------------------------------------------------


@public
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The consent page before a response exists, then the current page of questions."""
    visit = current_visit(request, slug)
    if isinstance(visit, HttpResponse):
        return visit
    return keep_cookie_until_close(_survey_page(request, visit, slug), request, visit)


def _survey_page(request: HttpRequest, visit: Visit, slug: str) -> HttpResponse:
    if "lang" in request.GET:
        return switch_language(request, visit, request.GET["lang"])
    response = current_response(visit.entry)
    if response is None:
        if request.method == "POST":
            return start(request, visit)
        return consent(request, visit)
    if request.method == "POST":
        if request.POST.get(forms.DIRECTION_FIELD) == "start":
            return see_other(cookie_path(slug))  # "Start" pressed twice: already started
        return save(request, visit, response)

    instrument = response.instrument.load()
    answers = response.answers
    pages = route(instrument, answers)
    requested = _int(request.GET.get("page"))
    page_index = (
        requested
        if requested is not None and requested in pages
        else page_to_show(instrument, response, pages)
    )
    if page_index is None:
        resumed = f"?{RESUMED}=1" if _welcome_back(request) else ""
        return see_other(reverse("respond_review", args=[slug]) + resumed)
    return render_page(
        request,
        visit,
        response,
        instrument,
        page_index,
        answers=answers,
        pages=pages,
        notice=_welcome_back(request),
        return_to_review=request.GET.get("return") == "review",
    )


def consent(request: HttpRequest, visit: Visit) -> HttpResponse:
    wave = visit.entry.wave
    instrument = wave.instrument.load()
    language = reading_language(instrument, visit, None)
    return render(
        request,
        "surveys/respond/consent.html",
        {
            **survey_context(wave, instrument, language, visit),
            "page_title": "Before you start",
        },
    )


def start(request: HttpRequest, visit: Visit) -> HttpResponse:
    instrument = visit.entry.wave.instrument.load()
    try:
        start_response(visit.entry, language=reading_language(instrument, visit, None))
    except SurveyLinkError as error:  # the wave closed since the consent page was shown
        return link_problem(request, error.kind, wave=_error_wave(error))
    return see_other(cookie_path(visit.entry.wave.slug))


def save(request: HttpRequest, visit: Visit, response: Response) -> HttpResponse:
    """Pass the posted page to `save_page`; show it again with errors, or move on."""
    instrument = response.instrument.load()
    page = _int(request.POST.get(forms.PAGE_FIELD))
    revision = _int(request.POST.get(forms.REVISION_FIELD))
    direction = request.POST.get(forms.DIRECTION_FIELD, "next")
    if page is None or revision is None or not 0 <= page < len(instrument.pages):
        return HttpResponseBadRequest("This form was not sent by a survey page.")
    if direction not in ("next", "back", "save"):
        return HttpResponseBadRequest("This form was not sent by a survey page.")
    return_to_review = request.POST.get(forms.RETURN_FIELD) == "review"
    posted = forms.posted_answers(request.POST)
    try:
        saved = save_page(response, page=page, revision=revision, form=posted, direction=direction)
    except SurveyLinkError as error:  # the wave closed, or another window submitted
        return link_problem(request, error.kind, wave=_error_wave(error))
    response = saved.response
    slug = visit.entry.wave.slug
    outcome = saved.outcome

    if saved.stale and direction == "next" and outcome.errors:
        return render_page(
            request,
            visit,
            response,
            instrument,
            page,
            answers=outcome.answers,
            drafts=outcome.drafts,
            errors=outcome.errors,
            notice=STALE_NOTICE,
        )
    if saved.stale:
        pages = route(instrument, response.answers)
        shown = page_to_show(instrument, response, pages)
        if shown is None:
            return see_other(reverse("respond_review", args=[slug]))
        return render_page(
            request,
            visit,
            response,
            instrument,
            shown,
            answers=response.answers,
            pages=pages,
            notice=STALE_NOTICE,
        )
    if direction == "next" and outcome.errors:
        return render_page(
            request,
            visit,
            response,
            instrument,
            page,
            answers=outcome.answers,
            drafts=outcome.drafts,
            errors=outcome.errors,
            return_to_review=return_to_review,
        )
    if direction == "save":
        if forms.typed_values_refused(outcome.drafts, outcome.errors):
            return render_page(
                request,
                visit,
                response,
                instrument,
                page,
                answers=outcome.answers,
                drafts=outcome.drafts,
                errors=outcome.errors,
                notice=SAVE_REFUSED_NOTICE,
            )
        return see_other(reverse("respond_saved", args=[slug]))
    if direction == "next" and (saved.finished or return_to_review):
        return see_other(reverse("respond_review", args=[slug]))
    return see_other(cookie_path(slug))


def page_to_show(
    instrument: Instrument, response: Response, pages: Route | None = None
) -> int | None:
    """The saved page if it still applies, else the next one that does; None: the review.

    `pages` is the response's route, when the caller has worked it out already.
    """
    pages = pages or route(instrument, response.answers)
    return response.page if response.page in pages else pages.after(response.page)


def render_page(
    request: HttpRequest,
    visit: Visit,
    response: Response,
    instrument: Instrument,
    page_index: int,
    **page: Any,
) -> HttpResponse:
    """Draw page `page_index` of the response; `page` are `page_context`'s keywords
    (`answers=` at least), the language aside, which is the respondent's."""
    language = reading_language(instrument, visit, response)
    return render(
        request,
        "surveys/respond/page.html",
        {
            **survey_context(visit.entry.wave, instrument, language, visit),
            **page_context(instrument, page_index, language=language, **page),
            "revision": response.revision,
        },
    )


def page_context(
    instrument: Instrument,
    page_index: int,
    *,
    answers: dict,
    language: str,
    drafts: dict | None = None,
    errors: tuple = (),
    notice: str = "",
    return_to_review: bool = False,
    pages: Route | None = None,
) -> dict[str, Any]:
    """What `page.html` draws page `page_index` from, the revision aside."""
    pages = pages or route(instrument, answers)
    fields = forms.page_fields(
        instrument, page_index, answers, language=language, drafts=drafts, errors=errors
    )
    summary = forms.error_summary(fields) + forms.unplaced_errors(errors, fields)
    position, total = pages.progress(page_index)
    heading = forms.page_heading(instrument, page_index, language)
    return {
        "page_title": f"{heading} (page {position} of {total})",
        "page_index": page_index,
        "page_heading": heading,
        "position": position,
        "total": total,
        "fields": fields,
        "error_summary": summary,
        "notice": notice,
        "has_previous": pages.before(page_index) is not None,
        "is_last": pages.after(page_index) is None,
        "return_to_review": return_to_review,
    }


@public
@respondent_page
@require_http_methods(["GET", "HEAD", "POST"])
def review(request: HttpRequest, slug: str) -> HttpResponse:
    """Every answer on one page, with a way back to each; then the answers are submitted."""
    visit = current_visit(request, slug)
    if isinstance(visit, HttpResponse):
        return visit
    return keep_cookie_until_close(_review(request, visit, slug), request, visit)


def _review(request: HttpRequest, visit: Visit, slug: str) -> HttpResponse:
    if "lang" in request.GET:
        return switch_language(request, visit, request.GET["lang"])
    response = current_response(visit.entry)
    if response is None:
        return see_other(cookie_path(slug))
    instrument = response.instrument.load()
    language = reading_language(instrument, visit, response)
    problems = completion_errors(instrument, response.answers, language=language)
    if request.method == "POST" and not problems:
        try:
            complete_response(response, visit.entry)
        except SurveyLinkError as error:
            return link_problem(request, error.kind, wave=_error_wave(error))
        except IncompleteResponse as incomplete:
            problems = list(incomplete.errors)
        else:
            finished = see_other(reverse("respond_thanks", args=[slug]))
            forget_cookie(finished, slug)  # nothing of the link stays on the device
            return finished

    return render(
        request,
        "surveys/respond/review.html",
        {
            **survey_context(visit.entry.wave, instrument, language, visit),
            **review_context(
                instrument, response.answers, language, problems, page_address=cookie_path(slug)
            ),
            "notice": RESUMED_AT_REVIEW_NOTICE if _welcome_back(request) and not problems else "",
        },
    )


def review_context(
    instrument: Instrument,
    answers: dict,
    language: str,
    problems: list,
    *,
    page_address: str,
) -> dict[str, Any]:
    """What `review.html` draws the answers from; `page_address` is where the pages are."""
    missing = [
        forms.SummaryError(
            forms.about(
                forms.question_label(instrument, problem.question, answers, language),
                problem.message,
            ),
            _page_link(
                page_address,
                forms.page_of(instrument, problem.question),
                forms.field_target(instrument, problem.question, answers),
            ),
        )
        for problem in problems
    ]
    last_page = route(instrument, answers).last or 0
    return {
        "page_title": "Check your answers",
        "sections": forms.review_sections(instrument, answers, language=language),
        "problems": missing,
        "back_link": _page_link(page_address, last_page, ""),
    }


def _page_link(page_address: str, page_index: int | None, target: str) -> str:
    link = page_address
    if page_index is not None:
        link += f"?page={page_index}&return=review"
    return link + (f"#{target}" if target else "")


@public
@respondent_page
@require_safe
def saved_for_later(request: HttpRequest, slug: str) -> HttpResponse:
    """After "Save and finish later": the answers are kept, and how to come back."""
    visit = current_visit(request, slug)
    if isinstance(visit, HttpResponse):
        return visit
    wave = visit.entry.wave
    instrument = wave.instrument.load()
    response = current_response(visit.entry)
    language = reading_language(instrument, visit, response)
    page = render(
        request,
        "surveys/respond/saved.html",
        {**survey_context(wave, instrument, language, visit), "page_title": "Answers saved"},
    )
    return keep_cookie_until_close(page, request, visit)


@public
@respondent_page
@require_safe
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    """The last page. It holds nothing of the respondent: the cookie is gone by now."""
    wave = get_object_or_404(Wave.objects.for_respondents(), slug=slug)
    instrument = wave.instrument.load()
    return render(
        request,
        "surveys/respond/thanks.html",
        {
            **survey_context(wave, instrument, instrument.default_language, None),
            "page_title": "Thank you",
        },
    )


# --- Language ---------------------------------------------------------------------------------


def switch_language(request: HttpRequest, visit: Visit, language: str) -> HttpResponse:
    """Remember the language chosen in the cookie and show the same address without it."""
    wave = visit.entry.wave
    instrument = wave.instrument.load()
    back = request.path  # one of this wave's pages: the URL pattern matched it
    page = _int(request.GET.get("page"))
    if page is not None:
        back += f"?page={page}"
    response = see_other(back)
    if language in instrument.languages:
        write_cookie(
            response,
            request,
            wave,
            token=visit.token,
            resume_key=visit.resume_key,
            language=language,
        )
    return response


def reading_language(instrument: Instrument, visit: Visit | None, response: Response | None) -> str:
    """The language chosen on this device, else the one the response started in."""
    for candidate in (
        visit.language if visit else None,
        getattr(response, "language", None),
        instrument.default_language,
    ):
        if candidate and candidate in instrument.languages:
            return candidate
    return instrument.languages[0] if instrument.languages else DEFAULT_LANGUAGE


def html_lang(language: str) -> str:
    """A BCP 47 tag for the ``lang`` attribute: the code itself, or the code of a name."""
    if language == DEFAULT_LANGUAGE:
        return _site_lang()
    try:
        translation.get_language_info(language)
        return language
    except KeyError:
        pass
    for code, info in _language_names().items():
        if language.lower() in (info["name"].lower(), info["name_local"].lower()):
            return code
    return _site_lang()


def language_name(language: str) -> str:
    """How a language calls itself ("Español"), or its name as the form gives it."""
    try:
        return translation.get_language_info(language)["name_local"]
    except KeyError:
        return language


def _language_names() -> dict[str, dict[str, str]]:
    from django.conf.locale import LANG_INFO

    return {code: info for code, info in LANG_INFO.items() if "name" in info}


def _site_lang() -> str:
    return settings.LANGUAGE_CODE.split("-")[0]


# --- Shared pieces ----------------------------------------------------------------------------


def survey_context(
    wave: Wave, instrument: Instrument, language: str, visit: Visit | None
) -> dict[str, Any]:
    languages = [
        {"code": code, "name": language_name(code), "lang": html_lang(code)}
        for code in instrument.languages
        if code != DEFAULT_LANGUAGE
    ]
    return {
        "wave": wave,
        "slug": wave.slug,
        "survey_title": instrument.title,
        "sender": wave.organization.name,
        "contact": contact_address(wave),
        "html_lang": html_lang(language),
        "language": language,
        "languages": languages if len(languages) > 1 else [],
        "open_link": visit.open_link if visit is not None else False,
        "anonymous": wave.mode == "anonymous",
    }


def link_problem(request: HttpRequest, kind: str, *, wave: Wave | None) -> HttpResponse:
    """The polite page for a link that cannot open the survey, with a fitting status code."""
    context: dict[str, Any] = {"kind": kind, "wave": wave, "html_lang": _site_lang()}
    if wave is not None:
        instrument = wave.instrument.load()
        context.update(
            survey_title=instrument.title,
            sender=wave.organization.name,
            contact=contact_address(wave),
            html_lang=html_lang(instrument.default_language),
        )
    return render(
        request,
        "surveys/respond/link_problem.html",
        context,
        status=LINK_PROBLEM_STATUS.get(kind, 404),
    )


def see_other(url: str) -> HttpResponseRedirect:
    """A 303: after a POST (or a link) the browser fetches the next page with GET."""
    return HttpResponseRedirect(url, status=303)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
