"""In a real browser: a data steward reads their society's published report, and axe agrees.

Drives Debian's headless Chromium (the ``browser`` fixture in conftest.py) against a live
test server, on a desktop and on a 390-pixel phone: the list of reports, the report's page,
one of its tables; axe-core finds no violation of WCAG 2.2 A/AA or its best practices on any
of them. Screenshots go to ``/tmp/report_screens/`` for a look.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_check import assert_accessible
from browser_pages import BROWSER_TESTS, DEVICES, sign_in

from workforce.platform.actions.reports import do_publish_report
from workforce.platform.actions.users import do_set_password

PASSWORD = "a synthetic steward password"
SCREENS = Path("/tmp/report_screens")

pytestmark = [*BROWSER_TESTS, pytest.mark.xdist_group("platform-reports")]


@pytest.fixture
def steward(nsgc_steward):
    do_set_password(nsgc_steward, PASSWORD, acting_user=None)
    return nsgc_steward


@pytest.fixture
def report(nsgc, report_dirs):
    return do_publish_report(nsgc, report_dirs["nsgc"], acting_user=None)


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_a_steward_reads_their_societys_report(
    device, viewport, steward, report, live_server, browser
):
    base = live_server.url
    page = browser.new_page(viewport=viewport)
    SCREENS.mkdir(parents=True, exist_ok=True)

    def check(what: str) -> None:
        assert_accessible(page, f"{what} on a {device}")
        page.screenshot(path=str(SCREENS / f"{what}-{device}.png"), full_page=True)
        # Nothing is wider than the screen: wide tables stack into cards on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], what

    sign_in(page, base, steward.email, PASSWORD)

    page.get_by_role("link", name="1 report of National Society of Genetic Counselors").click()
    page.wait_for_url(base + "/organizations/nsgc/reports/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Reports of the National Society of Genetic Counselors"
    )
    check("list")

    page.get_by_role("link", name=report.title).click()
    page.wait_for_url(base + f"/organizations/nsgc/reports/{report.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == report.title
    check("report")

    title = report.table("members_gender")["title"]
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(base + f"/organizations/nsgc/reports/{report.pk}/tables/members_gender/")
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert page.get_by_role("table").count() == 1
    check("table")

    # The report itself opens in the browser, under its strict policy.
    response = page.request.get(base + f"/organizations/nsgc/reports/{report.pk}/report.html")
    assert response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
