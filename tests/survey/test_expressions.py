"""The XLSForm expression language as form authors rely on it: what ODK would compute,
refusals that say what is wrong and where, and no crash on any input."""

from __future__ import annotations

import contextlib
import datetime
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workforce.survey import expressions
from workforce.survey.expressions import (
    SUPPORTED_FUNCTIONS,
    UNSUPPORTED_FUNCTIONS,
    ExpressionError,
    as_number,
    as_text,
    evaluate,
    parse,
    truthy,
)

TODAY = datetime.date(2026, 3, 5)
NAN = math.nan
INF = math.inf


def same_value(result, expected) -> bool:
    """Equal and of the same kind: True is not 1, 7 is not "7", NaN equals NaN."""
    if isinstance(expected, bool):
        return result is expected
    if isinstance(expected, int | float):
        if not isinstance(result, float) or isinstance(result, bool):
            return False
        return (math.isnan(expected) and math.isnan(result)) or result == expected
    return type(result) is type(expected) and result == expected


# (expression, answers, current value ".", expected result) with today() = 2026-03-05.
CASES = [
    # Unanswered is the empty string.
    ("${x} = ''", {}, None, True),
    ("${x} != ''", {}, None, False),
    ("${x} = ''", {"x": "a"}, None, False),
    ("string-length(${x}) = 0", {}, None, True),
    ("${x}", {}, None, ""),
    ("${consent} = 'yes'", {"consent": "yes"}, None, True),
    ("${consent} = 'yes'", {}, None, False),
    ("${consent} != 'yes'", {}, None, True),
    ("coalesce(${nickname}, ${name})", {"name": "Ada"}, None, "Ada"),
    ("coalesce(${nickname}, ${name})", {"nickname": "A", "name": "Ada"}, None, "A"),
    # Ages and other numbers typed as text.
    ("${age} >= 18", {"age": "17"}, None, False),
    ("${age} >= 18", {"age": "18"}, None, True),
    ("${age} >= 18", {"age": ""}, None, False),
    ("${age} >= 18", {}, None, False),
    ("${age} < 18", {}, None, False),
    ("${age} = 18", {"age": "18"}, None, True),
    ("${age} = '18'", {"age": "18"}, None, True),
    ("${age} = 18.0", {"age": "18"}, None, True),
    ("${age} = '18.0'", {"age": "18"}, None, False),
    ("'' < 5", {}, None, False),
    ("'' > 5", {}, None, False),
    ("'' = 0", {}, None, False),
    ("'' != 0", {}, None, True),
    ("'abc' < 5", {}, None, False),
    ("${x} * 1", {"x": " 42 "}, None, 42),
    # Constraints on the answer being checked.
    (". > 0 and . < 120", {}, "45", True),
    (". > 0 and . < 120", {}, "0", False),
    (". > 0 and . < 120", {}, "120", False),
    (". > 0 and . < 120", {}, "", False),
    (". > 0 and . < 120", {}, "abc", False),
    ("(.>=0 and .<=60) or .=99 or .=88", {}, "99", True),
    ("(.>=0 and .<=60) or .=99 or .=88", {}, "61", False),
    ("string-length(.) <= 200", {}, "x" * 200, True),
    ("string-length(.) <= 200", {}, "x" * 201, False),
    ("regex(., '^[0-9]{5}$')", {}, "02139", True),
    ("regex(., '^[0-9]{5}$')", {}, "2139", False),
    ("regex(., '^[0-9]{5}$')", {}, "021390", False),
    ("regex(., '[0-9]')", {}, "abc1", True),
    (r"regex(., '^[^@\s]+@[^@\s]+\.[^@\s]+$')", {}, "ada@example.org", True),
    (r"regex(., '^[^@\s]+@[^@\s]+\.[^@\s]+$')", {}, "not an address", False),
    ("regex(${value}, ${pattern})", {"value": "a", "pattern": "["}, None, False),
    ("regex(${value}, ${pattern})", {"value": "abc", "pattern": "b"}, None, True),
    # Select multiple: a list, or the space-separated text ODK stores.
    ("selected(${race}, 'white')", {"race": ["white", "asian"]}, None, True),
    ("selected(${race}, 'white')", {"race": "white asian"}, None, True),
    ("selected(${race}, 'white')", {"race": ["asian"]}, None, False),
    ("selected(${race}, 'white')", {}, None, False),
    ("selected(${race}, 'whit')", {"race": "white"}, None, False),
    ("selected(${race}, ' white ')", {"race": ["white"]}, None, True),
    ("not(selected(${x}, 'none'))", {"x": ["a"]}, None, True),
    ("not(selected(${x}, 'none'))", {"x": ["none"]}, None, False),
    ("count-selected(${x}) <= 3", {"x": ["a", "b", "c"]}, None, True),
    ("count-selected(${x}) <= 3", {"x": ["a", "b", "c", "d"]}, None, False),
    ("count-selected(${x})", {}, None, 0),
    ("count-selected('a b  c')", {}, None, 3),
    ("selected-at(${x}, 1)", {"x": ["a", "b"]}, None, "b"),
    ("selected-at(${x}, 5)", {"x": ["a", "b"]}, None, ""),
    ("selected-at(${x}, -1)", {"x": ["a", "b"]}, None, ""),
    ("selected-at('a b', 0)", {}, None, "a"),
    ("${multi} = 'a b'", {"multi": ["a", "b"]}, None, True),
    ("selected(., 'dk') and count-selected(.) > 1", {}, ["dk", "yes"], True),
    ("selected(., 'dk') and count-selected(.) > 1", {}, ["dk"], False),
    # Conditions.
    ("if(${a}='yes', 1, 0)", {"a": "yes"}, None, 1),
    ("if(${a}='yes', 1, 0)", {"a": "no"}, None, 0),
    ("if(${a}='yes', 1, 0)", {}, None, 0),
    ("if(${a}, 'answered', 'blank')", {}, None, "blank"),
    ("if(${a}, 'answered', 'blank')", {"a": "0"}, None, "answered"),
    ("if(${a} != '', ${a} * 2, '')", {"a": "4"}, None, 8),
    ("if (1 = 1, 'x', 1 div 0)", {}, None, "x"),
    # Arithmetic, division by zero as XPath says.
    ("5 div 2", {}, None, 2.5),
    ("7 mod 3", {}, None, 1),
    ("-7 mod 3", {}, None, -1),
    ("7 mod -3", {}, None, 1),
    ("7.5 mod 2", {}, None, 1.5),
    ("-${x}", {"x": "4"}, None, -4),
    ("- -3", {}, None, 3),
    ("1 div 0", {}, None, INF),
    ("-1 div 0", {}, None, -INF),
    ("0 div 0", {}, None, NAN),
    ("5 mod 0", {}, None, NAN),
    ("string(1 div 0)", {}, None, "Infinity"),
    ("string(0 div 0)", {}, None, "NaN"),
    ("${a} + ${b}", {"a": "2", "b": "3"}, None, 5),
    ("${a} + ${b}", {"a": "2"}, None, NAN),
    ("10 - 2 - 3", {}, None, 5),
    ("100 div 10 div 5", {}, None, 2),
    ("2 * 3 mod 4", {}, None, 2),
    ("1 + 2 * 3", {}, None, 7),
    ("1 + 2 * 3 = 7", {}, None, True),
    ("(1 + 2) * 3", {}, None, 9),
    ("-2 * 3", {}, None, -6),
    ("1.5 + .5", {}, None, 2),
    ("0.1 + 0.2 = 0.3", {}, None, True),
    ("number('1e3')", {}, None, NAN),
    ("number('+5')", {}, None, NAN),
    ("number('-5.')", {}, None, -5),
    ("number('4.5') * 2", {}, None, 9),
    # Logic and comparisons of mixed kinds.
    ("true() or false() and false()", {}, None, True),
    ("(true() or false()) and false()", {}, None, False),
    ("1 = 1 and 2 = 2", {}, None, True),
    ("1 < 2 = true()", {}, None, True),
    ("not(false())", {}, None, True),
    ("true() = 'false'", {}, None, True),
    ("false() = ''", {}, None, True),
    ("true() = 1", {}, None, True),
    ("false() = 0", {}, None, True),
    ("${x} = true()", {}, None, False),
    ("${x} = false()", {}, None, True),
    ("1 = '1.0'", {}, None, True),
    ("'1' = '1.0'", {}, None, False),
    ("'abc' = 'ABC'", {}, None, False),
    ("'b' > 'a'", {}, None, False),
    ("true() > false()", {}, None, True),
    ("${Id10020} != 'yes' or ${Id10022} != 'yes'", {"Id10020": "yes"}, None, True),
    # Dates: ISO text and date values compare as days.
    ("${start} < today()", {"start": "2026-03-04"}, None, True),
    ("${start} < today()", {"start": "2026-03-05"}, None, False),
    ("${start} < today()", {}, None, False),
    (". <= today()", {}, "2026-03-05", True),
    (". <= today()", {}, "2026-03-06", False),
    (". <= today() and .>= date(date('1915-01-01'))", {}, "1914-12-31", False),
    ("today() - ${birth}", {"birth": "2026-03-01"}, None, 4),
    ("int((today() - ${birth}) div 365.25)", {"birth": "1990-06-15"}, None, 35),
    ("today()", {}, None, TODAY),
    ("string(today())", {}, None, "2026-03-05"),
    ("date(0)", {}, None, datetime.date(1970, 1, 1)),
    ("date(today() + 30)", {}, None, datetime.date(2026, 4, 4)),
    ("date('2026-02-30')", {}, None, ""),
    ("decimal-date('1970-01-11')", {}, None, 10),
    ("decimal-date-time('2026-03-05T12:00:00')", {}, None, 20517.5),
    ("today() = '2026-03-05'", {}, None, True),
    ("${d} = today()", {"d": "2026-03-05"}, None, True),
    ("'2026-03-05' < '2026-03-10'", {}, None, True),
    ("format-date('2026-03-05', '%Y/%m/%d')", {}, None, "2026/03/05"),
    ("format-date('2026-03-05', '%e %b %y, %a')", {}, None, "5 Mar 26, Thu"),
    ("format-date(${d}, '%n/%e')", {"d": "2026-12-25"}, None, "12/25"),
    ("format-date('not a date', '%Y')", {}, None, ""),
    ("format-date(today(), '%H:%M:%S')", {}, None, "00:00:00"),
    ("format-date(today(), '100%')", {}, None, "100%"),
    ("format-date-time('2026-03-05T14:07:09', '%H:%M:%S')", {}, None, "14:07:09"),
    # Text.
    ("concat('a', ${m}, 'b')", {"m": ["x", "y"]}, None, "ax yb"),
    ("concat(${first}, ' ', ${last})", {"first": "Ada"}, None, "Ada "),
    ("concat(1, 2.5, true())", {}, None, "12.5true"),
    ("string-length('héllo')", {}, None, 5),
    ("string-length()", {}, "abc", 3),
    ("substr('hello', 1, 3)", {}, None, "el"),
    ("substr('hello', 2)", {}, None, "llo"),
    ("substr('hello', 3, 1)", {}, None, ""),
    ("substr(${id}, 0, 9)", {"id": "ABC123456789"}, None, "ABC123456"),
    ("contains(${email}, '@')", {"email": "ada@example.org"}, None, True),
    ("starts-with('hello', 'he')", {}, None, True),
    ("ends-with('hello', 'lo')", {}, None, True),
    ("substring-before('2026-03-05', '-')", {}, None, "2026"),
    ("substring-after('2026-03-05', '-')", {}, None, "03-05"),
    ("substring-after('abc', 'z')", {}, None, ""),
    ("normalize-space('  a   b ')", {}, None, "a b"),
    ("translate('abc', 'abc', 'AB')", {}, None, "AB"),
    ("string(42)", {}, None, "42"),
    ("string(2.50)", {}, None, "2.5"),
    ("string(1 = 1)", {}, None, "true"),
    ("boolean('')", {}, None, False),
    ("boolean('false')", {}, None, True),
    ("boolean(0)", {}, None, False),
    ("boolean-from-string('true')", {}, None, True),
    ("boolean-from-string('1')", {}, None, True),
    ("boolean-from-string('yes')", {}, None, False),
    # Number functions.
    ("round(2.5) = 3", {}, None, True),
    ("round(-2.5) = -3", {}, None, True),
    ("round(2.4)", {}, None, 2),
    ("round(1.005, 2)", {}, None, 1.01),
    ("round(1234.5, -2)", {}, None, 1200),
    ("round(${x})", {}, None, NAN),
    ("int(-3.7) = -3", {}, None, True),
    ("int(3.7)", {}, None, 3),
    ("int('12abc')", {}, None, NAN),
    ("floor(-1.5)", {}, None, -2),
    ("ceiling(1.2)", {}, None, 2),
    ("abs(-4)", {}, None, 4),
    ("pow(2, 10)", {}, None, 1024),
    ("pow(-8, 1 div 3)", {}, None, NAN),
    ("sqrt(16)", {}, None, 4),
    ("sqrt(-1)", {}, None, NAN),
    ("log10(1000)", {}, None, 3),
    ("min(3, 1, 2)", {}, None, 1),
    ("max(3, ${x})", {}, None, NAN),
    ("max(1, '7', 3)", {}, None, 7),
    ("min(${m})", {"m": ["4", "2"]}, None, 2),
    ("once(${x})", {"x": "v"}, None, "v"),
    (
        "if(count-selected(${m}) > 0, selected-at(${m}, 0), 'none')",
        {"m": ["first", "second"]},
        None,
        "first",
    ),
]


@pytest.mark.parametrize(("text", "answers", "current", "expected"), CASES)
def test_expression_gives_what_odk_gives(text, answers, current, expected):
    result = evaluate(text, answers, current, TODAY)
    assert same_value(result, expected), f"{text!r} gave {result!r}, expected {expected!r}"


def test_the_table_covers_what_authors_rely_on():
    assert len(CASES) >= 120
    used = set().union(*(parse(text).functions() for text, *_ in CASES))
    spec = {
        "selected", "count-selected", "selected-at", "not", "if", "string-length", "regex",
        "concat", "contains", "starts-with", "ends-with", "substr", "substring-before",
        "substring-after", "normalize-space", "translate", "number", "int", "string",
        "boolean", "true", "false", "round", "floor", "ceiling", "abs", "pow", "min", "max",
        "coalesce", "today", "date", "decimal-date", "format-date", "once",
        "boolean-from-string",
    }  # fmt: skip
    assert spec - used == set()


# --- Refusals ---------------------------------------------------------------------------

SYNTAX_ERRORS = [
    ("${age >= 18", "at character 1: '${age' is not closed with '}'"),
    ("1 +", "at character 4: the expression ends where a value should follow '+'"),
    ("'unterminated", "at character 1: the text in quotes is not closed: add a closing '"),
    ('concat("a, 1)', 'at character 8: the text in quotes is not closed: add a closing "'),
    ("", "at character 1: the expression is empty"),
    ("   ", "at character 1: the expression is empty"),
    ("1 2", "at character 3: unexpected '2'; expected an operator"),
    ("(1 + 2", "at character 7: expected ')' to close the '(' at character 1, found the end "
     "of the expression"),
    ("if(1, 2, 3", "at character 11: expected ')' to close if() opened at character 3, found "
     "the end of the expression"),
    ("${}", "at character 1: '${' must be followed by a field name and '}', as in ${age}"),
    ("age >= 18", "at character 1: 'age' is not a value; refer to a field as ${age}"),
    ("${a} = true", "at character 8: 'true' is not a value; write true()"),
    ("if(${a}, 1, null)", "at character 13: 'null' is not a value; write '' for an empty value"),
    ("and ${a}", "at character 1: expected a value before 'and'"),
    ("${a} ! ${b}", "at character 6: '!' is not an operator; write != or not(...)"),
    ("${a} = 1 ) ", "at character 10: unexpected ')'; expected an operator"),
    ("/data/age > 1", "at character 1: paths such as '/data/age' are not supported; refer to a "
     "field as ${name}"),
    ("${a}[1]", "at character 5: unexpected '['; expected an operator"),
    ("${a} | ${b}", "at character 6: unexpected '|'; expected an operator"),
    ("1 + #", "at character 5: unexpected character '#'"),
    ("${a} = \u2018yes\u2019", "at character 8: unexpected character '\u2018'; quote text "
     "with straight quotes ' or \""),
    ("selcted(${x}, 'a')", "at character 1: unknown function 'selcted'; did you mean selected()?"),
    ("today", "at character 1: 'today' is a function; write today(...)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), SYNTAX_ERRORS)
def test_syntax_error_names_the_character(text, message):
    with pytest.raises(ExpressionError) as raised:
        parse(text)
    assert str(raised.value) == message


UNSUPPORTED = [
    ("now()", "now", "it would store a time of day; use today() for the date"),
    ("once(now())", "now", "it would store a time of day"),
    ("uuid()", "uuid", "the platform gives every response its own identifier"),
    ("once(random())", "random", "a random number"[2:8]),
    ("digest(${a}, 'SHA-256')", "digest", "hashing"),
    ("pulldata('f', 'c', 'k', ${a})", "pulldata", "external data files"),
    ("instance('list')/root/item", "instance", "secondary instances"),
    ("indexed-repeat(${a}, ${r}, 1)", "indexed-repeat", "repeat groups"),
    ("position(..)", "position", "repeat groups"),
    ("sum(${amounts})", "sum", "repeat groups"),
    ("count(${people})", "count", "repeat groups"),
    ("jr:choice-name(${a}, '${a}')", "jr:choice-name", "choice labels"),
    ("jr:itext('x')", "jr:itext", "translated labels"),
    ("odk:thing(1)", "odk:thing", "functions with a prefix"),
    ("version()", "version", "form version"),
    ("property('deviceid')", "property", "device properties"),
    ("area(${shape})", "area", "geographic"),
    ("distance(${trace})", "distance", "geographic"),
    ("format-date-time(now(), '%H')", "now", "time of day"),
]


@pytest.mark.parametrize(("text", "name", "reason"), UNSUPPORTED)
def test_unsupported_function_is_refused_by_name_with_the_reason(text, name, reason):
    with pytest.raises(ExpressionError, match=f"function '{name}' is not supported: ") as raised:
        parse(text)
    assert reason in str(raised.value)


ARGUMENT_COUNTS = [
    ("selected(${x})", "selected() takes 2 arguments, got 1"),
    ("not(1, 2)", "not() takes 1 argument, got 2"),
    ("today(1)", "today() takes no arguments, got 1"),
    ("substr('a')", "substr() takes 2 or 3 arguments, got 1"),
    ("min()", "min() takes at least 1 argument, got 0"),
    ("if(${a} = 1, 2)", "if() takes 3 arguments, got 2"),
    ("round(1, 2, 3)", "round() takes 1 or 2 arguments, got 3"),
    ("1 + count-selected()", "count-selected() takes 1 argument, got 0"),
]


@pytest.mark.parametrize(("text", "message"), ARGUMENT_COUNTS)
def test_wrong_argument_count_is_refused_when_parsing(text, message):
    with pytest.raises(ExpressionError) as raised:
        parse(text)
    assert str(raised.value).endswith(message)
    assert raised.value.position == text.index(message.split("(")[0]) + 1


def test_invalid_literal_regex_is_refused_when_parsing():
    with pytest.raises(ExpressionError, match=r"regex\(\) pattern '\[0-9' is not a valid"):
        parse("regex(., '[0-9')")


def test_java_only_regex_syntax_is_refused_rather_than_silently_wrong():
    with pytest.raises(ExpressionError, match="is not a valid regular expression"):
        parse(r"regex(., '^\p{L}+$')")


def test_error_carries_position_and_reason_for_the_importer():
    with pytest.raises(ExpressionError) as raised:
        parse("${a} = 1 and now()")
    assert raised.value.position == 14
    assert raised.value.reason.startswith("function 'now' is not supported")


def test_excessive_nesting_is_refused_not_a_crash():
    deep = "(" * 500 + "1" + ")" * 500
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse(deep)


def test_nesting_a_person_would_write_is_accepted():
    nested = "if(${a} = 1, 1, " * 40 + "0" + ")" * 40
    assert evaluate(nested, {"a": "2"}) == 0


def test_long_sum_of_scale_items_evaluates():
    answers = {f"q{index}": str(index % 5) for index in range(1, 501)}
    text = " + ".join(f"${{q{index}}}" for index in range(1, 501))
    assert evaluate(text, answers) == sum(index % 5 for index in range(1, 501))


def test_supported_and_unsupported_functions_do_not_overlap():
    assert SUPPORTED_FUNCTIONS.isdisjoint(UNSUPPORTED_FUNCTIONS)
    assert {"selected", "regex", "format-date", "today", "once"} <= SUPPORTED_FUNCTIONS


# --- What an expression uses --------------------------------------------------------------


def test_references_lists_every_field_read():
    expression = parse("if(${a}='yes', concat(${b}, .), today()) + count-selected(${c})")
    assert expression.references() == frozenset({"a", "b", "c"})


def test_references_ignore_names_inside_quoted_text():
    expression = parse("if(${a} = '888', ${a_other}, '${not_a_field}')")
    assert expression.references() == frozenset({"a", "a_other"})


def test_references_of_an_expression_on_the_current_value_only_is_empty():
    assert parse(". > 0 and . < 120").references() == frozenset()


def test_functions_lists_every_function_called_once():
    expression = parse("not(selected(., 'dk') and count-selected(.) > 1) and selected(., 'x')")
    assert expression.functions() == frozenset({"not", "selected", "count-selected"})


def test_functions_of_an_expression_without_calls_is_empty():
    assert parse("${a} + 1").functions() == frozenset()


# --- Choice filters ---------------------------------------------------------------------


def test_choice_filter_reads_bare_names_as_choice_columns():
    expression = parse("state = ${selected_state}", choice_filter=True)
    assert expression.columns() == frozenset({"state"})
    assert expression.references() == frozenset({"selected_state"})
    answers = {"selected_state": "CA"}
    assert expression.evaluate(answers, choice={"name": "la", "state": "CA"}) is True
    assert expression.evaluate(answers, choice={"name": "nyc", "state": "NY"}) is False


def test_choice_filter_can_test_the_choice_name_against_a_multiple_answer():
    expression = parse("selected(${eligible}, name)", choice_filter=True)
    assert expression.evaluate({"eligible": ["p1", "p3"]}, choice={"name": "p3"}) is True
    assert expression.evaluate({"eligible": ["p1", "p3"]}, choice={"name": "p2"}) is False


def test_bare_names_outside_a_choice_filter_are_refused():
    with pytest.raises(ExpressionError, match=r"refer to a field as \$\{state\}"):
        parse("state = ${selected_state}")


# --- Evaluation details -------------------------------------------------------------------


def test_parsing_is_cached_on_the_text():
    assert parse("${a} + 1") is parse("${a} + 1")


def test_expressions_compare_by_text():
    assert parse("1 + 1") == parse("1 + 1")
    assert parse("1 + 1") != parse("1+1")


def test_today_defaults_to_the_server_date():
    assert evaluate("today()", {}) == datetime.date.today()


def test_evaluation_does_not_share_the_answers_list():
    answers = {"m": ["a", "b"]}
    result = evaluate("${m}", answers)
    result.append("c")
    assert answers == {"m": ["a", "b"]}


def test_non_string_answers_are_read_like_their_text():
    answers = {"n": 42, "b": True, "d": datetime.date(2020, 1, 2), "none": None}
    assert evaluate("${n} + 1", answers) == 43
    assert evaluate("${b} = true()", answers) is True
    assert evaluate("${d} < today()", answers, today=TODAY) is True
    assert evaluate("${none} = ''", answers) is True


@pytest.mark.parametrize(
    ("value", "text", "number", "boolean"),
    [
        ("", "", NAN, False),
        ("0", "0", 0.0, True),
        (" 12.50 ", " 12.50 ", 12.5, True),
        ("1970-01-02", "1970-01-02", 1.0, True),
        ("2026-02-30", "2026-02-30", NAN, True),
        (["a", "b"], "a b", NAN, True),
        (["7"], "7", 7.0, True),
        (True, "true", 1.0, True),
        (0.0, "0", 0.0, False),
        (NAN, "NaN", NAN, False),
        (-0.5, "-0.5", -0.5, True),
        (1e-7, "0.0000001", 1e-7, True),
        (1e21, "1000000000000000000000", 1e21, True),
        (datetime.date(1969, 12, 31), "1969-12-31", -1.0, True),
        (None, "", NAN, False),
    ],
)
def test_xpath_conversions(value, text, number, boolean):
    assert as_text(value) == text
    assert same_value(as_number(value), number)
    assert truthy(value) is boolean


# --- Robustness -------------------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXPRESSION_ALPHABET = "${}()'\" .,=!<>+-*/|[]@:abcdeiflmnorstvx0123456789_"


def parse_or_expression_error(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse(text)


@SETTINGS
@given(text=st.text(max_size=80))
def test_parse_of_arbitrary_text_raises_only_expression_error(text):
    parse_or_expression_error(text)


@SETTINGS
@given(text=st.text(alphabet=EXPRESSION_ALPHABET, max_size=60))
def test_parse_of_expression_like_text_raises_only_expression_error(text):
    parse_or_expression_error(text)


def accepted_argument_counts(name: str) -> list[int]:
    counts = []
    for count in range(5):
        try:
            parse(f"{name}({', '.join(['1'] * count)})")
        except ExpressionError:
            continue
        counts.append(count)
    return counts


ARGUMENT_COUNTS_BY_FUNCTION = {
    name: accepted_argument_counts(name) for name in sorted(SUPPORTED_FUNCTIONS)
}
FIELDS = ("q1", "q2", "q3", "q4")
ODD_TEXTS = (
    "", "0", "-0", "1e400", "NaN", "Infinity", "-Infinity", "9999-12-31", "0001-01-01",
    "2026-02-30", "2026-03-05T10:20:30", " 3 ", "[", "(a+)+", "%", "a b", "١٢",
)  # fmt: skip
ANSWER_VALUES = st.one_of(
    st.sampled_from(ODD_TEXTS),
    st.text(max_size=12),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(datetime.date.isoformat),
    st.lists(st.sampled_from(("a", "b", "c", "other", "1")), max_size=4),
)
LEAVES = st.one_of(
    st.sampled_from([f"${{{name}}}" for name in FIELDS] + [".", "true()", "today()"]),
    st.sampled_from(ODD_TEXTS + ("%Y-%m-%d %a %b %H:%M:%S %3", "^[0-9]+$")).map(repr),
    st.floats(min_value=0, max_value=1e12).map(lambda number: f"{number:f}"),
    st.integers(-400, 400).map(lambda number: f"({number})"),
)
OPERATORS = ("or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod")


def compose(children):
    binary = st.tuples(children, st.sampled_from(OPERATORS), children).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
    )
    negation = children.map(lambda operand: f"-{operand}")

    @st.composite
    def call(draw):
        name = draw(st.sampled_from(sorted(ARGUMENT_COUNTS_BY_FUNCTION)))
        count = draw(st.sampled_from(ARGUMENT_COUNTS_BY_FUNCTION[name]))
        arguments = [draw(children) for _ in range(count)]
        return f"{name}({', '.join(arguments)})"

    return st.one_of(binary, negation, call())


WELL_FORMED = st.recursive(LEAVES, compose, max_leaves=12)
ANSWERS = st.dictionaries(st.sampled_from(FIELDS), ANSWER_VALUES)


@SETTINGS
@given(text=WELL_FORMED, answers=ANSWERS, current=ANSWER_VALUES, today=st.dates())
def test_evaluating_well_formed_expressions_never_crashes(text, answers, current, today):
    try:
        expression = parse(text)
    except ExpressionError as error:
        # Well formed, but a literal pattern such as regex(., '[') is no regular expression:
        # refused when the form is read, never when a member answers.
        assert "is not a valid regular expression" in str(error)
        return
    try:
        result = expression.evaluate(answers, current, today)
    except ExpressionError:
        return
    assert isinstance(result, str | float | bool | list | datetime.date)
    as_text(result)
    as_number(result)
    truthy(result)


def test_every_supported_function_is_reachable_by_the_generated_expressions():
    assert all(ARGUMENT_COUNTS_BY_FUNCTION.values())
    assert set(ARGUMENT_COUNTS_BY_FUNCTION) == set(expressions.SUPPORTED_FUNCTIONS)


@pytest.mark.parametrize("text", ["0 \x1f", "\x1c5", "٣", "7\u2003"])
def test_only_xml_whitespace_and_ascii_digits_make_a_number(text):
    # XPath's number(): anything else is NaN, never an error (found by the page-flow fuzz).
    assert math.isnan(as_number(text))


def test_xml_whitespace_around_a_number_is_allowed():
    assert as_number(" \t12.5\r\n") == 12.5
