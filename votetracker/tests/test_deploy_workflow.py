"""The release workflow tests, builds and pushes the image to GHCR, then rolls it out over SSH: migrate before up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "deploy.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


def load_workflow() -> dict[Any, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(workflow, dict)
    return workflow


def all_steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def header_comment() -> str:
    lines = WORKFLOW.read_text().splitlines()
    return "\n".join(line for line in lines[: next(i for i, line in enumerate(lines) if not line.startswith("#"))])


def test_runs_on_version_tags_and_by_hand() -> None:
    workflow = load_workflow()
    # YAML 1.1 reads the bare key `on` as true.
    triggers = workflow["on"] if "on" in workflow else workflow[True]
    assert triggers["push"]["tags"] == ["v*"]
    assert "branches" not in triggers["push"]
    assert "workflow_dispatch" in triggers


def test_the_image_is_built_only_after_make_test_passes() -> None:
    jobs = load_workflow()["jobs"]
    assert jobs["test"]["steps"][-1]["run"].strip() == "make test"
    assert jobs["build"]["needs"] == "test"
    assert jobs["deploy"]["needs"] == "build"


def test_the_build_job_pushes_to_ghcr_with_package_write_permission() -> None:
    build = load_workflow()["jobs"]["build"]
    assert build["permissions"]["packages"] == "write"
    login = next(step for step in build["steps"] if step.get("uses", "").startswith("docker/login-action@"))
    assert login["with"]["registry"] == "ghcr.io"
    push = next(step for step in build["steps"] if step.get("uses", "").startswith("docker/build-push-action@"))
    assert push["with"]["push"] is True
    assert push["with"]["tags"] == "${{ steps.meta.outputs.tags }}"
    meta = next(step for step in build["steps"] if step.get("id") == "meta")
    assert meta["with"]["images"].startswith("ghcr.io/")
    assert meta["with"]["images"].endswith("/votetracker")


def test_the_deploy_step_runs_the_tested_upgrade_script_over_checked_ssh() -> None:
    """The workflow deploys with deploy/upgrade.sh, the steps `make test-docker` runs under load (pull, migrate, then
    one container at a time), not a copy of them that could drift."""
    deploy = load_workflow()["jobs"]["deploy"]
    script = next(step["run"] for step in deploy["steps"] if "deploy/upgrade.sh" in step.get("run", ""))
    assert script.lstrip().startswith("ssh ")
    assert "StrictHostKeyChecking=yes" in script
    # Commands as the remote shell runs them, comments left out.
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]

    def first(command: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(command))

    order = ['cd "$1"', 'deploy/upgrade.sh "$2"', "docker logout ghcr.io", 'exit "$status"']
    positions = [first(command) for command in order]
    assert positions == sorted(positions), "the order must be: cd, upgrade, log out, exit with the upgrade's status"
    assert not [line for line in lines if line.startswith("docker compose")], "no hand-written copy of the upgrade"
    assert deploy["env"]["IMAGE"] == "${{ needs.build.outputs.image }}"
    known_hosts = next(step for step in deploy["steps"] if "EC2_KNOWN_HOSTS" in step.get("env", {}))
    assert "~/.ssh/known_hosts" in known_hosts["run"]
    upgrade = (Path(__file__).resolve().parents[2] / "deploy" / "upgrade.sh").read_text()
    assert "VOTETRACKER_IMAGE=" in upgrade


def test_every_action_is_pinned_to_an_exact_version() -> None:
    uses = [step["uses"] for step in all_steps(load_workflow()) if "uses" in step]
    assert uses
    assert [action for action in uses if not PINNED.match(action)] == []


def test_every_secret_used_is_listed_in_the_header_and_every_listed_one_is_used() -> None:
    text = WORKFLOW.read_text()
    header = header_comment()
    used = set(re.findall(r"secrets\.([A-Z0-9_]+)", text))
    listed = set(re.findall(r"^#\s+([A-Z][A-Z0-9_]+)\s", header, flags=re.MULTILINE))
    assert {"EC2_HOST", "EC2_USER", "EC2_SSH_KEY", "EC2_KNOWN_HOSTS"} <= used
    assert used == listed
