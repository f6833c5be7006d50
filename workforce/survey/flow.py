"""Moving a respondent through an instrument: which pages and questions apply, reading one
submitted page, and checking a response before it is completed.

Pure and server-side: the respondent pages post one page at a time (they work without
JavaScript), and every decision about what to show, what to accept and what to keep is made
here, from the instrument and the answers saved so far.

Relevance follows ODK: the value of a question that is not relevant is not part of the form.
The form is walked in order and a question found not relevant is taken out of the answers
that later expressions see, so a chain a → b → c resolves in one pass. Saved answers are not
deleted when their question stops being relevant: a respondent who goes back, changes an
answer and changes it back finds what they had typed further on. They are only left out of
expressions, of the checks and of the completed response (`finalize` drops them).
Calculates are redone on every walk, so they always follow the answers.

An expression that cannot be parsed or evaluated (the XLSForm reader refuses those, but an
instrument built another way may still hold one) never blocks a respondent: a condition that
cannot be worked out shows the question, a constraint passes, a choice filter offers every
choice and a calculate stays empty.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import ChainMap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workforce.survey.expressions import Expression, ExpressionError, as_text, parse, truthy
from workforce.survey.instrument import (
    COMPUTED_TYPES,
    DEFAULT_LANGUAGE,
    METADATA_TYPES,
    Choice,
    Instrument,
    Page,
    Question,
    text_in,
)

OTHER = "other"  # the choice `or_other` adds; its text is kept under `<name>_other`
MAX_TEXT_LENGTH = 10_000
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# What a respondent reads when an answer cannot be kept. The form's own required and
# constraint messages, in the respondent's language, take the place of the first two.
REQUIRED = "This question needs an answer."
NOT_ALLOWED = "This answer is not allowed here."
OTHER_NEEDS_TEXT = "Please say what 'Other' is."
WHOLE_NUMBER = "Please enter a whole number, for example 42."
TOO_LARGE = "This number is too large to record. Please check it."
NUMBER = "Please enter a number, for example 3.5, with a point (not a comma) for decimals."
DATE = "Please enter a date as year-month-day, for example 2025-03-31."
NO_SUCH_DATE = "This date does not exist. Please check the day and the month."
CHOICE = "Please choose from the options shown."
TOO_LONG = f"Please shorten this answer to {MAX_TEXT_LENGTH:,} characters or fewer."

_OTHER_CHOICE = Choice(name=OTHER, labels={DEFAULT_LANGUAGE: "Other"})
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Control characters a browser never sends from a text box; NUL cannot even be stored in a
# PostgreSQL JSON column. Tabs and line breaks stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class FieldError:
    """A message to show next to one question (`question` is its name)."""

    question: str
    message: str


@dataclass(frozen=True)
class PageOutcome:
    """What became of one submitted page.

    `answers` is every saved answer afterwards: the page's valid input merged in (even when
    other fields of the page have errors), calculates redone. `errors` is empty when the page
    is accepted. `drafts` holds what was typed into each field with an error, keyed by field
    name, so the page can show it again.
    """

    answers: dict
    errors: tuple[FieldError, ...] = ()
    drafts: dict[str, str | list[str]] = field(default_factory=dict)


# --- relevance --------------------------------------------------------------------------


def relevant_pages(
    instrument: Instrument, answers: Mapping, *, today: datetime.date | None = None
) -> list[int]:
    """The indexes of the pages a respondent sees, given the answers so far.

    A page is seen when it is relevant and shows something: a page whose every question is
    hidden by its own relevance (or holds only calculations) is passed over, not shown empty.
    """
    walk = _Walk(answers, today)
    seen = []
    for index, page in enumerate(instrument.pages):
        questions = walk.page(page)
        if questions is not None and any(_is_shown(question) for question in questions):
            seen.append(index)
    return seen


def visible_questions(
    instrument: Instrument,
    page_index: int,
    answers: Mapping,
    *,
    today: datetime.date | None = None,
) -> list[Question]:
    """The relevant questions of a page that are shown (notes included; calculates and
    metadata, which nobody sees, left out), in form order."""
    page = _page(instrument, page_index)
    walk = _Walk(answers, today)
    for earlier in instrument.pages[:page_index]:
        walk.page(earlier)
    return [question for question in walk.page(page) or () if _is_shown(question)]


def choices_for(
    instrument: Instrument,
    question: Question,
    answers: Mapping,
    *,
    today: datetime.date | None = None,
) -> list[Choice]:
    """The choices a select question offers now: its list after the `choice_filter`, plus
    "Other" (named `other`) when the question has `or_other`."""
    if not _has_filter(question):
        # Only a filter reads the answers: without one the list is the same at every point
        # of the form, and the walk to the question's place (the costly part) can be skipped.
        return _offered(instrument, question, {}, today)
    walk = _Walk(answers, today)
    for page in instrument.pages:
        shown = walk.enter(page)
        for earlier in page.questions:
            if earlier.name == question.name:
                return _offered(instrument, question, walk.seen, today)
            walk.settle(earlier, shown)
    return _offered(instrument, question, walk.seen, today)


# --- one page ----------------------------------------------------------------------------


def submit_page(
    instrument: Instrument,
    page_index: int,
    form: Mapping[str, Iterable[str]],
    answers: Mapping,
    *,
    language: str,
    today: datetime.date | None = None,
) -> PageOutcome:
    """Read one posted page into the answers.

    `form` maps field names to the submitted strings (a select_multiple posts one value per
    ticked box; `<name>_other` carries the text of "Other"). Only the relevant questions of
    this page are read, in order, so a question that depends on an earlier one on the same
    page is judged on what was just posted; any other field in `form` is ignored, so a stale
    or altered form cannot write elsewhere. A field left empty (or not posted at all, as with
    no box ticked) removes its answer. A field whose input cannot be kept gets an error and
    keeps its previous answer, and what was typed goes into `drafts`.
    """
    page = _page(instrument, page_index)
    saved = _copy(answers)
    _fill_start(instrument, saved, today)
    walk = _Walk(saved, today, saved=saved)
    for earlier in instrument.pages[:page_index]:
        walk.page(earlier)
    errors: list[FieldError] = []
    drafts: dict[str, str | list[str]] = {}
    shown = walk.enter(page)
    for question in page.questions:
        if not walk.settle(question, shown) or not question.answered:
            continue
        reading = _read(instrument, question, form, walk.seen, language=language, today=today)
        if reading.message:
            errors.append(FieldError(question.name, reading.message))
            drafts.update(reading.drafts)
        if reading.keep_previous:
            continue
        for target in (saved, walk.seen):
            _put(target, question, reading.value, reading.other)
    for later in instrument.pages[page_index + 1 :]:
        walk.page(later)
    if _refers_forward(instrument):
        _recalculate(instrument, saved, today)
    return PageOutcome(answers=saved, errors=tuple(errors), drafts=drafts)


# --- moving between pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """The pages a respondent sees, in order, given the answers so far.

    One walk of the form decides them; where to go next, back, and how far along the
    respondent is all follow from that list, so a page shown asks for it once.
    """

    pages: tuple[int, ...]

    def __contains__(self, page_index: object) -> bool:
        return page_index in self.pages

    @property
    def first(self) -> int | None:
        """The first page to show, or None when no page applies."""
        return self.pages[0] if self.pages else None

    @property
    def last(self) -> int | None:
        return self.pages[-1] if self.pages else None

    def after(self, page_index: int) -> int | None:
        """The relevant page after `page_index`, or None after the last one."""
        return next((index for index in self.pages if index > page_index), None)

    def before(self, page_index: int) -> int | None:
        """The relevant page before `page_index`, or None before the first one."""
        return next((index for index in reversed(self.pages) if index < page_index), None)

    def progress(self, page_index: int) -> tuple[int, int]:
        """(position of this page among the relevant pages, counting from 1; how many there are).

        A page that is not relevant (any more) counts as the next relevant one, so the
        indicator never goes past the end; with no relevant page at all it is (0, 0).
        """
        before = sum(1 for index in self.pages if index < page_index)
        return min(before + 1, len(self.pages)), len(self.pages)


def route(instrument: Instrument, answers: Mapping, *, today: datetime.date | None = None) -> Route:
    """The pages a respondent sees given `answers` (see `relevant_pages`)."""
    return Route(tuple(relevant_pages(instrument, answers, today=today)))


def first_page(
    instrument: Instrument, answers: Mapping, *, today: datetime.date | None = None
) -> int | None:
    """The first page to show, or None when no page applies."""
    return route(instrument, answers, today=today).first


def next_page(
    instrument: Instrument,
    page_index: int,
    answers: Mapping,
    *,
    today: datetime.date | None = None,
) -> int | None:
    """The relevant page after `page_index`, or None after the last one."""
    return route(instrument, answers, today=today).after(page_index)


def previous_page(
    instrument: Instrument,
    page_index: int,
    answers: Mapping,
    *,
    today: datetime.date | None = None,
) -> int | None:
    """The relevant page before `page_index`, or None before the first one."""
    return route(instrument, answers, today=today).before(page_index)


@dataclass(frozen=True)
class Move:
    """Where a submitted page leads.

    `target` is the page to show next (the same page while it has errors, or when "save"
    keeps the respondent on it), None for the review; `finished` says the review comes next;
    `reached` is how far the respondent has now got, with ``len(instrument.pages)`` standing
    for the review, so that someone who answered every page and left comes back there.
    """

    target: int | None
    finished: bool
    reached: int


def move(
    instrument: Instrument,
    *,
    page: int,
    direction: str,
    outcome: PageOutcome,
    reached: int,
    today: datetime.date | None = None,
) -> Move:
    """Where submitting `page` in `direction` ("next", "back" or "save") leads.

    "next" stays on a page with errors; "back" moves back whatever they are (what validated
    is kept); "save" stays. `reached` is how far the respondent had got before: it moves only
    when they submit that page, so a change made from the review leaves it, unless they go
    back from the review (then they are back on the pages).
    """
    target: int | None = page
    finished = False
    if direction == "back":
        before = previous_page(instrument, page, outcome.answers, today=today)
        target = page if before is None else before
    elif direction == "next" and not outcome.errors:
        target = next_page(instrument, page, outcome.answers, today=today)
        finished = target is None
    at_review = reached >= len(instrument.pages)
    if page == reached or (at_review and direction == "back"):
        reached = len(instrument.pages) if finished else page if target is None else target
    return Move(target, finished, reached)


# --- completing a response ----------------------------------------------------------------


def completion_errors(
    instrument: Instrument,
    answers: Mapping,
    *,
    today: datetime.date | None = None,
    language: str | None = None,
) -> list[FieldError]:
    """What stops this response from being completed, in form order.

    Every relevant required question left unanswered anywhere, and every saved answer that
    would not be accepted now: a constraint that fails because an answer it refers to was
    changed on another page, a choice a filter no longer offers, "Other" without its text.
    It is the union of what submitting each relevant page as saved would report. Messages are
    in `language`, else the form's default language.
    """
    language = language or instrument.default_language
    walk = _Walk(answers, today)
    errors: list[FieldError] = []
    for page in instrument.pages:
        shown = walk.enter(page)
        for question in page.questions:
            if not walk.settle(question, shown) or not question.answered:
                continue
            form = _as_form(question, walk.seen)
            reading = _read(instrument, question, form, walk.seen, language=language, today=today)
            if reading.message:
                errors.append(FieldError(question.name, reading.message))
    return errors


def finalize(
    instrument: Instrument, answers: Mapping, *, today: datetime.date | None = None
) -> dict:
    """The answers as the completed response keeps them.

    Only the answers of relevant questions (and the "Other" text of a question where `other`
    was chosen) remain; calculates are redone; metadata questions get the day: `start` keeps
    the day the first page was saved, `end` and `today` get `today`. Never a time of day.
    """
    day = (today or datetime.date.today()).isoformat()
    walk = _Walk(answers, today)
    final: dict = {}
    for page in instrument.pages:
        shown = walk.enter(page)
        for question in page.questions:
            if not walk.settle(question, shown):
                continue
            name = question.name
            if question.type in METADATA_TYPES:
                started = walk.seen.get(name) if question.type == "start" else None
                final[name] = started if _is_day(started) else day
                walk.seen[name] = final[name]
            elif name in walk.seen and (question.answered or _is_computed(question)):
                value = walk.seen[name]
                final[name] = list(value) if isinstance(value, list) else value
                other = walk.seen.get(question.other_name)
                if question.or_other and _chose_other(value) and other:
                    final[question.other_name] = other
    return final


# --- walking the form ---------------------------------------------------------------------


class _Walk:
    """The form walked in order: `seen` is what expressions see at the current point.

    A question found not relevant is taken out of `seen`; a relevant calculate is worked out
    into `seen` (and into `saved`, when given, where an irrelevant calculate is removed).
    """

    def __init__(
        self, answers: Mapping, today: datetime.date | None, *, saved: dict | None = None
    ) -> None:
        self.today = today
        self.seen: dict = dict(answers)
        self.saved = saved

    def enter(self, page: Page) -> bool:
        """Whether the page is relevant at this point of the walk."""
        return _holds(page.relevant, self.seen, today=self.today)

    def settle(self, question: Question, page_shown: bool) -> bool:
        """Whether the question is relevant; takes its value out of `seen` when it is not."""
        relevant = page_shown and _holds(question.relevant, self.seen, today=self.today)
        if not relevant:
            self.seen.pop(question.name, None)
            if question.or_other:
                self.seen.pop(question.other_name, None)
            if self.saved is not None and _is_computed(question):
                self.saved.pop(question.name, None)
        elif _is_computed(question):
            self._calculate(question)
        return relevant

    def page(self, page: Page) -> list[Question] | None:
        """The page's relevant questions in order, or None when the page is not relevant."""
        shown = self.enter(page)
        questions = [question for question in page.questions if self.settle(question, shown)]
        return questions if shown else None

    def _calculate(self, question: Question) -> None:
        result = _evaluate(
            question.calculation or "",
            self.seen,
            current=self.seen.get(question.name, ""),
            today=self.today,
        )
        text = "" if result is _UNKNOWN else as_text(result)
        targets = (self.seen,) if self.saved is None else (self.seen, self.saved)
        for target in targets:
            if text:
                target[question.name] = text
            else:
                target.pop(question.name, None)


def _recalculate(instrument: Instrument, saved: dict, today: datetime.date | None) -> None:
    """Walk the form again over the saved answers, redoing every calculate."""
    walk = _Walk(saved, today, saved=saved)
    for page in instrument.pages:
        walk.page(page)


def _refers_forward(instrument: Instrument) -> bool:
    """Whether a condition or calculation refers to a question at or after its own place.

    Reading a page is one walk of the form, and the answers the page changes are seen by
    everything after them. Only an expression that looks ahead (a calculate on page 1 using
    an answer from page 3) was worked out before the change, so only then does
    `submit_page` walk the form a second time. Most forms never look ahead.
    """
    cached = _LOOKS_AHEAD.get(id(instrument))
    if cached is not None and cached[0] is instrument:
        return cached[1]
    ahead = {question.name for question in instrument.questions}
    looks_ahead = False
    for page in instrument.pages:
        looks_ahead = looks_ahead or not _references(page.relevant).isdisjoint(ahead)
        for question in page.questions:
            for text in (question.relevant, question.calculation):
                looks_ahead = looks_ahead or not _references(text).isdisjoint(ahead)
            ahead.discard(question.name)
    if len(_LOOKS_AHEAD) >= 64:
        _LOOKS_AHEAD.clear()
    _LOOKS_AHEAD[id(instrument)] = (instrument, looks_ahead)
    return looks_ahead


# Instrument (by identity, kept alive while cached so its id cannot be reused) → whether it
# looks ahead. Instruments are frozen; the platform loads one per wave and keeps using it.
_LOOKS_AHEAD: dict[int, tuple[Instrument, bool]] = {}


def _fill_start(instrument: Instrument, saved: dict, today: datetime.date | None) -> None:
    """`start` is the day the first page was saved (only the day)."""
    for page in instrument.pages:
        for question in page.questions:
            if question.type == "start" and not _is_day(saved.get(question.name)):
                saved[question.name] = (today or datetime.date.today()).isoformat()


# --- reading one question ------------------------------------------------------------------


class _Invalid(Exception):
    """Input that cannot be kept; the message is for the respondent."""


@dataclass(frozen=True)
class _Reading:
    value: str | list[str] | None = None  # None: unanswered
    other: str | None = None
    message: str = ""
    drafts: dict = field(default_factory=dict)
    keep_previous: bool = False  # the input was not usable, so the saved answer stays


def _read(
    instrument: Instrument,
    question: Question,
    form: Mapping,
    seen: Mapping,
    *,
    language: str,
    today: datetime.date | None,
) -> _Reading:
    raw = _submitted(form, question.name)
    drafts: dict = {question.name: raw if question.type == "select_multiple" else _last(raw)}
    other_raw = ""
    if question.or_other:
        other_raw = _last(_submitted(form, question.other_name))
        drafts[question.other_name] = other_raw
    try:
        value = _parse(instrument, question, raw, seen, today)
        other = _parse_other(value, other_raw) if question.or_other else None
    except _Invalid as invalid:
        return _Reading(message=str(invalid), drafts=drafts, keep_previous=True)
    if value is None:
        if question.required:
            message = text_in(question.required_message, language) or REQUIRED
            return _Reading(message=message, drafts=drafts)
        return _Reading()
    if question.constraint:
        own = {question.name: value}
        if other is not None:
            own[question.other_name] = other
        allowed = _holds(question.constraint, ChainMap(own, seen), current=value, today=today)
        if not allowed:
            message = text_in(question.constraint_message, language) or NOT_ALLOWED
            return _Reading(message=message, drafts=drafts, keep_previous=True)
    return _Reading(value=value, other=other)


def _parse(
    instrument: Instrument,
    question: Question,
    raw: list[str],
    seen: Mapping,
    today: datetime.date | None,
) -> str | list[str] | None:
    """The canonical answer for the submitted strings, None when empty; `_Invalid` if wrong."""
    if question.type == "select_multiple":
        picked = {value.strip() for value in raw} - {""}
        if not picked:
            return None
        offered = _offered_names(instrument, question, seen, today)
        if not picked <= set(offered):
            raise _Invalid(CHOICE)
        return [name for name in offered if name in picked]
    if question.type == "text":
        text = _clean_text(_last(raw))
        if len(text) > MAX_TEXT_LENGTH:
            raise _Invalid(TOO_LONG)
        return text or None
    text = _last(raw).strip()
    if not text:
        return None
    if question.type == "integer":
        return _whole_number(text)
    if question.type == "decimal":
        return _decimal(text)
    if question.type == "date":
        return _date(text)
    if question.type == "select_one":
        if text not in _offered_names(instrument, question, seen, today):
            raise _Invalid(CHOICE)
        return text
    raise _Invalid(NOT_ALLOWED)  # not reached: `answered` admits only ANSWER_TYPES


def _whole_number(text: str) -> str:
    if not _WHOLE_NUMBER.fullmatch(text):
        raise _Invalid(WHOLE_NUMBER)
    # Checked before int() so a thousand-digit string costs nothing.
    if len(text.lstrip("+-").lstrip("0")) > 19:
        raise _Invalid(TOO_LARGE)
    number = int(text)
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise _Invalid(TOO_LARGE)
    return str(number)


def _decimal(text: str) -> str:
    if not _DECIMAL.fullmatch(text):
        raise _Invalid(NUMBER)
    if not math.isfinite(float(text)):
        raise _Invalid(TOO_LARGE)
    return text


def _date(text: str) -> str:
    if not _ISO_DAY.fullmatch(text):
        raise _Invalid(DATE)
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        raise _Invalid(NO_SUCH_DATE) from None
    return text


def _parse_other(value: str | list[str] | None, other_raw: str) -> str | None:
    """The "Other" text when `other` was chosen (then it is needed), else None (dropped)."""
    if not _chose_other(value):
        return None
    text = _clean_text(other_raw)
    if not text:
        raise _Invalid(OTHER_NEEDS_TEXT)
    if len(text) > MAX_TEXT_LENGTH:
        raise _Invalid(TOO_LONG)
    return text


def _put(target: dict, question: Question, value: object, other: str | None) -> None:
    if value is None:
        target.pop(question.name, None)
    else:
        target[question.name] = value
    if question.or_other:
        if other is None:
            target.pop(question.other_name, None)
        else:
            target[question.other_name] = other


def _submitted(form: Mapping, name: str) -> list[str]:
    """The strings posted under `name`; a lone string is taken as a list of one."""
    values = form.get(name)
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return ["" if value is None else str(value) for value in values]


def _last(values: list[str]) -> str:
    """The value kept when one is expected and several arrive (Django keeps the last too)."""
    return values[-1] if values else ""


def _as_form(question: Question, answers: Mapping) -> dict[str, list[str]]:
    """A saved answer as the form that would have posted it, to check it again."""
    form = {}
    for name in (question.name, question.other_name) if question.or_other else (question.name,):
        value = answers.get(name)
        if isinstance(value, list):
            form[name] = [str(item) for item in value]
        elif value is not None:
            form[name] = [str(value)]
    return form


def _clean_text(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


# --- choices ----------------------------------------------------------------------------


def _offered(
    instrument: Instrument, question: Question, seen: Mapping, today: datetime.date | None
) -> list[Choice]:
    choices = instrument.choice_list(question)
    offered = (
        _filtered(choices, question.choice_filter, seen, today)
        if _has_filter(question)
        else list(choices)
    )
    if question.or_other and all(choice.name != OTHER for choice in offered):
        own = next((choice for choice in choices if choice.name == OTHER), _OTHER_CHOICE)
        offered.append(own)
    return offered


def _has_filter(question: Question) -> bool:
    return bool(question.choice_filter and question.choice_filter.strip())


def _offered_names(
    instrument: Instrument, question: Question, seen: Mapping, today: datetime.date | None
) -> list[str]:
    return list(
        dict.fromkeys(choice.name for choice in _offered(instrument, question, seen, today))
    )


def _filtered(
    choices: tuple[Choice, ...], text: str, seen: Mapping, today: datetime.date | None
) -> list[Choice]:
    """The choices for which the filter holds.

    In a choice filter such as ``state = ${state}`` a bare name is a column of the choices
    sheet: `name`, or an extra column kept in `Choice.filters` (a column a choice leaves
    empty reads as "").
    """
    expression = _compiled(text, choice_filter=True)
    if expression is None:
        return list(choices)
    kept = []
    for choice in choices:
        columns = {**choice.filters, "name": choice.name}
        try:
            result = expression.evaluate(seen, today=today, choice=columns)
        except ExpressionError:
            return list(choices)
        if truthy(result):
            kept.append(choice)
    return kept


# --- expressions ----------------------------------------------------------------------------

_UNKNOWN = object()  # an expression that could not be evaluated


def _compiled(text: str, *, choice_filter: bool = False) -> Expression | None:
    """The parsed expression, or None when it does not parse.

    `parse` has its own cache; this one also remembers the failures, and is a plain lookup
    on the path every question of every walk takes."""
    key = (text, choice_filter)
    try:
        return _PARSED[key]
    except KeyError:
        pass
    try:
        expression = parse(text, choice_filter=choice_filter)
    except ExpressionError:
        expression = None
    if len(_PARSED) >= 4096:
        _PARSED.clear()
    _PARSED[key] = expression
    return expression


_PARSED: dict[tuple[str, bool], Expression | None] = {}


def _references(text: str | None) -> frozenset[str]:
    expression = _compiled(text) if text else None
    return expression.references() if expression is not None else frozenset()


def _evaluate(
    text: str, answers: Mapping, *, current: object = None, today: datetime.date | None
) -> object:
    expression = _compiled(text)
    if expression is None:
        return _UNKNOWN
    try:
        return expression.evaluate(answers, current=current, today=today)
    except ExpressionError:
        return _UNKNOWN


def _holds(
    text: str | None,
    answers: Mapping,
    *,
    current: object = None,
    today: datetime.date | None,
) -> bool:
    """Whether a condition holds; an empty one always does, as does one that cannot be
    worked out (so a respondent is never blocked or skipped by an author's slip)."""
    if not text or not text.strip():
        return True
    result = _evaluate(text, answers, current=current, today=today)
    return result is _UNKNOWN or truthy(result)


# --- small facts ---------------------------------------------------------------------------


def _page(instrument: Instrument, page_index: int) -> Page:
    if not 0 <= page_index < len(instrument.pages):
        raise IndexError(
            f"form {instrument.form_id!r} has no page {page_index} "
            f"(it has {len(instrument.pages)}, counted from 0)"
        )
    return instrument.pages[page_index]


def _is_computed(question: Question) -> bool:
    return question.type in COMPUTED_TYPES


def _is_shown(question: Question) -> bool:
    return question.type not in COMPUTED_TYPES and question.type not in METADATA_TYPES


def _chose_other(value: object) -> bool:
    return value == OTHER or (isinstance(value, list) and OTHER in value)


def _is_day(value: object) -> bool:
    return isinstance(value, str) and _ISO_DAY.fullmatch(value) is not None


def _copy(answers: Mapping) -> dict:
    return {
        name: list(value) if isinstance(value, list) else value for name, value in answers.items()
    }
