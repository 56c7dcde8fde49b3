"""The ``grouped`` filter: a figure written for a reader of the page's language (102,559 in English, 102٬559 in
Arabic). Only where a template asks: ids, versions and URLs keep their plain digits."""

from __future__ import annotations

from typing import Any

from django import template

from results.presentation import grouped_number

register = template.Library()


@register.filter(name="grouped")
def grouped(value: Any) -> Any:
    """``value`` with the active language's digit grouping when it is a number; anything else unchanged."""
    return grouped_number(value)
