"""The forms a data steward uses to send a membership export, or to set one aside."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from workforce.platform.uploads.models import SET_ASIDE_REASON_MAX, Upload


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=(
            "CSV, Excel (.xlsx), SPSS (.sav), Stata (.dta) or Parquet. "
            "The file is kept exactly as sent, with its SHA-256 checksum."
        ),
    )
    kind = forms.ChoiceField(
        label="What is in it", choices=Upload.Kind.choices, initial=Upload.Kind.MEMBERSHIP_EXPORT
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        file = self.cleaned_data["file"]
        limit = settings.WORKFORCE_MAX_UPLOAD_BYTES
        if file.size > limit:
            raise forms.ValidationError(
                f"{file.name} is {filesizeformat(file.size)}; the limit is "
                f"{filesizeformat(limit)}. Split it, or ask consortium staff to load it."
            )
        return file


class SetAsideForm(forms.Form):
    reason = forms.CharField(
        label="Why is it set aside?",
        help_text=(
            "For instance: last year's export, sent by mistake. "
            "Everyone who sees the file reads this."
        ),
        max_length=SET_ASIDE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
