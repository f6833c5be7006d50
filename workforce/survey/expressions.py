"""The XLSForm expression language: `relevant`, `constraint`, `calculation`, `choice_filter`.

Authors write XPath 1.0 with ODK's functions and the `${name}` shorthand. The platform runs
it on the server for every page a respondent submits, so an expression is parsed once
(`parse` is cached on its text) into an immutable syntax tree and then evaluated against the
answers saved so far.

Values follow ODK, where an unanswered question is the empty string:

- a text, number, date or select_one answer is a string (``"42"``, ``"2026-03-05"``);
- a select_multiple answer is a list of choice names, read as the space-separated string
  XPath would see (``["a", "b"]`` is ``"a b"``);
- expressions produce strings, numbers (floats), booleans and dates (`today()`, `date()`).

Conversions are XPath's `string()`, `number()` and `boolean()` (`as_text`, `as_number`,
`truthy`); `as_number` also reads an ISO date ``YYYY-MM-DD`` as days since 1970-01-01, which
is what makes ``${birth} < today()`` work. Evaluation never raises anything but
`ExpressionError`: a division by zero is Infinity or NaN, a date that cannot be read formats
as "", a comparison with NaN is false.

Functions that need something the platform does not have (a time of day, repeats, external
data, random numbers that would change on every page) are refused when the form is imported,
by name and with the reason (`UNSUPPORTED_FUNCTIONS`).
"""

from __future__ import annotations

import datetime
import difflib
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

__all__ = [
    "SUPPORTED_FUNCTIONS",
    "UNSUPPORTED_FUNCTIONS",
    "Expression",
    "ExpressionError",
    "as_number",
    "as_text",
    "evaluate",
    "parse",
    "truthy",
]

# Deep enough for any form written by hand (the deepest real forms nest about ten `if`s);
# shallow enough that evaluating the tree can never exhaust Python's call stack.
MAX_NESTING = 100

NAN = math.nan
INFINITY = math.inf
EPOCH = datetime.date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH.toordinal()
# JavaRosa (ODK Collect) calls two numbers equal when they differ by less than this, so that
# `0.1 + 0.2 = 0.3` holds for the author as it does on a phone.
EQUALITY_TOLERANCE = 1e-12


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says what and where.

    `position` is the 1-based character where the problem starts (None when it concerns the
    whole expression) and `reason` the message without the position.
    """

    def __init__(self, reason: str, position: int | None = None):
        self.reason = reason
        self.position = position
        super().__init__(reason if position is None else f"at character {position}: {reason}")


# --- Values -------------------------------------------------------------------------------

Value = str | float | bool | list | datetime.date

# XPath 1.0 `number()`: XML whitespace only (space, tab, CR, LF) and ASCII digits; Python's \s
# and \d would also take "\x1f" or "٣", which float() then refuses or reads.
_NUMBER_TEXT = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")
_ISO_DATE = re.compile(r"[ \t\r\n]*([0-9]{4})-([0-9]{2})-([0-9]{2})[ \t\r\n]*")


def truthy(value: object) -> bool:
    """XPath `boolean()`: a non-empty text, a non-zero number, true, a non-empty list."""
    if type(value) is str:
        return value != ""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value == value and value != 0
    if isinstance(value, datetime.date):
        return True
    if value is None:
        return False
    return as_text(value) != ""


def as_text(value: object) -> str:
    """XPath `string()`: numbers without a needless ".0", lists joined with a space."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(float(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(as_text(item) for item in value)
    return str(value)


def as_number(value: object) -> float:
    """XPath `number()`: "" and anything not a number is NaN; a date is days since 1970."""
    # Answers are nearly always text and computed values floats: test those types first,
    # since every comparison of every page converts both sides.
    kind = type(value)
    if kind is str:
        return _text_number(value)
    if kind is float:
        return value
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return float(value.toordinal() - EPOCH_ORDINAL)
    return _text_number(as_text(value))


@functools.lru_cache(maxsize=4096)
def _text_number(text: str) -> float:
    # Cached: the same few answers are converted for every expression of every page.
    if _NUMBER_TEXT.fullmatch(text):
        return float(text)
    day = _iso_date(text)
    if day is not None:
        return float(day.toordinal() - EPOCH_ORDINAL)
    return NAN


def _iso_date(text: str) -> datetime.date | None:
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:  # 2026-02-30
        return None


def _number_text(number: float) -> str:
    if number != number:
        return "NaN"
    if number in (INFINITY, -INFINITY):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    if "e" in text:  # XPath never writes exponents: 1e-07 is 0.0000001
        text = format(Decimal(text), "f")
    return text


def _value(raw: object) -> Value:
    """An answer (or `current`) as an expression value; unanswered is ""."""
    if isinstance(raw, str):
        return raw
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, list | tuple):
        return [item if isinstance(item, str) else as_text(item) for item in raw]
    return str(raw)


def _items(value: Value) -> list[str]:
    """The choice names of a select_multiple answer, or of its space-separated text."""
    if isinstance(value, list):
        return value
    return as_text(value).split()


def _as_date(value: Value) -> datetime.date | None:
    moment = _as_moment(value)
    return None if moment is None else moment[0]


def _as_moment(value: Value) -> tuple[datetime.date, float] | None:
    """A day and the seconds into it, from a date, an ISO date (or date-time) or a day number.

    None when the value is no date at all: functions then give "" or NaN rather than fail.
    """
    if isinstance(value, datetime.date):
        return value, 0.0
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return _moment_from_days(value)
    text = as_text(value).strip()
    day = _iso_date(text)
    if day is not None:
        return day, 0.0
    if _NUMBER_TEXT.fullmatch(text):
        return _moment_from_days(float(text))
    if len(text) > 10 and text[:4].isdigit():
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
        seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
        return moment.date(), seconds + moment.microsecond / 1e6
    return None


def _moment_from_days(days: float) -> tuple[datetime.date, float] | None:
    if days != days or days in (INFINITY, -INFINITY):
        return None
    whole = math.floor(days)
    ordinal = EPOCH_ORDINAL + whole
    if not 1 <= ordinal <= datetime.date.max.toordinal():
        return None
    return datetime.date.fromordinal(ordinal), (days - whole) * 86400.0


# --- Comparison and arithmetic ------------------------------------------------------------


def _equal(left: Value, right: Value) -> bool:
    if type(left) is str and type(right) is str:
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return truthy(left) == truthy(right)
    if isinstance(left, float | datetime.date) or isinstance(right, float | datetime.date):
        a, b = as_number(left), as_number(right)
        return a == b or abs(a - b) < EQUALITY_TOLERANCE
    return as_text(left) == as_text(right)


def _divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or left != left:
            return NAN
        return math.copysign(INFINITY, left) * math.copysign(1.0, right)
    return left / right


def _modulo(left: float, right: float) -> float:
    # XPath's mod keeps the sign of the dividend, like Java's % (math.fmod, not Python's %).
    if right == 0 or left != left or right != right or left in (INFINITY, -INFINITY):
        return NAN
    return math.fmod(left, right)


_OPERATIONS: dict[str, Callable[[Value, Value], Value]] = {
    "=": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<": lambda a, b: as_number(a) < as_number(b),
    "<=": lambda a, b: as_number(a) <= as_number(b),
    ">": lambda a, b: as_number(a) > as_number(b),
    ">=": lambda a, b: as_number(a) >= as_number(b),
    "+": lambda a, b: as_number(a) + as_number(b),
    "-": lambda a, b: as_number(a) - as_number(b),
    "*": lambda a, b: as_number(a) * as_number(b),
    "div": lambda a, b: _divide(as_number(a), as_number(b)),
    "mod": lambda a, b: _modulo(as_number(a), as_number(b)),
}

# XPath 1.0 precedence, loosest first; every level is left-associative.
PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}
WORD_OPERATORS = frozenset({"and", "or", "div", "mod"})


# --- Syntax tree --------------------------------------------------------------------------


class _Scope:
    """What an evaluation sees: the answers, `.`, the day, and the choice being filtered."""

    __slots__ = ("answers", "choice", "current", "today")

    def __init__(self, answers, current, today, choice):
        self.answers = answers
        self.current = _value(current)
        if isinstance(today, datetime.datetime):
            today = today.date()
        self.today = today
        self.choice = choice


class Node:
    """A node of the syntax tree; `evaluate` gives its value in a scope."""

    __slots__ = ()

    def evaluate(self, scope: _Scope) -> Value:
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A quoted text or a number written in the expression."""

    value: str | float

    def evaluate(self, scope: _Scope) -> Value:
        return self.value


@dataclass(frozen=True, slots=True)
class Reference(Node):
    """``${name}``: the answer to another question, "" when unanswered."""

    name: str

    def evaluate(self, scope: _Scope) -> Value:
        return _value(scope.answers.get(self.name))


@dataclass(frozen=True, slots=True)
class Current(Node):
    """``.``: the value being checked (a constraint's answer)."""

    def evaluate(self, scope: _Scope) -> Value:
        return scope.current


@dataclass(frozen=True, slots=True)
class Column(Node):
    """A bare name in a `choice_filter`: that column of the choice being filtered."""

    name: str

    def evaluate(self, scope: _Scope) -> Value:
        if scope.choice is None:
            return ""
        return _value(scope.choice.get(self.name))


@dataclass(frozen=True, slots=True)
class Negation(Node):
    """Unary minus."""

    operand: Node

    def evaluate(self, scope: _Scope) -> Value:
        return -as_number(self.operand.evaluate(scope))

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Operation(Node):
    """A left-to-right chain of operators of one precedence: ``a + b - c``, ``a = b``.

    Chains are kept flat so that a long sum (``${q1} + ${q2} + … + ${q40}``) is one node,
    not forty nested ones.
    """

    operands: tuple[Node, ...]
    operators: tuple[str, ...]

    def evaluate(self, scope: _Scope) -> Value:
        operands = self.operands
        result = operands[0].evaluate(scope)
        for index, operator in enumerate(self.operators, start=1):
            result = _OPERATIONS[operator](result, operands[index].evaluate(scope))
        return result

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """``a and b and …`` or ``a or b or …``, evaluated only as far as needed."""

    operator: str
    operands: tuple[Node, ...]

    def evaluate(self, scope: _Scope) -> Value:
        wanted = self.operator == "or"
        for operand in self.operands:
            if truthy(operand.evaluate(scope)) is wanted:
                return wanted
        return not wanted

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call; `function` is the implementation looked up when parsing."""

    name: str
    arguments: tuple[Node, ...]
    function: _Function = field(repr=False, compare=False)

    def evaluate(self, scope: _Scope) -> Value:
        function = self.function
        if function.lazy:
            return function.apply(scope, self.arguments)
        return function.apply(*[argument.evaluate(scope) for argument in self.arguments])

    def children(self) -> tuple[Node, ...]:
        return self.arguments


# --- Functions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Function:
    """A supported function: how many arguments it takes and what it does.

    `lazy` functions receive the scope and the argument nodes (`if` evaluates one branch,
    `today` reads the scope); the others receive evaluated values. `current_default`: called
    with no argument, the function works on `.` (XPath's context node). `check` validates
    the arguments when parsing (a literal regex pattern is compiled then).
    """

    name: str
    min_args: int
    max_args: int | None
    apply: Callable[..., Value]
    lazy: bool = False
    current_default: bool = False
    check: Callable[[tuple[Node, ...], int], None] | None = None

    def arity(self) -> str:
        if self.max_args is None:
            count = self.min_args
            return f"at least {count} argument" + ("" if count == 1 else "s")
        if self.min_args == self.max_args:
            if self.min_args == 0:
                return "no arguments"
            return f"{self.min_args} argument" + ("" if self.min_args == 1 else "s")
        if self.max_args == self.min_args + 1:
            return f"{self.min_args} or {self.max_args} arguments"
        return f"{self.min_args} to {self.max_args} arguments"


_FUNCTIONS: dict[str, _Function] = {}


def _function(name, min_args, max_args=-1, *, lazy=False, current_default=False, check=None):
    """Register the decorated implementation; max_args defaults to min_args, None = any."""

    def register(apply):
        upper = min_args if max_args == -1 else max_args
        _FUNCTIONS[name] = _Function(
            name, min_args, upper, apply, lazy=lazy, current_default=current_default, check=check
        )
        return apply

    return register


# Choices of a select_multiple.


@_function("selected", 2)
def _selected(value, choice):
    return as_text(choice).strip() in _items(value)


@_function("count-selected", 1)
def _count_selected(value):
    return float(len(_items(value)))


@_function("selected-at", 2)
def _selected_at(value, index):
    items = _items(value)
    position = as_number(index)
    if position != position or not 0 <= position < len(items):
        return ""
    return items[int(position)]


# Logic.


@_function("if", 3, lazy=True)
def _if(scope, arguments):
    condition, when_true, when_false = arguments
    chosen = when_true if truthy(condition.evaluate(scope)) else when_false
    return chosen.evaluate(scope)


@_function("not", 1)
def _not(value):
    return not truthy(value)


@_function("true", 0)
def _true():
    return True


@_function("false", 0)
def _false():
    return False


@_function("boolean", 1)
def _boolean(value):
    return truthy(value)


@_function("boolean-from-string", 1)
def _boolean_from_string(value):
    return as_text(value) in ("true", "1")


@_function("coalesce", 2)
def _coalesce(first, second):
    return first if as_text(first) != "" else second


@_function("once", 1)
def _once(value):
    # On a phone `once` keeps the first value computed; the server computes a calculation
    # when its page is saved and keeps the stored answer, which has the same effect.
    return value


# Text.


@_function("string", 0, 1, current_default=True)
def _string(value):
    return as_text(value)


@_function("concat", 0, None)
def _concat(*values):
    return "".join(as_text(value) for value in values)


@_function("string-length", 0, 1, current_default=True)
def _string_length(value):
    return float(len(as_text(value)))


@_function("contains", 2)
def _contains(text, part):
    return as_text(part) in as_text(text)


@_function("starts-with", 2)
def _starts_with(text, prefix):
    return as_text(text).startswith(as_text(prefix))


@_function("ends-with", 2)
def _ends_with(text, suffix):
    return as_text(text).endswith(as_text(suffix))


@_function("substring-before", 2)
def _substring_before(text, part):
    part = as_text(part)
    if part == "":
        return ""
    before, found, _ = as_text(text).partition(part)
    return before if found else ""


@_function("substring-after", 2)
def _substring_after(text, part):
    text, part = as_text(text), as_text(part)
    if part == "":
        return text
    _, found, after = text.partition(part)
    return after if found else ""


def _string_index(number: float, length: int) -> int:
    # Java turns NaN into 0 when it truncates to an int; a negative index counts from the end.
    if number != number:
        return 0
    if number in (INFINITY, -INFINITY):
        return length if number > 0 else 0
    index = int(number)
    if index < 0:
        index += length
    return min(max(index, 0), length)


@_function("substr", 2, 3)
def _substr(text, start, end=None):
    text = as_text(text)
    first = _string_index(as_number(start), len(text))
    last = len(text) if end is None else _string_index(as_number(end), len(text))
    return text[first:last] if first < last else ""


_XPATH_SPACE = re.compile(r"[ \t\r\n]+")


@_function("normalize-space", 0, 1, current_default=True)
def _normalize_space(value):
    return _XPATH_SPACE.sub(" ", as_text(value)).strip(" ")


@_function("translate", 3)
def _translate(text, source, target):
    source, target = as_text(source), as_text(target)
    table: dict[int, str | None] = {}
    for index, character in enumerate(source):
        # The first occurrence of a character decides; one with no counterpart is removed.
        table.setdefault(ord(character), target[index] if index < len(target) else None)
    return as_text(text).translate(table)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return None


def _check_regex(arguments: tuple[Node, ...], position: int) -> None:
    pattern = arguments[1]
    if isinstance(pattern, Literal) and isinstance(pattern.value, str):
        try:
            re.compile(pattern.value)
        except (re.error, OverflowError, RecursionError) as error:
            raise ExpressionError(
                f"regex() pattern {pattern.value!r} is not a valid regular expression: {error}",
                position,
            ) from None


@_function("regex", 2, check=_check_regex)
def _regex(value, pattern):
    # JavaRosa runs Pattern.matcher(value).find(): the pattern may match anywhere, so authors
    # anchor it themselves ('^[0-9]{5}$'). re.search is the same rule. A pattern computed
    # from answers that does not compile matches nothing.
    compiled = _compiled(as_text(pattern))
    return compiled is not None and compiled.search(as_text(value)) is not None


# Numbers.


@_function("number", 0, 1, current_default=True)
def _number(value):
    return as_number(value)


@_function("int", 1)
def _int(value):
    number = as_number(value)
    if number != number or number in (INFINITY, -INFINITY):
        return number
    return float(math.trunc(number))


_ROUNDING = Context(prec=1000, Emin=-10000, Emax=10000)


@_function("round", 1, 2)
def _round(value, digits=0.0):
    number, places = as_number(value), as_number(digits)
    if number != number or number in (INFINITY, -INFINITY):
        return number
    if places != places:
        return NAN
    # Half away from zero, on the number as written (2.675 rounds to 2.68), which is what an
    # author expects; Python's round() would round half to even on the binary value.
    places = int(min(max(places, -400), 400))
    with localcontext(_ROUNDING):
        rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return float(rounded)


def _whole(operation: Callable[[float], int]) -> Callable[[Value], float]:
    def apply(value):
        number = as_number(value)
        if number != number or number in (INFINITY, -INFINITY):
            return number
        return float(operation(number))

    return apply


_function("floor", 1)(_whole(math.floor))
_function("ceiling", 1)(_whole(math.ceil))


@_function("abs", 1)
def _abs(value):
    return abs(as_number(value))


@_function("pow", 2)
def _pow(base, exponent):
    x, y = as_number(base), as_number(exponent)
    try:
        return math.pow(x, y)
    except OverflowError:
        negative = x < 0 and y.is_integer() and int(y) % 2 == 1
        return -INFINITY if negative else INFINITY
    except ValueError:  # 0 to a negative power is Infinity; a root of a negative, NaN
        return INFINITY if x == 0 else NAN


def _numbers(values) -> list[float]:
    # A select_multiple argument contributes each of its choices, as a node-set would.
    return [
        as_number(item)
        for value in values
        for item in (_items(value) if isinstance(value, list) else [value])
    ]


@_function("min", 1, None)
def _min(*values):
    numbers = _numbers(values)
    if not numbers or any(number != number for number in numbers):
        return NAN
    return min(numbers)


@_function("max", 1, None)
def _max(*values):
    numbers = _numbers(values)
    if not numbers or any(number != number for number in numbers):
        return NAN
    return max(numbers)


def _math(operation: Callable[..., float], *, at_zero: float | None = None):
    """A math function that gives NaN or Infinity where Python's math module would raise."""

    def apply(*values):
        numbers = [as_number(value) for value in values]
        try:
            return operation(*numbers)
        except OverflowError:
            return INFINITY
        except ValueError:
            if at_zero is not None and numbers[0] == 0:
                return at_zero
            return NAN

    return apply


_function("sqrt", 1)(_math(math.sqrt))
_function("exp", 1)(_math(math.exp))
_function("exp10", 1)(_math(lambda x: math.pow(10.0, x)))
_function("log", 1)(_math(math.log, at_zero=-INFINITY))
_function("log10", 1)(_math(math.log10, at_zero=-INFINITY))
_function("sin", 1)(_math(math.sin))
_function("cos", 1)(_math(math.cos))
_function("tan", 1)(_math(math.tan))
_function("asin", 1)(_math(math.asin))
_function("acos", 1)(_math(math.acos))
_function("atan", 1)(_math(math.atan))
_function("atan2", 2)(_math(math.atan2))
_function("pi", 0)(lambda: math.pi)


# Dates.


@_function("today", 0, lazy=True)
def _today(scope, arguments):
    return scope.today or datetime.date.today()


@_function("date", 1)
def _date(value):
    day = _as_date(value)
    return "" if day is None else day


def _decimal_date(value):
    moment = _as_moment(value)
    if moment is None:
        return NAN
    day, seconds = moment
    return float(day.toordinal() - EPOCH_ORDINAL) + seconds / 86400.0


_function("decimal-date", 1)(_decimal_date)
_function("decimal-date-time", 1)(_decimal_date)

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _format_date(value, pattern):
    """ODK's format-date: %Y %y %m %n %d %e %b %a %H %h %M %S %3; other text is kept."""
    moment = _as_moment(value)
    if moment is None:
        return ""
    day, seconds = moment
    whole_seconds = min(int(seconds), 86399)
    hour, minute, second = whole_seconds // 3600, whole_seconds // 60 % 60, whole_seconds % 60
    fields = {
        "Y": f"{day.year:04d}",
        "y": f"{day.year % 100:02d}",
        "m": f"{day.month:02d}",
        "n": str(day.month),
        "d": f"{day.day:02d}",
        "e": str(day.day),
        "b": _MONTHS[day.month - 1],
        "a": _WEEKDAYS[day.weekday()],
        "H": f"{hour:02d}",
        "h": str(hour),
        "M": f"{minute:02d}",
        "S": f"{second:02d}",
        "3": f"{int((seconds - whole_seconds) * 1000):03d}",
    }
    pattern = as_text(pattern)
    pieces: list[str] = []
    index = 0
    while index < len(pattern):
        character = pattern[index]
        if character == "%" and index + 1 < len(pattern) and pattern[index + 1] in fields:
            pieces.append(fields[pattern[index + 1]])
            index += 2
        else:
            pieces.append(character)
            index += 1
    return "".join(pieces)


_function("format-date", 2)(_format_date)
_function("format-date-time", 2)(_format_date)


SUPPORTED_FUNCTIONS: frozenset[str] = frozenset(_FUNCTIONS)

_REPEATS = "it works on repeat groups, which the platform does not support"
_TIME_OF_DAY = "the platform records dates only, never a time of day"
_XML_NODES = "it works on the XML document, which expressions here do not see"
UNSUPPORTED_FUNCTIONS: dict[str, str] = {
    "now": "it would store a time of day; use today() for the date",
    "date-time": _TIME_OF_DAY,
    "decimal-time": _TIME_OF_DAY,
    "format-time": _TIME_OF_DAY,
    "uuid": "the platform gives every response its own identifier",
    "random": "the server evaluates expressions again on every page, so the number would change",
    "randomize": "choices are always shown in the order of the choices sheet",
    "digest": "hashing is not available in expressions",
    "encrypt-string": "encryption is not available in expressions",
    "base64-decode": "decoding is not available in expressions",
    "pulldata": "external data files are not supported",
    "instance": "secondary instances (external choice lists and data) are not supported",
    "current": "it refers to secondary instances, which are not supported; use ${name}",
    "indexed-repeat": _REPEATS,
    "position": _REPEATS,
    "last": _REPEATS,
    "count": _REPEATS,
    "sum": _REPEATS,
    "count-non-empty": _REPEATS,
    "join": _REPEATS,
    "version": "the form version is not available to expressions",
    "property": "device properties are not collected",
    "area": "geographic questions are not supported",
    "distance": "geographic questions are not supported",
    "geofence": "geographic questions are not supported",
    "checklist": "write the count out with if(), e.g. if(${a}, 1, 0) + if(${b}, 1, 0)",
    "weighted-checklist": "write the sum out with if(), e.g. if(${a}, 2, 0) + if(${b}, 1, 0)",
    "jr:choice-name": "choice labels are not available to expressions; compare choice names",
    "jr:itext": "translated labels are not available to expressions",
    "name": _XML_NODES,
    "local-name": _XML_NODES,
    "namespace-uri": _XML_NODES,
    "id": _XML_NODES,
    "lang": _XML_NODES,
}


# --- Tokens -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, reference, current, name, operator, punctuation, end, refused
    text: str
    position: int  # 0-based offset in the text
    detail: str = ""  # the field name of a reference; the reason a refused token is refused


_NAME = r"[^\W\d][\w.\-]*"
_NAME_PATTERN = re.compile(rf"{_NAME}(?::{_NAME})?")
_FIELD_NAME = re.compile(_NAME)
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_SPACE = re.compile(r"\s+")
_OPERATOR_TEXTS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*")
_REFUSED = {
    "..": "paths such as '..' are not supported; refer to a field as ${name}",
    "/": "paths such as '/data/age' are not supported; refer to a field as ${name}",
    "[": "predicates ('[...]') are not supported",
    "]": "predicates ('[...]') are not supported",
    "@": "attributes ('@') are not supported",
    "|": "node-set unions ('|') are not supported",
    "$": "'$' must start a field reference such as ${age}",
}


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index, length = 0, len(text)
    while index < length:
        character = text[index]
        space = _SPACE.match(text, index)
        number = _NUMBER.match(text, index)
        if space is not None:
            index = space.end()
        elif character in "'\"":
            end = text.find(character, index + 1)
            if end == -1:
                raise ExpressionError(
                    f"the text in quotes is not closed: add a closing {character}", index + 1
                )
            tokens.append(_Token("string", text[index : end + 1], index, text[index + 1 : end]))
            index = end + 1
        elif text.startswith("${", index):
            tokens.append(_reference(text, index))
            index += len(tokens[-1].text)
        elif number is not None:
            tokens.append(_Token("number", number.group(), index))
            index = number.end()
        elif text.startswith("..", index):
            tokens.append(_Token("refused", "..", index, _REFUSED[".."]))
            index += 2
        elif character == ".":
            tokens.append(_Token("current", ".", index))
            index += 1
        elif character in "(),":
            tokens.append(_Token("punctuation", character, index))
            index += 1
        elif character in _REFUSED:
            tokens.append(_Token("refused", character, index, _REFUSED[character]))
            index += 1
        elif character == "!" and not text.startswith("!=", index):
            raise ExpressionError("'!' is not an operator; write != or not(...)", index + 1)
        else:
            operator = next((op for op in _OPERATOR_TEXTS if text.startswith(op, index)), None)
            if operator is not None:
                tokens.append(_Token("operator", operator, index))
                index += len(operator)
                continue
            name = _NAME_PATTERN.match(text, index)
            if name is None:
                reason = f"unexpected character {character!r}"
                if character in "\u2018\u2019\u201c\u201d":
                    reason += "; quote text with straight quotes ' or \""
                raise ExpressionError(reason, index + 1)
            tokens.append(_Token("name", name.group(), index))
            index = name.end()
    tokens.append(_Token("end", "", length))
    return tokens


def _reference(text: str, index: int) -> _Token:
    match = _FIELD_NAME.match(text, index + 2)
    if match is None:
        raise ExpressionError(
            "'${' must be followed by a field name and '}', as in ${age}", index + 1
        )
    if not text.startswith("}", match.end()):
        raise ExpressionError(f"'${{{match.group()}' is not closed with '}}'", index + 1)
    return _Token("reference", text[index : match.end() + 1], index, match.group())


# --- Parser -------------------------------------------------------------------------------


class _Parser:
    """Precedence climbing over the tokens; every error names the character it is at."""

    def __init__(self, text: str, *, choice_filter: bool):
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0
        self.nesting = 0
        self.choice_filter = choice_filter

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("the expression is empty", 1)
        tree = self.expression(1)
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, f"unexpected {self.describe(token)}; expected an operator")
        return tree

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token: _Token, reason: str) -> ExpressionError:
        return ExpressionError(reason, token.position + 1)

    def describe(self, token: _Token) -> str:
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    def infix(self, token: _Token) -> str | None:
        # `and`, `or`, `div` and `mod` are operators only where an operator may stand: after a
        # complete operand (XPath's rule), so a choice column may still be called `or`.
        if token.kind == "operator" and token.text in PRECEDENCE:
            return token.text
        if token.kind == "name" and token.text in WORD_OPERATORS:
            return token.text
        return None

    def enter(self, token: _Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(token, f"the expression is nested too deeply (over {MAX_NESTING})")

    def expression(self, min_precedence: int) -> Node:
        self.enter(self.peek())
        left = self.unary()
        chained = False  # whether `left` is a chain this loop built and may extend
        while True:
            token = self.peek()
            operator = self.infix(token)
            if operator is None or PRECEDENCE[operator] < min_precedence:
                break
            self.advance()
            precedence = PRECEDENCE[operator]
            if self.peek().kind == "end":
                raise self.error(
                    self.peek(), f"the expression ends where a value should follow {operator!r}"
                )
            right = self.expression(precedence + 1)
            left = self.combine(left, operator, right, chained)
            chained = True
        self.nesting -= 1
        return left

    def combine(self, left: Node, operator: str, right: Node, chained: bool) -> Node:
        if operator in ("and", "or"):
            if chained and isinstance(left, Logical) and left.operator == operator:
                return Logical(operator, (*left.operands, right))
            return Logical(operator, (left, right))
        if (
            chained
            and isinstance(left, Operation)
            and PRECEDENCE[left.operators[0]] == PRECEDENCE[operator]
        ):
            return Operation((*left.operands, right), (*left.operators, operator))
        return Operation((left, right), (operator,))

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "operator" and token.text == "-":
            self.advance()
            if self.peek().kind == "end":
                raise self.error(self.peek(), "the expression ends where a value should follow '-'")
            self.enter(token)
            operand = self.unary()
            self.nesting -= 1
            return Negation(operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            return Literal(float(token.text))
        if token.kind == "string":
            return Literal(token.detail)
        if token.kind == "reference":
            return Reference(token.detail)
        if token.kind == "current":
            return Current()
        if token.kind == "refused":
            raise self.error(token, token.detail)
        if token.kind == "punctuation" and token.text == "(":
            inner = self.expression(1)
            self.expect(")", token, "to close the '(' at character {}")
            return inner
        if token.kind == "name":
            if self.peek().kind == "punctuation" and self.peek().text == "(":
                return self.call(token)
            return self.bare_name(token)
        if token.kind == "end":
            raise self.error(token, "the expression ends where a value is expected")
        raise self.error(token, f"expected a value, found {self.describe(token)}")

    def expect(self, text: str, opener: _Token, purpose: str) -> None:
        token = self.peek()
        if token.kind == "punctuation" and token.text == text:
            self.advance()
            return
        found = self.describe(token)
        reason = f"expected {text!r} {purpose.format(opener.position + 1)}, found {found}"
        raise self.error(token, reason)

    def call(self, name_token: _Token) -> Call:
        name = name_token.text
        function = _FUNCTIONS.get(name)
        if function is None:
            raise self.error(name_token, _refusal(name))
        opening = self.advance()
        arguments: list[Node] = []
        if not (self.peek().kind == "punctuation" and self.peek().text == ")"):
            while True:
                arguments.append(self.expression(1))
                token = self.peek()
                if token.kind == "punctuation" and token.text == ",":
                    self.advance()
                    continue
                break
        self.expect(")", opening, f"to close {name}() opened at character {{}}")
        count = len(arguments)
        if count < function.min_args or (
            function.max_args is not None and count > function.max_args
        ):
            raise self.error(name_token, f"{name}() takes {function.arity()}, got {count}")
        if count == 0 and function.current_default:
            arguments.append(Current())
        if function.check is not None:
            function.check(tuple(arguments), name_token.position + 1)
        return Call(name, tuple(arguments), function)

    def bare_name(self, token: _Token) -> Node:
        name = token.text
        if self.choice_filter and ":" not in name and name not in WORD_OPERATORS:
            return Column(name)
        if name in WORD_OPERATORS:
            reason = f"expected a value before {name!r}"
        elif name in ("true", "false"):
            reason = f"{name!r} is not a value; write {name}()"
        elif name == "null":
            reason = "'null' is not a value; write '' for an empty value"
        elif name in _FUNCTIONS:
            reason = f"{name!r} is a function; write {name}(...)"
        else:
            reason = f"{name!r} is not a value; refer to a field as ${{{name}}}"
        raise self.error(token, reason)


def _refusal(name: str) -> str:
    if name in UNSUPPORTED_FUNCTIONS:
        return f"function {name!r} is not supported: {UNSUPPORTED_FUNCTIONS[name]}"
    if ":" in name:
        return f"function {name!r} is not supported: functions with a prefix are ODK extensions"
    close = difflib.get_close_matches(name, sorted(SUPPORTED_FUNCTIONS), n=1)
    hint = f"; did you mean {close[0]}()?" if close else ""
    return f"unknown function {name!r}{hint}"


def _walk(tree: Node):
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(node.children())


# --- Public API ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text and syntax tree, ready to evaluate many times."""

    text: str
    tree: Node = field(repr=False, compare=False)
    _references: frozenset[str] = field(repr=False, compare=False, default=frozenset())
    _functions: frozenset[str] = field(repr=False, compare=False, default=frozenset())
    _columns: frozenset[str] = field(repr=False, compare=False, default=frozenset())

    def evaluate(
        self,
        answers: Mapping[str, object],
        current: object = None,
        today: datetime.date | None = None,
        *,
        choice: Mapping[str, object] | None = None,
    ) -> object:
        """The value of the expression for these answers.

        `current` is what `.` stands for (the answer a constraint checks); `today` the day
        `today()` returns (the server's date when None); `choice` the columns of the choice a
        `choice_filter` is deciding on (``{"name": ..., **choice.filters}``).
        """
        scope = _Scope(answers, current, today, choice)
        try:
            return self.tree.evaluate(scope)
        except RecursionError as error:  # only when called from an already deep stack
            raise ExpressionError("the expression is nested too deeply to evaluate") from error

    def references(self) -> frozenset[str]:
        """The names of every ``${name}`` the expression reads."""
        return self._references

    def functions(self) -> frozenset[str]:
        """The names of every function the expression calls."""
        return self._functions

    def columns(self) -> frozenset[str]:
        """The choice columns a `choice_filter` reads by bare name (empty elsewhere)."""
        return self._columns


@functools.lru_cache(maxsize=4096)
def parse(text: str, *, choice_filter: bool = False) -> Expression:
    """Parse an expression, or raise ExpressionError saying what is wrong and where.

    With `choice_filter=True` a bare name (``state``) is a column of the choices sheet, as
    in XLSForm's ``choice_filter`` column; elsewhere it is refused, because an author who
    writes ``age > 18`` means ``${age} > 18``.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    try:
        tree = _Parser(text, choice_filter=choice_filter).parse()
    except RecursionError as error:
        raise ExpressionError("the expression is nested too deeply") from error
    nodes = list(_walk(tree))
    return Expression(
        text=text,
        tree=tree,
        _references=frozenset(node.name for node in nodes if isinstance(node, Reference)),
        _functions=frozenset(node.name for node in nodes if isinstance(node, Call)),
        _columns=frozenset(node.name for node in nodes if isinstance(node, Column)),
    )


def evaluate(
    text: str,
    answers: Mapping[str, object],
    current: object = None,
    today: datetime.date | None = None,
) -> object:
    """Parse (cached) and evaluate in one step."""
    return parse(text).evaluate(answers, current, today)
