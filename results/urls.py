from django.urls import path

from results import views

app_name = "results"

urlpatterns = [
    path("<slug:slug>/", views.overview, name="overview"),
    path("<slug:slug>/contest/<slug:contest_slug>/", views.contest, name="contest"),
    path("<slug:slug>/district/<str:code>/", views.district, name="district"),
    path("<slug:slug>/station/<str:code>/", views.station, name="station"),
]
