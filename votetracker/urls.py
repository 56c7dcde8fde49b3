"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from results import embed_views
from results import views as results_views
from votetracker import metrics, views
from votetracker.api import api

admin.site.site_header = "VoteTracker administration"
admin.site.site_title = "VoteTracker"
admin.site.index_title = "Elections, stations and staff"

# Refusals and failures in the site's layout and language (404.html needs no view of its own).
handler403 = "votetracker.views.permission_denied"
handler500 = "votetracker.views.server_error"

urlpatterns = [
    path("favicon.ico", results_views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    # The language switcher is on every page, public results included. With a CSRF token in it, every first visit to
    # a results page set a cookie, and a response that sets a cookie is kept by no shared cache, on the one night the
    # pages most need one. A forged switch can only change the visitor's own display language, so it goes without.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("entry/", include("ballots.urls")),
    path("account/api-tokens/", include("trust.urls")),
    path("results/", include("results.urls")),
    # A contest's live card for other sites' iframes, and the oEmbed answer that hands it out.
    path("embed/", include("results.embed_urls")),
    path("oembed", embed_views.oembed, name="oembed"),
    path("audit/", include("results.audit_urls")),
    path("", include("elections.urls")),
]
