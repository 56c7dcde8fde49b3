"""The embeddable contest card for other sites' pages, and the oEmbed answer that hands them its iframe.

``/embed/<election>/<contest>/`` is one contest's card (the overview's own partial) on a page without the site's
header and footer, complete when loaded and kept live over the same WebSocket as the results pages. Its language
comes from ``?lang=`` alone, so each address is one page for every reader and any cache. It may be framed by the
site itself and by the origins of ``EMBED_ALLOWED_ORIGINS`` (CSP ``frame-ancestors``); every other page of the site
still refuses to be framed.

``/oembed?url=…`` (oEmbed 1.0, JSON only) answers for a contest's results page or embed card with a ``rich`` type
and the iframe to paste.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from csp.constants import SELF
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.translation import gettext as _

from results.contest_views import contest_card
from results.presentation import Lookup, election_header, isolated, local_name
from results.selectors import get_public_snapshot
from results.snapshot import Snapshot, SnapshotContest
from trust.errors import error_body

# Like the results pages: every viewer gets the same card, a shared cache may keep it for a second.
EMBED_MAX_AGE = 1
# How long an oEmbed consumer may keep the iframe's HTML (it never changes for one address).
OEMBED_CACHE_AGE = 3600
OEMBED_WIDTH = 480
# The card's height grows with its candidates: a base for the heading and the facts, and a row per candidate.
OEMBED_BASE_HEIGHT = 600
OEMBED_ROW_HEIGHT = 56
OEMBED_MAX_HEIGHT = 1200
# The views an oEmbed ``url`` may name: a contest's page and its embed card.
EMBEDDABLE_VIEWS = {"results:contest", "embed:contest"}


class BadRequest(Exception):
    """A query parameter the page cannot use; the message says which and why."""


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def embed_language(raw: str | None) -> str:
    """The card's language from ``?lang=``: the site's default when absent."""
    if raw is None or raw == "":
        return str(settings.LANGUAGE_CODE)
    if raw not in _languages():
        raise BadRequest(f"Unknown language {raw[:20]!r}: use lang={' or lang='.join(_languages())}.")
    return raw


def _public_contest(slug: str, contest_slug: str) -> tuple[Snapshot, SnapshotContest]:
    snapshot = get_public_snapshot(slug=slug)
    if snapshot is None:
        raise Http404("No published results for this election.")
    contest = next((c for c in snapshot["contests"] if c["slug"] == contest_slug), None)
    if contest is None:
        raise Http404("No such contest.")
    return snapshot, contest


def frame_ancestors() -> list[str]:
    """Who may frame an embed card: the site itself and the allowed origins."""
    return [SELF, *settings.EMBED_ALLOWED_ORIGINS]


def contest_embed(request: HttpRequest, slug: str, contest_slug: str) -> HttpResponse:
    """One contest's live card for an iframe on another site."""
    try:
        language = embed_language(request.GET.get("lang"))
    except BadRequest as refused:
        return HttpResponse(str(refused), status=400, content_type="text/plain; charset=utf-8")
    snapshot, contest = _public_contest(slug, contest_slug)
    with translation.override(language):
        lookup = Lookup(snapshot)
        context = {
            "header": election_header(snapshot),
            "card": contest_card(lookup, contest),
            "ws_path": f"/ws/results/{slug}/",
            "full_url": lookup.contest_url(contest),
            "title": f"{isolated(local_name(contest))} · {isolated(local_name(snapshot['election']))}",
        }
        response = render(request, "results/embed.html", context)
    response["Content-Language"] = language
    patch_cache_control(response, public=True, max_age=EMBED_MAX_AGE)
    # Framing is this page's purpose: X-Frame-Options would refuse every frame, so the CSP alone says who may.
    response.xframe_options_exempt = True
    response._csp_replace = {"frame-ancestors": frame_ancestors()}  # type: ignore[attr-defined]
    return response


def _oembed_error(status: int, code: str, message: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"error": error_body(code=code, message=message)}), status=status, content_type="application/json"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _size(raw: str | None, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 0 < int(raw) <= 10000:
        raise BadRequest(f"{name} must be a whole number of pixels from 1 to 10000, got {raw[:20]!r}.")
    return int(raw)


def _embedded_contest(url: str) -> tuple[str, str, str | None]:
    """The election, contest and language of a results or embed address of this site; Http404 for anything else."""
    parts = urlsplit(url)
    host, _port = split_domain_port(parts.netloc)
    if parts.scheme not in {"http", "https"} or not host or not validate_host(host, settings.ALLOWED_HOSTS):
        raise Http404("Not an address of this site.")
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise Http404("Not a contest's results page or embed card.") from None
    if match.view_name not in EMBEDDABLE_VIEWS:
        raise Http404("Not a contest's results page or embed card.")
    language = parse_qs(parts.query).get("lang", [None])[0] if match.view_name == "embed:contest" else None
    return match.kwargs["slug"], match.kwargs["contest_slug"], language


def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed 1.0 for a contest: ``rich``, with the embed card's iframe sized to ``maxwidth`` and ``maxheight``."""
    url = request.GET.get("url", "").strip()
    if not url:
        return _oembed_error(400, "missing_url", "Give the address of a contest's results page: /oembed?url=…")
    if request.GET.get("format", "json") != "json":
        return _oembed_error(501, "format_not_supported", "Only format=json is served.")
    try:
        max_width = _size(request.GET.get("maxwidth"), "maxwidth")
        max_height = _size(request.GET.get("maxheight"), "maxheight")
        slug, contest_slug, asked_language = _embedded_contest(url)
        language = embed_language(asked_language)
        snapshot, contest = _public_contest(slug, contest_slug)
    except BadRequest as refused:
        return _oembed_error(400, "bad_request", str(refused))
    except Http404 as missing:
        return _oembed_error(404, "not_found", str(missing))
    path = reverse("embed:contest", args=[slug, contest_slug])
    if language != settings.LANGUAGE_CODE:
        path += "?" + urlencode({"lang": language})
    src = request.build_absolute_uri(path)
    width = min(OEMBED_WIDTH, max_width or OEMBED_WIDTH)
    natural = min(OEMBED_MAX_HEIGHT, OEMBED_BASE_HEIGHT + OEMBED_ROW_HEIGHT * len(contest["candidates"]))
    height = min(natural, max_height or natural)
    with translation.override(language):
        title = _("%(contest)s, %(election)s: live results") % {
            "contest": local_name(contest),
            "election": local_name(snapshot["election"]),
        }
    html = format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" loading="lazy" style="border:0;max-width:100%"></iframe>',
        src,
        width,
        height,
        title,
    )
    body: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "provider_name": "VoteTracker",
        "provider_url": request.build_absolute_uri("/"),
        "cache_age": OEMBED_CACHE_AGE,
        "html": str(html),
        "width": width,
        "height": height,
    }
    response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=60)
    return response
