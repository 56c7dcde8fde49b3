"""``{% table_script_texts %}``: the words the table and station search scripts show, in the page's language, as a
JSON script element the script reads (its ``%(name)s`` placeholders filled in the browser)."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def table_script_texts() -> SafeString:
    texts = {
        "scrollHint": _("Scroll sideways to see every column."),
        "filterLabel": _("Filter polling stations by code or name"),
        "filterCount": _("Stations shown: %(shown)s of %(total)s"),
        "found": _("Stations found: %(count)s"),
        "nothingFound": _("No polling station found."),
        "foundMore": _("More stations match: type more of the code or name."),
        "suggestions": _("Suggested polling stations"),
    }
    return json_script(texts, "results-table-texts")
