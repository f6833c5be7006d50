"""A file sent by mistake is set aside, not deleted: it stays stored and listed with the
reason, nothing maps or ingests it, and a steward can take it back."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from test_intake import EXPORT_2024, confirm, send

from workforce.platform.actions.intake import do_ingest_upload, do_propose_mapping
from workforce.platform.actions.uploads import do_set_aside_upload, do_take_back_upload
from workforce.platform.audit.models import AuditEvent
from workforce.platform.intake.models import IngestRun
from workforce.platform.uploads.models import Upload

pytestmark = pytest.mark.platform

REASON = "Last year's export, sent by mistake"


@pytest.fixture
def proposed(steward_client):
    response = send(steward_client, "ashg", "ashg_members_2024.csv", EXPORT_2024, follow=True)
    assert response.status_code == 200
    return response


def page_of(upload) -> str:
    return f"/organizations/ashg/uploads/{upload.pk}/"


def set_aside(client, upload, reason=REASON):
    return client.post(page_of(upload) + "set-aside/", {"reason": reason}, follow=True)


def test_a_steward_sets_aside_a_file_sent_by_mistake_and_it_stays_stored(
    steward_client, proposed
):
    upload = proposed.context["upload"]
    assert "Sent by mistake?" in proposed.content.decode()
    response = set_aside(steward_client, upload)
    page = response.content.decode()
    assert "is set aside" in page  # the confirmation
    assert "Set aside on" in page and REASON.replace("'", "&#x27;") in page
    # Nothing maps it from its page any more: no decision form, no confirm button.
    assert response.context["form"] is None
    assert "Confirm mapping" not in page
    assert "Take it back" in page
    upload.refresh_from_db()
    assert upload.is_set_aside and upload.set_aside_by.email == "steward@ashg.example"
    assert upload.path.read_bytes() == EXPORT_2024  # kept byte for byte


def test_a_file_set_aside_is_listed_with_its_reason(steward_client, proposed):
    set_aside(steward_client, proposed.context["upload"])
    listing = steward_client.get("/organizations/ashg/uploads/").content.decode()
    assert "ashg_members_2024.csv" in listing
    assert "Set aside" in listing and "sent by mistake" in listing


def test_a_confirm_posted_from_the_page_before_is_refused_once_set_aside(
    steward_client, proposed
):
    upload = proposed.context["upload"]
    set_aside(steward_client, upload)
    response = confirm(steward_client, proposed, martian="unknown")
    assert response.status_code == 302
    assert not IngestRun.objects.filter(status=IngestRun.Status.INGESTED).exists()
    shown = steward_client.get(response.url)
    assert "set aside; take it back first" in shown.content.decode()


def test_nothing_proposes_or_ingests_a_file_set_aside(ashg, steward_client, proposed):
    upload = proposed.context["upload"]
    set_aside(steward_client, upload)
    with pytest.raises(ValidationError, match="was set aside"):
        do_propose_mapping(upload, acting_user=None)
    with pytest.raises(ValidationError, match="was set aside"):
        do_ingest_upload(upload, acting_user=None)
    response = steward_client.post(page_of(upload) + "propose/", follow=True)
    assert "take it back first" in response.content.decode()
    assert IngestRun.objects.filter(upload=upload).count() == 1  # the first proposal only


def test_taking_it_back_lets_the_steward_confirm_as_before(steward_client, proposed):
    upload = proposed.context["upload"]
    set_aside(steward_client, upload)
    response = steward_client.post(page_of(upload) + "take-back/", follow=True)
    assert "is taken back" in response.content.decode()
    assert response.context["form"] is not None
    page = steward_client.get(page_of(upload))
    assert confirm(steward_client, page, martian="unknown").status_code == 302
    assert IngestRun.objects.get(upload=upload).status == IngestRun.Status.INGESTED


def test_setting_aside_and_taking_back_are_audited_with_the_reason(
    ashg_steward, steward_client, proposed
):
    upload = proposed.context["upload"]
    set_aside(steward_client, upload)
    steward_client.post(page_of(upload) + "take-back/")
    events = AuditEvent.objects.filter(object_type="uploads.upload", object_id=str(upload.pk))
    trail = [(event.verb, event.actor_id, event.details.get("reason")) for event in events]
    assert trail[:2] == [
        ("upload_taken_back", ashg_steward.pk, None),
        ("upload_set_aside", ashg_steward.pk, REASON),
    ]
    assert events[0].details["set_aside_because"] == REASON


@pytest.mark.parametrize(
    ("reason", "message"),
    [("   ", "This field is required"), ("x" * 501, "at most 500 characters")],
    ids=["blank", "too-long"],
)
def test_a_file_is_set_aside_only_with_a_reason_that_fits(
    steward_client, proposed, reason, message
):
    upload = proposed.context["upload"]
    response = set_aside(steward_client, upload, reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    upload.refresh_from_db()
    assert not upload.is_set_aside


def test_a_reason_keeps_to_one_line_and_setting_aside_twice_is_refused(ashg, proposed):
    upload = proposed.context["upload"]
    do_set_aside_upload(upload, "  wrong\nfile  ", acting_user=None)
    assert Upload.objects.get(pk=upload.pk).set_aside_reason == "wrong file"
    with pytest.raises(ValidationError, match="already set aside"):
        do_set_aside_upload(upload, "again", acting_user=None)
    do_take_back_upload(upload, acting_user=None)
    with pytest.raises(ValidationError, match="is not set aside"):
        do_take_back_upload(upload, acting_user=None)


def test_an_analyst_sees_that_a_file_is_set_aside_but_cannot_set_aside_or_take_back(
    ashg_analyst, client_for, steward_client, proposed
):
    upload = proposed.context["upload"]
    analyst = client_for(ashg_analyst)
    assert "Sent by mistake?" not in analyst.get(page_of(upload)).content.decode()
    assert analyst.post(page_of(upload) + "set-aside/", {"reason": REASON}).status_code == 403
    set_aside(steward_client, upload)
    page = analyst.get(page_of(upload)).content.decode()
    assert "Set aside on" in page and "Take it back" not in page
    assert analyst.post(page_of(upload) + "take-back/").status_code == 403


def test_another_societys_steward_cannot_set_aside_this_file(
    nsgc_steward, client_for, proposed
):
    upload = proposed.context["upload"]
    other = client_for(nsgc_steward)
    response = other.post(f"/organizations/nsgc/uploads/{upload.pk}/set-aside/", {"reason": "x"})
    assert response.status_code == 404
    assert other.post(page_of(upload) + "set-aside/", {"reason": "x"}).status_code == 403


def test_the_society_page_lists_the_files_waiting_for_a_decision_but_not_one_set_aside(
    steward_client, proposed
):
    upload = proposed.context["upload"]
    page = steward_client.get("/organizations/ashg/").content.decode()
    assert "1 file waits for a mapping decision" in page
    assert f'href="{page_of(upload)}"' in page
    set_aside(steward_client, upload)
    assert "wait" not in steward_client.get("/organizations/ashg/").content.decode()


def test_re_sending_the_bytes_of_a_file_set_aside_says_it_was_set_aside(
    steward_client, proposed
):
    set_aside(steward_client, proposed.context["upload"])
    response = send(steward_client, "ashg", "again.csv", EXPORT_2024, follow=True)
    assert "nothing new was stored. It was set aside" in response.content.decode()
    assert Upload.objects.count() == 1


def test_the_validation_report_of_a_file_set_aside_says_so(steward_client, proposed):
    upload = proposed.context["upload"]
    confirm(steward_client, proposed, martian="unknown")
    set_aside(steward_client, upload, "Another society's members")
    run = IngestRun.objects.get(upload=upload)
    page = steward_client.get(f"/organizations/ashg/ingests/{run.pk}/").content.decode()
    assert "This file was set aside" in page and "should not be used" in page


def test_the_dashboard_counts_each_societys_files_waiting_for_a_decision(
    staff, nsgc, client_for, steward_client, proposed
):
    staff_client = client_for(staff)

    def waiting():
        dashboard = staff_client.get("/dashboard/")
        rows = dashboard.context["visible"]
        return {row.item.organization.code: row.awaiting_decision for row in rows}, dashboard

    counts, dashboard = waiting()
    assert counts["ashg"] == 1 and counts["nsgc"] == 0
    assert "1 file waits</strong> for a mapping decision" in dashboard.content.decode()
    set_aside(steward_client, proposed.context["upload"])
    assert waiting()[0]["ashg"] == 0
