"""Actions on uploads: store a file a society sent, byte-for-byte, with its checksum; set a
file sent by mistake aside, and take it back."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from workforce.platform.accounts.models import User
from workforce.platform.audit.models import AuditEvent
from workforce.platform.organizations.models import Organization
from workforce.platform.uploads.models import SET_ASIDE_REASON_MAX, Upload
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


def locked_upload(upload: Upload) -> Upload:
    """The upload read again with its row locked until the transaction ends.

    Only the upload's row, not its organization's (joined for the pages and audit events
    that name it): a society's other uploads need not wait.
    """
    rows = Upload.objects.select_for_update(of=("self",)).select_related("organization")
    return rows.get(pk=upload.pk)


@transaction.atomic
def do_set_aside_upload(upload: Upload, reason: str, *, acting_user: User | None) -> Upload:
    """Set aside a file sent by mistake: it stays stored and listed, and nothing maps it.

    Nothing is deleted: the file, its mapping proposals and any standard records made from it
    stay where they are, and the upload's page says who set it aside, when and why.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Say why the file is set aside, for whoever finds it later.")
    if len(reason) > SET_ASIDE_REASON_MAX:
        raise ValidationError(
            f"Keep the reason to {SET_ASIDE_REASON_MAX} characters (it has {len(reason)})."
        )
    locked = locked_upload(upload)
    if locked.is_set_aside:
        raise ValidationError(f"{locked.original_filename} is already set aside.")
    return _mark(
        locked,
        (timezone.now(), acting_user, reason),
        acting_user,
        AuditEvent.Verb.UPLOAD_SET_ASIDE,
        {"reason": reason},
    )


@transaction.atomic
def do_take_back_upload(upload: Upload, *, acting_user: User | None) -> Upload:
    """Undo setting a file aside: it can be mapped and ingested again."""
    locked = locked_upload(upload)
    if not locked.is_set_aside:
        raise ValidationError(f"{locked.original_filename} is not set aside.")
    return _mark(
        locked,
        (None, None, ""),
        acting_user,
        AuditEvent.Verb.UPLOAD_TAKEN_BACK,
        {"set_aside_because": locked.set_aside_reason},
    )


def _mark(
    locked: Upload,
    state: tuple,
    acting_user: User | None,
    verb: str,
    details: dict,
) -> Upload:
    """Write the upload's set-aside state (when, by whom, why) and the audit event saying so."""
    locked.set_aside_at, locked.set_aside_by, locked.set_aside_reason = state
    locked.save(update_fields=["set_aside_at", "set_aside_by", "set_aside_reason"])
    AuditEvent.record(
        actor=acting_user,
        verb=verb,
        obj=locked,
        organization=locked.organization,
        details={"filename": locked.original_filename, **details},
    )
    return locked


def refuse_if_set_aside(upload: Upload) -> None:
    """Mapping and ingest stop at a file set aside, whichever page or command asks."""
    if upload.is_set_aside:
        raise ValidationError(
            f"{upload.original_filename} was set aside ({upload.set_aside_reason}); "
            "take it back first to map it."
        )
