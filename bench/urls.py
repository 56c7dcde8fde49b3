"""VoteTracker's URLs plus the benchmark's own: a trivial view that returns a given number of bytes (the pages'
baseline) and the count of SQL statements sent so far (the entry scenarios' query budget)."""

from django.urls import path

from bench.views import sized, statements_sent
from votetracker.urls import urlpatterns as votetracker_urlpatterns

urlpatterns = [
    path("bench/bytes/<int:size>", sized, name="bench_bytes"),
    path("bench/statements", statements_sent, name="bench_statements"),
    *votetracker_urlpatterns,
]
