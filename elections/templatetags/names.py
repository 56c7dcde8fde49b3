"""The ``localname`` filter: a name in the reader's language (see ``elections.names``)."""

from __future__ import annotations

from typing import Any

from django import template

from elections.names import local_name_of

register = template.Library()


@register.filter(name="localname")
def localname(obj: Any) -> str:
    return local_name_of(obj)
