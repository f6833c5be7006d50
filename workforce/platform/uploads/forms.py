"""The form a data steward uses to send a membership export."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from workforce.platform.uploads.models import Upload


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
