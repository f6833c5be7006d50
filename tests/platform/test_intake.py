"""Partner intake on the web: upload, check the proposed mapping, confirm, read the report.

The exports are tiny synthetic CSV files written here. "Martian" is a value nothing in the
standard matches, so it must be decided by the data steward before anything is ingested.
"""

from __future__ import annotations

import hashlib
import io

import pytest
import yaml
from django.core.exceptions import ValidationError

from workforce.intake.mapping import mapping_from_dict
from workforce.platform.actions import intake as intake_actions
from workforce.platform.actions.intake import (
    do_ingest_upload,
    do_propose_mapping,
    do_save_mapping,
)
from workforce.platform.actions.uploads import do_store_upload
from workforce.platform.audit.models import AuditEvent
from workforce.platform.intake.models import RECORDS_FILE, IngestRun, Mapping
from workforce.platform.uploads.models import Upload

pytestmark = pytest.mark.platform

EXPORT_2024 = (
    b"ID,Gender,Race\n"
    b"A-1,Woman,Latinx\n"
    b"A-2,Man,Caucasian\n"
    b"A-3,Female,Martian\n"
    b"A-4,Non-binary,Caucasian;Asian\n"
    b"A-5,Man,White\n"
    b",Woman,Black\n"  # no member ID: rejected, and reported as row 7
)
# Next year's export: the same layout, mostly the same values, and one new one.
EXPORT_2025 = (
    b"ID,Gender,Race\n"
    b"A-1,Woman,Latinx\n"
    b"A-2,Man,Caucasian\n"
    b"A-3,Female,Martian\n"
    b"A-6,Woman,Klingon\n"  # new this year
)


def send(client, org: str, name: str, data: bytes, **extra):
    """Post ``data`` through the upload form as a file called ``name``."""
    handle = io.BytesIO(data)
    handle.name = name
    return client.post(
        f"/organizations/{org}/uploads/new/", {"file": handle, "kind": "membership_export"}, **extra
    )


def rows_by_value(response) -> dict[str, object]:
    return {row.key: row for column in response.context["columns"] for row in column.values}


def decisions(response, **codes: str) -> dict[str, str]:
    """The form as shown (every proposed code kept), with ``codes`` chosen by value."""
    data = {"proposal": str(response.context["run"].proposal_id)}
    for key, row in rows_by_value(response).items():
        data[row.field_name] = codes.get(key, row.decision.code or "")
    return data


@pytest.fixture
def proposed(steward_client):
    """The steward has sent the 2024 export; its page shows the proposal."""
    response = send(steward_client, "ashg", "ashg_members_2024.csv", EXPORT_2024, follow=True)
    assert response.status_code == 200
    return response


def confirm(client, page, **codes):
    upload = page.context["upload"]
    return client.post(
        f"/organizations/ashg/uploads/{upload.pk}/confirm/", decisions(page, **codes)
    )


@pytest.fixture
def ingested(steward_client, proposed):
    response = confirm(steward_client, proposed, martian="unknown")
    assert response.status_code == 302
    return IngestRun.objects.get(status=IngestRun.Status.INGESTED)


# --- The proposal ---------------------------------------------------------------------------


def test_after_uploading_the_steward_sees_the_proposed_columns(proposed):
    page = proposed.content.decode()
    assert "Proposed mapping" in page
    columns = {c.mapping.column: c.mapping.dimension for c in proposed.context["columns"]}
    assert columns == {"ID": "record_id", "Gender": "gender", "Race": "race_ethnicity"}
    assert "header &#x27;Gender&#x27; names gender" in page


def test_each_value_shows_its_rows_proposed_code_and_reason(proposed):
    values = rows_by_value(proposed)
    assert (values["caucasian"].rows, values["caucasian"].decision.code) == (2, "white")
    assert values["caucasian"].reason == "synonym"
    assert (values["latinx"].decision.code, values["latinx"].reason) == ("hispanic", "synonym")
    assert values["white"].reason == "exact match"
    assert values["martian"].blocking and values["martian"].reason == "unmapped"


def test_the_code_select_offers_the_dimensions_codes_with_declined_and_unknown(proposed):
    page = proposed.content.decode()
    gender_field = rows_by_value(proposed)["female"].field_name
    select = page.split(f'name="{gender_field}"')[1].split("</select>")[0]
    for code in ("woman", "man", "nonbinary", "another", "declined", "unknown"):
        assert f'value="{code}"' in select
    assert '<option value="woman" selected>' in select


def test_an_unmapped_value_is_clearly_marked(proposed):
    page = proposed.content.decode()
    assert "1 value unmapped." in page
    # Named first in the list at the top of the page, then in its column's table.
    listed, in_table = page.split('<span class="value-text">martian</span>')[1:]
    assert "Unmapped" in listed.split("</li>")[0]
    martian_row = in_table.split("</tr>")[0]
    assert "Unmapped" in martian_row
    assert '<option value="" selected>— choose a code —</option>' in martian_row


def test_a_fuzzy_match_is_proposed_but_marked_for_checking(steward_client):
    response = send(
        steward_client, "ashg", "ashg_2024.csv", b"ID,Gender\nA-1,Womn\nA-2,Man\n", follow=True
    )
    womn = rows_by_value(response)["womn"]
    assert (womn.decision.code, womn.needs_check, womn.blocking) == ("woman", True, False)
    assert womn.reason.startswith("fuzzy match, score 0.8")
    assert "Check</strong> fuzzy match" in response.content.decode()


# --- Confirming -----------------------------------------------------------------------------


def test_an_unmapped_value_blocks_confirmation_until_decided(steward_client, proposed):
    response = confirm(steward_client, proposed)  # "martian" left without a code
    assert response.status_code == 200
    page = response.content.decode()
    assert "The mapping was not confirmed." in page
    assert "&#x27;martian&#x27; in column &#x27;Race&#x27; needs a code" in page
    assert not Mapping.objects.filter(confirmed=True).exists()
    assert not IngestRun.objects.filter(status=IngestRun.Status.INGESTED).exists()

    response = confirm(steward_client, proposed, martian="unknown")
    run = IngestRun.objects.get(status=IngestRun.Status.INGESTED)
    assert response["Location"] == f"/organizations/ashg/ingests/{run.pk}/"


def test_confirming_saves_a_new_confirmed_version_with_the_stewards_decisions(ingested):
    proposal, confirmed = Mapping.objects.order_by("version")
    assert (proposal.version, proposal.confirmed) == (1, False)
    assert (confirmed.version, confirmed.confirmed) == (2, True)
    race = confirmed.parsed().column("Race")
    assert race.values["martian"].code == "unknown"
    assert race.values["martian"].reason == "person"
    assert race.values["latinx"].reason == "synonym"  # certain proposals keep their reason
    assert ingested.mapping == confirmed


def test_the_steward_can_change_a_proposed_code(steward_client, proposed):
    confirm(steward_client, proposed, martian="other", latinx="hispanic.mexican")
    race = Mapping.objects.get(confirmed=True).parsed().column("Race")
    assert race.values["martian"].code == "other"
    assert race.values["latinx"].code == "hispanic.mexican"


def test_the_validation_report_shows_rows_and_problems(steward_client, ingested):
    response = steward_client.get(f"/organizations/ashg/ingests/{ingested.pk}/")
    page = response.content.decode()
    assert (ingested.rows_read, ingested.rows_accepted, ingested.rows_rejected) == (6, 5, 1)
    assert '<span class="stat-number">6</span> rows read' in page
    assert '<span class="stat-number">1</span> rejected' in page
    problem = response.context["problems"][0]
    assert (problem["row"], problem["column"], problem["action"]) == (7, "ID", "rejected")
    assert f'href="/organizations/ashg/ingests/{ingested.pk}/rejects.csv"' in page


def test_the_standard_records_download_matches_its_checksum(steward_client, ingested):
    response = steward_client.get(f"/organizations/ashg/ingests/{ingested.pk}/records.csv")
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == ingested.checksums[RECORDS_FILE]
    assert ingested.output_path(RECORDS_FILE).read_bytes() == body
    lines = body.decode().splitlines()
    assert len(lines) == 1 + 5
    assert "hispanic" in body.decode() and "asian;white" in body.decode()
    assert response["Content-Disposition"] == (
        'attachment; filename="ashg_members_2024-records.csv"'
    )


def test_the_rejects_download_keeps_the_rejected_row_and_its_reason(steward_client, ingested):
    response = steward_client.get(f"/organizations/ashg/ingests/{ingested.pk}/rejects.csv")
    body = b"".join(response.streaming_content).decode()
    assert "source_row" in body.splitlines()[0]
    assert "Black" in body


def test_an_unknown_output_name_is_not_found(steward_client, ingested):
    assert steward_client.get(f"/organizations/ashg/ingests/{ingested.pk}/x.csv").status_code == 404


def test_a_long_problem_list_is_capped_on_the_page_and_complete_in_the_download(
    steward_client, monkeypatch
):
    monkeypatch.setattr(intake_actions, "REPORT_PROBLEMS", 3)
    export = b"ID,Gender\n" + b"".join(b",Woman\n" for _ in range(10)) + b"A-1,Man\n"
    page = send(steward_client, "ashg", "ashg_2024.csv", export, follow=True)
    response = confirm(steward_client, page)
    report = steward_client.get(response["Location"])
    assert len(report.context["problems"]) == 3
    assert "The first 3 of 10 problems" in report.content.decode()
    run = report.context["run"]
    problems = steward_client.get(f"/organizations/ashg/ingests/{run.pk}/problems.csv")
    assert len(b"".join(problems.streaming_content).decode().splitlines()) == 1 + 10


def test_the_mapping_version_downloads_as_the_yaml_the_command_line_reads(steward_client, ingested):
    response = steward_client.get("/organizations/ashg/mappings/v2.yaml")
    assert response["Content-Disposition"] == 'attachment; filename="ashg-mapping-v2.yaml"'
    text = response.content.decode()
    assert text == Mapping.objects.get(version=2).yaml
    mapping = mapping_from_dict(yaml.safe_load(text))
    assert (mapping.org, mapping.version) == ("ashg", 2)


def test_the_mappings_page_lists_every_version(steward_client, ingested):
    page = steward_client.get("/organizations/ashg/mappings/").content.decode()
    assert "Version 2" in page and "Confirmed" in page
    assert "Version 1" in page and "Proposed" in page


def test_a_confirm_from_an_old_page_does_not_ingest_twice(steward_client, proposed):
    confirm(steward_client, proposed, martian="unknown")
    response = confirm(steward_client, proposed, martian="unknown")
    assert response.status_code == 302
    assert response["Location"] == f"/organizations/ashg/uploads/{proposed.context['upload'].pk}/"
    assert IngestRun.objects.filter(status=IngestRun.Status.INGESTED).count() == 1


# --- Next year's export ---------------------------------------------------------------------


def test_the_next_export_reuses_the_mapping_and_asks_only_about_new_values(
    steward_client, ingested
):
    response = send(steward_client, "ashg", "ashg_members_2025.csv", EXPORT_2025, follow=True)
    run = response.context["run"]
    assert run.previous.version == 2
    values = rows_by_value(response)
    assert [key for key, row in values.items() if row.new] == ["klingon"]
    assert [key for key, row in values.items() if row.blocking] == ["klingon"]
    assert values["martian"].decision.code == "unknown"  # decided last year, not asked again
    page = response.content.decode()
    assert "1 value is new" in page
    # Listed at the top of the long page, a link to its field, and marked in its table.
    attention = page.split('id="attention-heading"')[1].split("</nav>")[0]
    field_id = values["klingon"].bound.id_for_label
    assert attention.count("<li>") == 1
    assert f'href="#{field_id}"' in attention and "klingon" in attention
    assert page.count(f'id="{field_id}"') == 1
    assert page.count('class="badge badge-new"') == 2

    response = confirm(steward_client, response, klingon="other")
    second = IngestRun.objects.get(upload__original_filename="ashg_members_2025.csv")
    assert (second.status, second.mapping.version, second.rows_accepted) == ("ingested", 4, 4)


def test_an_export_with_other_columns_is_proposed_afresh(steward_client, ingested):
    response = send(
        steward_client, "ashg", "ashg_2025.csv", b"Member ID,Sex\nB-1,Female\n", follow=True
    )
    assert response.context["run"].previous is None
    assert "so its columns were proposed afresh" in response.content.decode()


# --- Re-uploads -----------------------------------------------------------------------------


def test_an_identical_re_upload_is_detected_not_stored_again(steward_client, proposed):
    first = Upload.objects.get()
    response = send(steward_client, "ashg", "renamed_copy.csv", EXPORT_2024)
    assert response["Location"] == f"/organizations/ashg/uploads/{first.pk}/"
    page = steward_client.get(response["Location"]).content.decode()
    assert "This file was already uploaded on" in page
    assert "by Steward, as ashg_members_2024.csv" in page
    assert Upload.objects.count() == 1


def test_the_same_bytes_from_another_society_are_not_a_re_upload(
    nsgc_steward, client_for, proposed
):
    response = send(client_for(nsgc_steward), "nsgc", "nsgc_2024.csv", EXPORT_2024)
    nsgc_upload = Upload.objects.get(organization__code="nsgc")
    assert response["Location"] == f"/organizations/nsgc/uploads/{nsgc_upload.pk}/"


# --- Who may do what ------------------------------------------------------------------------


def test_an_analyst_sees_the_proposal_and_report_but_cannot_confirm(
    ashg_analyst, client_for, proposed, steward_client
):
    analyst = client_for(ashg_analyst)
    upload = proposed.context["upload"]
    page = analyst.get(f"/organizations/ashg/uploads/{upload.pk}/").content.decode()
    assert "martian" in page
    assert "Confirm mapping" not in page
    assert "<select" not in page
    response = analyst.post(
        f"/organizations/ashg/uploads/{upload.pk}/confirm/", decisions(proposed, martian="unknown")
    )
    assert response.status_code == 403
    assert not Mapping.objects.filter(confirmed=True).exists()

    confirm(steward_client, proposed, martian="unknown")
    run = IngestRun.objects.get(status=IngestRun.Status.INGESTED)
    assert analyst.get(f"/organizations/ashg/ingests/{run.pk}/").status_code == 200
    assert analyst.get(f"/organizations/ashg/ingests/{run.pk}/records.csv").status_code == 200


def test_a_run_of_another_society_is_not_found_under_your_own(nsgc_steward, client_for, ingested):
    response = client_for(nsgc_steward).get(f"/organizations/nsgc/ingests/{ingested.pk}/")
    assert response.status_code == 404


# --- The actions ----------------------------------------------------------------------------


def test_each_step_writes_an_audit_event(ashg_steward, ingested):
    events = AuditEvent.objects.filter(actor=ashg_steward).order_by("id")
    verbs = [event.verb for event in events]
    assert verbs == ["upload_stored", "mapping_proposed", "mapping_saved", "upload_ingested"]
    ingest_event = events.last()
    assert ingest_event.details["mapping_version"] == 2
    assert (ingest_event.details["accepted"], ingest_event.details["rejected"]) == (5, 1)
    assert ingest_event.details["records_sha256"] == ingested.checksums[RECORDS_FILE]


def test_an_unreadable_file_gives_a_failed_run_that_says_why(steward_client):
    response = send(steward_client, "ashg", "ashg_2024.xlsx", b"not a workbook", follow=True)
    page = response.content.decode()
    assert "The file could not be ingested" in page
    assert "ashg_2024.xlsx: not a readable XLSX workbook" in page
    assert IngestRun.objects.get().status == IngestRun.Status.FAILED
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.INGEST_FAILED).exists()


def test_an_upload_stored_elsewhere_can_be_proposed_from_its_page(steward_client, ashg):
    upload = do_store_upload(ashg, "ashg_2024.csv", EXPORT_2024, acting_user=None)
    page = steward_client.get(f"/organizations/ashg/uploads/{upload.pk}/").content.decode()
    assert "Propose a mapping" in page
    response = steward_client.post(f"/organizations/ashg/uploads/{upload.pk}/propose/")
    assert response.status_code == 302
    assert IngestRun.objects.get(upload=upload).status == IngestRun.Status.NEEDS_MAPPING


def test_a_mapping_with_an_undecided_value_cannot_be_confirmed(ashg, ashg_steward):
    upload = do_store_upload(ashg, "ashg_2024.csv", EXPORT_2024, acting_user=None)
    run = do_propose_mapping(upload, acting_user=ashg_steward)
    with pytest.raises(ValidationError, match="still open: 'Race': 'martian'"):
        do_save_mapping(ashg, run.proposal.parsed(), acting_user=ashg_steward)
    assert not Mapping.objects.filter(confirmed=True).exists()


def test_a_mapping_of_another_society_is_refused(ashg, nsgc, ashg_steward):
    upload = do_store_upload(ashg, "ashg_2024.csv", b"ID,Gender\nA-1,Man\n", acting_user=None)
    run = do_propose_mapping(upload, acting_user=ashg_steward)
    with pytest.raises(ValidationError, match="belongs to 'ashg', not to 'nsgc'"):
        do_save_mapping(nsgc, run.proposal.yaml, acting_user=None)


def test_a_mapping_can_be_saved_from_yaml_and_ingested_without_the_web(ashg):
    export = b"ID,Gender\nA-1,Man\nA-2,F\n"
    upload = do_store_upload(ashg, "ashg_2024.csv", export, acting_user=None)
    run = do_propose_mapping(upload, acting_user=None)
    saved = do_save_mapping(ashg, run.proposal.yaml, acting_user=None, upload=upload)
    run = do_ingest_upload(upload, acting_user=None)
    assert (saved.version, run.mapping, run.rows_accepted) == (2, saved, 2)
    assert run.year == 2024  # from the file name


def test_ingesting_without_a_confirmed_mapping_is_refused(ashg):
    upload = do_store_upload(ashg, "ashg_2024.csv", b"ID\nA-1\n", acting_user=None)
    with pytest.raises(ValidationError, match="no confirmed mapping"):
        do_ingest_upload(upload, acting_user=None)


# --- Correcting columns ---------------------------------------------------------------------

WITH_CATEGORY = b"ID,Gender,Category\nA-1,Woman,Student\nA-2,Man,Xyzzy\nA-3,Man,Student\n"


def columns_as_shown(response, **chosen: str) -> dict[str, str]:
    """The columns form as shown, with ``chosen`` ("dimension:method" or "") by column."""
    data = {"proposal": str(response.context["run"].proposal_id)}
    for row in response.context["columns_form"].rows:
        data[row.bound.name] = chosen.get(row.name, row.bound.value() or "")
    return data


def update_columns(client, page, **chosen):
    upload = page.context["upload"]
    return client.post(
        f"/organizations/ashg/uploads/{upload.pk}/columns/", columns_as_shown(page, **chosen)
    )


def test_a_column_the_proposal_missed_can_be_pointed_at_a_dimension(steward_client):
    page = send(steward_client, "ashg", "ashg_2024.csv", WITH_CATEGORY, follow=True)
    unused = [row.name for row in page.context["column_rows"] if row.mapping is None]
    assert unused == ["Category"]

    response = update_columns(steward_client, page, Category="career_stage:label")
    assert response.status_code == 302
    page = steward_client.get(response["Location"])
    assert page.context["run"].proposal.version == 2
    revised = AuditEvent.objects.filter(verb=AuditEvent.Verb.MAPPING_PROPOSED).order_by("id").last()
    assert (revised.actor.email, revised.details["revised_columns"]) == (
        "steward@ashg.example",
        True,
    )
    category = next(c for c in page.context["columns"] if c.mapping.column == "Category")
    assert category.mapping.dimension == "career_stage"
    assert category.mapping.reason == "chosen by a person"
    assert {row.key for row in category.values} == {"student", "xyzzy"}
    assert rows_by_value(page)["xyzzy"].blocking
    assert rows_by_value(page)["woman"].decision.reason == "exact"  # other columns kept

    confirm(steward_client, page, xyzzy="unknown")
    records = IngestRun.objects.get(status="ingested").output_path(RECORDS_FILE).read_text()
    assert "unknown" in records


def test_a_wrongly_proposed_column_can_be_set_to_not_used(steward_client):
    page = send(steward_client, "ashg", "ashg_2024.csv", WITH_CATEGORY, follow=True)
    page = steward_client.get(update_columns(steward_client, page, Gender="")["Location"])
    assert [c.mapping.column for c in page.context["columns"]] == ["ID"]
    assert "Values of" not in page.content.decode()


def test_two_columns_cannot_feed_one_dimension(steward_client):
    page = send(steward_client, "ashg", "ashg_2024.csv", WITH_CATEGORY, follow=True)
    response = update_columns(steward_client, page, Category="gender:label")
    assert response.status_code == 200
    assert "Columns &#x27;Gender&#x27; and &#x27;Category&#x27; both feed gender" in (
        response.content.decode()
    )
    assert Mapping.objects.count() == 1


def test_an_analyst_sees_the_columns_but_cannot_change_them(
    ashg_analyst, client_for, steward_client
):
    page = send(steward_client, "ashg", "ashg_2024.csv", WITH_CATEGORY, follow=True)
    analyst = client_for(ashg_analyst)
    upload = page.context["upload"]
    shown = analyst.get(f"/organizations/ashg/uploads/{upload.pk}/").content.decode()
    assert "Category" in shown and "not used" in shown
    assert "Update columns" not in shown
    data = columns_as_shown(page, Category="career_stage:label")
    response = analyst.post(f"/organizations/ashg/uploads/{upload.pk}/columns/", data)
    assert response.status_code == 403
    assert Mapping.objects.count() == 1
