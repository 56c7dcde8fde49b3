"""RESULTS_WORKER: who recounts after an entry. A separate worker process in server mode, the server itself in the
embedded mode; a worker process without Redis to reach it is refused at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from votetracker.config import load_config

GOOD_KEY = "config-test-key-not-for-production-0123456789-abcdefgh"
SERVER = {
    "DATABASE_URL": "postgres://vt:secret@db.example:5432/votetracker",
    "REDIS_URL": "redis://cache.example:6379/0",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "results.example.org",
}


def test_server_mode_with_redis_leaves_recounts_to_the_worker_process(tmp_path: Path) -> None:
    assert load_config(SERVER, tmp_path).results_worker == "process"


def test_the_embedded_server_is_its_own_results_worker(tmp_path: Path) -> None:
    assert load_config({}, tmp_path).results_worker == "background"
    without_redis = {key: value for key, value in SERVER.items() if key != "REDIS_URL"}
    assert load_config(without_redis, tmp_path).results_worker == "background"


@pytest.mark.parametrize("mode", ["inline", "INLINE", "background", "process"])
def test_a_deployment_may_choose_where_recounts_run(tmp_path: Path, mode: str) -> None:
    assert load_config({**SERVER, "RESULTS_WORKER": mode}, tmp_path).results_worker == mode.lower()


def test_an_unknown_choice_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="RESULTS_WORKER: expected one of background, inline, process"):
        load_config({**SERVER, "RESULTS_WORKER": "celery"}, tmp_path)


def test_a_worker_process_without_redis_is_refused(tmp_path: Path) -> None:
    without_redis = {key: value for key, value in SERVER.items() if key != "REDIS_URL"}
    with pytest.raises(ImproperlyConfigured, match="RESULTS_WORKER: process needs REDIS_URL"):
        load_config({**without_redis, "RESULTS_WORKER": "process"}, tmp_path)
    with pytest.raises(ImproperlyConfigured, match="RESULTS_WORKER: process needs REDIS_URL"):
        load_config({"RESULTS_WORKER": "process"}, tmp_path)
