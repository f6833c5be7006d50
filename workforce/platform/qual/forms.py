"""Forms of the focus-group pages: coding passages, changing a coding, codes, memos, and
creating a project, its coders and its uploads.

Forms check the shape of what was sent (numbers are numbers, one of the offered choices);
whether offsets lie inside the source and codes are in the codebook is the actions' check,
so the command line and the pages refuse the same things with the same words.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from workforce.platform.accounts.models import User
from workforce.platform.organizations.models import Organization, Role
from workforce.platform.permissions import ROLE_ACTIONS, Action
from workforce.platform.qual.models import CodebookVersion, Memo, QualitativeProject, Source
from workforce.platform.qual.uploads import MAX_FILE_BYTES, MAX_FILES, TRANSCRIPT_SUFFIXES


def code_choices(version: CodebookVersion | None, *, codable_only: bool) -> list[tuple[str, str]]:
    """(id, label) of the codebook's codes, parents before children, the label showing the
    path of names (``Climate › Belonging``) so a code is found by its place."""
    if version is None:
        return []
    by_id = {code["id"]: code for code in version.codes}

    def path(code: dict) -> str:
        names = [code["name"]]
        while code.get("parent") and code["parent"] in by_id:
            code = by_id[code["parent"]]
            names.insert(0, code["name"])
        return " › ".join(names)

    return [
        (code["id"], path(code))
        for code in version.codes
        if code.get("codable", True) or not codable_only
    ]


class OffsetsMixin:
    """``start`` and ``end`` given together or not at all."""

    def clean_offsets(self, cleaned: dict, *, required: bool) -> tuple[int, int] | None:
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None and end is None:
            if required:
                raise forms.ValidationError("Give the first and the last character.")
            return None
        if start is None or end is None:
            raise forms.ValidationError(
                "Give both the character the passage starts at and the one it ends before."
            )
        return start, end


class CodingForm(OffsetsMixin, forms.Form):
    """Apply codes to a selected passage, or to whole turns (the form without scripts)."""

    codes = forms.MultipleChoiceField(
        label="Codes to apply", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one code to apply."},
    )
    start = forms.IntegerField(
        label="From character", required=False, min_value=0,
        help_text="Filled in when you select text; counted from 0.",
    )
    end = forms.IntegerField(
        label="To character (not included)", required=False, min_value=0,
    )
    turns = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, source: Source, version: CodebookVersion | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["codes"].choices = code_choices(version, codable_only=True)
        self.fields["turns"].choices = [
            (str(index), str(index)) for index in range(len(source.turns))
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        passage = self.clean_offsets(cleaned, required=False)
        if passage is not None:
            cleaned["passages"] = [passage]
        elif cleaned.get("turns"):
            turns = self.source.turns
            cleaned["passages"] = [
                (turns[int(index)]["start"], turns[int(index)]["end"])
                for index in sorted(cleaned["turns"], key=int)
            ]
        else:
            raise forms.ValidationError(
                "Select a passage of the text, or tick at least one turn, to code."
            )
        return cleaned


class CodingChangeForm(OffsetsMixin, forms.Form):
    code = forms.ChoiceField(label="Code")
    start = forms.IntegerField(label="From character", min_value=0)
    end = forms.IntegerField(
        label="To character (not included)", min_value=0,
        help_text="Characters are counted from 0; the passage ends just before this one.",
    )

    def __init__(self, *args, version: CodebookVersion | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = code_choices(version, codable_only=True)


class CodeForm(forms.Form):
    name = forms.CharField(max_length=200)
    parent = forms.ChoiceField(
        label="Under", required=False,
        help_text="The code it belongs to; leave at “Top level” for a code of its own.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="When to apply the code, and when not.",
    )
    examples = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="Passages that show the code, one per line.",
    )
    codable = forms.BooleanField(
        label="Passages may be coded with it", required=False, initial=True,
        help_text="Untick for a category that only groups the codes under it.",
    )
    note = forms.CharField(
        label="What changed (for the version list)", max_length=500, required=False,
    )

    def __init__(self, *args, version: CodebookVersion | None, exclude: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (code_id, label)
            for code_id, label in code_choices(version, codable_only=False)
            if not exclude or (code_id != exclude and not code_id.startswith(exclude + "/"))
        ]
        self.fields["parent"].choices = [("", "Top level"), *choices]

    @property
    def example_lines(self) -> list[str]:
        return [line for line in self.cleaned_data["examples"].splitlines() if line.strip()]

    def code_fields(self) -> dict:
        """The code as ``do_add_code`` and ``do_change_code`` take it, with the version's
        note."""
        data = self.cleaned_data
        return {"name": data["name"], "parent": data["parent"],
                "description": data["description"], "examples": self.example_lines,
                "codable": data["codable"], "note": data["note"]}


class MemoForm(OffsetsMixin, forms.Form):
    text = forms.CharField(label="Memo", widget=forms.Textarea(attrs={"rows": 3}))
    target = forms.ChoiceField(choices=Memo.Target.choices, widget=forms.HiddenInput)
    target_id = forms.CharField(required=False, widget=forms.HiddenInput)
    start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("target") == Memo.Target.SEGMENT:
            offsets = self.clean_offsets(cleaned, required=False)
            if offsets is None:
                raise forms.ValidationError(
                    "Select the passage the memo is about first (or write it on the source)."
                )
        return cleaned


# --- Creating a project, its coders and its files ------------------------------------------------


def eligible_coders(organization: Organization):
    """People who may code the organization's focus groups: a role there that allows it, or
    consortium staff (whose role reaches every society), as ``permissions.can`` decides."""
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.CODE_QUALITATIVE in actions]
    reach = Q(memberships__organization=organization, memberships__role__in=roles)
    if organization.parent_id is not None:
        reach |= Q(
            memberships__organization_id=organization.parent_id,
            memberships__role=Role.CONSORTIUM_STAFF,
        )
    return User.objects.filter(reach, is_active=True).distinct().order_by("full_name", "email")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's FileField takes one)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def checked_file(upload, suffixes: tuple[str, ...], what: str):
    """``upload`` if its name ends in one of ``suffixes`` and it is not too large."""
    if upload is None:
        return None
    if not upload.name.lower().endswith(suffixes):
        raise forms.ValidationError(
            f"{upload.name}: {what} is a {' or '.join(suffixes)} file."
        )
    if upload.size > MAX_FILE_BYTES:
        raise forms.ValidationError(
            f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB; a file may be "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB at most. Split a long transcript into parts."
        )
    return upload


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Unique among the organization's projects.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="Who took part, when, and what the groups discussed.",
    )
    qdpx = forms.FileField(
        label="Start from a REFI-QDA project (.qdpx, optional)", required=False,
        help_text="From ATLAS.ti, MAXQDA, NVivo or QualCoder; you lead the project whoever "
        "made the file.",
    )
    identifying = forms.FileField(
        label="Identifying list for the .qdpx (YAML, optional)", required=False,
        help_text="Names, institutions and places to take out of its texts.",
    )

    def clean_qdpx(self):
        return checked_file(self.cleaned_data.get("qdpx"), (".qdpx",), "a REFI-QDA project")

    def clean_identifying(self):
        return checked_file(
            self.cleaned_data.get("identifying"), (".yaml", ".yml"), "an identifying list"
        )


class CoderForm(forms.Form):
    user = forms.ModelChoiceField(
        label="Person", queryset=User.objects.none(),
        empty_label="Choose a person…",
        help_text="People who may code this organization's focus groups.",
    )

    def __init__(self, *args, project: QualitativeProject, **kwargs):
        super().__init__(*args, **kwargs)
        taken = project.projectcoder_set.values_list("user_id", flat=True)
        field = self.fields["user"]
        field.queryset = eligible_coders(project.organization).exclude(pk__in=taken)
        field.label_from_instance = lambda user: (
            f"{user.full_name} <{user.email}>" if user.full_name else user.email
        )


class SourcesUploadForm(forms.Form):
    transcripts = MultipleFileField(
        label="Transcripts", required=False,
        help_text="Several at once: .txt with “Speaker:” lines, .docx, .vtt or .srt. Each "
        "becomes a source named after its file.",
    )
    participants = forms.FileField(
        label="Participants list (CSV)", required=False,
        help_text="Columns id and group, optional name, aliases and speaker, and standard "
        "attributes. Names are used to de-identify and are never shown to coders.",
    )
    identifying = forms.FileField(
        label="Identifying list (YAML)", required=False,
        help_text="Institutions, places and other terms (and names) to take out of the texts; "
        "kept for later uploads to this project.",
    )
    encoding = forms.ChoiceField(
        label="Text encoding of .txt, .vtt, .srt and .csv files",
        choices=[("", "UTF-8 (the usual)"), ("cp1252", "Windows (cp1252)"),
                 ("latin-1", "Latin-1 (ISO 8859-1)")],
        required=False,
        help_text="Only if the upload says a file is not UTF-8 text.",
    )
    open_text = forms.FileField(
        label="Open-text answers (CSV)", required=False,
        help_text="A survey export: one source per answer.",
    )
    open_text_column = forms.CharField(
        label="Column of the answers", required=False, max_length=200,
    )
    open_text_id_column = forms.CharField(
        label="Column of the response ids", required=False, max_length=200,
        initial="response_id",
    )
    open_text_attributes = forms.CharField(
        label="Attribute columns (comma-separated)", required=False, max_length=1000,
        help_text="Standard attributes the respondents carry along, e.g. career_stage, sector.",
    )
    open_text_group = forms.CharField(
        label="Group of the answers", required=False, max_length=200,
        help_text="For example the survey wave.",
    )

    def clean_transcripts(self):
        files = self.cleaned_data.get("transcripts") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                f"{len(files)} files were chosen; upload {MAX_FILES} at most at a time."
            )
        problems = []
        for upload in files:
            try:
                checked_file(upload, TRANSCRIPT_SUFFIXES, "a transcript")
            except forms.ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise forms.ValidationError(problems)
        return files

    def clean_participants(self):
        return checked_file(self.cleaned_data.get("participants"), (".csv",), "a participants list")

    def clean_identifying(self):
        return checked_file(
            self.cleaned_data.get("identifying"), (".yaml", ".yml"), "an identifying list"
        )

    def clean_open_text(self):
        return checked_file(self.cleaned_data.get("open_text"), (".csv",), "a survey export")

    def clean(self) -> dict:
        cleaned = super().clean()
        names = ("transcripts", "participants", "identifying", "open_text")
        if not self.errors and not any(cleaned.get(name) for name in names):
            raise forms.ValidationError("Choose at least one file to upload.")
        if cleaned.get("open_text") and not cleaned.get("open_text_column", "").strip():
            self.add_error("open_text_column", "Name the column that holds the answers.")
        return cleaned

    @property
    def attribute_columns(self) -> tuple[str, ...]:
        text = self.cleaned_data.get("open_text_attributes", "")
        return tuple(part.strip() for part in text.split(",") if part.strip())


class CodebookUploadForm(forms.Form):
    codebook = forms.FileField(
        label="Codebook file",
        help_text="A codebook as YAML (nested codes) or a REFI-QDA codebook (.qdc). It becomes "
        "the next version; codes whose names and places match keep their codings.",
    )

    def clean_codebook(self):
        return checked_file(
            self.cleaned_data.get("codebook"), (".yaml", ".yml", ".qdc"), "a codebook"
        )


class QdpxImportForm(forms.Form):
    qdpx = forms.FileField(
        label="REFI-QDA project (.qdpx)",
        help_text="Into this project while it has no sources. Codings are kept for coders of "
        "the file whose names are coder names here.",
    )
    identifying = forms.FileField(
        label="Identifying list (YAML, optional)", required=False,
    )

    def clean_qdpx(self):
        return checked_file(self.cleaned_data.get("qdpx"), (".qdpx",), "a REFI-QDA project")

    def clean_identifying(self):
        return checked_file(
            self.cleaned_data.get("identifying"), (".yaml", ".yml"), "an identifying list"
        )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class IdentifyingListForm(forms.Form):
    """The lead's identifying list: one textarea per kind of term and one per participant,
    one term per line."""

    institutions = forms.CharField(
        label="Institutions", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Universities, hospitals, companies, societies: one per line.",
    )
    places = forms.CharField(
        label="Places", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Cities, regions, clinics' towns: one per line.",
    )
    other = forms.CharField(
        label="Other terms", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Anything else that points at someone (a project, a rare job title): one "
                  "per line.",
    )

    def __init__(self, *args, participant_ids: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.participant_ids = list(participant_ids)
        for index, pid in enumerate(self.participant_ids):
            self.fields[f"names_{index}"] = forms.CharField(
                label=f"Names of {pid}", required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Full name, then aliases and nicknames: one per line.",
            )

    def name_fields(self):
        return [self[f"names_{index}"] for index in range(len(self.participant_ids))]

    def term_fields(self):
        return [self["institutions"], self["places"], self["other"]]

    def cleaned_lists(self) -> dict:
        data = self.cleaned_data
        return {
            "names": {pid: _lines(data.get(f"names_{index}", ""))
                      for index, pid in enumerate(self.participant_ids)},
            "institutions": _lines(data.get("institutions", "")),
            "places": _lines(data.get("places", "")),
            "other": _lines(data.get("other", "")),
        }
