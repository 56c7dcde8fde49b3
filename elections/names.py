"""Names in the reader's language: the Arabic name on Arabic pages when there is one."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.utils.translation import get_language


def local_name_of(obj: Any) -> str:
    """``obj``'s Arabic name when the active language is Arabic and it has one, else its usual name.

    ``obj`` is a model instance or its plain-dict form in a results snapshot.
    """
    read = obj.get if isinstance(obj, Mapping) else partial(getattr, obj)
    arabic_name = read("name_ar", "")
    if arabic_name and (get_language() or "en").startswith("ar"):
        return str(arabic_name)
    return str(read("name", None) or read("name_en", ""))
