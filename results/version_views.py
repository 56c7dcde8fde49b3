"""A kept version's live parts, at an immutable address: what a results page or an embed card that missed an update
fetches instead of reloading itself, so that a CDN can serve it to every viewer that missed the same one.

``/results/<slug>/v/<version>/<language>.json`` is the catch-up frame of that version (``"full": true``, every live
part of the overview whole, rendered by the page's own partials) built from the version's kept JSON
(``results.versions``). The same kept bytes and the same templates render the same frame, so a node answers with
the bytes any other node would; each process renders a version once per language.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation

from results.api import immutable_response
from results.frames import language_frame
from results.selectors import get_public_snapshot
from results.snapshot import Snapshot
from results.versions import KeptVersion, read_kept_version, strong_etag
from trust.errors import error_body

MAX_RENDERED = 128
# Rendered frames by the kept version's ETag (a digest of its bytes) and language.
_rendered: dict[tuple[str, str], tuple[str, str]] = {}


def render_version_parts(*, kept: KeptVersion, language: str) -> tuple[str, str]:
    """The catch-up frame of a kept version in ``language``, and its strong ETag (rendered once per process)."""
    key = (kept.etag, language)
    found = _rendered.get(key)
    if found is None:
        snapshot: Snapshot = json.loads(kept.text)
        with translation.override(language):
            frame, _state = language_frame(snapshot, {})
        frame["full"] = True
        body = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
        if len(_rendered) >= MAX_RENDERED:
            _rendered.clear()
        found = _rendered[key] = (body, strong_etag(kept.version, body))
    return found


def _error(status: int, code: str, message: str, details: dict[str, object] | None = None) -> JsonResponse:
    response = JsonResponse({"error": error_body(code=code, message=message, details=details)}, status=status)
    response["Cache-Control"] = "public, max-age=2"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def version_parts(request: HttpRequest, slug: str, version: int, language: str) -> HttpResponse:
    """The live parts of ``version`` in ``language``, for any cache to keep for a year; 410 when that version is no
    longer kept (fetch the page, or the newest version the live channel names)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise Http404("No such language.")
    current = get_public_snapshot(slug=slug)
    if current is None:
        raise Http404("No published results for this election.")
    kept = read_kept_version(slug=slug, version=version) if version > 0 else None
    if kept is None:
        latest = reverse("api:results_latest", args=[slug])
        details: dict[str, object] = {"latest": latest, "latest_version": int(current["version"])}
        if version <= current["version"]:
            return _error(410, "version_gone", f"Version {version} of these results is no longer kept.", details)
        return _error(404, "not_found", f"There is no version {version} of these results.", details)
    body, etag = render_version_parts(kept=kept, language=language)
    return immutable_response(request, body, etag)
