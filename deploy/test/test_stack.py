"""The production stack of docker-compose.yml on a real Docker engine, as deploy/test/run.sh (`make test-docker`)
brings it up: run only from there, in this order (later checks stop and restart services)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from votetracker.tests.servers import WebSocketClient

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://127.0.0.1"
DOCKER = shutil.which("docker") or "/usr/bin/docker"
COMPOSE = shutil.which("docker-compose") or "/usr/bin/docker-compose"
VIEWERS = "votetracker_websocket_viewers"
ACCEPTED = "votetracker_entries_accepted_total"


def stack_dir() -> Path:
    directory = os.environ.get("VT_STACK_DIR")
    if not directory:
        pytest.fail("run through deploy/test/run.sh (make test-docker): no stack is up")
    return Path(directory)


def compose(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [COMPOSE, "-f", "docker-compose.yml", "-f", "compose.test.yml", *args]
    run = subprocess.run(  # noqa: S603 - the project's own compose files
        command, cwd=stack_dir(), input=stdin, capture_output=True, text=True, timeout=300, check=False
    )
    if check and run.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {run.returncode}:\n{run.stdout}\n{run.stderr}")
    return run


def container(service: str) -> dict[str, Any]:
    ids = compose("ps", "-q", service).stdout.split()
    assert len(ids) == 1, f"{service}: {ids}"
    return inspect(ids[0])


def inspect(container_id: str) -> dict[str, Any]:
    run = subprocess.run([DOCKER, "inspect", container_id], capture_output=True, text=True, check=True)  # noqa: S603
    inspected: list[dict[str, Any]] = json.loads(run.stdout)
    return inspected[0]


def health(service: str) -> str:
    return str(container(service)["State"].get("Health", {}).get("Status", "none"))


def replica_base(service: str) -> str:
    """A replica straight on the compose network (this host is the network's gateway), bypassing nginx."""
    networks = container(service)["NetworkSettings"]["Networks"]
    return f"http://{next(iter(networks.values()))['IPAddress']}:8000"


def metric(service: str, name: str) -> float:
    # By address, so with a Host header ALLOWED_HOSTS names.
    call = urllib.request.Request(f"{replica_base(service)}/metrics", headers={"Host": "localhost"})  # noqa: S310
    with urllib.request.urlopen(call, timeout=5) as response:  # noqa: S310 - the stack under test
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and line[len(name) : len(name) + 1] in ("{", " ")
    )


def request(url: str, *, body: Any = None, token: str = "", key: str = "") -> tuple[int, dict[str, Any]]:
    headers = {"Host": "localhost", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    data = None if body is None else json.dumps(body).encode()
    call = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=10) as response:  # noqa: S310 - the stack under test
            raw = response.read()
            return int(response.status), json.loads(raw) if raw.startswith(b"{") else {}
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw.startswith(b"{") else {}


def wait_healthy(service: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while (status := health(service)) != "healthy":
        assert time.monotonic() < deadline, f"{service} is {status}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def election() -> dict[str, Any]:
    """The demo election, open with results published, and tokens (deploy/test/setup_election.py in a replica)."""
    script = (Path(__file__).parent / "setup_election.py").read_text()
    run = compose("exec", "-T", "app1", "python", "manage.py", "shell", stdin=script)
    data: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return data


def sheet(slot: dict[str, Any], votes: list[int]) -> dict[str, Any]:
    counts = votes + [0] * (len(slot["candidates"]) - len(votes))
    votes_by_candidate = {str(pk): n for pk, n in zip(slot["candidates"], counts, strict=True)}
    return {"station_id": slot["station_id"], "contest_id": slot["contest_id"], "ballots_cast": sum(counts),
            "blank": 0, "invalid": 0, "votes": votes_by_candidate}  # fmt: skip


def test_the_image_runs_as_non_root_and_its_health_check_turns_healthy() -> None:
    app = container("app1")
    assert app["Config"]["User"] == "votetracker"
    assert app["Config"]["Healthcheck"]["Test"][0] == "CMD-SHELL" or "healthz" in str(app["Config"]["Healthcheck"])
    assert compose("exec", "-T", "app1", "id", "-u").stdout.strip() not in ("", "0")
    assert health("app1") == "healthy"


def test_migrate_ran_once_and_exited_zero() -> None:
    ids = compose("ps", "-a", "-q", "migrate").stdout.split()
    assert len(ids) == 1
    state = inspect(ids[0])
    assert state["State"]["Status"] == "exited"
    assert state["State"]["ExitCode"] == 0
    assert state["RestartCount"] == 0


def test_both_replicas_and_nginx_are_healthy() -> None:
    for service in ("db", "redis", "app1", "app2", "nginx"):
        assert health(service) == "healthy", service
    assert request(f"{SITE}/readyz")[0] == 200


def test_the_replicas_connect_as_the_app_role_which_cannot_empty_the_audit_log() -> None:
    probe = (
        "from django.db import connection\n"
        "cursor = connection.cursor()\n"
        "cursor.execute('SELECT current_user')\n"
        "print('user', cursor.fetchone()[0])\n"
        "try:\n"
        "    cursor.execute('TRUNCATE ballots_auditevent')\n"
        "    print('truncated')\n"
        "except Exception as error:\n"
        "    print('refused', type(error).__name__, error)\n"
    )
    for replica in ("app1", "app2"):
        out = compose("exec", "-T", replica, "python", "manage.py", "shell", stdin=probe).stdout
        assert "user votetracker_app" in out, out
        assert "refused ProgrammingError permission denied for table ballots_auditevent" in out, out
        assert "truncated" not in out


def test_the_postman_collection_passes_through_nginx(election: dict[str, Any]) -> None:
    newman = ROOT / "node_modules" / ".bin" / "newman"
    command = [str(newman), "run", "postman/votetracker.postman_collection.json", "-e",
               "postman/votetracker.postman_environment.json", "--reporters", "cli", "--color", "off",
               "--timeout-request", "20000"]  # fmt: skip
    variables = {key: election[key] for key in ("electionSlug", "token", "username", "password")}
    for key, value in {"baseUrl": SITE, **variables}.items():
        command += ["--env-var", f"{key}={value}"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)  # noqa: S603
    assert run.returncode == 0, f"newman exited {run.returncode}\n{run.stdout[-6000:]}\n{run.stderr}"


def test_a_viewer_through_nginx_sees_an_entry_accepted_by_the_other_replica(election: dict[str, Any]) -> None:
    viewer = WebSocketClient(f"{SITE}:80", f"/ws/results/{election['electionSlug']}/")
    try:
        hello = viewer.receive_json()
        counts = {service: metric(service, VIEWERS) for service in ("app1", "app2")}
        assert sorted(counts.values()) == [0, 1], counts
        other = min(counts, key=lambda service: counts[service])
        before = metric(other, ACCEPTED)
        status, answer = request(
            f"{replica_base(other)}/api/v1/entry/tally-sheets",
            body=sheet(election["slots"][0], [120, 95]),
            token=election["officialToken"],
            key="docker-viewer-0001",
        )
        assert status == 201, answer
        assert metric(other, ACCEPTED) == before + 1
        frame = viewer.receive_json(timeout=10)
        while frame.get("type") != "update":
            frame = viewer.receive_json(timeout=10)
    finally:
        viewer.close()
    assert frame["version"] > hello["version"]


def test_stopping_a_replica_closes_its_viewers_with_1012_and_they_reconnect_to_the_other(
    election: dict[str, Any],
) -> None:
    path = f"/ws/results/{election['electionSlug']}/"
    viewers = [WebSocketClient(f"{SITE}:80", path) for _ in range(4)]
    try:
        for viewer in viewers:
            viewer.receive_json()
        on_app1 = metric("app1", VIEWERS)
        assert on_app1 >= 1, "least_conn gives app1 some of the four viewers"
        stopped = time.monotonic()
        compose("stop", "app1")
        stop_seconds = time.monotonic() - stopped
        closed = []
        # The close frames are already there once `stop` returns; the viewers on app2 hear nothing (short reads, well
        # within the app's 20 s ping, which this client does not answer).
        for viewer in viewers:
            try:
                viewer.receive_json(timeout=1)
            except (ConnectionError, TimeoutError, OSError):
                if viewer.close_code is not None:
                    closed.append(viewer.close_code)
        assert stop_seconds < 25, "uvicorn drained and exited well within the grace period"
        assert closed == [1012] * int(on_app1), closed
        again = WebSocketClient(f"{SITE}:80", path)
        try:
            again.receive_json()
            assert metric("app2", VIEWERS) >= 1
        finally:
            again.close()
    finally:
        for viewer in viewers:
            viewer.close()
        compose("start", "app1")
        wait_healthy("app1")
