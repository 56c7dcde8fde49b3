"""VoteTracker's URLs plus the baseline page of the benchmark: a trivial view that returns a given number of bytes."""

from django.urls import path

from bench.views import sized
from votetracker.urls import urlpatterns as votetracker_urlpatterns

urlpatterns = [path("bench/bytes/<int:size>", sized, name="bench_bytes"), *votetracker_urlpatterns]
