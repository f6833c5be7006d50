"""The Jinja2 environment of the pages members answer surveys on.

Those pages are the busiest the platform serves (every respondent, every page), and a page of
questions is mostly one loop over choices: Django's template language took about 1.5 ms to
draw a page of four questions with their choices, most of a page's time once its queries were
fast. Jinja2 compiles a template to Python once and draws the same page several times faster.
Staff pages keep Django's templates. The names the respondent templates use are Django's:
``url`` and ``static``, and the filters ``linebreaks`` and ``date`` with Django's behaviour.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

import jinja2
from django.templatetags.static import static as django_static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import dateformat
from django.utils.html import linebreaks as django_linebreaks
from markupsafe import Markup


def url(name: str, *args: Any) -> str:
    """The address of URL pattern `name` with positional arguments, as ``{% url %}`` gives."""
    return _reversed(get_script_prefix(), get_urlconf(), name, args)


@functools.lru_cache(maxsize=4096)
def _reversed(prefix: str, urlconf: str | None, name: str, args: tuple[Any, ...]) -> str:
    # An address depends only on these; working it out took a respondent page 1% of its
    # time, the review page once for every answer it lists.
    return reverse(name, args=args, urlconf=urlconf)


@functools.cache
def static(path: str) -> str:
    """The address a static file is served at (``{% static %}``).

    Kept once found: the storage gives the same address for as long as the process runs (in
    production the hashed name from the manifest collectstatic wrote before the server
    started), and every respondent page asks for its two stylesheets.
    """
    return django_static(path)


def linebreaks(text: Any) -> Markup:
    """Paragraphs and line breaks from plain text, escaped first (Django's ``linebreaks``)."""
    return Markup(django_linebreaks(text, autoescape=True))


def date(value: datetime.date | None, format: str) -> str:
    """A day in Django's date format (``"j F Y"``: 31 March 2026); nothing for no day."""
    return dateformat.format(value, format) if value else ""


def environment(**options: Any) -> jinja2.Environment:
    environment = jinja2.Environment(**options)
    environment.globals.update(url=url, static=static)
    environment.filters.update(linebreaks=linebreaks, date=date)
    return environment
