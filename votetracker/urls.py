"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path

from votetracker import metrics, views
from votetracker.api import api

admin.site.site_header = "VoteTracker administration"
admin.site.site_title = "VoteTracker"
admin.site.index_title = "Elections, stations and staff"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("entry/", include("ballots.urls")),
    path("results/", include("results.urls")),
    path("", include("elections.urls")),
]
