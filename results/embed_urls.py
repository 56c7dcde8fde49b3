from django.urls import path

from results import embed_views

app_name = "embed"

urlpatterns = [
    path("<slug:slug>/<slug:contest_slug>/", embed_views.contest_embed, name="contest"),
]
