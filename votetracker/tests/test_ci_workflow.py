"""The GitHub Actions workflow runs `make test` against PostgreSQL and Redis service containers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "ci.yml"


def load_workflow() -> dict[Any, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(workflow, dict)
    return workflow


def test_workflow_runs_on_every_push_and_pull_request() -> None:
    workflow = load_workflow()
    # YAML 1.1 reads the bare key `on` as true.
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert set(triggers) == {"push", "pull_request"}


def test_the_job_has_postgres_15_and_redis_7_and_python_3_11() -> None:
    job = load_workflow()["jobs"]["test"]
    assert job["container"].startswith("python:3.11")
    assert job["services"]["postgres"]["image"] == "postgres:15"
    assert job["services"]["redis"]["image"] == "redis:7"
    assert job["env"]["TEST_DATABASE_URL"].startswith("postgres://postgres@postgres:5432/")
    assert job["env"]["TEST_REDIS_URL"].startswith("redis://redis:6379/")


def test_the_job_checks_out_and_runs_make_test() -> None:
    steps = load_workflow()["jobs"]["test"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[-1]["run"].strip() == "make test"
