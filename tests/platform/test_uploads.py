"""Storing what partners send: the bytes as received, a SHA-256 checksum, and an audit event."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError

from workforce.platform.actions.uploads import do_store_upload
from workforce.platform.audit.models import AuditEvent
from workforce.platform.uploads.models import Upload

pytestmark = pytest.mark.platform

# Bytes a text-mode round trip would damage: a BOM, CRLF line ends, Latin-1, a NUL.
AWKWARD_BYTES = b"\xef\xbb\xbfmember_id;Ethnicit\xe9\r\n1;Hispanic\r\n2;\x00\r\n"


def test_an_upload_keeps_the_bytes_exactly_and_their_checksum(ashg, ashg_steward, uploads_dir):
    upload = do_store_upload(ashg, "ashg_members_2024.csv", AWKWARD_BYTES, acting_user=ashg_steward)
    assert upload.path.read_bytes() == AWKWARD_BYTES
    assert upload.sha256 == hashlib.sha256(AWKWARD_BYTES).hexdigest()
    assert upload.size == len(AWKWARD_BYTES)
    assert upload.path == uploads_dir / "ashg" / upload.sha256
    assert (upload.original_filename, upload.uploaded_by, upload.kind) == (
        "ashg_members_2024.csv",
        ashg_steward,
        Upload.Kind.MEMBERSHIP_EXPORT,
    )


def test_an_upload_can_come_from_a_path_or_an_open_file(nsgc, tmp_path):
    source = tmp_path / "nsgc_roster_2024.csv"
    source.write_bytes(AWKWARD_BYTES * 1000)
    from_path = do_store_upload(nsgc, source.name, source, acting_user=None)
    from_file = do_store_upload(
        nsgc, source.name, io.BytesIO(source.read_bytes()), acting_user=None
    )
    assert from_path.sha256 == from_file.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert from_path.path.read_bytes() == source.read_bytes()


def test_storing_an_upload_records_an_audit_event(ashg, ashg_steward):
    upload = do_store_upload(ashg, "ashg_members_2024.csv", b"id\n1\n", acting_user=ashg_steward)
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.UPLOAD_STORED)
    assert (event.actor, event.organization, event.object_id) == (
        ashg_steward,
        ashg,
        str(upload.pk),
    )
    assert event.details == {
        "filename": "ashg_members_2024.csv",
        "sha256": upload.sha256,
        "size": 5,
        "kind": "membership_export",
    }


def test_the_same_file_sent_twice_is_two_uploads_sharing_one_copy(ashg):
    first = do_store_upload(ashg, "a.csv", b"id\n1\n", acting_user=None)
    second = do_store_upload(ashg, "a-again.csv", b"id\n1\n", acting_user=None)
    assert first.pk != second.pk
    assert first.path == second.path
    assert [p.name for p in first.path.parent.iterdir()] == [first.sha256]


def test_files_of_different_societies_are_kept_apart(ashg, nsgc):
    a = do_store_upload(ashg, "x.csv", b"same bytes", acting_user=None)
    b = do_store_upload(nsgc, "x.csv", b"same bytes", acting_user=None)
    assert a.path.parent.name == "ashg"
    assert b.path.parent.name == "nsgc"


@pytest.mark.parametrize(
    ("sent_as", "kept_as"),
    [
        ("C:\\Users\\steward\\exports\\ashg_2024.xlsx", "ashg_2024.xlsx"),
        ("../../etc/ashg_2024.csv", "ashg_2024.csv"),
        ("  ashg 2024 (final).sav ", "ashg 2024 (final).sav"),
    ],
)
def test_only_the_file_name_is_kept_from_what_the_browser_sent(ashg, sent_as, kept_as):
    assert do_store_upload(ashg, sent_as, b"x", acting_user=None).original_filename == kept_as


def test_an_empty_file_name_is_refused(ashg):
    with pytest.raises(ValidationError, match="not a usable file name"):
        do_store_upload(ashg, "../", b"x", acting_user=None)


def test_no_temporary_files_are_left_behind(ashg, uploads_dir):
    do_store_upload(ashg, "a.csv", b"abc", acting_user=None)
    assert [p.name for p in (uploads_dir / "ashg").iterdir() if p.name.startswith(".")] == []


def test_a_steward_sends_a_file_through_the_form(ashg_steward, client_for, tmp_path):
    export = tmp_path / "ashg_members_2025.xlsx"
    export.write_bytes(AWKWARD_BYTES)
    client = client_for(ashg_steward)
    with export.open("rb") as handle:
        response = client.post(
            "/organizations/ashg/uploads/new/",
            {"file": handle, "kind": "membership_export"},
            follow=True,
        )
    upload = Upload.objects.get()
    assert upload.path.read_bytes() == AWKWARD_BYTES
    assert upload.uploaded_by == ashg_steward
    assert (
        f"Stored ashg_members_2025.xlsx (SHA-256 {upload.sha256[:12]}" in response.content.decode()
    )


def test_the_form_says_what_is_missing(ashg_steward, client_for):
    response = client_for(ashg_steward).post("/organizations/ashg/uploads/new/", {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Upload.objects.exists()


def test_a_file_over_the_limit_is_refused_with_its_size(
    ashg_steward, client_for, settings, tmp_path
):
    settings.WORKFORCE_MAX_UPLOAD_BYTES = 10
    export = tmp_path / "big.csv"
    export.write_bytes(b"x" * 11)
    with export.open("rb") as handle:
        response = client_for(ashg_steward).post(
            "/organizations/ashg/uploads/new/", {"file": handle}
        )
    assert "big.csv is 11\xa0bytes; the limit is 10\xa0bytes" in response.content.decode()
    assert not Upload.objects.exists()


def test_a_download_gives_back_the_original_name_and_bytes(ashg_analyst, ashg, client_for):
    upload = do_store_upload(ashg, "ashg members 2024.csv", AWKWARD_BYTES, acting_user=None)
    response = client_for(ashg_analyst).get(f"/organizations/ashg/uploads/{upload.pk}/download/")
    assert b"".join(response.streaming_content) == AWKWARD_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="ashg members 2024.csv"'


def test_the_list_shows_name_size_checksum_date_and_uploader(ashg_steward, ashg, client_for):
    do_store_upload(ashg, "ashg_members_2024.csv", b"id\n1\n", acting_user=ashg_steward)
    upload = Upload.objects.get()
    page = client_for(ashg_steward).get("/organizations/ashg/uploads/").content.decode()
    assert "ashg_members_2024.csv" in page
    assert "5\xa0bytes" in page
    assert upload.sha256[:12] in page
    assert upload.uploaded_at.strftime("%Y") in page
    assert ashg_steward.get_full_name() in page
