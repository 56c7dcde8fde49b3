"""``{% oembed_link %}``: the oEmbed discovery link of a contest's page, so that a news site's editor can paste the
page's address and get the live card's iframe."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def oembed_link(context: dict[str, Any]) -> SafeString:
    """``<link rel="alternate" type="application/json+oembed">`` for the page being rendered (without its query)."""
    request = context["request"]
    page = request.build_absolute_uri(request.path)
    href = reverse("oembed") + "?" + urlencode({"url": page, "format": "json"})
    return format_html('<link rel="alternate" type="application/json+oembed" href="{}">', href)
