"""Names in the reader's language: the Arabic name on Arabic pages when there is one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.utils.translation import get_language

# A write-in line named only for what it is ("Write-in", "Write-ins") needs no "write-in" mark beside it.
WRITE_IN_ONLY = re.compile(r"write[- ]?ins?", re.IGNORECASE)


def local_name_of(obj: Any) -> str:
    """``obj``'s Arabic name when the active language is Arabic and it has one, else its usual name (or the Arabic
    one when that is all it has).

    ``obj`` is a model instance or its plain-dict form in a results snapshot.
    """
    read = obj.get if isinstance(obj, Mapping) else partial(getattr, obj)
    arabic_name = read("name_ar", "")
    if arabic_name and (get_language() or "en").startswith("ar"):
        return str(arabic_name)
    # A name given in one language only is shown in every language.
    return str(read("name", None) or read("name_en", None) or arabic_name or "")


def names_write_in(name: str) -> bool:
    """Whether ``name`` already says that its line is a write-in, so a mark saying so would repeat it."""
    return WRITE_IN_ONLY.fullmatch(name.strip()) is not None
