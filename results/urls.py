from django.urls import path

from results import search_views, version_views, views

app_name = "results"

urlpatterns = [
    path("<slug:slug>/", views.overview, name="overview"),
    path("<slug:slug>/contest/<slug:contest_slug>/", views.contest, name="contest"),
    path("<slug:slug>/district/<str:code>/", views.district, name="district"),
    path("<slug:slug>/station/<str:code>/", views.station, name="station"),
    path("<slug:slug>/v/<int:version>/<str:language>.json", version_views.version_parts, name="version_parts"),
    path("<slug:slug>/find-station/", search_views.find_station, name="find_station"),
    path("<slug:slug>/find-station/suggestions/", search_views.station_suggestions, name="station_suggestions"),
]
