"""The forms of the results file page: the upload (election, file, what to do with it) and the confirmation, which
names the file by its SHA-256 (the file itself waits in the shared cache between the two steps)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from elections.models import Election

# A county's file is a few hundred kilobytes, a state's a few megabytes; more would fill the cache and memory.
MAX_RESULTS_FILE_SIZE = 10 * 1024 * 1024
# Long enough to read a preview and confirm it.
KEPT_FOR_SECONDS = 3600
SHA256 = re.compile(r"[0-9a-f]{64}")
RESULTS, STRUCTURE = "results", "structure"
PURPOSES = [
    (RESULTS, _("Enter its results as tally sheets (the election must be open)")),
    (STRUCTURE, _("Create the districts, stations, parties, contests and candidates it names (a draft election)")),
]


def _cache_key(sha256: str) -> str:
    return f"results-file:{sha256}"


def keep_file(sha256: str, data: bytes) -> None:
    """Keep an uploaded file until it is confirmed, where every app node finds it."""
    cache.set(_cache_key(sha256), data, KEPT_FOR_SECONDS)


def kept_file(sha256: str) -> bytes | None:
    data = cache.get(_cache_key(sha256))
    return data if isinstance(data, bytes) else None


def _elections() -> QuerySet[Election]:
    return Election.objects.exclude(status=Election.Status.CERTIFIED).order_by("-date", "name")


class ResultsFileForm(forms.Form):
    election = forms.ModelChoiceField(queryset=_elections(), label=_("Election"))
    purpose = forms.ChoiceField(
        choices=PURPOSES, initial=RESULTS, widget=forms.RadioSelect, label=_("What to do with the file")
    )
    results_file = forms.FileField(
        label=_("Results file"),
        help_text=_(
            "An OpenElections precinct CSV (UTF-8) or a NIST SP 1500-100 V2 JSON election report, at most %(size)s."
        )
        % {"size": filesizeformat(MAX_RESULTS_FILE_SIZE)},
    )

    def clean_results_file(self) -> Any:
        upload = self.cleaned_data["results_file"]
        if upload.size > MAX_RESULTS_FILE_SIZE:
            raise ValidationError(
                _("The file is larger than %(limit)s. Split it into smaller files.")
                % {"limit": filesizeformat(MAX_RESULTS_FILE_SIZE)}
            )
        return upload


class ConfirmResultsFileForm(forms.Form):
    """The preview's confirmation: which election, which file (by SHA-256) and what to do."""

    election = forms.ModelChoiceField(queryset=_elections(), widget=forms.HiddenInput())
    purpose = forms.ChoiceField(choices=PURPOSES, widget=forms.HiddenInput())
    sha256 = forms.CharField(widget=forms.HiddenInput(), max_length=64)
    file_name = forms.CharField(widget=forms.HiddenInput(), max_length=255, required=False)

    def clean_sha256(self) -> str:
        value = str(self.cleaned_data["sha256"])
        if not SHA256.fullmatch(value):
            raise ValidationError(_("This is not a file's SHA-256."))
        return value
