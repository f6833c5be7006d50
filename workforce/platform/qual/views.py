"""Pages of focus-group projects: lists, a project, coding a source, the codebook, comparing.

Who sees what (``permissions.ProjectRights``):

- A project opens for its lead, its coders and those who oversee the organization's focus
  groups (consortium staff), each also needing ``CODE_QUALITATIVE`` in its organization.
  Anyone else with that right gets a 404 for it; people without it a 403.
- A coder codes and sees only their own codings. While the project is blind (the default)
  that is all they see; once the lead unblinds it they may compare too.
- The lead and overseers see every coding, the comparison and the agreement table.
- Only the lead sees the original wording of a de-identified source; everyone else, consortium
  staff included, gets a 403 for it.
- Anyone with ``CODE_QUALITATIVE`` in an organization creates a project there and leads it.
  Only the lead assigns coders and uploads sources, codebooks and `.qdpx` files.
- The analysis opens for those who may compare; its themes by group show only what the
  disclosure gate publishes. So do the quotes for the report, checked against the
  identifying list; a refused passage that names a listed identifier is shown by its place
  only.
- Only the lead sees and edits the identifying list (the names and terms de-identification
  takes out), checks the stored texts against it and re-applies de-identification.

Pages are served under a strict Content-Security-Policy: the one script and style sheet are
static files, nothing inline.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from workforce.platform.actions.qual import (
    QdpxImported,
    do_add_code,
    do_add_coder,
    do_add_codings,
    do_add_memo,
    do_change_code,
    do_change_coding,
    do_create_qual_project,
    do_delete_coding,
    do_import_qdpx,
    do_reapply_deidentification,
    do_remove_coder,
    do_set_blind,
    do_update_identifying_list,
    do_upload_codebook,
    do_upload_sources,
    kept_identifying,
)
from workforce.platform.organizations.models import Organization
from workforce.platform.permissions import (
    Action,
    ProjectRights,
    can,
    organization_view,
    project_rights,
    signed_in,
)
from workforce.platform.qual.convert import to_core
from workforce.platform.qual.forms import (
    CodebookUploadForm,
    CodeForm,
    CoderForm,
    CodingChangeForm,
    CodingForm,
    IdentifyingListForm,
    MemoForm,
    ProjectForm,
    QdpxImportForm,
    SourcesUploadForm,
    code_choices,
)
from workforce.platform.qual.identifying import still_named
from workforce.platform.qual.models import (
    CodebookVersion,
    Coding,
    Memo,
    ProjectCoder,
    ProjectIdentifyingList,
    QualitativeProject,
    Source,
    SourceOriginal,
)
from workforce.platform.qual.passages import (
    aligned_segments,
    blocks,
    excerpt,
    speakers_of,
)
from workforce.platform.qual.uploads import (
    MAX_FILE_BYTES,
    MAX_FILES,
    OpenTextUpload,
    SourcesRead,
    files_on_disk,
    without_folder,
)
from workforce.qual.agreement import ALL_TEXT, BASES, CODED, agreement
from workforce.qual.codings import QualError

# The pages load one script and one style sheet from this site and nothing else.
QUAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


# --- Access -----------------------------------------------------------------------------------


def with_csp(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        response = view(*args, **kwargs)
        response.setdefault("Content-Security-Policy", QUAL_CSP)
        return response

    return wrapped


def project_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For views under ``/organizations/<code>/focus-groups/<pk>/``: the organization's
    ``CODE_QUALITATIVE`` first, then the rights in the project (a 404 for those not in it).
    The view gets the project and the rights instead of the organization and the id."""

    @organization_view(Action.CODE_QUALITATIVE)
    @with_csp
    @wraps(view)
    def wrapped(
        request: HttpRequest, organization: Organization, pk: int, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        project = get_object_or_404(
            QualitativeProject.objects.select_related("organization", "lead"),
            pk=pk,
            organization=organization,
        )
        rights = project_rights(request.user, project)
        if not rights.may_open:
            raise Http404("No such focus-group project here.")
        return view(request, project, rights, *args, **kwargs)

    return wrapped


def visible_projects(user: Any, organization: Organization | None = None):
    """The projects ``user`` may open (in ``organization``, or anywhere), with the same
    rules as ``project_rights``, checked once per organization instead of per project."""
    projects = QualitativeProject.objects.select_related("organization", "lead").annotate(
        source_count=Count("sources", distinct=True)
    )
    if organization is not None:
        projects = projects.filter(organization=organization)
    coded = set(user.qual_projects.values_list("pk", flat=True))
    allowed: dict[int, tuple[bool, bool]] = {}
    visible = []
    for project in projects:
        org = project.organization
        if org.pk not in allowed:
            allowed[org.pk] = (
                can(user, Action.CODE_QUALITATIVE, org),
                can(user, Action.OVERSEE_QUALITATIVE, org),
            )
        takes_part, oversees = allowed[org.pk]
        if takes_part and (oversees or project.lead_id == user.pk or project.pk in coded):
            visible.append(project)
    return visible


def _source(project: QualitativeProject, source_pk: int) -> Source:
    return get_object_or_404(Source, pk=source_pk, project=project)


def _back(request: HttpRequest, fallback: str) -> str:
    """Where a form sent from several pages returns to: its ``next`` if on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Lists ------------------------------------------------------------------------------------


@signed_in
@with_csp
@require_safe
def all_projects(request: HttpRequest) -> HttpResponse:
    """Every project the signed-in person may open, by organization."""
    projects = visible_projects(request.user)
    by_organization: dict[Organization, list[QualitativeProject]] = {}
    for project in projects:
        by_organization.setdefault(project.organization, []).append(project)
    return render(request, "qual/all_projects.html", {"by_organization": by_organization})


@organization_view(Action.CODE_QUALITATIVE)
@with_csp
@require_safe
def project_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    return render(
        request,
        "qual/project_list.html",
        {
            "organization": organization,
            "projects": visible_projects(request.user, organization),
            "oversees": can(request.user, Action.OVERSEE_QUALITATIVE, organization),
        },
    )


@organization_view(Action.CODE_QUALITATIVE)
@with_csp
@require_http_methods(["GET", "HEAD", "POST"])
def project_new(request: HttpRequest, organization: Organization) -> HttpResponse:
    """A new project, led by whoever creates it; optionally started from a `.qdpx`."""
    form = ProjectForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uploads = {"qdpx": [data["qdpx"]] if data["qdpx"] else [],
                   "identifying": [data["identifying"]] if data["identifying"] else []}
        with files_on_disk(uploads) as (paths, folder):
            try:
                project, imported = do_create_qual_project(
                    organization,
                    name=data["name"],
                    description=data["description"],
                    lead=request.user,
                    qdpx=paths["qdpx"][0] if paths["qdpx"] else None,
                    identifying=paths["identifying"][0] if paths["identifying"] else None,
                    acting_user=request.user,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, without_folder(message, folder))
            else:
                messages.success(
                    request, f"Created {project.name}. You lead it: assign coders and upload "
                    "its sources."
                )
                if imported is not None:
                    _report_qdpx(request, imported)
                return redirect(_project_url(project))
    return render(
        request,
        "qual/project_new.html",
        {"organization": organization, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- A project --------------------------------------------------------------------------------


def visible_memos(project: QualitativeProject, rights: ProjectRights, user: Any):
    """All memos for those who may compare; otherwise one's own and the lead's, so a blind
    coder does not read another coder's thoughts about passages."""
    memos = project.memos.select_related("author")
    if not rights.may_compare:
        memos = memos.filter(Q(author=user) | Q(author_id=project.lead_id))
    return memos


def code_tree(version: CodebookVersion | None) -> list[dict]:
    """The codes as nested dicts (``children``), for the nested lists of the pages."""
    if version is None:
        return []
    nodes = {
        code["id"]: {**code, "index": index, "children": []}
        for index, code in enumerate(version.codes)
    }
    roots = []
    for code in version.codes:
        parent = nodes.get(code.get("parent") or "")
        (parent["children"] if parent else roots).append(nodes[code["id"]])
    return roots


@project_view
@require_safe
def project_detail(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    sources = list(project.sources.all())
    own = Counter(
        project.codings.filter(coder=request.user).values_list("source_id", flat=True)
    )
    participants_by_source = {
        source.pk: sorted({t["participant"] for t in source.turns if t.get("participant")})
        for source in sources
    }
    rows = [
        {
            "source": source,
            "participants": participants_by_source[source.pk],
            "turns": len(source.turns),
            "own_codings": own.get(source.pk, 0),
        }
        for source in sources
    ]
    coders = list(project.projectcoder_set.select_related("user"))
    if rights.may_compare:
        counts = Counter(project.codings.values_list("coder_id", flat=True))
        for coder in coders:
            coder.coding_count = counts.get(coder.user_id, 0)
    version = project.current_codebook
    return render(
        request,
        "qual/project_detail.html",
        {
            "project": project,
            "organization": project.organization,
            "rights": rights,
            "rows": rows,
            "coders": coders,
            "version": version,
            "tree": code_tree(version),
            "memos": visible_memos(project, rights, request.user).filter(target="project"),
            "memo_form": MemoForm(initial={"target": "project"}),
            "coder_form": CoderForm(project=project) if rights.is_lead else None,
            "coded": set(project.codings.values_list("coder_id", flat=True).distinct())
            if rights.is_lead else set(),
        },
    )


@project_view
@require_POST
def project_blind(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    if not rights.may_unblind:
        raise PermissionDenied("Only the project's lead blinds or unblinds it.")
    blind = request.POST.get("blind") == "1"
    do_set_blind(project, blind, acting_user=request.user)
    messages.success(
        request,
        "The project is blind: coders see only their own codings."
        if blind
        else "The project is unblinded: coders may now compare their codings with the others'.",
    )
    return redirect(_project_url(project))


@project_view
@require_safe
def project_export(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> FileResponse:
    """The project as a REFI-QDA `.qdpx` for desktop tools: everyone's codings (so it is for
    those who may compare), the de-identified text only."""
    if not rights.may_compare:
        raise PermissionDenied("The export holds every coder's codings; the lead can unblind.")
    # Imported here: lxml and the schemas load only when someone exports.
    from workforce.qual.refi import write_qdpx

    with tempfile.TemporaryDirectory(prefix="workforce-qdpx-") as folder:
        path = Path(folder) / "project.qdpx"
        write_qdpx(to_core(project), path)
        content = path.read_bytes()
    stem = "".join(ch if ch.isalnum() else "-" for ch in project.name.lower()).strip("-")
    response = FileResponse(
        iter([content]),
        as_attachment=True,
        filename=f"{stem or 'project'}.qdpx",
        content_type="application/zip",
    )
    response["Content-Length"] = str(len(content))
    return response


def _project_url(project: QualitativeProject, name: str = "qual_project") -> str:
    return reverse(name, args=[project.organization.code, project.pk])


# --- Coding a source ---------------------------------------------------------------------------


def _code_names(version: CodebookVersion | None) -> dict[str, str]:
    return dict(code_choices(version, codable_only=False))


def _coding_rows(source: Source, codings: list[Coding], names: dict[str, str]) -> list[dict]:
    return [
        {
            "coding": coding,
            "code_name": names.get(coding.code, coding.code),
            "excerpt": excerpt(source.text[coding.start : coding.end]),
            "speakers": speakers_of(source, coding.start, coding.end),
        }
        for coding in codings
    ]


def _coding_page(
    request: HttpRequest,
    project: QualitativeProject,
    rights: ProjectRights,
    source: Source,
    *,
    form: CodingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    version = project.current_codebook
    form = form or CodingForm(source=source, version=version)
    names = _code_names(version)
    own = list(source.codings.filter(coder=request.user)) if rights.may_code else []
    sources = list(project.sources.only("pk", "key", "position"))
    position = next(i for i, s in enumerate(sources) if s.pk == source.pk)
    memos = visible_memos(project, rights, request.user).filter(
        target__in=["source", "segment"], target_id=source.key
    )
    return render(
        request,
        "qual/source.html",
        {
            "project": project,
            "organization": project.organization,
            "rights": rights,
            "source": source,
            "blocks": blocks(source, own, names),
            "form": form,
            "chosen": form["codes"].value() or [],
            "chosen_turns": form["turns"].value() or [],
            "tree": code_tree(version),
            "version": version,
            "rows": _coding_rows(source, own, names),
            "memos": [
                {"memo": memo, "excerpt": excerpt(source.text[memo.start : memo.end])
                 if memo.start is not None else ""}
                for memo in memos
            ],
            "has_original": SourceOriginal.objects.filter(source=source).exists(),
            "previous": sources[position - 1] if position > 0 else None,
            "next": sources[position + 1] if position + 1 < len(sources) else None,
        },
        status=status,
    )


@project_view
@require_safe
def source_page(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights, source_pk: int
) -> HttpResponse:
    return _coding_page(request, project, rights, _source(project, source_pk))


@project_view
@require_POST
def coding_add(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights, source_pk: int
) -> HttpResponse:
    source = _source(project, source_pk)
    if not rights.may_code:
        raise PermissionDenied("Only the project's coders code its sources.")
    form = CodingForm(request.POST, source=source, version=project.current_codebook)
    if form.is_valid():
        try:
            added = do_add_codings(
                source,
                request.user,
                form.cleaned_data["codes"],
                form.cleaned_data["passages"],
                acting_user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request, f"Saved {len(added)} coding{'s' if len(added) != 1 else ''}."
            )
            return redirect(_source_url(source) + "#your-codings")
    return _coding_page(request, project, rights, source, form=form, status=400)


def _source_url(source: Source) -> str:
    project = source.project
    return reverse("qual_source", args=[project.organization.code, project.pk, source.pk])


def _own_coding(request: HttpRequest, source: Source, coding_pk: int) -> Coding:
    """One of the signed-in coder's codings of ``source``; anyone else's is not found."""
    return get_object_or_404(
        Coding.objects.select_related("source", "project__organization"),
        pk=coding_pk,
        source=source,
        coder=request.user,
    )


@project_view
@require_http_methods(["GET", "HEAD", "POST"])
def coding_change(
    request: HttpRequest,
    project: QualitativeProject,
    rights: ProjectRights,
    source_pk: int,
    coding_pk: int,
) -> HttpResponse:
    source = _source(project, source_pk)
    coding = _own_coding(request, source, coding_pk)
    version = project.current_codebook
    if request.method == "POST":
        form = CodingChangeForm(request.POST, version=version)
        if form.is_valid():
            try:
                do_change_coding(
                    coding,
                    code=form.cleaned_data["code"],
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    acting_user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, _error_text(error))
            else:
                messages.success(request, "The coding was changed.")
                return redirect(_source_url(source) + "#your-codings")
    else:
        form = CodingChangeForm(
            initial={"code": coding.code, "start": coding.start, "end": coding.end},
            version=version,
        )
    # The turns around the passage, so the boundaries can be moved knowingly.
    context_start = max(0, coding.start - 300)
    context_end = min(source.length, coding.end + 300)
    return render(
        request,
        "qual/coding_change.html",
        {
            "project": project,
            "organization": project.organization,
            "source": source,
            "coding": coding,
            "form": form,
            "code_name": _code_names(version).get(coding.code, coding.code),
            "before": source.text[context_start : coding.start],
            "passage": source.text[coding.start : coding.end],
            "after": source.text[coding.end : context_end],
            "context_start": context_start,
            "context_end": context_end,
        },
        status=400 if request.method == "POST" else 200,
    )


@project_view
@require_POST
def coding_delete(
    request: HttpRequest,
    project: QualitativeProject,
    rights: ProjectRights,
    source_pk: int,
    coding_pk: int,
) -> HttpResponse:
    source = _source(project, source_pk)
    coding = _own_coding(request, source, coding_pk)
    do_delete_coding(coding, acting_user=request.user)
    messages.success(request, "The coding was deleted.")
    return redirect(_source_url(source) + "#your-codings")


@project_view
@require_safe
def source_original(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights, source_pk: int
) -> HttpResponse:
    source = _source(project, source_pk)
    if not rights.may_see_originals:
        raise PermissionDenied("Only the project's lead sees the original wording.")
    original = get_object_or_404(SourceOriginal, source=source)
    return render(
        request,
        "qual/original.html",
        {
            "project": project,
            "organization": project.organization,
            "source": source,
            "original": original,
            "replacements": _replacement_rows(source, original),
        },
    )


def _replacement_rows(source: Source, original: SourceOriginal) -> list[dict]:
    """What replaced what, as de-identification recorded it (``deidentify.Replacement``)."""
    rows = []
    for item in original.replacements if isinstance(original.replacements, list) else []:
        if not isinstance(item, dict):
            rows.append({"value": str(item)})
            continue
        start, end = item.get("start"), item.get("end")
        rows.append(
            {
                "value": item.get("value", ""),
                "kind": item.get("kind", ""),
                "tag": source.text[start:end] if isinstance(start, int) and isinstance(end, int)
                else "",
                "start": start,
                "end": end,
            }
        )
    return rows


# --- Memos ------------------------------------------------------------------------------------


@project_view
@require_POST
def memo_add(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    form = MemoForm(request.POST)
    back = _back(request, _project_url(project))
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        messages.error(request, "The memo was not saved: " + " ".join(errors))
        return redirect(back)
    data = form.cleaned_data
    try:
        do_add_memo(
            project,
            author=request.user,
            text=data["text"],
            target=data["target"],
            target_id=data["target_id"],
            start=data["start"],
            end=data["end"],
            acting_user=request.user,
        )
    except ValidationError as error:
        messages.error(request, "The memo was not saved: " + _error_text(error))
    else:
        messages.success(request, "The memo was saved.")
    return redirect(back)


# --- Codebook ---------------------------------------------------------------------------------


def _codebook_page(
    request: HttpRequest,
    project: QualitativeProject,
    rights: ProjectRights,
    *,
    form: CodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    version = project.current_codebook
    memos = visible_memos(project, rights, request.user).filter(target="code")
    memos_by_code: dict[str, list[Memo]] = {}
    for memo in memos:
        memos_by_code.setdefault(memo.target_id, []).append(memo)
    used = Counter(project.codings.values_list("code", flat=True)) if rights.may_compare else {}
    tree = code_tree(version)
    stack = list(tree)
    while stack:
        node = stack.pop()
        node["used"] = used.get(node["id"], 0)
        node["memos"] = memos_by_code.get(node["id"], [])
        stack.extend(node["children"])
    return render(
        request,
        "qual/codebook.html",
        {
            "project": project,
            "organization": project.organization,
            "rights": rights,
            "version": version,
            "tree": tree,
            "versions": project.codebook_versions.order_by("-number"),
            "form": form or CodeForm(version=version),
        },
        status=status,
    )


@project_view
@require_http_methods(["GET", "HEAD", "POST"])
def codebook(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    if request.method != "POST":
        return _codebook_page(request, project, rights)
    if not rights.may_edit_codebook:
        raise PermissionDenied("Only the project's lead changes its codebook.")
    form = CodeForm(request.POST, version=project.current_codebook)
    if form.is_valid():
        try:
            version = do_add_code(project, **form.code_fields(), author=request.user,
                                  acting_user=request.user)
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, f"Saved codebook version {version.number}.")
            return redirect(_project_url(project, "qual_codebook"))
    return _codebook_page(request, project, rights, form=form, status=400)


@project_view
@require_http_methods(["GET", "HEAD", "POST"])
def code_change(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights, code_id: str
) -> HttpResponse:
    if not rights.may_edit_codebook:
        raise PermissionDenied("Only the project's lead changes its codebook.")
    version = project.current_codebook
    code = version.code(code_id) if version else None
    if code is None:
        raise Http404("No such code in the current codebook.")
    if request.method == "POST":
        form = CodeForm(request.POST, version=version, exclude=code_id)
        if form.is_valid():
            try:
                saved = do_change_code(project, code_id, **form.code_fields(),
                                       author=request.user, acting_user=request.user)
            except ValidationError as error:
                form.add_error(None, _error_text(error))
            else:
                messages.success(request, f"Saved codebook version {saved.number}.")
                return redirect(_project_url(project, "qual_codebook"))
    else:
        form = CodeForm(
            version=version,
            exclude=code_id,
            initial={
                "name": code["name"],
                "parent": code.get("parent", ""),
                "description": code.get("description", ""),
                "examples": "\n".join(code.get("examples", [])),
                "codable": code.get("codable", True),
            },
        )
    return render(
        request,
        "qual/code_change.html",
        {"project": project, "organization": project.organization, "code": code, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@project_view
@require_safe
def codebook_version(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights, number: int
) -> HttpResponse:
    version = get_object_or_404(CodebookVersion, project=project, number=number)
    return render(
        request,
        "qual/codebook_version.html",
        {
            "project": project,
            "organization": project.organization,
            "version": version,
            "tree": code_tree(version),
            "is_current": version.pk == project.current_codebook.pk,
        },
    )


# --- Comparing coders -------------------------------------------------------------------------


def _figure(value: float | None, *, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if percent else f"{value:.3f}"


@project_view
@require_safe
def compare(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    """Each code's agreement over the whole project on both bases, and one source's codings
    lined up coder by coder. Compared are the coders who have coded anything so far."""
    if not rights.may_compare:
        raise PermissionDenied(
            "Codings are compared once the lead unblinds the project; until then each coder "
            "sees only their own."
        )
    version = project.current_codebook
    names = _code_names(version)
    coders = [
        coder
        for coder in project.projectcoder_set.select_related("user")
        if project.codings.filter(coder=coder.user).exists()
    ]
    core = to_core(project)
    tables: dict[str, list[dict]] = {ALL_TEXT: [], CODED: []}
    problem = ""
    if len(coders) >= 2:
        try:
            results = agreement(
                core.codings, core.lengths(), coders=[coder.name for coder in coders]
            )
        except QualError as error:
            results, problem = [], str(error)
        for result in results:
            tables[result.basis].append(
                {
                    "code": result.code,
                    "code_name": names.get(result.code, result.code),
                    "units": result.units,
                    "percent": _figure(result.percent, percent=True),
                    "kappa": _figure(result.kappa),
                    "alpha": _figure(result.alpha),
                }
            )
    sources = list(project.sources.all())
    chosen = request.GET.get("source")
    source = next((s for s in sources if str(s.pk) == chosen), sources[0] if sources else None)
    per_code = []
    if source is not None and coders:
        coder_ids = [coder.user_id for coder in coders]
        codings = list(source.codings.filter(coder_id__in=coder_ids))
        for code in sorted({c.code for c in codings}, key=lambda c: names.get(c, c)):
            segments = aligned_segments(source, [c for c in codings if c.code == code], coder_ids)
            for segment in segments:
                segment.cells = list(zip([c.name for c in coders], segment.coded_by, strict=True))
            per_code.append(
                {
                    "code": code,
                    "code_name": names.get(code, code),
                    "segments": segments,
                    "agreed": sum(1 for s in segments if s.agree),
                }
            )
    return render(
        request,
        "qual/compare.html",
        {
            "project": project,
            "organization": project.organization,
            "rights": rights,
            "coders": coders,
            "tables": [
                {"basis": basis, "unit": BASES[basis], "rows": tables[basis]}
                for basis in (ALL_TEXT, CODED)
            ],
            "problem": problem,
            "sources": sources,
            "source": source,
            "per_code": per_code,
            "two_coders": len(coders) == 2,
        },
    )


# --- Coders -----------------------------------------------------------------------------------


def _lead_only(rights: ProjectRights, what: str) -> None:
    if not rights.is_lead:
        raise PermissionDenied(f"Only the project's lead {what}.")


@project_view
@require_POST
def coder_add(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    _lead_only(rights, "assigns coders")
    form = CoderForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, "No coder was added: choose one of the people listed.")
        return redirect(_project_url(project) + "#coders")
    try:
        coder = do_add_coder(project, form.cleaned_data["user"], acting_user=request.user)
    except ValidationError as error:
        messages.error(request, "No coder was added: " + _error_text(error))
    else:
        messages.success(
            request, f"{coder.user.get_full_name()} codes {project.name} as “{coder.name}”."
        )
    return redirect(_project_url(project) + "#coders")


@project_view
@require_POST
def coder_remove(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights, coder_pk: int
) -> HttpResponse:
    _lead_only(rights, "removes coders")
    coder = get_object_or_404(ProjectCoder.objects.select_related("user"), pk=coder_pk,
                              project=project)
    try:
        do_remove_coder(coder, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{coder.user.get_full_name()} no longer codes {project.name}.")
    return redirect(_project_url(project) + "#coders")


# --- Uploading files ---------------------------------------------------------------------------


def _files_page(
    request: HttpRequest,
    project: QualitativeProject,
    rights: ProjectRights,
    *,
    sources_form: SourcesUploadForm | None = None,
    codebook_form: CodebookUploadForm | None = None,
    qdpx_form: QdpxImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    _lead_only(rights, "uploads files")
    has_sources = project.sources.exists()
    return render(
        request,
        "qual/files.html",
        {
            "project": project,
            "organization": project.organization,
            "rights": rights,
            "sources_form": sources_form or SourcesUploadForm(),
            "codebook_form": codebook_form or CodebookUploadForm(),
            # Offered while there are no sources; shown with its errors when refused.
            "qdpx_form": qdpx_form or (QdpxImportForm() if not has_sources else None),
            "version": project.current_codebook,
            "max_file_mb": MAX_FILE_BYTES // 1024 // 1024,
            "max_files": MAX_FILES,
            "identifying_kept": hasattr(project, "identifying_list"),
        },
        status=status,
    )


@project_view
@require_safe
def project_files(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    return _files_page(request, project, rights)


def _add_problems(form, error: ValidationError, folder: str) -> None:
    for message in error.messages:
        form.add_error(None, without_folder(message, folder))


@project_view
@require_POST
def sources_upload(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    _lead_only(rights, "uploads sources")
    form = SourcesUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        uploads = {
            "transcripts": data["transcripts"],
            "participants": [data["participants"]] if data["participants"] else [],
            "identifying": [data["identifying"]] if data["identifying"] else [],
            "open_text": [data["open_text"]] if data["open_text"] else [],
        }
        with files_on_disk(uploads) as (paths, folder):
            open_text = None
            if paths["open_text"]:
                open_text = OpenTextUpload(
                    paths["open_text"][0],
                    column=data["open_text_column"].strip(),
                    id_column=data["open_text_id_column"].strip() or "response_id",
                    attributes=form.attribute_columns,
                    group=data["open_text_group"].strip(),
                )
            try:
                read = do_upload_sources(
                    project,
                    transcripts=paths["transcripts"],
                    participants=(paths["participants"] or [None])[0],
                    identifying=(paths["identifying"] or [None])[0],
                    open_text=open_text,
                    encoding=data["encoding"] or None,
                    acting_user=request.user,
                )
            except ValidationError as error:
                _add_problems(form, error, folder)
            else:
                _report_sources(request, read)
                return redirect(_project_url(project) + "#sources")
    return _files_page(request, project, rights, sources_form=form, status=400)


def _report_sources(request: HttpRequest, read: SourcesRead) -> None:
    added = len(read.new_sources)
    replaced = sum(read.replacements.values())
    messages.success(
        request,
        f"Added {added} source{'s' if added != 1 else ''} and "
        f"{len(read.new_participants)} participant{'s' if len(read.new_participants) != 1 else ''}"
        f"; {replaced} identifying term{'s were' if replaced != 1 else ' was'} replaced by tags "
        "before anything was stored.",
    )
    for source, labels in read.unlinked_speakers.items():
        messages.warning(
            request,
            f"{source}: speaker label(s) {', '.join(labels)} belong to no participant; add them "
            "to the participants list's speaker column to count their words by group.",
        )


@project_view
@require_POST
def codebook_upload(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    _lead_only(rights, "changes the codebook")
    form = CodebookUploadForm(request.POST, request.FILES)
    if form.is_valid():
        with files_on_disk({"codebook": [form.cleaned_data["codebook"]]}) as (paths, folder):
            try:
                version = do_upload_codebook(
                    project, paths["codebook"][0], author=request.user, acting_user=request.user
                )
            except ValidationError as error:
                _add_problems(form, error, folder)
            else:
                messages.success(request, f"Saved codebook version {version.number}.")
                return redirect(_project_url(project, "qual_codebook"))
    return _files_page(request, project, rights, codebook_form=form, status=400)


def _report_qdpx(request: HttpRequest, imported: QdpxImported) -> None:
    messages.success(
        request,
        f"Imported {imported.sources} sources, {imported.participants} participants, "
        f"{imported.codings} codings and {imported.memos} memos"
        + (f"; the codebook is now version {imported.codebook_version}"
           if imported.codebook_version else "")
        + ". Every source was de-identified with what the project knows.",
    )
    shown = 20  # more would bury the page; the rest are counted
    for item in imported.skipped[:shown]:
        messages.warning(request, f"Left out: {item}")
    if len(imported.skipped) > shown:
        messages.warning(request, f"… and {len(imported.skipped) - shown} more left out.")
    for item in imported.warnings[:5]:
        messages.info(request, f"Read despite: {item}")


@project_view
@require_POST
def qdpx_import(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    _lead_only(rights, "imports projects")
    form = QdpxImportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        uploads = {"qdpx": [data["qdpx"]],
                   "identifying": [data["identifying"]] if data["identifying"] else []}
        with files_on_disk(uploads) as (paths, folder):
            try:
                imported = do_import_qdpx(
                    project,
                    paths["qdpx"][0],
                    identifying=(paths["identifying"] or [None])[0],
                    acting_user=request.user,
                )
            except ValidationError as error:
                _add_problems(form, error, folder)
            else:
                _report_qdpx(request, imported)
                return redirect(_project_url(project))
    return _files_page(request, project, rights, qdpx_form=form, status=400)


# --- Analysis ---------------------------------------------------------------------------------

WITHHELD = {
    "primary": "too few people: fewer than the threshold, or a group under it",
    "secondary": "withheld so that another withheld count cannot be worked out from this one",
}


def _analysis_access(rights: ProjectRights) -> None:
    if not rights.may_compare:
        raise PermissionDenied(
            "The analysis reads every coder's codings; it opens once the lead unblinds the "
            "project."
        )


def _groupings(core: Any) -> list[str]:
    from workforce.qual.analysis import GROUP

    return [GROUP, *sorted({a for p in core.participants for a in p.attributes})]


def _themes(core: Any, by: str) -> tuple[Any, str]:
    """The gated matrix, or why there is none."""
    from workforce.qual.analysis import theme_by_group

    if not core.participants:
        return None, "The project has no participants to count yet: upload a participants list."
    if not any(code.codable for code in core.codes):
        return None, "The codebook has no codes to count yet."
    try:
        return theme_by_group(core, by=by), ""
    except QualError as error:
        return None, str(error)


@project_view
@require_safe
def analysis(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    """Code frequencies, co-occurrence and themes by group, over every coder's codings (their
    union: a character counts as coded when any coder coded it)."""
    _analysis_access(rights)
    from workforce.qual.analysis import PARTICIPANTS, co_occurrence, code_frequencies

    core = to_core(project)
    names = _code_names(project.current_codebook)
    groupings = _groupings(core)
    by = request.GET.get("by", groupings[0])
    if by not in groupings:
        by = groupings[0]
    frequencies = code_frequencies(core)
    frequency_rows = [
        {"code": code, "name": names.get(code, code), **row}
        for code, row in frequencies.to_dict(orient="index").items()
    ]
    matrix = co_occurrence(core)
    codes = list(matrix.index)
    co_rows = [
        {"name": names.get(code, code),
         "cells": [int(matrix.at[code, other]) for other in codes]}
        for code in codes
    ]
    themes, themes_problem = _themes(core, by)
    theme_rows = []
    if themes is not None:
        for code in themes.counts.index:
            cells = []
            for group in themes.counts.columns:
                count = themes.counts.at[code, group]
                share = themes.shares.at[code, group] if code != PARTICIPANTS else None
                cells.append({
                    "count": count,
                    "status": themes.status.at[code, group],
                    "share": None if share is None else f"{share * 100:.0f}%",
                })
            theme_rows.append({
                "name": "Participants" if code == PARTICIPANTS else names.get(code, code),
                "base": code == PARTICIPANTS,
                "cells": cells,
            })
    return render(
        request,
        "qual/analysis.html",
        {
            "project": project,
            "organization": project.organization,
            "rights": rights,
            "frequency_rows": frequency_rows,
            "co_names": [names.get(code, code) for code in codes],
            "co_rows": co_rows,
            "groupings": groupings,
            "by": by,
            "themes": themes,
            "theme_rows": theme_rows,
            "themes_problem": themes_problem,
            "withheld": WITHHELD,
            "coders": project.projectcoder_set.count(),
        },
    )


@project_view
@require_safe
def analysis_themes_csv(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    """The themes-by-group cells as the gate lets them out: a withheld count or share is
    empty, its status says why."""
    _analysis_access(rights)
    core = to_core(project)
    groupings = _groupings(core)
    by = request.GET.get("by", groupings[0])
    if by not in groupings:
        raise Http404("No such grouping in this project.")
    themes, problem = _themes(core, by)
    if themes is None:
        raise Http404(problem)
    names = _code_names(project.current_codebook)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "code_name", by, "count", "share", "status", "threshold"])
    for row in themes.cells().to_dict(orient="records"):
        writer.writerow([
            row["code"],
            names.get(row["code"], "participants" if row["code"].startswith("_") else ""),
            row[by],
            "" if row["count"] is None else row["count"],
            "" if row["share"] is None else f"{row['share']:.4f}",
            row["status"],
            themes.threshold,
        ])
    stem = "".join(ch if ch.isalnum() else "-" for ch in project.name.lower()).strip("-")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{stem or "project"}-themes-by-{by}.csv"'
    )
    return response


# --- The identifying list (lead only) -----------------------------------------------------------


def _identifying_page(
    request: HttpRequest,
    project: QualitativeProject,
    form: IdentifyingListForm,
    row: ProjectIdentifyingList | None,
    findings: list | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "qual/identifying.html",
        {
            "project": project,
            "organization": project.organization,
            "form": form,
            "row": row,
            "findings": findings,
        },
        status=status,
    )


def _identifying_form(
    project: QualitativeProject, row: ProjectIdentifyingList | None, data: Any = None
) -> IdentifyingListForm:
    names = row.names if row is not None else {}
    ids = list(dict.fromkeys([*(p["id"] for p in project.participants), *names]))
    initial = {f"names_{index}": "\n".join(names.get(pid, ())) for index, pid in enumerate(ids)}
    for kind in ("institutions", "places", "other"):
        initial[kind] = "\n".join(getattr(row, kind)) if row is not None else ""
    return IdentifyingListForm(data, initial=initial, participant_ids=ids)


@project_view
@require_http_methods(["GET", "HEAD", "POST"])
def identifying_list(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    """The names, aliases and terms de-identification takes out, for the lead to edit."""
    _lead_only(rights, "sees and edits the identifying list")
    row = ProjectIdentifyingList.objects.filter(project=project).first()
    if request.method != "POST":
        return _identifying_page(request, project, _identifying_form(project, row), row)
    form = _identifying_form(project, row, request.POST)
    if form.is_valid():
        try:
            do_update_identifying_list(project, **form.cleaned_lists(), acting_user=request.user)
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request,
                "The identifying list was saved. Check the sources again to find where a "
                "newly listed term is still in a stored text.",
            )
            return redirect(_project_url(project, "qual_identifying") + "#check")
    return _identifying_page(request, project, form, row, status=400)


def _still_named(project: QualitativeProject) -> list:
    identifying = kept_identifying(project).identifying
    originals = dict(
        SourceOriginal.objects.filter(source__project=project).values_list(
            "source_id", "replacements"
        )
    )
    sources = list(project.sources.all())
    pks = {source.key: source.pk for source in sources}
    found = still_named(
        ((source.key, source.text, originals.get(source.pk, [])) for source in sources),
        identifying,
    )
    return [{"found": item, "source_pk": pks[item.source]} for item in found]


@project_view
@require_safe
def identifying_check(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    """Where a term of the identifying list is still in a stored text: sources and
    characters, never the words."""
    _lead_only(rights, "checks the sources against the identifying list")
    row = ProjectIdentifyingList.objects.filter(project=project).first()
    return _identifying_page(
        request, project, _identifying_form(project, row), row, findings=_still_named(project)
    )


@project_view
@require_POST
def identifying_reapply(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    _lead_only(rights, "re-applies de-identification")
    try:
        replaced = do_reapply_deidentification(project, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(_project_url(project, "qual_identifying_check") + "#check")
    if replaced:
        total = sum(replaced.values())
        messages.success(
            request,
            f"{total} term{'s' if total != 1 else ''} replaced by tags in "
            f"{', '.join(replaced)}; codings, turns and passage memos moved with their words.",
        )
    else:
        messages.info(request, "No listed term was found in the stored texts; nothing changed.")
    return redirect(_project_url(project, "qual_identifying_check") + "#check")


# --- Quotes for the report ----------------------------------------------------------------------

QUOTE_THRESHOLD = 5  # the disclosure gate's threshold, as the themes by group use it


@project_view
@require_safe
def quotes(
    request: HttpRequest, project: QualitativeProject, rights: ProjectRights
) -> HttpResponse:
    """Per code, the quotes a report may print and the candidates refused, with why. A
    refused passage that names a listed identifier is not shown: only its place."""
    _analysis_access(rights)
    from workforce.qual.analysis import IDENTIFIER, exemplary_quotes

    core = to_core(project)
    names = _code_names(project.current_codebook)
    sources = {s.key: s.pk for s in project.sources.only("pk", "key", "project_id")}
    choices = exemplary_quotes(
        core, kept_identifying(project).identifying, threshold=QUOTE_THRESHOLD
    )
    rows = []
    for code, choice in choices.items():
        rows.append({
            "code": code,
            "name": names.get(code, code),
            "accepted": [
                {"quote": quote, "source_pk": sources.get(quote.source)}
                for quote in choice.accepted
            ],
            "refused": [
                {
                    "quote": refusal.quote,
                    "source_pk": sources.get(refusal.quote.source),
                    "withheld": IDENTIFIER in refusal.kinds,
                    "reasons": refusal.reasons,
                }
                for refusal in choice.refused
            ],
        })
    return render(
        request,
        "qual/quotes.html",
        {
            "project": project,
            "organization": project.organization,
            "rights": rights,
            "rows": rows,
            "threshold": QUOTE_THRESHOLD,
        },
    )
