"""Published reports: kept byte for byte, refused when wrong, shown only to those allowed.

The reports are real ones, written by the reporting core for a small synthetic consortium
(``report_dirs`` in conftest.py). The pages must show what the files hold and nothing more:
a value the disclosure gate withheld is "—" with the reason, never a number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from workforce.platform.actions.reports import do_publish_report
from workforce.platform.audit.models import AuditEvent
from workforce.platform.reports.demo import publish_demo_reports
from workforce.platform.reports.models import PublishedReport
from workforce.platform.reports.storage import zip_package
from workforce.platform.reports.views import REPORT_CSP

# The reports these tests publish take most of a minute to write: one worker writes them
# and runs these tests while the other goes on with the rest.
pytestmark = [pytest.mark.platform, pytest.mark.xdist_group("platform-reports")]

STAND_IN_PDF = b"%PDF-1.7\n% a stand-in for the PDF WeasyPrint writes\n%%EOF\n"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def copy_report(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def nsgc_report(nsgc, report_dirs, staff) -> PublishedReport:
    return do_publish_report(nsgc, report_dirs["nsgc"], acting_user=staff)


@pytest.fixture
def published(orgs, report_dirs) -> dict[str, PublishedReport]:
    """Each organization's report, published from the command line."""
    return {
        code: do_publish_report(organization, report_dirs[code], acting_user=None)
        for code, organization in orgs.items()
    }


# --- Publishing -------------------------------------------------------------------------------


def test_publishing_keeps_each_file_byte_for_byte_with_its_checksum(
    nsgc_report, report_dirs, reports_dir
):
    source = report_dirs["nsgc"]
    report = nsgc_report
    summary = json.loads((source / "report.json").read_text())
    assert (report.title, report.wave) == (summary["title"], summary["wave"])
    assert report.summary == summary
    assert report.package == json.loads((source / "data" / "datapackage.json").read_text())
    assert report.directory == reports_dir / "nsgc" / report.wave / report.sha256[:12]
    for name, checksum in [
        ("report.html", report.html_sha256),
        ("report.json", report.summary_sha256),
    ]:
        stored = report.path(name).read_bytes()
        assert stored == (source / name).read_bytes()
        assert sha256(stored) == checksum
    assert not report.has_pdf and not report.path("report.pdf").exists()
    package = report.path("datapackage.zip").read_bytes()
    assert sha256(package) == report.package_sha256 and len(package) == report.package_size
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = archive.namelist()
        assert "datapackage.json" in names
        for name in names:
            assert archive.read(name) == (source / "data" / name).read_bytes()
    on_disk = sorted(p.relative_to(source / "data").as_posix() for p in source.rglob("data/**/*"))
    assert sorted(names) == [name for name in on_disk if (source / "data" / name).is_file()]
    # Nothing half-written is left beside it.
    assert [p.name for p in report.directory.parent.iterdir()] == [report.sha256[:12]]


def test_the_data_package_zip_is_the_same_bytes_whenever_it_is_made(report_dirs, tmp_path):
    copy = copy_report(report_dirs["acmg"] / "data", tmp_path / "data")
    for path in copy.rglob("*"):
        if path.is_file():
            path.touch()  # another time stamp
    assert zip_package(copy) == zip_package(report_dirs["acmg"] / "data")


def test_publishing_the_same_bytes_again_gives_the_earlier_report(
    nsgc, nsgc_report, report_dirs, tmp_path
):
    # The same bytes from another folder are the same report.
    again = do_publish_report(nsgc, copy_report(report_dirs["nsgc"], tmp_path / "again"),
                              acting_user=None)
    assert again == nsgc_report
    assert PublishedReport.objects.count() == 1
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.REPORT_PUBLISHED).count() == 1


def test_a_changed_report_for_the_same_wave_is_kept_as_a_new_version(
    nsgc, nsgc_report, report_dirs, tmp_path, staff, client_for
):
    changed = copy_report(report_dirs["nsgc"], tmp_path / "changed")
    (changed / "report.pdf").write_bytes(STAND_IN_PDF)
    newer = do_publish_report(nsgc, changed, acting_user=None)
    assert newer != nsgc_report and newer.wave == nsgc_report.wave
    assert newer.pdf_sha256 == sha256(STAND_IN_PDF)
    assert newer.html_sha256 == nsgc_report.html_sha256
    assert newer.directory != nsgc_report.directory
    assert list(nsgc.reports.all()) == [newer, nsgc_report]

    client = client_for(staff)
    listing = client.get("/organizations/nsgc/reports/").content.decode()
    assert listing.index(f"/reports/{newer.pk}/") < listing.index(f"/reports/{nsgc_report.pk}/")
    assert listing.count("earlier version") == 1
    older = client.get(f"/organizations/nsgc/reports/{nsgc_report.pk}/").content.decode()
    assert f'href="/organizations/nsgc/reports/{newer.pk}/">see the newer version' in older


def test_a_report_of_another_organization_is_refused(acmg, nsgc, report_dirs, reports_dir):
    with pytest.raises(ValidationError, match="holds nsgc's report .*not American College"):
        do_publish_report(acmg, report_dirs["nsgc"], acting_user=None)
    with pytest.raises(ValidationError, match="holds the consortium's report"):
        do_publish_report(nsgc, report_dirs["consortium"], acting_user=None)
    assert not PublishedReport.objects.exists()
    assert not reports_dir.exists()


def test_the_consortiums_report_is_published_for_the_consortium(
    consortium, report_dirs, ashg
):
    report = do_publish_report(consortium, report_dirs["consortium"], acting_user=None)
    assert report.summary["organization"] == "consortium"
    with pytest.raises(ValidationError, match="holds the consortium's report"):
        do_publish_report(ashg, report_dirs["consortium"], acting_user=None)


def test_an_invalid_data_package_is_refused(nsgc, report_dirs, tmp_path, reports_dir):
    broken = copy_report(report_dirs["nsgc"], tmp_path / "broken")
    table = broken / "data" / "data" / "members_gender.csv"
    lines = table.read_text().splitlines()
    lines[1] = lines[1].replace(",published", ",maybe")  # not one of the status codes
    table.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError, match="data package .* is not valid"):
        do_publish_report(nsgc, broken, acting_user=None)
    assert not PublishedReport.objects.exists()
    assert not reports_dir.exists()


@pytest.mark.parametrize("missing", ["report.html", "report.json", "data/datapackage.json"])
def test_a_folder_that_is_not_a_written_report_is_refused(
    missing, nsgc, report_dirs, tmp_path
):
    folder = copy_report(report_dirs["nsgc"], tmp_path / "partial")
    (folder / missing).unlink()
    with pytest.raises(ValidationError, match=f"{missing} missing"):
        do_publish_report(nsgc, folder, acting_user=None)
    assert not PublishedReport.objects.exists()


def test_publishing_writes_an_audit_event(nsgc, nsgc_report, staff):
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.REPORT_PUBLISHED)
    assert (event.actor, event.organization) == (staff, nsgc)
    assert (event.object_type, event.object_id) == ("reports.publishedreport", str(nsgc_report.pk))
    assert event.details["sha256"] == nsgc_report.sha256
    assert event.details["files"]["report.html"] == nsgc_report.html_sha256
    assert event.details["wave"] == nsgc_report.wave


def test_the_command_publishes_and_says_what(nsgc, report_dirs):
    out = io.StringIO()
    call_command("publish_report", str(report_dirs["nsgc"]), org="nsgc", stdout=out)
    report = PublishedReport.objects.get()
    assert f"Published: {report.title}, wave {report.wave}" in out.getvalue()
    assert report.sha256 in out.getvalue()
    assert f"/organizations/nsgc/reports/{report.pk}/" in out.getvalue()
    out = io.StringIO()
    call_command("publish_report", str(report_dirs["nsgc"]), org="nsgc", stdout=out)
    assert "Already published (same bytes)" in out.getvalue()
    with pytest.raises(CommandError, match="not National Society"):
        call_command("publish_report", str(report_dirs["acmg"]), org="nsgc")
    with pytest.raises(CommandError, match="No organization 'nope'"):
        call_command("publish_report", str(report_dirs["acmg"]), org="nope")


def test_the_demo_publishes_the_consortiums_and_societies_reports_once(orgs, report_dirs):
    first = publish_demo_reports(report_dirs["consortium"], {"nsgc": report_dirs["nsgc"]})
    assert [(r.organization, r.created) for r in first] == [
        ("consortium", True),
        ("nsgc", True),
    ]
    assert first[1].url == f"/organizations/nsgc/reports/{first[1].report_id}/"
    again = publish_demo_reports(report_dirs["consortium"], {"nsgc": report_dirs["nsgc"]})
    assert [(r.report_id, r.created) for r in again] == [(r.report_id, False) for r in first]


# --- Who sees which report ---------------------------------------------------------------------


def test_staff_see_the_consortiums_report_and_every_societys(staff, published, client_for):
    client = client_for(staff)
    for code, report in published.items():
        assert client.get(f"/organizations/{code}/reports/").status_code == 200
        page = client.get(f"/organizations/{code}/reports/{report.pk}/")
        assert page.status_code == 200
        assert report.title in page.content.decode()


def test_a_steward_sees_their_societys_report_only(nsgc_steward, published, client_for):
    client = client_for(nsgc_steward)
    assert client.get(f"/organizations/nsgc/reports/{published['nsgc'].pk}/").status_code == 200
    for code in ("consortium", "acmg", "ashg"):
        report = published[code]
        assert client.get(f"/organizations/{code}/reports/").status_code == 403
        assert client.get(f"/organizations/{code}/reports/{report.pk}/").status_code == 403
        assert client.get(f"/organizations/{code}/reports/{report.pk}/report.html").status_code == (
            403
        )
    # Another organization's report under the steward's own code is simply not found.
    other = published["consortium"].pk
    assert client.get(f"/organizations/nsgc/reports/{other}/").status_code == 404
    assert client.get(f"/organizations/nsgc/reports/{other}/datapackage.zip").status_code == 404


def test_anonymous_people_are_sent_to_sign_in(published, client_for):
    response = client_for(None).get(f"/organizations/nsgc/reports/{published['nsgc'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_unknown_reports_and_tables_are_not_found(staff, nsgc_report, client_for):
    client = client_for(staff)
    base = f"/organizations/nsgc/reports/{nsgc_report.pk}"
    assert client.get("/organizations/nsgc/reports/999999/").status_code == 404
    assert client.get(f"{base}/tables/no_such_table/").status_code == 404
    assert client.get(f"{base}/tables/no_such_table.csv").status_code == 404
    # The catalog is in the package but is not one of the report's tables.
    assert client.get(f"{base}/tables/codebook/").status_code == 404
    assert client.get(f"{base}/report.pdf").status_code == 404  # published without one
    # Under another society's code, even for staff.
    assert client.get(f"/organizations/acmg/reports/{nsgc_report.pk}/").status_code == 404


def test_the_organization_page_and_dashboard_lead_to_the_reports(
    nsgc_steward, nsgc_report, client_for
):
    client = client_for(nsgc_steward)
    page = client.get("/organizations/nsgc/").content.decode()
    assert f'href="/organizations/nsgc/reports/{nsgc_report.pk}/"' in page
    assert 'href="/organizations/nsgc/reports/"' in page
    dashboard = client.get("/dashboard/").content.decode()
    assert 'href="/organizations/nsgc/reports/">1 report' in dashboard


def test_an_organization_without_reports_says_so(acmg_viewer, client_for):
    page = client_for(acmg_viewer).get("/organizations/acmg/reports/").content.decode()
    assert "No report has been published" in page


# --- What the pages show ----------------------------------------------------------------------


def test_the_report_page_shows_the_facts_of_report_json_and_its_tables(
    staff, nsgc_report, client_for
):
    page = client_for(staff).get(f"/organizations/nsgc/reports/{nsgc_report.pk}/")
    text = page.content.decode()
    summary = nsgc_report.summary
    assert f"<dd>{summary['wave']}</dd>" in text
    for name, version in summary["versions"].items():
        assert f"<li>{name[:1].upper()}{name[1:]}: {version}</li>" in text
    for gate in summary["gates"]:
        assert gate["source"] in text
    for goal in summary["goals"]:
        assert goal["statement"] in text
    for resource in nsgc_report.tables():
        assert (
            f'href="/organizations/nsgc/reports/{nsgc_report.pk}/tables/{resource["name"]}/"'
            in text
        )
    assert len(nsgc_report.tables()) == len(summary["tables"])
    assert f"{sum(summary['withheld'].values())} by the disclosure gate" in text


class TableCells(HTMLParser):
    """The data table's body rows as the eye reads them (no screen-reader text, no notes)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.in_body = False
        self.cell: list[str] | None = None
        self.hidden = 0  # depth inside visually-hidden text or a footnote mark
        self.stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.cell = []
        if tag in ("span", "sup"):
            hides = tag == "sup" or "visually-hidden" in (attrs.get("class") or "")
            self.stack.append(hides)
            self.hidden += hides

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif self.in_body and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        if tag in ("span", "sup") and self.stack:
            self.hidden -= self.stack.pop()

    def handle_data(self, data):
        if self.cell is not None and not self.hidden:
            self.cell.append(data)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_withheld_value_is_a_dash_with_its_reason_and_never_a_number(
    nsgc_steward, nsgc_report, report_dirs, client_for
):
    name = "members_gender"
    rows = read_csv(report_dirs["nsgc"] / "data" / "data" / f"{name}.csv")
    withheld = [row for row in rows if row["status"] != "published"]
    assert withheld, "the test report should hold at least one withheld value"
    response = client_for(nsgc_steward).get(
        f"/organizations/nsgc/reports/{nsgc_report.pk}/tables/{name}/"
    )
    assert response.status_code == 200
    text = response.content.decode()
    parser = TableCells()
    parser.feed(text)
    assert len(parser.rows) == len(rows)
    fields = {f["name"]: f for f in nsgc_report.table(name)["schema"]["fields"]}
    statuses = {c["value"]: c["label"] for c in fields["status"]["categories"]}
    for row, shown in zip(rows, parser.rows, strict=True):
        for (column, value), cell in zip(row.items(), shown, strict=True):
            if value == "":
                assert cell == "—", (row, column, cell)
            elif fields[column]["type"] == "integer":
                assert cell == f"{int(value):,}"
            elif fields[column].get("x-unit") == "proportion":
                assert cell == f"{float(value) * 100:.1f}%"
            elif fields[column].get("categories"):
                labels = {c["value"]: c["label"] for c in fields[column]["categories"]}
                assert cell == labels[value]
        if row["status"] != "published":
            numbers = [shown[i] for i, column in enumerate(row) if column in ("count", "share")]
            assert numbers == ["—", "—"], shown
    for status in {row["status"] for row in withheld}:
        assert statuses[status] in text  # the footnote says why
    assert "no value, see note 1" in text
    assert f'href="/organizations/nsgc/reports/{nsgc_report.pk}/tables/{name}.csv"' in text


def test_numbers_are_formatted_for_reading(staff, published, report_dirs, client_for):
    report = published["consortium"]
    rows = read_csv(report_dirs["consortium"] / "data" / "data" / "members_gender.csv")
    text = client_for(staff).get(
        f"/organizations/consortium/reports/{report.pk}/tables/members_gender/"
    ).content.decode()
    big = next(int(row["count"]) for row in rows if row["count"] and int(row["count"]) >= 1000)
    assert f'class="num">{big:,}</td>' in text  # thousands separators on counts
    share = next(float(row["share"]) for row in rows if row["share"])
    assert f'class="num">{share * 100:.1f}%</td>' in text  # shares as percentages
    assert "Woman</td>" in text  # codes by their labels


# --- Downloads ---------------------------------------------------------------------------------


def test_the_html_report_is_served_as_is_with_a_strict_policy(staff, nsgc_report, client_for):
    response = client_for(staff).get(f"/organizations/nsgc/reports/{nsgc_report.pk}/report.html")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Security-Policy"] == REPORT_CSP
    assert REPORT_CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in response.get("Content-Disposition", "")
    assert body(response) == nsgc_report.path("report.html").read_bytes()


def test_the_pdf_and_the_data_package_download_as_stored(
    nsgc, staff, report_dirs, tmp_path, client_for
):
    folder = copy_report(report_dirs["nsgc"], tmp_path / "with_pdf")
    (folder / "report.pdf").write_bytes(STAND_IN_PDF)
    report = do_publish_report(nsgc, folder, acting_user=None)
    client = client_for(staff)
    base = f"/organizations/nsgc/reports/{report.pk}"

    pdf = client.get(f"{base}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="workforce-report-nsgc-{report.wave}.pdf"'
    )
    assert body(pdf) == STAND_IN_PDF == report.path("report.pdf").read_bytes()

    package = client.get(f"{base}/datapackage.zip")
    assert package["Content-Type"] == "application/zip"
    assert package["Content-Disposition"].startswith("attachment;")
    assert body(package) == report.path("datapackage.zip").read_bytes()
    assert sha256(report.path("datapackage.zip").read_bytes()) == report.package_sha256

    table = client.get(f"{base}/tables/members_gender.csv")
    assert table["Content-Type"] == "text/csv; charset=utf-8"
    assert table["Content-Disposition"] == (
        f'attachment; filename="workforce-report-nsgc-{report.wave}-members_gender.csv"'
    )
    assert body(table) == (folder / "data" / "data" / "members_gender.csv").read_bytes()

    page = client.get(f"{base}/").content.decode()
    assert f'href="{base}/report.pdf"' in page


def test_a_missing_stored_file_is_not_found_rather_than_an_error(staff, nsgc_report, client_for):
    nsgc_report.path("report.html").unlink()
    response = client_for(staff).get(f"/organizations/nsgc/reports/{nsgc_report.pk}/report.html")
    assert response.status_code == 404
