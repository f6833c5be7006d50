"""A workbook whose members are not on its first sheet: the steward chooses the sheet, the
mapping remembers it, and next year's workbook is read from it without asking."""

from __future__ import annotations

import pytest
import yaml
from intake.workbooks import workbook
from test_intake import confirm, decisions, send

from workforce.platform.intake.models import IngestRun, Mapping

pytestmark = pytest.mark.platform

MEMBERS = [
    ["ID", "Gender", "Race"],
    ["A-1", "Woman", "Latinx"],
    ["A-2", "Man", "Caucasian"],
    ["A-3", "Non-binary", "Asian"],
]


READ_ME = [["This export was made by the membership office."], ["Members are on the next sheet."]]
EXPORT_2024 = workbook({"Read me": READ_ME, "Members": MEMBERS})
EXPORT_2025 = workbook(
    {"Read me": READ_ME, "Members": [*MEMBERS, ["A-4", "Woman", "White"]], "Totals": [["n"]]}
)


def upload(client, name, data):
    """The steward sends ``data`` as ``name``; the upload's page."""
    return send(client, "ashg", name, data, follow=True)


def read_sheet(client, page, sheet):
    upload = page.context["upload"]
    return client.post(
        f"/organizations/ashg/uploads/{upload.pk}/propose/", {"sheet": sheet}, follow=True
    )


def test_the_page_says_which_sheet_was_read_and_offers_the_others(steward_client):
    page = upload(steward_client, "ashg_2024.xlsx", EXPORT_2024)
    assert page.context["sheets"] == ["Read me", "Members"]
    assert page.context["sheet_read"] == "Read me"
    html = page.content.decode()
    assert "This workbook has 2 sheets" in html
    assert '<option value="Members">Members</option>' in html


def test_choosing_the_members_sheet_proposes_its_columns_and_the_mapping_names_it(
    steward_client,
):
    sent = upload(steward_client, "ashg_2024.xlsx", EXPORT_2024)
    page = read_sheet(steward_client, sent, "Members")
    assert page.context["sheet_read"] == "Members"
    columns = {c.mapping.column: c.mapping.dimension for c in page.context["columns"]}
    assert columns == {"ID": "record_id", "Gender": "gender", "Race": "race_ethnicity"}
    assert confirm(steward_client, page).status_code == 302
    run = IngestRun.objects.get(status=IngestRun.Status.INGESTED)
    assert run.rows_read == 3 and run.rows_accepted == 3
    saved = yaml.safe_load(Mapping.latest_confirmed(run.upload.organization).yaml)
    assert saved["source"]["sheet"] == "Members"


def test_next_years_workbook_is_read_from_the_sheet_the_mapping_names(steward_client):
    sent = upload(steward_client, "ashg_2024.xlsx", EXPORT_2024)
    first = read_sheet(steward_client, sent, "Members")
    confirm(steward_client, first)
    page = upload(steward_client, "ashg_2025.xlsx", EXPORT_2025)
    assert page.context["sheet_read"] == "Members"
    assert page.context["run"].previous is not None  # only new values are asked about
    new = [row.key for column in page.context["columns"] for row in column.values if row.new]
    assert new == ["white"]
    assert steward_client.post(
        f"/organizations/ashg/uploads/{page.context['upload'].pk}/confirm/", decisions(page)
    ).status_code == 302
    latest = IngestRun.objects.filter(status=IngestRun.Status.INGESTED).first()
    assert latest.upload.original_filename == "ashg_2025.xlsx" and latest.rows_read == 4


def test_a_sheet_the_workbook_lacks_is_refused_without_a_failed_run(steward_client):
    page = upload(steward_client, "ashg_2024.xlsx", EXPORT_2024)
    response = read_sheet(steward_client, page, "Sheet9")
    assert "The workbook has no sheet named &#x27;Sheet9&#x27;." in response.content.decode()
    assert not IngestRun.objects.filter(status=IngestRun.Status.FAILED).exists()


def test_a_csv_offers_no_sheet_to_choose(steward_client):
    page = upload(steward_client, "ashg.csv", b"ID,Gender\n1,Woman\n")
    assert page.context["sheets"] == []
    assert "This workbook has" not in page.content.decode()


def test_a_sheet_that_cannot_be_read_says_so_and_offers_the_others(steward_client):
    data = workbook({"Members": MEMBERS, "Empty": []})
    page = read_sheet(steward_client, upload(steward_client, "ashg_2024.xlsx", data), "Empty")
    assert page.context["run"].status == IngestRun.Status.FAILED
    html = page.content.decode()
    assert "sheet &#x27;Empty&#x27;: the sheet is empty" in html
    assert "“Empty” was read" in html
    back = read_sheet(steward_client, page, "Members")
    assert back.context["run"].status == IngestRun.Status.NEEDS_MAPPING
