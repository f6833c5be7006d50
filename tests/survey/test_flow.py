"""Moving a respondent through an instrument: relevance, one page at a time, completion."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workforce.survey.flow import (
    CHOICE,
    DATE,
    NO_SUCH_DATE,
    NOT_ALLOWED,
    NUMBER,
    OTHER_NEEDS_TEXT,
    REQUIRED,
    TOO_LARGE,
    TOO_LONG,
    WHOLE_NUMBER,
    FieldError,
    choices_for,
    completion_errors,
    finalize,
    first_page,
    next_page,
    previous_page,
    relevant_pages,
    route,
    submit_page,
    visible_questions,
)
from workforce.survey.instrument import Choice, Instrument, Page, Question

TODAY = datetime.date(2025, 3, 14)


def ask(name: str, type: str = "text", **fields) -> Question:
    return Question(name=name, type=type, labels={"en": name.replace("_", " ")}, **fields)


def page(name: str, *questions: Question, relevant: str | None = None) -> Page:
    return Page(name=name, labels={"en": name}, relevant=relevant, questions=questions)


def options(*names: str, **columns: tuple[str, ...]) -> tuple[Choice, ...]:
    """Choices named `names`; each keyword is an extra column with one value per choice."""
    return tuple(
        Choice(
            name=name,
            labels={"en": name.title()},
            filters={column: values[index] for column, values in columns.items()},
        )
        for index, name in enumerate(names)
    )


CHOICES = {
    "yes_no": options("yes", "no"),
    "sector": options("academia", "industry", "government"),
    "topics": options("genetics", "ethics", "teaching"),
    "states": options("ca", "ny"),
    "cities": options("la", "sf", "nyc", "buffalo", "nowhere", state=("ca", "ca", "ny", "ny", "")),
}


def survey(*pages: Page) -> Instrument:
    return Instrument(
        form_id="member_survey",
        title="Member survey",
        version="2025-1",
        languages=("en", "es"),
        default_language="en",
        pages=pages,
        choices=CHOICES,
    )


def post(**fields: str | list[str]) -> dict[str, list[str]]:
    """A posted form as Django's QueryDict.lists() gives it."""
    return {name: value if isinstance(value, list) else [value] for name, value in fields.items()}


def one_question(question: Question) -> Instrument:
    return survey(page("only", question))


def saved(question: Question, typed: str | list[str], answers: dict | None = None) -> dict:
    outcome = submit_page(
        one_question(question), 0, post(**{question.name: typed}), answers or {}, language="en"
    )
    assert outcome.errors == ()
    return outcome.answers


def refused(question: Question, typed: str | list[str], answers: dict | None = None) -> str:
    outcome = submit_page(
        one_question(question), 0, post(**{question.name: typed}), answers or {}, language="en"
    )
    assert len(outcome.errors) == 1 and outcome.errors[0].question == question.name
    return outcome.errors[0].message


# --- relevance ------------------------------------------------------------------------------


def test_a_page_without_a_condition_is_always_shown():
    form = survey(page("about_you", ask("name")), page("work", ask("employer")))
    assert relevant_pages(form, {}) == [0, 1]


def test_a_page_whose_condition_is_false_is_skipped():
    form = survey(
        page("about_you", ask("has_children", "select_one", list_name="yes_no")),
        page("children", ask("children", "integer"), relevant="${has_children} = 'yes'"),
        page("work", ask("employer")),
    )
    assert relevant_pages(form, {"has_children": "no"}) == [0, 2]
    assert relevant_pages(form, {"has_children": "yes"}) == [0, 1, 2]


def test_a_page_whose_every_question_is_hidden_is_passed_over_not_shown_empty():
    form = survey(
        page("about_you", ask("has_children", "select_one", list_name="yes_no")),
        page(
            "children",
            ask("children", "integer", relevant="${has_children} = 'yes'"),
            ask("ages", relevant="${has_children} = 'yes'"),
            ask("count", "calculate", calculation="1"),
        ),
        page("work", ask("employer")),
    )
    assert relevant_pages(form, {"has_children": "no"}) == [0, 2]
    assert next_page(form, 0, {"has_children": "no"}) == 2
    assert relevant_pages(form, {"has_children": "yes"}) == [0, 1, 2]


def test_a_question_whose_condition_is_false_is_hidden():
    form = survey(
        page(
            "about_you",
            ask("has_children", "select_one", list_name="yes_no"),
            ask("children", "integer", relevant="${has_children} = 'yes'"),
        )
    )
    names = [q.name for q in visible_questions(form, 0, {"has_children": "no"})]
    assert names == ["has_children"]
    names = [q.name for q in visible_questions(form, 0, {"has_children": "yes"})]
    assert names == ["has_children", "children"]


def test_answers_of_hidden_questions_count_as_unanswered_down_a_chain():
    form = survey(
        page(
            "one",
            ask("a", "select_one", list_name="yes_no"),
            ask("b", relevant="${a} = 'yes'"),
            ask("c", relevant="${b} != ''"),
        ),
        page("two", ask("d"), relevant="${c} != ''"),
    )
    stale = {"a": "no", "b": "typed when a was yes", "c": "typed when b was shown"}
    assert [q.name for q in visible_questions(form, 0, stale)] == ["a"]
    assert relevant_pages(form, stale) == [0]
    assert relevant_pages(form, {**stale, "a": "yes"}) == [0, 1]


def test_visible_questions_show_notes_but_not_calculates_or_metadata():
    form = survey(
        page(
            "one",
            ask("started", "start"),
            ask("welcome", "note"),
            ask("age", "integer"),
            ask("age_next_year", "calculate", calculation="${age} + 1"),
        )
    )
    assert [q.name for q in visible_questions(form, 0, {})] == ["welcome", "age"]


def test_a_page_that_does_not_exist_is_named_in_the_error():
    with pytest.raises(IndexError, match="'member_survey' has no page 3 \\(it has 1"):
        visible_questions(survey(page("one", ask("a"))), 3, {})


# --- reading answers by type -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("42", "42"),
        (" +042 ", "42"),
        ("-7", "-7"),
        ("-0", "0"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
    ],
)
def test_a_whole_number_is_kept_in_its_plain_form(typed, kept):
    assert saved(ask("age", "integer"), typed) == {"age": kept}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("4.5", WHOLE_NUMBER),
        ("1e3", WHOLE_NUMBER),
        ("forty", WHOLE_NUMBER),
        ("٤٢", WHOLE_NUMBER),  # Arabic-Indic digits: not what the integer type stores
        ("4 2", WHOLE_NUMBER),
        ("9223372036854775808", TOO_LARGE),
        ("-9223372036854775809", TOO_LARGE),
        ("1" + "0" * 5000, TOO_LARGE),
    ],
)
def test_a_whole_number_that_is_not_one_is_refused(typed, message):
    assert refused(ask("age", "integer"), typed) == message


@pytest.mark.parametrize(
    ("typed", "kept"), [("3.5", "3.5"), (" -0.25 ", "-0.25"), ("7", "7"), (".5", ".5")]
)
def test_a_decimal_is_kept_as_typed(typed, kept):
    assert saved(ask("hours", "decimal"), typed) == {"hours": kept}


@pytest.mark.parametrize(
    ("typed", "message"),
    [("3,5", NUMBER), ("1.2.3", NUMBER), ("1e5", NUMBER), ("nan", NUMBER), ("1" * 400, TOO_LARGE)],
)
def test_a_decimal_that_is_not_a_number_is_refused(typed, message):
    assert refused(ask("hours", "decimal"), typed) == message


def test_a_date_is_kept_as_year_month_day():
    assert saved(ask("joined", "date"), " 2024-02-29 ") == {"joined": "2024-02-29"}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2025-02-29", NO_SUCH_DATE),
        ("2025-13-01", NO_SUCH_DATE),
        ("31/12/2025", DATE),
        ("2025-1-5", DATE),
        ("yesterday", DATE),
    ],
)
def test_a_date_that_is_not_a_real_calendar_day_is_refused(typed, message):
    assert refused(ask("joined", "date"), typed) == message


def test_text_is_stripped_and_keeps_its_line_breaks():
    typed = "  Plant genetics,\r\nmostly maize\x00  "
    assert saved(ask("field"), typed) == {"field": "Plant genetics,\nmostly maize"}


def test_text_up_to_ten_thousand_characters_is_kept_and_longer_is_refused():
    assert saved(ask("story"), "a" * 10_000) == {"story": "a" * 10_000}
    assert refused(ask("story"), "a" * 10_001) == TOO_LONG


def test_a_single_choice_must_be_one_of_the_options():
    sector = ask("sector", "select_one", list_name="sector")
    assert saved(sector, "industry") == {"sector": "industry"}
    assert refused(sector, "Industry") == CHOICE
    assert refused(sector, "other") == CHOICE  # only offered when the question has or_other


def test_several_choices_are_deduplicated_and_kept_in_the_order_of_the_list():
    topics = ask("topics", "select_multiple", list_name="topics")
    assert saved(topics, ["teaching", "ethics", "genetics", "teaching"]) == {
        "topics": ["genetics", "ethics", "teaching"]
    }


def test_several_choices_with_one_unknown_are_refused_and_the_previous_answer_stays():
    topics = ask("topics", "select_multiple", list_name="topics")
    outcome = submit_page(
        one_question(topics),
        0,
        post(topics=["ethics", "astrology"]),
        {"topics": ["genetics"]},
        language="en",
    )
    assert outcome.errors == (FieldError("topics", CHOICE),)
    assert outcome.answers == {"topics": ["genetics"]}
    assert outcome.drafts == {"topics": ["ethics", "astrology"]}


# --- empty input, required, constraint ------------------------------------------------------


def test_clearing_a_field_removes_its_answer():
    assert saved(ask("age", "integer"), "  ", {"age": "40"}) == {}


def test_unticking_every_box_removes_the_answer():
    form = one_question(ask("topics", "select_multiple", list_name="topics"))
    outcome = submit_page(form, 0, {}, {"topics": ["ethics"]}, language="en")
    assert outcome.answers == {}
    assert outcome.errors == ()


def test_a_required_question_left_empty_gets_a_plain_polite_message():
    assert refused(ask("age", "integer", required=True), "") == "This question needs an answer."
    assert REQUIRED == "This question needs an answer."


def test_the_forms_own_required_message_is_shown_in_the_respondents_language():
    age = ask(
        "age",
        "integer",
        required=True,
        required_message={"en": "Please tell us your age.", "es": "Díganos su edad, por favor."},
    )
    outcome = submit_page(one_question(age), 0, post(age=""), {"age": "40"}, language="es")
    assert outcome.errors == (FieldError("age", "Díganos su edad, por favor."),)
    assert outcome.answers == {}  # cleared by the respondent, even though it is required


def test_a_constraint_judges_the_value_typed():
    age = ask("age", "integer", constraint=". >= 18 and . <= 120")
    assert saved(age, "30") == {"age": "30"}
    assert refused(age, "12") == NOT_ALLOWED
    assert NOT_ALLOWED == "This answer is not allowed here."


def test_the_forms_own_constraint_message_is_shown_in_the_respondents_language():
    age = ask(
        "age",
        "integer",
        constraint=". >= 18",
        constraint_message={"en": "Members are adults.", "es": "Los miembros son adultos."},
    )
    outcome = submit_page(one_question(age), 0, post(age="12"), {}, language="es")
    assert outcome.errors == (FieldError("age", "Los miembros son adultos."),)


def test_a_constraint_is_not_checked_when_the_question_is_unanswered():
    assert saved(ask("age", "integer", constraint=". >= 18"), "") == {}


def test_a_constraint_sees_an_answer_typed_earlier_on_the_same_page():
    form = survey(
        page(
            "career",
            ask("age", "integer"),
            ask("years_in_field", "integer", constraint=". <= ${age}"),
        )
    )
    outcome = submit_page(form, 0, post(age="30", years_in_field="40"), {}, language="en")
    assert outcome.errors == (FieldError("years_in_field", NOT_ALLOWED),)
    assert outcome.answers == {"age": "30"}
    outcome = submit_page(form, 0, post(age="50", years_in_field="40"), {}, language="en")
    assert outcome.errors == ()
    assert outcome.answers == {"age": "50", "years_in_field": "40"}


# --- "Other" ----------------------------------------------------------------------------------


SECTOR_OR_OTHER = ask("sector", "select_one", list_name="sector", or_other=True)


def test_or_other_offers_other_after_the_listed_choices():
    names = [
        choice.name for choice in choices_for(one_question(SECTOR_OR_OTHER), SECTOR_OR_OTHER, {})
    ]
    assert names == ["academia", "industry", "government", "other"]


def test_choosing_other_needs_its_text():
    form = one_question(SECTOR_OR_OTHER)
    outcome = submit_page(form, 0, post(sector="other", sector_other=" "), {}, language="en")
    assert outcome.errors == (FieldError("sector", OTHER_NEEDS_TEXT),)
    assert OTHER_NEEDS_TEXT == "Please say what 'Other' is."
    assert outcome.drafts == {"sector": "other", "sector_other": " "}
    outcome = submit_page(
        form, 0, post(sector="other", sector_other=" Nonprofit "), {}, language="en"
    )
    assert outcome.answers == {"sector": "other", "sector_other": "Nonprofit"}


def test_the_other_text_is_dropped_when_other_is_not_chosen():
    form = one_question(SECTOR_OR_OTHER)
    before = {"sector": "other", "sector_other": "Nonprofit"}
    outcome = submit_page(
        form, 0, post(sector="academia", sector_other="Nonprofit"), before, language="en"
    )
    assert outcome.answers == {"sector": "academia"}


def test_several_choices_with_other_keep_other_last_and_its_text():
    topics = ask("topics", "select_multiple", list_name="topics", or_other=True)
    outcome = submit_page(
        one_question(topics),
        0,
        post(topics=["other", "ethics"], topics_other="Bioinformatics"),
        {},
        language="en",
    )
    assert outcome.answers == {"topics": ["ethics", "other"], "topics_other": "Bioinformatics"}


# --- a page among pages ----------------------------------------------------------------------


def career_survey() -> Instrument:
    return survey(
        page(
            "about_you",
            ask("age", "integer", required=True),
            ask("has_children", "select_one", list_name="yes_no"),
            ask(
                "children",
                "integer",
                required=True,
                relevant="${has_children} = 'yes'",
            ),
        ),
        page(
            "work",
            ask("sector", "select_one", list_name="sector", required=True),
            ask("years_in_field", "integer", constraint=". <= ${age}"),
        ),
        page(
            "academia",
            ask("tenured", "select_one", list_name="yes_no"),
            relevant="${sector} = 'academia'",
        ),
        page("closing", ask("comments")),
    )


def test_questions_on_other_pages_are_never_touched_by_a_page():
    before = {"sector": "industry", "comments": "Thank you"}
    outcome = submit_page(
        career_survey(),
        0,
        post(age="40", sector="academia", comments="overwritten?", tenured="yes"),
        before,
        language="en",
    )
    assert outcome.answers == {"age": "40", "sector": "industry", "comments": "Thank you"}


def test_a_question_that_depends_on_one_just_answered_on_the_page_is_judged_on_it():
    form = career_survey()
    outcome = submit_page(
        form, 0, post(age="40", has_children="yes", children=""), {}, language="en"
    )
    assert outcome.errors == (FieldError("children", REQUIRED),)
    outcome = submit_page(
        form, 0, post(age="40", has_children="no", children=""), {}, language="en"
    )
    assert outcome.errors == ()


def test_a_hidden_question_keeps_what_was_typed_until_the_response_is_completed():
    form = career_survey()
    answers = {"age": "40", "has_children": "yes", "children": "2"}
    outcome = submit_page(form, 0, post(age="40", has_children="no"), answers, language="en")
    assert outcome.errors == ()
    assert outcome.answers["children"] == "2"
    assert "children" not in finalize(form, outcome.answers, today=TODAY)
    back = submit_page(
        form, 0, post(age="40", has_children="yes", children="2"), outcome.answers, language="en"
    )
    assert back.answers["children"] == "2"


def test_changing_an_answer_and_changing_it_back_loses_nothing_further_on():
    form = career_survey()
    answers = {"age": "40", "sector": "academia", "tenured": "yes"}
    away = submit_page(form, 1, post(sector="industry"), answers, language="en")
    assert 2 not in relevant_pages(form, away.answers)
    back = submit_page(form, 1, post(sector="academia"), away.answers, language="en")
    assert back.answers["tenured"] == "yes"
    assert 2 in relevant_pages(form, back.answers)


def test_valid_answers_are_kept_when_another_field_on_the_page_has_an_error():
    form = career_survey()
    before = {"age": "40", "has_children": "no"}
    outcome = submit_page(
        form, 0, post(age="forty-one", has_children="yes", children="3"), before, language="en"
    )
    assert outcome.errors == (FieldError("age", WHOLE_NUMBER),)
    assert outcome.answers == {"age": "40", "has_children": "yes", "children": "3"}
    assert outcome.drafts == {"age": "forty-one"}


def test_errors_come_in_the_order_of_the_page():
    outcome = submit_page(career_survey(), 1, post(years_in_field="many"), {}, language="en")
    assert [error.question for error in outcome.errors] == ["sector", "years_in_field"]


def test_a_page_that_is_not_relevant_reads_nothing():
    outcome = submit_page(
        career_survey(), 2, post(tenured="yes"), {"sector": "industry"}, language="en"
    )
    assert outcome.answers == {"sector": "industry"}
    assert outcome.errors == ()


def test_the_answers_passed_in_are_not_changed():
    before = {"topics": ["ethics"]}
    topics = ask("topics", "select_multiple", list_name="topics")
    submit_page(one_question(topics), 0, post(topics=["genetics"]), before, language="en")
    assert before == {"topics": ["ethics"]}


def test_a_value_posted_for_a_calculate_or_a_note_is_ignored():
    form = survey(
        page(
            "one",
            ask("welcome", "note"),
            ask("age", "integer"),
            ask("adult", "calculate", calculation="if(${age} >= 18, 'yes', 'no')"),
        )
    )
    outcome = submit_page(form, 0, post(welcome="hi", age="30", adult="no"), {}, language="en")
    assert outcome.answers == {"age": "30", "adult": "yes"}


def test_an_expression_that_cannot_be_worked_out_never_blocks_a_respondent():
    broken = "${age} >"
    form = survey(
        page(
            "one",
            ask("age", "integer", constraint=broken),
            ask("shown", relevant=broken),
            ask("city", "select_one", list_name="cities", choice_filter=broken),
            ask("guess", "calculate", calculation=broken),
        )
    )
    assert [q.name for q in visible_questions(form, 0, {})] == ["age", "shown", "city"]
    assert len(choices_for(form, form.question("city"), {})) == len(CHOICES["cities"])
    outcome = submit_page(form, 0, post(age="5", shown="yes", city="sf"), {}, language="en")
    assert outcome.errors == ()
    assert outcome.answers == {"age": "5", "shown": "yes", "city": "sf"}


# --- calculates ------------------------------------------------------------------------------


def test_a_calculate_is_redone_when_the_answer_it_uses_changes():
    form = survey(
        page("one", ask("age", "integer")),
        page("two", ask("age_next_year", "calculate", calculation="${age} + 1")),
    )
    outcome = submit_page(form, 0, post(age="41"), {"age_next_year": "30"}, language="en")
    assert outcome.answers == {"age": "41", "age_next_year": "42"}


def test_a_calculate_before_the_page_follows_an_answer_given_on_the_page():
    form = survey(
        page("one", ask("label", "calculate", calculation="concat('age ', ${age})")),
        page("two", ask("age", "integer")),
    )
    outcome = submit_page(form, 1, post(age="41"), {}, language="en")
    assert outcome.answers == {"age": "41", "label": "age 41"}


def test_a_calculate_on_a_page_that_is_not_relevant_is_removed():
    form = survey(
        page("one", ask("sector", "select_one", list_name="sector")),
        page(
            "academia",
            ask("is_academic", "calculate", calculation="'yes'"),
            relevant="${sector} = 'academia'",
        ),
    )
    first = submit_page(form, 0, post(sector="academia"), {}, language="en")
    assert first.answers == {"sector": "academia", "is_academic": "yes"}
    second = submit_page(form, 0, post(sector="industry"), first.answers, language="en")
    assert second.answers == {"sector": "industry"}


def test_a_calculate_that_comes_out_empty_leaves_no_answer():
    form = survey(
        page("one", ask("age", "integer"), ask("copy", "calculate", calculation="${age}"))
    )
    outcome = submit_page(form, 0, post(age=""), {"age": "4", "copy": "4"}, language="en")
    assert outcome.answers == {}


# --- moving between pages --------------------------------------------------------------------


def test_next_and_previous_skip_pages_that_are_not_relevant():
    form = career_survey()
    answers = {"sector": "industry"}
    assert next_page(form, 1, answers) == 3
    assert previous_page(form, 3, answers) == 1
    assert next_page(form, 1, {"sector": "academia"}) == 2


def test_there_is_no_page_past_either_end():
    form = career_survey()
    assert next_page(form, 3, {}) is None
    assert previous_page(form, 0, {}) is None


def test_the_first_page_is_the_first_relevant_one():
    form = survey(
        page("members_only", ask("a"), relevant="${b} = 'x'"),
        page("everyone", ask("b")),
    )
    assert first_page(form, {}) == 1
    assert first_page(survey(page("never", ask("a"), relevant="false()")), {}) is None


def test_progress_counts_only_relevant_pages():
    form = career_survey()
    assert route(form, {"sector": "industry"}).progress(0) == (1, 3)
    assert route(form, {"sector": "industry"}).progress(3) == (3, 3)
    assert route(form, {"sector": "academia"}).progress(3) == (4, 4)
    assert route(form, {"sector": "industry"}).progress(2) == (3, 3)  # a page that left the path


# --- completing a response -------------------------------------------------------------------


def test_completion_lists_unanswered_required_questions_of_relevant_pages_in_form_order():
    form = career_survey()
    errors = completion_errors(form, {"has_children": "yes"})
    assert errors == [
        FieldError("age", REQUIRED),
        FieldError("children", REQUIRED),
        FieldError("sector", REQUIRED),
    ]
    assert completion_errors(form, {"age": "40", "has_children": "no", "sector": "industry"}) == []


def test_completion_catches_an_answer_made_invalid_by_a_change_on_another_page():
    form = career_survey()
    answers = {"age": "40", "sector": "industry", "years_in_field": "30"}
    assert completion_errors(form, answers) == []
    changed = submit_page(form, 0, post(age="25"), answers, language="en").answers
    assert completion_errors(form, changed) == [FieldError("years_in_field", NOT_ALLOWED)]


def test_completion_messages_can_be_in_the_respondents_language():
    form = one_question(ask("age", "integer", required=True, required_message={"es": "Su edad."}))
    assert completion_errors(form, {}, language="es") == [FieldError("age", "Su edad.")]


def test_finalize_drops_answers_of_questions_that_are_not_relevant_and_their_other_text():
    form = survey(
        page(
            "one",
            ask("employed", "select_one", list_name="yes_no"),
            ask(
                "sector",
                "select_one",
                list_name="sector",
                or_other=True,
                relevant="${employed} = 'yes'",
            ),
        )
    )
    answers = {"employed": "no", "sector": "other", "sector_other": "Nonprofit", "stray": "x"}
    assert finalize(form, answers, today=TODAY) == {"employed": "no"}
    kept = {**answers, "employed": "yes"}
    assert finalize(form, kept, today=TODAY) == {
        "employed": "yes",
        "sector": "other",
        "sector_other": "Nonprofit",
    }


def test_finalize_redoes_calculates():
    form = survey(
        page("one", ask("age", "integer"), ask("double", "calculate", calculation="${age} * 2"))
    )
    assert finalize(form, {"age": "21", "double": "stale"}, today=TODAY) == {
        "age": "21",
        "double": "42",
    }


def test_finalize_records_the_day_only_and_start_keeps_the_first_day():
    form = survey(
        page("one", ask("started", "start"), ask("ended", "end"), ask("day", "today"), ask("a"))
    )
    first = submit_page(form, 0, post(a="x"), {}, language="en", today=datetime.date(2025, 3, 1))
    assert first.answers == {"a": "x", "started": "2025-03-01"}
    assert finalize(form, first.answers, today=TODAY) == {
        "a": "x",
        "started": "2025-03-01",
        "ended": "2025-03-14",
        "day": "2025-03-14",
    }


def test_finalize_adds_no_metadata_the_form_does_not_ask_for():
    assert finalize(one_question(ask("a")), {"a": "x"}, today=TODAY) == {"a": "x"}


# --- choice filters ---------------------------------------------------------------------------


def location_survey(choice_filter: str) -> Instrument:
    return survey(
        page(
            "where",
            ask("state", "select_one", list_name="states"),
            ask("city", "select_one", list_name="cities", choice_filter=choice_filter),
        )
    )


def city_names(form: Instrument, answers: dict) -> list[str]:
    city = form.question("city")
    return [choice.name for choice in choices_for(form, city, answers)]


def test_a_choice_filter_compares_a_column_of_the_choices_with_an_answer():
    form = location_survey("state=${state}")
    assert city_names(form, {"state": "ca"}) == ["la", "sf"]
    assert city_names(form, {"state": "ny"}) == ["nyc", "buffalo"]
    assert city_names(form, {}) == ["nowhere"]  # both empty: ODK shows what matches ""


def test_a_choice_filter_can_use_the_choice_name():
    form = location_survey("name != 'nowhere' and starts-with(name, 'b')")
    assert city_names(form, {}) == ["buffalo"]


def test_a_choice_filter_leaves_quoted_text_and_function_names_alone():
    form = location_survey("state = 'ca' or contains('name', name)")
    assert city_names(form, {}) == ["la", "sf"]


def test_a_choice_the_filter_does_not_offer_is_refused():
    form = location_survey("state=${state}")
    outcome = submit_page(form, 0, post(state="ny", city="sf"), {}, language="en")
    assert outcome.errors == (FieldError("city", CHOICE),)
    assert outcome.answers == {"state": "ny"}  # the state was just chosen on the same page


def test_completion_catches_a_choice_the_filter_no_longer_offers():
    form = location_survey("state=${state}")
    assert completion_errors(form, {"state": "ca", "city": "sf"}) == []
    assert completion_errors(form, {"state": "ny", "city": "sf"}) == [FieldError("city", CHOICE)]


# --- odd input ---------------------------------------------------------------------------------


ODD_SURVEY = survey(
    page(
        "everything",
        ask("name", required=True),
        ask("age", "integer", constraint=". >= 18"),
        ask("hours", "decimal"),
        ask("joined", "date"),
        ask("sector", "select_one", list_name="sector", or_other=True),
        ask("topics", "select_multiple", list_name="topics", required=True),
        ask("city", "select_one", list_name="cities", choice_filter="state = ${state}"),
        ask("state", "select_one", list_name="states", relevant="${age} > 30"),
        ask("double", "calculate", calculation="${hours} * 2"),
    ),
    page("later", ask("comments")),
)
FIELDS = [
    "name",
    "age",
    "hours",
    "joined",
    "sector",
    "sector_other",
    "topics",
    "city",
    "state",
    "double",
    "comments",
    "csrfmiddlewaretoken",
]
TYPED = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "42",
            "-0",
            "+7",
            "3.5",
            "2024-02-29",
            "2025-02-30",
            "other",
            "ca",
            "la",
            "ethics",
            "teaching",
            "academia",
            " ",
            "\x00",
            "1" * 30,
        ]
    ),
)


# Values each field can take when a respondent uses the form as meant, mixed with anything.
MEANT = {
    "name": ["Ada", "  Grace Hopper "],
    "age": ["42", "18", "+030", "12"],
    "hours": ["3.5", "40", ".5"],
    "joined": ["2024-02-29", "2019-09-01"],
    "sector": ["academia", "other", "government"],
    "sector_other": ["Nonprofit", ""],
    "topics": ["genetics", "ethics", "teaching", "other"],
    "city": ["la", "nyc", "nowhere"],
    "state": ["ca", "ny"],
}
FORMS = st.builds(
    lambda meant, junk: {**junk, **meant},
    st.fixed_dictionaries(
        {},
        optional={
            field: st.lists(st.sampled_from(values) | TYPED, max_size=3)
            for field, values in MEANT.items()
        },
    ),
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), st.lists(TYPED, max_size=4)),
)


@settings(max_examples=150, deadline=None)
@given(form=FORMS, answers=st.dictionaries(st.sampled_from(FIELDS), TYPED | st.lists(TYPED)))
def test_any_posted_form_gives_answers_or_messages_and_never_fails(form, answers):
    outcome = submit_page(ODD_SURVEY, 0, form, answers, language="en", today=TODAY)
    assert {error.question for error in outcome.errors} <= {
        question.name for question in ODD_SURVEY.pages[0].questions
    }
    assert all(error.message.endswith(".") for error in outcome.errors)
    assert outcome.answers.get("comments") == answers.get("comments")  # another page's
    for error in completion_errors(ODD_SURVEY, answers, today=TODAY):
        assert error.message.endswith(".")
    finalize(ODD_SURVEY, answers, today=TODAY)


def as_posted(answers: dict) -> dict[str, list[str]]:
    return {name: value if isinstance(value, list) else [value] for name, value in answers.items()}


@settings(max_examples=150, deadline=None)
@given(form=FORMS)
def test_what_is_kept_is_in_its_plain_form_and_comes_back_unchanged(form):
    outcome = submit_page(ODD_SURVEY, 0, form, {}, language="en", today=TODAY)
    again = submit_page(
        ODD_SURVEY, 0, as_posted(outcome.answers), outcome.answers, language="en", today=TODAY
    )
    assert again.answers == outcome.answers
    kept = outcome.answers
    assert re.fullmatch(r"0|-?[1-9][0-9]*", kept.get("age", "0"))
    assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", kept.get("joined", "2025-01-01"))
    assert kept.get("name", "x") == kept.get("name", "x").strip() != ""
    assert kept.get("sector", "other") in {"academia", "industry", "government", "other"}
    assert ("sector_other" in kept) == (kept.get("sector") == "other")
    topics = kept.get("topics", ["genetics"])
    assert topics and topics == [t for t in ("genetics", "ethics", "teaching") if t in topics]
