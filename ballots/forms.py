"""Forms of the entry site. They parse what was typed; the rules live in the services, whose refusals are shown
beside the field they name."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from ballots.selectors import Numbers
from elections.models import Candidate, Election, VoteType
from elections.names import local_name_of, names_write_in
from trust.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
else:
    StrOrPromise = str

MAX_COUNT = 2**31 - 1
# The services name these fields in EntryRejected.details["field"]; anything else is shown above the form.
SHEET_FIELDS = {"ballots_cast", "blank", "invalid", "undervotes", "overvotes", "reason"}
COUNT_LABELS = {
    "blank": _("Blank ballots"),
    "invalid": _("Invalid ballots"),
    "undervotes": _("Undervotes"),
    "overvotes": _("Overvotes"),
}


def said_to_a_person(error: DomainError) -> str:
    """A refusal as a person at a web form reads it: a form's key is no business of theirs, what happened is."""
    if error.code == "idempotency_key_reused":
        return str(
            _(
                "This form had already been sent and was recorded then; what it holds now was not saved. Check the "
                "station's page before you send it again: sending it now saves a new entry."
            )
        )
    if error.code == "idempotency_key_invalid":
        return str(_("The form was incomplete. Reload the page and enter it again."))
    return error.message


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
                described = [f"{self[name].auto_id}-error", *self.notes_of(name)]
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(described)

    def notes_of(self, name: str) -> list[str]:
        """The ids of notes shown under a field besides its error (none by default)."""
        return []

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal beside the field it names, or above the form, in words for a person."""
        field = self.field_for_error(error)
        if field == "idempotency_key":
            # The page's key was already used (the form was sent before): what is typed now is a new entry.
            if isinstance(self.data, QueryDict):
                data = self.data.copy()
                data["idempotency_key"] = new_idempotency_key()
                self.data = data
            field = None
        self.add_error(field if field in self.fields else None, said_to_a_person(error))

    def field_for_error(self, error: DomainError) -> str | None:
        field = error.details.get("field")
        return field if isinstance(field, str) else None


@dataclass(frozen=True)
class VoteRow:
    """One line of the votes on a sheet: a candidate (or a measure's choice) and its number, or its numbers per vote
    type with their total (None until every one of them is a whole number)."""

    candidate: Candidate
    name: str
    write_in_mark: bool
    fields: list[forms.BoundField]
    type_names: list[str]
    total: int | None
    # On a correction, the accepted version's number of each field (None on a first entry).
    accepted: list[int | None] = dataclasses.field(default_factory=list)

    @property
    def cells(self) -> list[tuple[forms.BoundField, str, int | None]]:
        """Each number's field with the name of its vote type (empty without vote types) and its accepted number."""
        accepted = self.accepted or [None] * len(self.fields)
        return list(zip(self.fields, self.type_names or [""], accepted, strict=True))

    @property
    def accepted_votes(self) -> int | None:
        """On a correction, the accepted votes of a candidate without vote types."""
        return self.accepted[0] if self.accepted else None

    @property
    def errors(self) -> list[tuple[forms.BoundField, list[str]]]:
        return [(field, [str(e) for e in field.errors]) for field in self.fields if field.errors]


def shown_name(candidate: Candidate) -> tuple[str, bool]:
    """A candidate's name as a clerk reads it, and whether it needs a "write-in" mark beside it (a write-in line
    named only "Write-in" is called that in the reader's language instead)."""
    name = local_name_of(candidate)
    if candidate.is_write_in and names_write_in(name):
        return str(_("Write-in")), False
    return name, candidate.is_write_in


class SheetForm(EntryForm):
    """A tally sheet: ballots cast, the residual counts the election keeps (blank and invalid, undervotes and
    overvotes), one number per candidate or, where the election reports vote types, one per candidate and type; and
    a reason for a correction."""

    def __init__(
        self,
        *args: Any,
        election: Election | None = None,
        candidates: Sequence[Candidate],
        vote_types: Sequence[VoteType] = (),
        show_reason: bool,
        accepted: Numbers | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.vote_types = list(vote_types)
        self.accepted = accepted
        # Without an election, the sheet counts what an election counts by default: blank and invalid ballots.
        blank_and_invalid = election.counts_blank_and_invalid if election else True
        under_and_over = election.counts_undervotes_and_overvotes if election else False
        self.counted = [
            name
            for name, kept in (
                ("blank", blank_and_invalid),
                ("invalid", blank_and_invalid),
                ("undervotes", under_and_over),
                ("overvotes", under_and_over),
            )
            if kept
        ]
        self.fields["ballots_cast"] = count_field(_("Ballots cast"))
        for name in self.counted:
            self.fields[name] = count_field(COUNT_LABELS[name])
        for candidate in self.candidates:
            name, _mark = shown_name(candidate)
            for vote_type in self.vote_types:
                label = _("%(candidate)s, %(vote_type)s") % {"candidate": name, "vote_type": local_name_of(vote_type)}
                self.fields[self.vote_field(candidate.pk, vote_type.pk)] = count_field(label)
            if not self.vote_types:
                self.fields[self.vote_field(candidate.pk)] = count_field(name)
        self.fields["reason"] = forms.CharField(
            label=_("Reason for the correction"),
            # The service decides when a reason is needed: re-posting an accepted sheet is a replay, not a correction.
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        if not show_reason:
            self.fields["reason"].widget = forms.HiddenInput()
        self.accepted_values = self._accepted_values(accepted) if accepted is not None else {}
        for name in self.accepted_values:
            self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-accepted"

    def _accepted_values(self, accepted: Numbers) -> dict[str, int]:
        """Each field's number in the accepted version that a correction replaces."""
        values = {"ballots_cast": accepted.ballots_cast, **{name: getattr(accepted, name) for name in self.counted}}
        for candidate in self.candidates:
            if not self.vote_types:
                values[self.vote_field(candidate.pk)] = accepted.votes.get(candidate.pk, 0)
            for vote_type in self.vote_types:
                per_type = accepted.by_type.get(candidate.pk, {})
                values[self.vote_field(candidate.pk, vote_type.pk)] = per_type.get(vote_type.pk, 0)
        return values

    def notes_of(self, name: str) -> list[str]:
        return [f"{self[name].auto_id}-accepted"] if name in self.accepted_values else []

    @staticmethod
    def vote_field(candidate_id: int, vote_type_id: int | None = None) -> str:
        return f"votes_{candidate_id}" if vote_type_id is None else f"votes_{candidate_id}_{vote_type_id}"

    @property
    def by_type(self) -> bool:
        return bool(self.vote_types)

    @property
    def count_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ["ballots_cast", *self.counted]]

    @property
    def count_cells(self) -> list[tuple[forms.BoundField, int | None]]:
        """Ballots cast and the residual counts, each with its accepted number on a correction."""
        return [(field, self.accepted_values.get(field.name)) for field in self.count_fields]

    def _typed_value(self, name: str) -> int | None:
        """What is typed in a field as a whole number, or None (for the totals shown before the sheet is valid)."""
        raw = str(self[name].value() if self.is_bound else self[name].initial or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 10 else None

    def _row_fields(self, candidate: Candidate) -> list[str]:
        if not self.vote_types:
            return [self.vote_field(candidate.pk)]
        return [self.vote_field(candidate.pk, t.pk) for t in self.vote_types]

    @property
    def vote_rows(self) -> list[VoteRow]:
        rows = []
        for candidate in self.candidates:
            names = self._row_fields(candidate)
            typed = [self._typed_value(name) for name in names]
            name, mark = shown_name(candidate)
            total = sum(n for n in typed if n is not None) if None not in typed else None
            type_names = [local_name_of(t) for t in self.vote_types]
            accepted = [self.accepted_values.get(n) for n in names] if self.accepted_values else []
            rows.append(VoteRow(candidate, name, mark, [self[n] for n in names], type_names, total, accepted))
        return rows

    @property
    def type_totals(self) -> list[tuple[str, str, int | None]]:
        """Per vote type, its name, its column's key and the votes typed so far over every candidate (None while one
        is not a whole number); last, all votes."""
        columns = [[self._typed_value(self.vote_field(c.pk, t.pk)) for c in self.candidates] for t in self.vote_types]
        totals = [sum(n for n in column if n is not None) if None not in column else None for column in columns]
        grand = sum(n for n in totals if n is not None) if None not in totals else None
        cells = [(local_name_of(t), str(i), n) for i, (t, n) in enumerate(zip(self.vote_types, totals, strict=True))]
        return [*cells, (str(_("All votes")), "all", grand)]

    @property
    def vote_fields(self) -> list[forms.BoundField]:
        return [field for row in self.vote_rows for field in row.fields]

    def votes(self) -> dict[int, int]:
        """Each candidate's votes, summed over the vote types where there are some (only valid after ``is_valid``)."""
        return {c.pk: sum(self.cleaned_data[name] for name in self._row_fields(c)) for c in self.candidates}

    def numbers(self) -> dict[str, Any]:
        """The sheet's numbers as the services take them (only valid after ``is_valid``)."""
        data = self.cleaned_data
        counts = {name: data.get(name, 0) for name in ("blank", "invalid", "undervotes", "overvotes")}
        if not self.vote_types:
            return {**counts, "votes": {c.pk: data[self.vote_field(c.pk)] for c in self.candidates}, "by_type": None}
        by_type = {c.pk: {t.code: data[self.vote_field(c.pk, t.pk)] for t in self.vote_types} for c in self.candidates}
        return {**counts, "votes": None, "by_type": by_type}

    def field_for_error(self, error: DomainError) -> str | None:
        field = error.details.get("field")
        if field in {"votes", "votes_by_type"}:
            candidate_ids = error.details.get("candidate_ids") or [error.details.get("candidate_id")]
            rows = {c.pk: self._row_fields(c) for c in self.candidates}
            names = [rows[cid][self._type_index(error)] for cid in candidate_ids if cid in rows]
            return names[0] if names else None
        return field if field in SHEET_FIELDS or field == "idempotency_key" else None

    def _type_index(self, error: DomainError) -> int:
        """The vote type a refusal names (one that is missing), else the first: the cell that shows the message."""
        missing = error.details.get("missing") or []
        codes = [t.code for t in self.vote_types]
        return codes.index(missing[0]) if missing and missing[0] in codes else 0


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


class CompleteCountForm(EntryForm):
    """Marking a count complete, which closes it to new ballots until a supervisor reopens it: said in so many
    words, so that a stray click does not close it."""

    confirm = forms.BooleanField(
        label=_("Every ballot of this contest is entered"),
        error_messages={"required": _("Tick the box to say that every ballot is entered.")},
    )


class TurnoutForm(EntryForm):
    """How many voters have voted so far."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voters"] = count_field(_("Voters who have voted so far"))


class AcceptVersionForm(EntryForm):
    """A supervisor keeps one of the versions under review."""

    accept_version = forms.IntegerField(min_value=1, max_value=MAX_COUNT, widget=forms.HiddenInput)
