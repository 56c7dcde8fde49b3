"""Helpers for the configuration tests: what the change hook heard, the audit events, and admin forms as a browser
would submit them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.test import Client

from trust.changes import ResultsChange
from trust.models import AuditEvent

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


@dataclass
class ResultsChanges:
    """Every results change the hook heard, inside the transaction (``noted``) and after commit (``committed``)."""

    noted: list[ResultsChange] = field(default_factory=list)
    committed: list[ResultsChange] = field(default_factory=list)

    def noted_elections(self) -> set[int]:
        return {change.election_id for change in self.noted}


def events_since(first_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=first_id).order_by("pk"))


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _submitted(form: forms.BaseForm) -> dict[str, Any]:
    """What a browser submits for ``form`` left as the page shows it."""
    data: dict[str, Any] = {}
    for bound in form:
        widget, value = bound.field.widget, bound.value()
        if isinstance(widget, forms.MultiWidget):
            parts: list[Any] = value if isinstance(value, list) else widget.decompress(value) or []
            for index, part in enumerate(parts):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def admin_form_data(client: Client, url: str) -> dict[str, Any]:
    """The fields of an admin add or change page and of its inlines, as a browser would submit them unchanged."""
    page: TestResponse = client.get(url)
    assert page.status_code == 200, page.status_code
    data = _submitted(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data |= _submitted(inline.formset.management_form)
        for form in inline.formset.forms:
            data |= _submitted(form)
    return data


def messages_of(response: TestResponse) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
