"""The ``isolate`` filter: a user-provided name set apart from the text around it, where no ``<bdi>`` may go."""

from __future__ import annotations

from typing import Any

from django import template

from results.presentation import isolated

register = template.Library()


@register.filter(name="isolate")
def isolate(value: Any) -> str:
    """``value`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for a ``<title>``, an attribute or a
    translated sentence (the text is escaped as any other)."""
    return isolated(str(value))
