"""The production stack of docker-compose.yml on a real Docker engine, as deploy/test/run.sh (`make test-docker`)
brings it up: run only from there, in this order (later checks stop and restart services)."""

from __future__ import annotations

import json
import os
import select
import shutil
import struct
import subprocess
import threading
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


def fetch(url: str) -> tuple[int, str, float]:
    """GET through nginx as a browser would: the status (0 for no answer at all), the body and the seconds taken."""
    started = time.monotonic()
    call = urllib.request.Request(url, headers={"Host": "localhost"})  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=15) as response:  # noqa: S310 - the stack under test
            return int(response.status), response.read().decode(errors="replace"), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), time.monotonic() - started
    except OSError as error:
        return 0, repr(error), time.monotonic() - started


def record_figures(**figures: Any) -> None:
    """Adds figures to the JSON file deploy/test/run.sh prints at the end."""
    path = Path(os.environ.get("VT_STACK_FIGURES", ""))
    if not path.is_file():
        return
    recorded = json.loads(path.read_text())
    recorded.update(figures)
    path.write_text(json.dumps(recorded, indent=2) + "\n")


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


def enter(election: dict[str, Any], slot: dict[str, Any], votes: list[int], key: str) -> tuple[int, dict[str, Any]]:
    return request(
        f"{SITE}/api/v1/entry/tally-sheets", body=sheet(slot, votes), token=election["officialToken"], key=key
    )


class Viewer(WebSocketClient):
    """A results page's live connection: acknowledges what it receives and answers the server's pings."""

    def send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def next_frame(self, wait: float) -> dict[str, Any] | None:
        """The next text frame, or None when nothing arrived within ``wait`` seconds."""
        if not select.select([self.sock], [], [], wait)[0]:
            return None
        self.sock.settimeout(10)
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        payload = self._read(length)
        opcode = first & 0x0F
        if opcode == 8:
            self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            raise ConnectionError(f"closed by the server ({self.close_code})")
        if opcode == 9:
            self.send_frame(10, payload)
        return dict(json.loads(payload)) if opcode == 1 else None


class LiveWatcher(threading.Thread):
    """Keeps one viewer on an election's live results through nginx, reconnecting (with the version it holds, as the
    page does) whenever the connection ends, until stopped; ``version`` is the newest it has received."""

    def __init__(self, slug: str) -> None:
        super().__init__(daemon=True)
        self.path = f"/ws/results/{slug}/"
        self.version = 0
        self.connections = 0
        self.close_codes: list[int | None] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                viewer = Viewer(f"{SITE}:80", self.path + (f"?version={self.version}" if self.version else ""))
            except OSError:
                time.sleep(0.2)
                continue
            self.connections += 1
            try:
                while not self.stop.is_set():
                    frame = viewer.next_frame(0.2)
                    if frame is None or "version" not in frame:
                        continue
                    if frame.get("type") == "hello":
                        # A page loaded now shows the snapshot of this version; a reconnecting one waits for catch-up.
                        self.version = self.version or int(frame["version"])
                        continue
                    self.version = max(self.version, int(frame["version"]))
                    viewer.send_frame(1, json.dumps({"ack": int(frame["version"])}).encode())
            except OSError:
                self.close_codes.append(viewer.close_code)
            finally:
                viewer.close()

    def wait_for(self, version: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.version < version and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.version >= version


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


def worker_role(service: str) -> str:
    """What a results worker last said of itself: "active" (it holds the lead) or "standing by"."""
    lines = compose("logs", "--no-color", service).stdout.splitlines()
    roles = [line.rsplit("|", 1)[-1].strip() for line in lines]
    said = [role for role in roles if role in ("active", "standing by")]
    assert said, f"{service} has not said its role:\n" + "\n".join(lines[-20:])
    return said[-1]


def test_one_results_worker_leads_and_the_other_stands_by() -> None:
    for service in ("results-worker1", "results-worker2"):
        assert health(service) == "healthy", service
    deadline = time.monotonic() + 30
    while True:
        roles = sorted(worker_role(service) for service in ("results-worker1", "results-worker2"))
        if roles == ["active", "standing by"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert roles == ["active", "standing by"]


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


def accepted_votes(snapshot: dict[str, Any], slot: dict[str, Any]) -> list[int] | None:
    """The votes a results snapshot counts for a slot's station and contest, in the slot's candidate order, followed
    by the version of the sheet they come from (1 unless the sheet was entered again as a correction)."""
    contest = next(c for c in snapshot["contests"] if c["id"] == slot["contest_id"])
    row = next((r for r in contest["stations"] if r["station_id"] == slot["station_id"]), None)
    if row is None:
        return None
    by_candidate = dict(zip((c["id"] for c in contest["candidates"]), row["votes"], strict=True))
    return [by_candidate[pk] for pk in slot["candidates"]] + [row["sheet_version"]]


def current_snapshot(slug: str) -> dict[str, Any]:
    """The results as a replica serves them now (straight from it, not from nginx's one-second copy)."""
    status, snapshot = request(f"{replica_base('app1')}/api/v1/results/elections/{slug}")
    assert status == 200, snapshot
    return snapshot


def test_a_rolling_deploy_to_a_new_image_loses_no_request_no_entry_and_no_live_update(
    election: dict[str, Any],
) -> None:
    slug = election["electionSlug"]
    old, new = "votetracker-test/app:v1", "votetracker-test/app:v2"
    # The replicas, and whatever else runs the app image (the results workers), but the one-shot migrate.
    services = [
        service
        for service in compose("config", "--services").stdout.split()
        if service != "migrate" and compose("ps", "-q", service).stdout.strip()
        if container(service)["Config"]["Image"].startswith("votetracker-test/app:")
    ]
    assert {"app1", "app2"} <= set(services)
    assert {container(service)["Config"]["Image"] for service in services} == {old}
    urls = [f"{SITE}/results/{slug}/", f"{SITE}/api/v1/results/elections/{slug}", f"{SITE}/?n={{n}}",
            f"{SITE}/api/v1/results/elections/{slug}?n={{n}}", f"{SITE}/results/{slug}/?n={{n}}"]  # fmt: skip
    # (started, seconds, what, status): 200 for a page, 201 for an entry; 0 is no answer at all.
    outcomes: list[tuple[float, float, str, int]] = []
    accepted: list[tuple[dict[str, Any], list[int]]] = []
    entries_sent: list[int] = []
    stop = threading.Event()

    def read_pages(reader: int) -> None:
        n = 0
        while not stop.is_set():
            url = urls[n % len(urls)].format(n=f"{reader}-{n}")
            started = time.monotonic()
            status, body, seconds = fetch(url)
            outcomes.append((started, seconds, f"GET {url}: {body[:200]}", status))
            n += 1
            time.sleep(0.02)

    def enter_sheets() -> None:
        """A sheet every half second, each for a station and contest of its own; once the election has no slot left,
        the same sheets again with their keys, as a client retrying would (each must still count once)."""
        slots = election["slots"][1:-3]
        n = 0
        while not stop.is_set():
            i = n % len(slots)
            slot, votes = slots[i], [20 + i % 9, 11 + i % 5]
            started = time.monotonic()
            try:
                status, answer = enter(election, slot, votes, f"docker-deploy-{i:04d}")
            except OSError as error:
                status, answer = 0, {"error": repr(error)}
            outcomes.append((started, time.monotonic() - started, f"POST sheet {i}: {answer}", status))
            if status == 201 and n < len(slots):
                accepted.append((slot, votes))
            n += 1
            stop.wait(0.5)
        entries_sent.append(n)

    watcher = LiveWatcher(slug)
    watcher.start()
    assert watcher.wait_for(1, 10), "the viewer got its hello"
    load = [threading.Thread(target=read_pages, args=(r,), daemon=True) for r in range(4)]
    load.append(threading.Thread(target=enter_sheets, daemon=True))
    for thread in load:
        thread.start()
    time.sleep(2)
    deploy_started = time.monotonic()
    environment = {**os.environ, "COMPOSE_FILE": "docker-compose.yml:compose.test.yml"}
    upgrade = subprocess.run(  # noqa: S603 - the project's own script, as a user runs it
        ["bash", "deploy/upgrade.sh", "--no-pull", new],  # noqa: S607
        cwd=stack_dir(), env=environment, capture_output=True, text=True, timeout=400, check=False,
    )  # fmt: skip
    deploy_ended = time.monotonic()
    time.sleep(2)
    stop.set()
    for thread in load:
        thread.join(30)
    print(upgrade.stderr)
    assert upgrade.returncode == 0, f"upgrade.sh exited {upgrade.returncode}\n{upgrade.stdout}\n{upgrade.stderr}"

    final = current_snapshot(slug)
    caught_up = watcher.wait_for(int(final["version"]), 15)
    watcher.stop.set()
    watcher.join(10)

    failed = [(what, status) for _, _, what, status in outcomes if status not in (200, 201)]
    during = sorted(seconds for started, seconds, _, _ in outcomes if deploy_started <= started <= deploy_ended)
    figures = {
        "requests": len(outcomes),
        "failed": len(failed),
        "entries_accepted": len(accepted),
        "entries_sent": sum(entries_sent),
        "p99_ms_during_deploy": round(1000 * during[int(0.99 * (len(during) - 1))]),
        "max_ms_during_deploy": round(1000 * during[-1]),
        "deploy_seconds": round(deploy_ended - deploy_started, 1),
        "viewer_connections": watcher.connections,
        "viewer_close_codes": watcher.close_codes,
    }
    record_figures(rolling_deploy=figures)
    print("rolling deploy:", json.dumps(figures))
    assert not failed, f"{len(failed)} of {len(outcomes)} requests failed, first: {failed[:5]}"
    assert len(accepted) >= 20, figures
    assert len(during) >= 200, figures
    missing = [
        (slot, votes)
        for slot, votes in accepted
        # Counted, with its numbers, once: the replays made no second version.
        if accepted_votes(final, slot) != votes + [0] * (len(slot["candidates"]) - len(votes)) + [1]
    ]
    assert not missing, f"accepted but not counted: {missing[:5]}"
    assert caught_up, f"the viewer holds version {watcher.version}, the server {final['version']}"
    assert watcher.connections >= 2, "the viewer's replica was restarted under it, and it reconnected"
    v2 = inspect(new)["Id"]
    for service in services:
        running = container(service)
        assert (running["Config"]["Image"], running["Image"]) == (new, v2), service
    verify = compose("exec", "-T", "app1", "python", "manage.py", "verify_tallies", check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def sheets_in(database: str, slot: dict[str, Any]) -> int:
    query = f"SELECT count(*) FROM ballots_tallysheet WHERE station_id = {int(slot['station_id'])} AND contest_id = {int(slot['contest_id'])}"  # noqa: E501, S608 - integers
    run = compose("exec", "-T", "db", "psql", "-U", "votetracker", "-d", database, "-tAc", query)
    return int(run.stdout.strip())


def test_a_backup_restored_into_a_scratch_database_holds_the_entries_made_before_it_and_verifies(
    election: dict[str, Any],
) -> None:
    """The restore drill of docs/deploy.md, command for command, against the db container."""
    before, after = election["slots"][-3], election["slots"][-2]
    assert enter(election, before, [30, 12], "docker-backup-before")[0] == 201
    backups = stack_dir() / "backups"
    backups.mkdir(exist_ok=True)
    project = str(stack_dir())
    backup = compose(
        "run", "--rm", "--no-deps", "-T", "-v", f"{project}/deploy:/deploy:ro", "-v", f"{backups}:/backups",
        "-e", "BACKUP_DIR=/backups", "-e", "BACKUP_KEEP=2", "--entrypoint", "bash", "db", "-c",
        'PGPASSWORD="$POSTGRES_PASSWORD" DATABASE_URL=postgres://votetracker@db:5432/votetracker '
        "bash /deploy/backup.sh",
    )  # fmt: skip
    dump = backup.stdout.strip().splitlines()[-1]
    assert dump.startswith("/backups/votetracker-"), backup.stdout
    assert (backups / Path(dump).name).stat().st_size > 0
    assert enter(election, after, [31, 13], "docker-backup-after")[0] == 201

    restore = [
        "run", "--rm", "--no-deps", "-T", "-v", f"{project}/deploy:/deploy:ro", "-v", f"{backups}:/backups:ro",
        "--entrypoint", "bash", "db", "-c",
        'PGPASSWORD="$POSTGRES_PASSWORD" DATABASE_URL=postgres://votetracker@db:5432/votetracker_drill '
        f"bash /deploy/restore.sh --restore-only {dump}",
    ]  # fmt: skip
    compose("exec", "-T", "db", "dropdb", "-U", "votetracker", "--if-exists", "votetracker_drill")
    compose("exec", "-T", "db", "createdb", "-U", "votetracker", "votetracker_drill")
    try:
        compose(*restore)
        refused = compose(*restore, check=False)
        assert refused.returncode == 2, "a target that holds tables is refused without --replace"
        assert "pass --replace" in refused.stderr
        verify = compose(
            "run", "--rm", "--no-deps", "-T", "migrate", "bash", "-c",
            'drill="${MIGRATION_DATABASE_URL%/*}/votetracker_drill" && unset MIGRATION_DATABASE_URL && '
            'DATABASE_URL="$drill" REDIS_URL="${REDIS_URL%/*}/1" bash deploy/restore.sh --verify-only',
        )  # fmt: skip
        assert "chain intact" in verify.stdout + verify.stderr
        assert (sheets_in("votetracker_drill", before), sheets_in("votetracker_drill", after)) == (1, 0)
        assert (sheets_in("votetracker", before), sheets_in("votetracker", after)) == (1, 1)
    finally:
        compose("exec", "-T", "db", "dropdb", "-U", "votetracker", "--if-exists", "votetracker_drill")


def test_while_the_database_restarts_the_site_answers_503_then_recovers_without_restarting_the_apps(
    election: dict[str, Any],
) -> None:
    slot = election["slots"][-1]
    started = {replica: container(replica)["State"]["StartedAt"] for replica in ("app1", "app2")}
    compose("stop", "db")
    try:
        status, answer = enter(election, slot, [40, 14], "docker-db-restart")
        assert status == 503, answer
        assert answer["error"]["code"] == "service_unavailable", answer
        assert set(answer["error"]) == {"code", "message", "details"}
        status, page, _seconds = fetch(f"{SITE}/?during-the-outage")
        assert status == 503
        assert "Please try again in a moment" in page
    finally:
        compose("start", "db")
    wait_healthy("db")
    deadline = time.monotonic() + 60
    while not all(request(f"{replica_base(r)}/readyz")[0] == 200 for r in ("app1", "app2")):
        assert time.monotonic() < deadline, "the replicas reconnect to the database by themselves"
        time.sleep(0.5)
    viewer = WebSocketClient(f"{SITE}:80", f"/ws/results/{election['electionSlug']}/")
    try:
        hello = viewer.receive_json()
        # The same key as the refused attempt, as the 503 answer asks: recorded now, once.
        status, answer = enter(election, slot, [40, 14], "docker-db-restart")
        assert status == 201, answer
        frame = viewer.receive_json(timeout=10)
        while frame.get("type") != "update":
            frame = viewer.receive_json(timeout=10)
    finally:
        viewer.close()
    assert frame["version"] > hello["version"]
    counted = accepted_votes(current_snapshot(election["electionSlug"]), slot)
    assert counted is not None
    assert counted[:2] == [40, 14]
    for replica in ("app1", "app2"):
        assert container(replica)["State"]["StartedAt"] == started[replica], f"{replica} was not restarted"
        assert container(replica)["RestartCount"] == 0
