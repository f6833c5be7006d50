"""The anonymity proof: nothing stored or logged leads from an anonymous response to a person.

An anonymous wave is run end to end (frame, invitations, a member following their link,
answering page by page, completing) while every log record is captured. Then every row of
every table is read, through the models and through raw SQL, looking for anything that ties
the response to its link, its invitation or its member. The confidential mirror shows the
link does exist there, and only those allowed see it.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import uuid

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection, models
from test_survey_actions import ANSWERS, form, invite, load_members, make_wave

from workforce.platform.actions.surveys import (
    complete_response,
    do_export_responses,
    enter_with_token,
    save_page,
    start_response,
    submit_synthetic_response,
)
from workforce.platform.audit.models import AuditEvent
from workforce.platform.surveys.models import (
    FrameMember,
    Invitation,
    InvitationToken,
    Response,
    hash_token,
    resume_key_for,
)

pytestmark = pytest.mark.platform

EMAIL = "member00003@members.example"
LINKING_MODELS = (Invitation, InvitationToken, FrameMember)


@pytest.fixture
def every_log_record(caplog):
    """caplog at DEBUG for the root logger and every named logger there is."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def model_rows():
    """(model, {field name: value}) for every row of every model."""
    for model in apps.get_models():
        for obj in model._default_manager.all():
            yield model, model_to_values(obj)


def table_rows():
    """(table, {column: value}) for every row of every table, read with plain SQL."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                yield table, dict(zip(columns, row, strict=True))


def text_of(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def test_nothing_stored_or_logged_leads_from_an_anonymous_response_to_its_member(
    ashg, mailoutbox, every_log_record, client
):
    wave = make_wave(ashg)
    load_members(wave, 6)
    token = invite(wave, mailoutbox)[EMAIL]
    events_before = AuditEvent.objects.count()

    # The member follows the link in a browser, then answers page by page and completes.
    client.get(f"/s/{token}/")
    entry = enter_with_token(token)
    response = start_response(entry, language="default")
    first = save_page(response, page=0, revision=0, form=form(ANSWERS[0]), direction="next")
    save_page(first.response, page=1, revision=1, form=form(ANSWERS[1]), direction="next")
    complete_response(response, entry)

    response.refresh_from_db()
    invitation = Invitation.objects.select_related("member").get(member__email=EMAIL)
    member = invitation.member
    assert response.status == "complete" and invitation.status == "done"
    assert AuditEvent.objects.count() == events_before  # nothing about this respondent

    link_secrets = {token, hash_token(token), resume_key_for(token)}
    person = {member.email, member.member_id}
    response_ids = {str(response.pk), response.pk.hex}

    # The response row: no link, no resume key, no invitation, nobody's id or address.
    assert response.invitation_id is None and response.resume_key is None
    for name, value in model_to_values(response).items():
        assert not any(secret in text_of(value) for secret in link_secrets | person), name

    # Every row of every model: the token and its resume key are nowhere; a row that holds
    # the response's id holds no token hash, no person and no key to the invitation.
    for model, values in model_rows():
        text = " ".join(text_of(value) for value in values.values())
        assert token not in text and resume_key_for(token) not in text, model
        if not any(rid in text for rid in response_ids):
            continue
        assert not any(secret in text for secret in link_secrets | person), model
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in LINKING_MODELS:
                assert values[field.name] is None, f"{model.__name__}.{field.name}"
        assert "invitation" not in text and "member_id" not in text, model

    # The same over raw SQL, every table (sessions and the task queue included).
    for table, row in table_rows():
        text = " ".join(text_of(value) for value in row.values())
        assert token not in text and resume_key_for(token) not in text, table
        if not any(rid in text for rid in response_ids):
            continue
        assert not any(secret in text for secret in link_secrets | person), table
        linking = [c for c in row if ("invitation" in c or "member" in c or "token" in c)]
        assert all(row[column] is None for column in linking), (table, linking)
    tables = set(connection.introspection.table_names())
    assert {"surveys_response", "django_session", "django_tasks_database_dbtaskresult"} <= tables

    # The session store is signed and encoded: decoded, it holds nothing of the link either.
    for session in Session.objects.all():
        decoded = str(session.get_decoded())
        assert not any(secret in decoded for secret in link_secrets | response_ids)

    # No log line carries the token, its hash, the resume key, the response or invitation id.
    assert every_log_record.records, "the run logged nothing: the capture is not working"
    for record in every_log_record.records:
        text = record.getMessage() + " " + text_of(record.__dict__)
        for secret in link_secrets | response_ids:
            assert secret not in text, (record.name, record.getMessage())
        if isinstance(record.msg, dict):
            assert "invitation_id" not in record.msg and "response_id" not in record.msg

    # Dates are whole days, never a time of day; the key is random, not a sequence.
    assert not [f for f in Response._meta.fields if isinstance(f, models.DateTimeField)]
    for day in (response.started_on, response.updated_on, response.completed_on):
        assert type(day) is datetime.date
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", response.answers["started"])
    assert response.pk.version == 4
    later = submit_synthetic_response(wave, ANSWERS)
    assert abs(later.pk.int - response.pk.int) > 2**64  # not one after the other


def model_to_values(obj) -> dict:
    return {f.name: f.value_from_object(obj) for f in obj._meta.concrete_fields}


def test_the_request_log_never_writes_a_survey_link(every_log_record, client, db):
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde"
    client.get(f"/s/{token}/")
    client.get(f"/s/{token}/opt-out/")
    client.get(f"/survey/some-wave/open/{token}/")
    logging.getLogger("django.request").error("Internal Server Error: %s", f"/s/{token}/")
    logging.getLogger("django.server").info('"GET /s/%s/ HTTP/1.1" 302 0', token)
    requests = [record.msg for record in every_log_record.records if isinstance(record.msg, dict)]
    paths = [event["path"] for event in requests if event.get("event") == "http.request"]
    assert paths == ["/s/[token]/", "/s/[token]/opt-out/", "/survey/some-wave/open/[key]/"]
    for record in every_log_record.records:
        assert token not in record.getMessage() and token not in text_of(record.msg)


def exported_rows(export) -> list[dict]:
    assert export.status == "done", export.error
    return list(csv.DictReader(io.StringIO(export.file.read_text(encoding="utf-8"))))


def test_an_anonymous_export_has_nothing_that_names_an_invitation_or_a_person(
    ashg, staff, mailoutbox
):
    wave = make_wave(ashg)
    load_members(wave, 3)
    tokens = invite(wave, mailoutbox)
    for token in tokens.values():
        submit_synthetic_response(wave, ANSWERS, token=token)
    rows = exported_rows(do_export_responses(wave, "csv", acting_user=staff))
    assert len(rows) == 3
    text = " ".join(" ".join(row.keys()) + " ".join(row.values()) for row in rows)
    assert "member_id" not in text and "invitation" not in text
    for member in FrameMember.objects.all():
        assert member.email not in text and member.member_id not in text
    assert {row["response_id"] for row in rows} == {
        str(pk) for pk in Response.objects.values_list("id", flat=True)
    }


def test_a_confidential_response_is_linked_and_only_staff_see_the_link(
    nsgc, staff, people, mailoutbox, client_for
):
    wave = make_wave(nsgc, mode="confidential", slug="confidential-2025")
    load_members(wave, 2)
    tokens = invite(wave, mailoutbox)
    response = submit_synthetic_response(wave, ANSWERS, token=tokens["member00001@members.example"])
    assert response.invitation.member.member_id == "m00001"
    assert uuid.UUID(str(response.pk)).version == 4

    by_staff = do_export_responses(wave, "csv", acting_user=staff)
    assert by_staff.identified
    [row] = exported_rows(by_staff)
    assert row["member_id"] == "m00001"

    # The society's own people never get identities, even when an export is made for them.
    by_society = do_export_responses(wave, "csv", acting_user=people["nsgc_steward"])
    assert not by_society.identified
    [row] = exported_rows(by_society)
    assert "member_id" not in row

    url = f"/organizations/nsgc/surveys/{wave.slug}/exports/{by_staff.pk}/download/"
    assert client_for(staff).get(url).status_code == 200
    assert client_for(people["nsgc_steward"]).get(url).status_code == 403
