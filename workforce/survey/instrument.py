"""A survey instrument as the platform runs it: pages of questions, choice lists, languages.

An instrument is read once from an XLSForm (`workforce.survey.xlsform`) and then kept as
plain data: frozen dataclasses that turn into JSON and back without loss, so a wave can
freeze the exact version it opened with and every stored answer can be read against it.

Expressions (`relevant`, `constraint`, `calculation`, `choice_filter`) are kept as the text
the author wrote; `workforce.survey.expressions` parses and evaluates them. Every text a
respondent reads is a mapping language → text; a form with no language columns has the
single language ``"default"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_LANGUAGE = "default"

# Question types the platform collects, and how each answer is kept (see `Question.kind`).
ANSWER_TYPES = ("text", "integer", "decimal", "select_one", "select_multiple", "date")
# Shown but not answered, and computed but not shown.
DISPLAY_TYPES = ("note",)
COMPUTED_TYPES = ("calculate",)
# Metadata the platform itself fills in: only the day the response was started or last
# saved, never a time of day (a time would help link an anonymous response to a send).
METADATA_TYPES = ("start", "end", "today")
QUESTION_TYPES = ANSWER_TYPES + DISPLAY_TYPES + COMPUTED_TYPES + METADATA_TYPES

Texts = dict[str, str]


@dataclass(frozen=True)
class Choice:
    """One option of a choice list; `filters` holds its extra columns for `choice_filter`."""

    name: str
    labels: Texts
    filters: dict[str, str] = field(default_factory=dict)
    row: int = 0

    def label(self, language: str) -> str:
        return text_in(self.labels, language) or self.name


@dataclass(frozen=True)
class Question:
    """One row of the `survey` sheet that is not a group.

    `type` is one of `QUESTION_TYPES`; for selects `list_name` names the choice list and
    `or_other` adds an "Other" option with its own text answer (kept as ``<name>_other``).
    `standard` names the dimension of the data standard the answer feeds (a column of the
    `survey` sheet), so a completed response becomes a standard record. `relevant` already
    includes the conditions of the groups that enclose the question. `row` is the row of the
    `survey` sheet, for messages.
    """

    name: str
    type: str
    labels: Texts = field(default_factory=dict)
    hints: Texts = field(default_factory=dict)
    list_name: str | None = None
    or_other: bool = False
    required: bool = False
    required_message: Texts = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Texts = field(default_factory=dict)
    calculation: str | None = None
    choice_filter: str | None = None
    default: str | None = None
    read_only: bool = False
    appearance: str = ""
    standard: str | None = None
    row: int = 0

    @property
    def answered(self) -> bool:
        """Whether a respondent gives this answer (rather than reading or computing it)."""
        return self.type in ANSWER_TYPES and not self.read_only

    @property
    def other_name(self) -> str:
        return f"{self.name}_other"

    def label(self, language: str) -> str:
        return text_in(self.labels, language)

    def hint(self, language: str) -> str:
        return text_in(self.hints, language)


@dataclass(frozen=True)
class Page:
    """What a respondent sees at once: one XLSForm group, or a run of ungrouped questions."""

    name: str
    labels: Texts = field(default_factory=dict)
    relevant: str | None = None
    questions: tuple[Question, ...] = ()
    row: int = 0

    def label(self, language: str) -> str:
        return text_in(self.labels, language)


@dataclass(frozen=True)
class Instrument:
    """A whole form: its pages in order, its choice lists and the languages it is written in."""

    form_id: str
    title: str
    version: str
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    default_language: str = DEFAULT_LANGUAGE
    pages: tuple[Page, ...] = ()
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    source_sha256: str = ""
    notes: tuple[str, ...] = ()

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(question for page in self.pages for question in page.questions)

    def question(self, name: str) -> Question:
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(f"{self.form_id}: no question named {name!r}")

    def choice_list(self, question: Question) -> tuple[Choice, ...]:
        return self.choices.get(question.list_name or "", ())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; `from_dict` reads it back to an equal instrument."""
        return {
            "form_id": self.form_id,
            "title": self.title,
            "version": self.version,
            "languages": list(self.languages),
            "default_language": self.default_language,
            "settings": dict(self.settings),
            "source_sha256": self.source_sha256,
            "notes": list(self.notes),
            "choices": {
                name: [_choice_dict(choice) for choice in choices]
                for name, choices in self.choices.items()
            },
            "pages": [
                {
                    "name": page.name,
                    "labels": dict(page.labels),
                    "relevant": page.relevant,
                    "row": page.row,
                    "questions": [_question_dict(question) for question in page.questions],
                }
                for page in self.pages
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instrument:
        return cls(
            form_id=data["form_id"],
            title=data["title"],
            version=data["version"],
            languages=tuple(data["languages"]),
            default_language=data["default_language"],
            settings=dict(data.get("settings", {})),
            source_sha256=data.get("source_sha256", ""),
            notes=tuple(data.get("notes", ())),
            choices={
                name: tuple(Choice(**choice) for choice in choices)
                for name, choices in data["choices"].items()
            },
            pages=tuple(
                Page(
                    name=page["name"],
                    labels=dict(page["labels"]),
                    relevant=page["relevant"],
                    row=page["row"],
                    questions=tuple(Question(**question) for question in page["questions"]),
                )
                for page in data["pages"]
            ),
        )


def combine(
    instruments: list[Instrument] | tuple[Instrument, ...],
    *,
    form_id: str,
    title: str,
    version: str,
) -> Instrument:
    """One instrument asking the given ones in order (e.g. the standard modules as one wave).

    Question and page names must not repeat across them, and a choice list used by two of
    them must be the same list, or the combination would change what an answer means;
    each conflict raises ValueError naming both instruments.
    """
    if not instruments:
        raise ValueError("nothing to combine: give at least one instrument")
    owner_of_name: dict[str, str] = {}
    problems: list[str] = []
    for instrument in instruments:
        names = [page.name for page in instrument.pages] + [
            question.name for question in instrument.questions
        ]
        for name in names:
            earlier = owner_of_name.setdefault(name, instrument.form_id)
            if earlier != instrument.form_id:
                problems.append(f"{name!r} is in both {earlier!r} and {instrument.form_id!r}")
    choices: dict[str, tuple[Choice, ...]] = {}
    list_owner: dict[str, str] = {}
    for instrument in instruments:
        for name, options in instrument.choices.items():
            if name in choices and choices[name] != options:
                problems.append(
                    f"choice list {name!r} differs between {list_owner[name]!r} and "
                    f"{instrument.form_id!r}"
                )
            choices.setdefault(name, options)
            list_owner.setdefault(name, instrument.form_id)
    if problems:
        raise ValueError("cannot combine: " + "; ".join(problems))
    languages = tuple(
        dict.fromkeys(language for instrument in instruments for language in instrument.languages)
    )
    first = instruments[0]
    return Instrument(
        form_id=form_id,
        title=title,
        version=version,
        languages=languages,
        default_language=first.default_language,
        pages=tuple(page for instrument in instruments for page in instrument.pages),
        choices=choices,
        settings={**first.settings, "form_id": form_id, "form_title": title, "version": version},
        source_sha256="",
        notes=tuple(
            f"{instrument.form_id}: {note}"
            for instrument in instruments
            for note in instrument.notes
        ),
    )


def text_in(texts: Texts, language: str) -> str:
    """The text in `language`, else the form's unlabelled text, else any language's."""
    if language in texts:
        return texts[language]
    if DEFAULT_LANGUAGE in texts:
        return texts[DEFAULT_LANGUAGE]
    return next(iter(texts.values()), "")


def _choice_dict(choice: Choice) -> dict[str, Any]:
    return {
        "name": choice.name,
        "labels": dict(choice.labels),
        "filters": dict(choice.filters),
        "row": choice.row,
    }


def _question_dict(question: Question) -> dict[str, Any]:
    return {
        "name": question.name,
        "type": question.type,
        "labels": dict(question.labels),
        "hints": dict(question.hints),
        "list_name": question.list_name,
        "or_other": question.or_other,
        "required": question.required,
        "required_message": dict(question.required_message),
        "relevant": question.relevant,
        "constraint": question.constraint,
        "constraint_message": dict(question.constraint_message),
        "calculation": question.calculation,
        "choice_filter": question.choice_filter,
        "default": question.default,
        "read_only": question.read_only,
        "appearance": question.appearance,
        "standard": question.standard,
        "row": question.row,
    }
