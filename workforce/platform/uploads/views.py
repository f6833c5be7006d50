"""Pages for a society's uploads: the list, sending a new file, downloading one, and setting
aside a file sent by mistake."""

from __future__ import annotations

import structlog
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import dateformat
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from workforce.platform.actions.intake import do_propose_mapping
from workforce.platform.actions.uploads import (
    do_set_aside_upload,
    do_store_upload,
    do_take_back_upload,
)
from workforce.platform.intake.views import upload_page
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import Action, can, organization_view
from workforce.platform.uploads.forms import SetAsideForm, UploadForm
from workforce.platform.uploads.models import Upload
from workforce.platform.uploads.storage import sha256_of

log = structlog.get_logger(__name__)


@organization_view(Action.VIEW_ORG_DATA)
@require_safe
def upload_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    uploads = organization.uploads.select_related("uploaded_by").prefetch_related("runs")
    return render(
        request,
        "uploads/list.html",
        {
            "organization": organization,
            "uploads": uploads,
            "can_upload": can(request.user, Action.UPLOAD_DATA, organization),
        },
    )


@organization_view(Action.UPLOAD_DATA)
@require_http_methods(["GET", "HEAD", "POST"])
def upload_new(request: HttpRequest, organization: Organization) -> HttpResponse:
    if request.method != "POST":
        return render(
            request, "uploads/new.html", {"organization": organization, "form": UploadForm()}
        )
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        file = form.cleaned_data["file"]
        # The store keeps identical bytes once; the steward is told it is the same file
        # rather than given a second upload to map and ingest again.
        earlier = Upload.first_with_checksum(organization, sha256_of(file))
        if earlier is not None:
            by = earlier.uploaded_by.get_full_name() if earlier.uploaded_by else "the command line"
            when = dateformat.format(earlier.uploaded_at, "j F Y, H:i")
            aside = (
                " It was set aside; take it back below to map it." if earlier.is_set_aside else ""
            )
            messages.info(
                request,
                f"This file was already uploaded on {when} UTC by {by}, as "
                f"{earlier.original_filename} (SHA-256 {earlier.sha256_short}…); "
                f"nothing new was stored.{aside}",
            )
            return redirect("upload_detail", code=organization.code, pk=earlier.pk)
        try:
            upload = do_store_upload(
                organization,
                file.name,
                file,
                acting_user=request.user,
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(
                request,
                f"Stored {upload.original_filename} "
                f"(SHA-256 {upload.sha256_short}…, {upload.size:,} bytes).",
            )
            if upload.kind == Upload.Kind.MEMBERSHIP_EXPORT:
                do_propose_mapping(upload, acting_user=request.user)
            return redirect("upload_detail", code=organization.code, pk=upload.pk)
    return render(request, "uploads/new.html", {"organization": organization, "form": form})


@organization_view(Action.VIEW_ORG_DATA)
@require_safe
def upload_download(request: HttpRequest, organization: Organization, pk: int) -> FileResponse:
    # Looked up within the organization: another society's upload id is simply not found here.
    upload = get_object_or_404(Upload, pk=pk, organization=organization)
    try:
        handle = upload.path.open("rb")
    except FileNotFoundError:
        log.error("upload.file_missing", upload_id=upload.pk, stored_name=upload.stored_name)
        raise Http404("The stored file is missing; consortium staff have been told.") from None
    return FileResponse(handle, as_attachment=True, filename=upload.original_filename)


@organization_view(Action.UPLOAD_DATA)
@require_POST
def upload_set_aside(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    upload = get_object_or_404(Upload, pk=pk, organization=organization)
    form = SetAsideForm(request.POST)
    if form.is_valid():
        try:
            do_set_aside_upload(upload, form.cleaned_data["reason"], acting_user=request.user)
        except ValidationError as error:
            form.add_error("reason", error)
    if not form.is_valid():
        return upload_page(request, organization, upload, set_aside_form=form)
    messages.success(
        request,
        f"{upload.original_filename} is set aside. It stays stored as sent; "
        "nothing maps or ingests it unless it is taken back.",
    )
    return redirect("upload_detail", code=organization.code, pk=upload.pk)


@organization_view(Action.UPLOAD_DATA)
@require_POST
def upload_take_back(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    upload = get_object_or_404(Upload, pk=pk, organization=organization)
    try:
        do_take_back_upload(upload, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{upload.original_filename} is taken back and can be mapped.")
    return redirect("upload_detail", code=organization.code, pk=upload.pk)
