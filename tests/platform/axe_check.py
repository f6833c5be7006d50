"""axe-core in the browser tests: WCAG 2.2 A and AA, and axe's best practices (landmarks,
heading order, …)."""

from __future__ import annotations

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def assert_accessible(page, what: str) -> None:
    """No axe-core violation on the page; otherwise a readable list of them."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{what} ({page.url}):\n{results.generate_report()}"
