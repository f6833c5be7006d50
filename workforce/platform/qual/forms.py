"""Forms of the focus-group pages: coding passages, changing a coding, codes, memos.

Forms check the shape of what was sent (numbers are numbers, one of the offered choices);
whether offsets lie inside the source and codes are in the codebook is the actions' check,
so the command line and the pages refuse the same things with the same words.
"""

from __future__ import annotations

from django import forms

from workforce.platform.qual.models import CodebookVersion, Memo, Source


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
