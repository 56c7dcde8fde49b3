"""The entry site at /entry/: staff sign in and enter ballots, tally sheets and turnout."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from ballots.views import ballots, results_files, review, sheets, stations

app_name = "entry"

CONTEST = "stations/<int:station_id>/contests/<int:contest_id>/"

urlpatterns = [
    path("", stations.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="ballots/login.html",
            redirect_authenticated_user=True,
            # Signing in here without a page to return to leads to the staff member's stations.
            next_page=reverse_lazy("entry:home"),
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("entry:login")), name="logout"),
    path("stations/<int:station_id>/", stations.station, name="station"),
    path("stations/<int:station_id>/turnout/", stations.turnout, name="turnout"),
    path(CONTEST + "sheet/", sheets.sheet_form, name="sheet"),
    path(CONTEST + "sheet/history/", sheets.sheet_history, name="sheet_history"),
    path(CONTEST + "sheet/quarantine/", sheets.quarantine, name="quarantine"),
    path(CONTEST + "sheet/release/", sheets.release, name="release"),
    path(CONTEST + "ballots/", ballots.ballot_screen, name="ballots"),
    path(CONTEST + "ballots/undo/", ballots.undo_last_ballot, name="undo"),
    path(CONTEST + "ballots/complete/", ballots.complete_count, name="complete"),
    path(CONTEST + "ballots/reopen/", ballots.reopen, name="reopen"),
    path("results-file/", results_files.results_file, name="results_file"),
    path("review/", review.review_queue, name="review_queue"),
    path("review/<int:station_id>/<int:contest_id>/", review.review_item, name="review_item"),
]
