"""Forms of the entry site. They parse what was typed; the rules live in the services, whose refusals are shown
beside the field they name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from elections.models import Candidate
from elections.names import local_name_of
from trust.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
else:
    StrOrPromise = str

MAX_COUNT = 2**31 - 1
# The services name these fields in EntryRejected.details["field"]; anything else is shown above the form.
SHEET_FIELDS = {"ballots_cast", "blank", "invalid", "reason"}


def new_idempotency_key() -> str:
    """A fresh key for one rendered form: re-posting that form (double click, retry) records once."""
    return f"form-{uuid.uuid4()}"


class NumberInput(forms.TextInput):
    """A text box for whole numbers: the phone shows digits, and arrow keys or the wheel cannot change the value."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off", **(attrs or {})})


def count_field(label: StrOrPromise) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_COUNT,
        widget=NumberInput(),
        error_messages={
            "required": _("Enter a number (0 if none)."),
            "invalid": _("Enter a whole number, using digits only."),
            "min_value": _("This cannot be negative."),
            "max_value": _("This number is too large."),
        },
    )


class EntryForm(forms.Form):
    """A form whose post is one entry: it carries the idempotency key of the page it was rendered on."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def add_error(self, field: str | None, error: Any) -> None:
        """Record the error and point the field's ``aria-describedby`` at the message shown under it."""
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal beside the field it names, or above the form."""
        field = self.field_for_error(error)
        if field == "idempotency_key":
            # The page's key was already used (the form was sent before): what is typed now is a new entry.
            if isinstance(self.data, QueryDict):
                data = self.data.copy()
                data["idempotency_key"] = new_idempotency_key()
                self.data = data
            field = None
        self.add_error(field if field in self.fields else None, error.message)

    def field_for_error(self, error: DomainError) -> str | None:
        field = error.details.get("field")
        return field if isinstance(field, str) else None


class SheetForm(EntryForm):
    """A tally sheet: ballots cast, blank, invalid and one number per candidate, and a reason for a correction."""

    def __init__(self, *args: Any, candidates: Sequence[Candidate], show_reason: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.fields["ballots_cast"] = count_field(_("Ballots cast"))
        self.fields["blank"] = count_field(_("Blank ballots"))
        self.fields["invalid"] = count_field(_("Invalid ballots"))
        for candidate in self.candidates:
            self.fields[self.vote_field(candidate.pk)] = count_field(local_name_of(candidate))
        self.fields["reason"] = forms.CharField(
            label=_("Reason for the correction"),
            # The service decides when a reason is needed: re-posting an accepted sheet is a replay, not a correction.
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        if not show_reason:
            self.fields["reason"].widget = forms.HiddenInput()

    @staticmethod
    def vote_field(candidate_id: int) -> str:
        return f"votes_{candidate_id}"

    @property
    def vote_fields(self) -> list[forms.BoundField]:
        return [self[self.vote_field(c.pk)] for c in self.candidates]

    @property
    def count_fields(self) -> list[forms.BoundField]:
        return [self["ballots_cast"], self["blank"], self["invalid"]]

    def votes(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[self.vote_field(c.pk)] for c in self.candidates}

    def field_for_error(self, error: DomainError) -> str | None:
        field = error.details.get("field")
        if field == "votes":
            candidate_ids = error.details.get("candidate_ids") or [error.details.get("candidate_id")]
            names = [self.vote_field(cid) for cid in candidate_ids if isinstance(cid, int)]
            return names[0] if names else None
        return field if field in SHEET_FIELDS or field == "idempotency_key" else None


class BallotForm(EntryForm):
    """One paper ballot: the marked candidates, or the "blank" or "invalid" button."""

    KINDS = ("marked", "blank", "invalid")

    marks = forms.TypedMultipleChoiceField(
        label=_("Marked candidates"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS], initial="marked", required=False)

    def __init__(self, *args: Any, candidates: Sequence[Candidate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.fields["marks"].choices = [(c.pk, local_name_of(c)) for c in self.candidates]  # type: ignore[attr-defined]

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or "marked"


class ReasonForm(EntryForm):
    """An action that needs a reason: undoing a ballot, quarantining a sheet, reopening a count."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Give a reason.")},
    )


class UndoForm(ReasonForm):
    """Undo names the ballot it takes back, so a re-post voids that one and not the one before it."""

    ballot_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class KeyOnlyForm(EntryForm):
    """An action with nothing to type: marking a count complete, releasing a sheet."""


class TurnoutForm(EntryForm):
    """How many voters have voted so far."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voters"] = count_field(_("Voters who have voted so far"))


class AcceptVersionForm(EntryForm):
    """A supervisor keeps one of the versions under review."""

    accept_version = forms.IntegerField(min_value=1, max_value=MAX_COUNT, widget=forms.HiddenInput)
