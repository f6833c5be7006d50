"""What the browser tests share: where Chromium is, their marks, and signing in as a person.

The ``browser`` fixture (conftest.py) launches Debian's Chromium headless; a test module
marks itself ``pytestmark = [*BROWSER_TESTS, ...]`` so that it runs with the platform's
tests and is skipped, with the reason, where Chromium is not installed.
"""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"  # Debian's package 'chromium'

BROWSER_TESTS = [
    pytest.mark.platform,
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason=f"needs Chromium at {CHROMIUM} (Debian package 'chromium')",
    ),
]


# The two screens every page is checked on: a laptop, and a phone 390 pixels wide.
DEVICES = [
    ("desktop", {"width": 1280, "height": 900}),
    ("phone", {"width": 390, "height": 844}),
]


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the login form, as a person does, and wait for the dashboard."""
    page.goto(base + "/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(base + "/dashboard/")
