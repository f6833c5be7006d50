"""What a respondent's page shows: each question as a field to render, and the review list.

The instrument, the saved answers and the core's field errors go in; plain data for the
templates comes out: the widget to draw, the ids that tie labels, hints and errors to their
inputs, and what each field holds now (the text typed into a field with an error, else the
saved answer). Nothing here writes; `workforce.platform.actions.surveys` saves the answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from workforce.survey.flow import FieldError, choices_for, relevant_pages, visible_questions
from workforce.survey.instrument import Choice, Instrument, Question

# The name the core gives the extra option of an `or_other` select.
OTHER = "other"
OTHER_LABEL = "Other"
OTHER_TEXT_LABEL = "Other (please say)"

# Form fields the page itself adds next to the answers. "@" cannot start an XLSForm name, so
# these never collide with a question's field.
PAGE_FIELD = "@page"
REVISION_FIELD = "@revision"
DIRECTION_FIELD = "@direction"
RETURN_FIELD = "@return"
CONTROL_FIELDS = frozenset(
    {"csrfmiddlewaretoken", PAGE_FIELD, REVISION_FIELD, DIRECTION_FIELD, RETURN_FIELD}
)

# How each answer type is typed in. Numbers are text inputs with a numeric keyboard: a
# type=number input silently drops what it cannot parse and changes under the scroll wheel.
TEXT_INPUTS = {
    "text": ("text", None),
    "integer": ("text", "numeric"),
    "decimal": ("text", "decimal"),
    "date": ("date", None),
}

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")

Answers = Mapping[str, str | list[str]]


@dataclass(frozen=True)
class Option:
    """One radio button or checkbox (or one entry of a drop-down list)."""

    id: str
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class OtherText:
    """The text field that goes with the "Other" option of an `or_other` select."""

    id: str
    name: str
    value: str
    error: str

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"


@dataclass(frozen=True)
class QuestionField:
    """One question as drawn on the page.

    `widget` is one of: note, read_only, text, textarea, radios, checkboxes, dropdown.
    `id` is the id of the input (for a group of options, the first option), which the error
    summary links to.
    """

    name: str
    widget: str
    id: str
    label: str
    hint: str = ""
    required: bool = False
    input_type: str = "text"
    inputmode: str | None = None
    value: str = ""
    options: tuple[Option, ...] = ()
    other: OtherText | None = None
    error: str = ""

    @property
    def hint_id(self) -> str:
        return f"q-{self.name}-hint"

    @property
    def error_id(self) -> str:
        return f"q-{self.name}-error"

    @property
    def described_by(self) -> str:
        """The ids of the hint and the error message, for ``aria-describedby``."""
        ids = [self.hint_id] if self.hint else []
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def is_group(self) -> bool:
        return self.widget in ("radios", "checkboxes")


@dataclass(frozen=True)
class SummaryError:
    """One line of the error summary: the message and the id of the field it links to."""

    message: str
    target: str


def posted_answers(post) -> dict[str, list[str]]:
    """A posted page's fields by name, every value each had, without the form's own fields."""
    return {name: values for name, values in post.lists() if name not in CONTROL_FIELDS}


def page_fields(
    instrument: Instrument,
    page_index: int,
    answers: Answers,
    *,
    language: str,
    drafts: Answers | None = None,
    errors: Iterable[FieldError] = (),
) -> list[QuestionField]:
    """The fields of one page, holding what was typed (`drafts`) or else what was saved."""
    drafts = drafts or {}
    messages = _messages_by_field(errors)
    shown = {**answers, **drafts}
    return [
        _field(instrument, question, answers, shown, language, messages)
        for question in visible_questions(instrument, page_index, answers)
    ]


def error_summary(fields: Sequence[QuestionField]) -> list[SummaryError]:
    """The errors of a page in the order of its fields, each linked to its input."""
    summary = []
    for question_field in fields:
        if question_field.error:
            message = about(question_field.label, question_field.error)
            summary.append(SummaryError(message, question_field.id))
        other = question_field.other
        if other is not None and other.error:
            summary.append(SummaryError(about(question_field.label, other.error), other.id))
    return summary


def about(label: str, message: str) -> str:
    """A message prefixed with its question, since a summary lists several alike messages.

    "Career stage: This question needs an answer." — a label that ends in its own
    punctuation ("Where do you work?") is followed by a space only.
    """
    label = label.strip()
    if not label:
        return message
    return f"{label} {message}" if label[-1] in ".?!:" else f"{label}: {message}"


def unplaced_errors(
    errors: Iterable[FieldError], fields: Sequence[QuestionField]
) -> list[SummaryError]:
    """Errors about questions not drawn on this page, so that none is ever dropped silently."""
    placed = {f.name for f in fields} | {f.other.name for f in fields if f.other is not None}
    return [SummaryError(e.message, "") for e in errors if e.question not in placed]


def question_label(instrument: Instrument, question_name: str, answers: Answers, language: str):
    """The label of a question (or of the question an "Other" text belongs to)."""
    for question in instrument.questions:
        if question_name in (question.name, question.other_name):
            return _label(question, answers, instrument, language)
    return question_name


def typed_values_refused(drafts: Answers | None, errors: Iterable[FieldError]) -> bool:
    """Whether an error concerns something the respondent typed (not an empty field).

    A page saved to finish later may leave required questions empty; what it must not do is
    drop a typed value without saying so.
    """
    drafts = drafts or {}
    return any(_filled(drafts.get(error.question)) for error in errors)


# --- The review step --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    """A question and the answer given, as the respondent reads them."""

    label: str
    answer: tuple[str, ...]
    field_id: str


@dataclass(frozen=True)
class ReviewSection:
    page_index: int
    heading: str
    rows: tuple[ReviewRow, ...] = field(default_factory=tuple)


def review_sections(
    instrument: Instrument, answers: Answers, *, language: str
) -> list[ReviewSection]:
    """Every question the respondent could answer, page by page, with the answer given."""
    sections = []
    for page_index in relevant_pages(instrument, answers):
        rows = tuple(
            ReviewRow(
                label=_label(question, answers, instrument, language),
                answer=answer_text(instrument, question, answers, language=language),
                field_id=_field_id(instrument, question, answers),
            )
            for question in visible_questions(instrument, page_index, answers)
            if question.answered
        )
        if rows:
            sections.append(
                ReviewSection(page_index, page_heading(instrument, page_index, language), rows)
            )
    return sections


def answer_text(
    instrument: Instrument, question: Question, answers: Answers, *, language: str
) -> tuple[str, ...]:
    """The answer as the respondent chose it: choice labels, "Other: …" with its text."""
    value = answers.get(question.name)
    if value is None:
        return ()
    if question.type not in ("select_one", "select_multiple"):
        return (str(value),)
    labels = {choice.name: choice.label(language) for choice in _choice_list(instrument, question)}
    names = [value] if isinstance(value, str) else list(value)
    shown = []
    for name in names:
        if name == OTHER and question.or_other:
            other = answers.get(question.other_name, "")
            shown.append(f"{labels.get(OTHER, OTHER_LABEL)}: {other}" if other else OTHER_LABEL)
        else:
            shown.append(labels.get(name, name))
    return tuple(shown)


def page_heading(instrument: Instrument, page_index: int, language: str) -> str:
    """The page's group label; an unlabelled run of questions is named by its place."""
    page = instrument.pages[page_index]
    return page.label(language) or f"Questions, part {page_index + 1}"


def field_target(instrument: Instrument, question_name: str, answers: Answers) -> str:
    """The id of the input for `question_name` (or of its "Other" text) on its page."""
    for question in instrument.questions:
        if question.name == question_name:
            return _field_id(instrument, question, answers)
        if question.or_other and question.other_name == question_name:
            return f"q-{question.other_name}"
    return ""


def page_of(instrument: Instrument, question_name: str) -> int | None:
    for page_index, page in enumerate(instrument.pages):
        for question in page.questions:
            if question_name in (question.name, question.other_name):
                return page_index
    return None


# --- Building one field -----------------------------------------------------------------------


def _field(
    instrument: Instrument,
    question: Question,
    answers: Answers,
    shown: Answers,
    language: str,
    messages: Mapping[str, str],
) -> QuestionField:
    common = {
        "name": question.name,
        "id": f"q-{question.name}",
        "label": _label(question, answers, instrument, language),
        "hint": _fill_in(question.hint(language), answers, instrument, language),
        "required": question.required,
        "error": messages.get(question.name, ""),
    }
    if question.type == "note":
        return QuestionField(widget="note", **common)
    if question.read_only or not question.answered:
        text = ", ".join(answer_text(instrument, question, answers, language=language))
        return QuestionField(widget="read_only", value=text, **common)
    if question.type in TEXT_INPUTS:
        input_type, inputmode = TEXT_INPUTS[question.type]
        multiline = question.type == "text" and "multiline" in question.appearance.split()
        return QuestionField(
            widget="textarea" if multiline else "text",
            input_type=input_type,
            inputmode=inputmode,
            value=_single(shown.get(question.name)),
            **common,
        )
    return _choice_field(instrument, question, answers, shown, language, messages, common)


def _choice_field(
    instrument: Instrument,
    question: Question,
    answers: Answers,
    shown: Answers,
    language: str,
    messages: Mapping[str, str],
    common: dict,
) -> QuestionField:
    chosen = shown.get(question.name)
    chosen_names = {chosen} if isinstance(chosen, str) else set(chosen or ())
    choices = _with_other(question, choices_for(instrument, question, answers))
    options = tuple(
        Option(
            id=f"q-{question.name}-{number}",
            value=choice.name,
            label=_fill_in(choice.label(language), answers, instrument, language),
            checked=choice.name in chosen_names,
        )
        for number, choice in enumerate(choices, start=1)
    )
    other = None
    if question.or_other:
        other_text = _single(shown.get(question.other_name))
        other_error = messages.get(question.other_name, "")
        if common["error"] and OTHER in chosen_names and not other_text.strip():
            # "Other" chosen without saying what: the message belongs to the text field.
            other_error, common = common["error"], {**common, "error": ""}
        other = OtherText(
            id=f"q-{question.other_name}",
            name=question.other_name,
            value=other_text,
            error=other_error,
        )
    if _is_dropdown(question):
        return QuestionField(widget="dropdown", options=options, other=other, **common)
    widget = "radios" if question.type == "select_one" else "checkboxes"
    first = options[0].id if options else common["id"]
    return QuestionField(widget=widget, options=options, other=other, **{**common, "id": first})


# XLSForm appearances of a select_one drawn as one drop-down list: `minimal`, and
# `autocomplete` (ODK's list filtered by typing; a native select does that without script,
# and keeps a list of 250 countries from filling a phone's screen with radio buttons).
DROPDOWN_APPEARANCES = {"minimal", "autocomplete"}


def _is_dropdown(question: Question) -> bool:
    return question.type == "select_one" and bool(
        DROPDOWN_APPEARANCES & set(question.appearance.split())
    )


def _with_other(question: Question, choices: Sequence[Choice]) -> list[Choice]:
    """The choices, with the "Other" option an `or_other` select offers last."""
    choices = list(choices)
    if question.or_other and all(choice.name != OTHER for choice in choices):
        choices.append(Choice(OTHER, {"default": OTHER_LABEL}))
    return choices


def _choice_list(instrument: Instrument, question: Question) -> list[Choice]:
    return _with_other(question, instrument.choice_list(question))


def _field_id(instrument: Instrument, question: Question, answers: Answers) -> str:
    if question.type in ("select_one", "select_multiple"):
        if _is_dropdown(question):
            return f"q-{question.name}"
        choices = _with_other(question, choices_for(instrument, question, answers))
        return f"q-{question.name}-1" if choices else f"q-{question.name}"
    return f"q-{question.name}"


def _messages_by_field(errors: Iterable[FieldError]) -> dict[str, str]:
    messages: dict[str, list[str]] = {}
    for error in errors:
        messages.setdefault(error.question, []).append(error.message)
    return {name: " ".join(texts) for name, texts in messages.items()}


def _label(question: Question, answers: Answers, instrument: Instrument, language: str) -> str:
    return _fill_in(question.label(language), answers, instrument, language) or question.name


def _fill_in(text: str, answers: Answers, instrument: Instrument, language: str) -> str:
    """Replace ``${name}`` in a label with the answer given, as XLSForm labels allow."""
    if "${" not in text:
        return text

    def answer(match: re.Match[str]) -> str:
        try:
            question = instrument.question(match.group(1))
        except KeyError:
            return match.group(0)
        return ", ".join(answer_text(instrument, question, answers, language=language))

    return REFERENCE.sub(answer, text)


def _single(value: str | list[str] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def _filled(value: str | list[str] | None) -> bool:
    if value is None:
        return False
    if isinstance(value, list):
        return any(item.strip() for item in value)
    return bool(value.strip())
