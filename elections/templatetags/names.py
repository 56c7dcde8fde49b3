"""Names in the reader's language: the Arabic name on Arabic pages when there is one."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


def local_name_of(obj: Any) -> str:
    """``obj``'s Arabic name when the active language is Arabic and it has one, else its usual name."""
    arabic_name = getattr(obj, "name_ar", "")
    if arabic_name and (get_language() or "en").startswith("ar"):
        return str(arabic_name)
    return str(getattr(obj, "name", None) or getattr(obj, "name_en", ""))


@register.filter(name="localname")
def localname(obj: Any) -> str:
    return local_name_of(obj)
