"""Publishing the demo's reports on the platform, for ``workforce demo``.

The demo writes the consortium's report to ``<demo>/out/`` and each society's own report to
``<demo>/out/societies/<code>/``; this publishes each as its organization's report, through
the same action as ``workforce manage publish_report``. Safe to run again: the same bytes are
found by their checksum and not published twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workforce.platform import django_setup

# Models are imported inside the function: the command line imports this module before
# Django is set up.


@dataclass(frozen=True)
class DemoReport:
    organization: str  # code
    report_id: int
    title: str
    wave: str
    tables: int
    withheld: int
    sha256: str
    url: str  # the report's page, relative to the site
    created: bool  # False when an earlier run had published the same bytes


def publish_demo_reports(consortium_dir: Path, societies: dict[str, Path]) -> list[DemoReport]:
    """Publish the consortium's report (``consortium_dir``) and each society's (code → folder)."""
    django_setup()
    from workforce.platform.actions.reports import do_publish_report
    from workforce.platform.organizations.models import Organization

    consortium = Organization.objects.get(kind=Organization.Kind.CONSORTIUM)
    folders = [(consortium, Path(consortium_dir))]
    folders += [
        (Organization.objects.get(code=code, parent=consortium), Path(folder))
        for code, folder in societies.items()
    ]
    published = []
    for organization, folder in folders:
        before = set(organization.reports.values_list("pk", flat=True))
        report = do_publish_report(organization, folder, acting_user=None)
        published.append(
            DemoReport(
                organization=organization.code,
                report_id=report.pk,
                title=report.title,
                wave=report.wave,
                tables=len(report.tables()),
                withheld=report.withheld_total,
                sha256=report.sha256,
                url=f"/organizations/{organization.code}/reports/{report.pk}/",
                created=report.pk not in before,
            )
        )
    return published
