"""workforce: measure who a scientific workforce is and how it is treated, year after year.

The pure core (``standard``, ``intake``, ``stats``, ``disclosure``, ``reporting``, ``qual``,
``synth``) never imports Django; the Django platform in ``workforce.platform`` calls it, and
the Typer CLI in ``workforce.cli`` is a thin layer over both.
"""

__version__ = "0.1.0"
