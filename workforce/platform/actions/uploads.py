"""Actions on uploads: store a file a society sent, byte-for-byte, with its checksum."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Organization
from workforce.platform.uploads.models import Upload
from workforce.platform.uploads.storage import Content, store_blob


def clean_filename(filename: str) -> str:
    """The file's own name, without any folders a browser or script put in front of it."""
    name = PureWindowsPath(filename).name  # handles both "C:\\exports\\x.csv" and "a/b/x.csv"
    name = name.strip()
    if not name or name in (".", ".."):
        raise ValidationError(f"{filename!r} is not a usable file name.")
    return name[:255]


@transaction.atomic
def do_store_upload(
    organization: Organization,
    filename: str,
    content: Content,
    *,
    acting_user: User | None,
    kind: Upload.Kind | str = Upload.Kind.MEMBERSHIP_EXPORT,
) -> Upload:
    """Keep ``content`` (bytes, a path, or an open binary file) as an upload of ``organization``.

    The bytes are written first and then the row: if the database write fails the file stays
    on disk under its checksum (nothing a partner sends is lost), and storing it again reuses
    that copy.
    """
    kind = Upload.Kind(kind)
    name = clean_filename(filename)
    blob = store_blob(Path(settings.WORKFORCE_UPLOADS_DIR), organization.code, content)
    upload = Upload.objects.create(
        organization=organization,
        kind=kind,
        original_filename=name,
        stored_name=blob.stored_name,
        sha256=blob.sha256,
        size=blob.size,
        uploaded_by=acting_user if acting_user is not None else None,
    )
    AuditEvent.record(
        actor=acting_user,
        verb=AuditEvent.Verb.UPLOAD_STORED,
        obj=upload,
        organization=organization,
        details={"filename": name, "sha256": blob.sha256, "size": blob.size, "kind": kind.value},
    )
    return upload
