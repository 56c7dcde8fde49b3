"""The production path from local processes: nginx with the project's configuration in front of two app nodes
started with the image's own command, on PostgreSQL and Redis. A viewer through nginx sees an entry accepted
through nginx by the other node; a node told to stop closes its viewers with 1012, they reconnect to the other, and
a request it is in the middle of still gets its answer."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from ballots.models import TallySheet
from elections.models import Contest, Election, PollingStation
from results.tests.topology import AppNode, app_node, nginx_front
from trust.tokens import issue_api_token
from votetracker.tests.servers import WebSocketClient

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VIEWERS = "votetracker_websocket_viewers"
ACCEPTED = "votetracker_entries_accepted_total"
# uvicorn drains, then re-raises the SIGTERM it caught, so the exit status still says why it stopped.
STOPPED = -signal.SIGTERM


def _sheet(station: PollingStation, contest: Contest, votes: list[int]) -> bytes:
    ids = contest.candidates.order_by("ballot_order").values_list("pk", flat=True)
    body = {"station_id": station.pk, "contest_id": contest.pk, "ballots_cast": sum(votes), "blank": 0,
            "invalid": 0, "votes": {str(pk): n for pk, n in zip(ids, votes, strict=True)}}  # fmt: skip
    return json.dumps(body).encode()


def _post(url: str, body: bytes, secret: str, key: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - a local test server
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{error.code}: {error.read().decode()}") from None


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
            return int(response.status), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def _page(url: str) -> tuple[str, int, dict[str, str]]:
    """A results page through nginx: where nginx took it from, the version it shows, and its headers."""
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
        body = response.read().decode()
        headers = dict(response.headers)
    version = int(body.split('data-version="', 1)[1].split('"', 1)[0])
    return headers.get("X-Cache-Status", ""), version, headers


def _viewer_node(nodes: list[AppNode]) -> tuple[AppNode, AppNode]:
    """The node holding the one viewer, and the other one."""
    counts = [node.metric(VIEWERS) for node in nodes]
    assert sorted(counts) == [0, 1], counts
    return (nodes[0], nodes[1]) if counts[0] == 1 else (nodes[1], nodes[0])


def test_a_viewer_through_nginx_sees_an_entry_accepted_by_the_other_node(
    published: Election,
    station: PollingStation,
    other_station: PollingStation,
    contest: Contest,
    official: User,
    tmp_path: Path,
) -> None:
    _token, secret = issue_api_token(user=official, name="topology test", issued_by=official)
    with app_node() as first, app_node() as second, nginx_front([first, second], tmp_path) as site:
        viewer = WebSocketClient(site, f"/ws/results/{published.slug}/")
        try:
            hello = viewer.receive_json()
            watching, other = _viewer_node([first, second])
            # least_conn sends the entry to the node without the viewer: the update must cross Redis to reach it.
            status = _post(
                f"{site}/api/v1/entry/tally-sheets", _sheet(station, contest, [120, 95]), secret, "topology-0001"
            )
            assert status == 201
            # Waits only until the frame comes; the margin is for a machine loaded by the other checks beside it.
            frame = viewer.receive_json(timeout=20)
        finally:
            viewer.close()
        assert other.metric(ACCEPTED) == 1
        assert watching.metric(ACCEPTED) == 0
        # nginx serves the static files itself (no request id from the app), cacheable for a year.
        status, headers = _get(f"{site}/static/css/site.css")
        assert status == 200
        assert "X-Request-ID" not in headers
        assert "immutable" in headers["Cache-Control"]
        # The metrics are for the internal network only.
        assert _get(f"{site}/metrics")[0] == 404

        # nginx keeps a public results page for the second the app allows, then takes the new version from it.
        page = f"{site}/results/{published.slug}/"
        _status, shown, headers = _page(page)
        assert "Set-Cookie" not in headers
        assert _page(page)[:2] == ("HIT", shown)
        assert (
            _post(
                f"{site}/api/v1/entry/tally-sheets", _sheet(other_station, contest, [130, 95]), secret, "topology-0002"
            )
            == 201
        )
        deadline = time.monotonic() + 10
        while (fresh := _page(page)[1]) <= shown and time.monotonic() < deadline:
            time.sleep(0.2)
        assert fresh > shown
    assert frame["type"] == "update"
    assert frame["version"] > hello["version"]
    assert "120" in frame["parts"]["contest-mayor"]


def test_a_stopping_node_hands_its_viewers_to_the_other_with_1012(published: Election, tmp_path: Path) -> None:
    with app_node() as first, app_node() as second, nginx_front([first, second], tmp_path) as site:
        viewer = WebSocketClient(site, f"/ws/results/{published.slug}/")
        try:
            hello = viewer.receive_json()
            stopping, staying = _viewer_node([first, second])
            stopping.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionError):
                viewer.receive_json(timeout=10)
            assert viewer.close_code == 1012
        finally:
            viewer.close()
        assert stopping.process.wait(timeout=30) == STOPPED
        # What the page does next: reconnect through nginx, which now reaches the node still running.
        again = WebSocketClient(site, f"/ws/results/{published.slug}/")
        try:
            assert again.receive_json()["version"] == hello["version"]
            assert staying.metric(VIEWERS) == 1
        finally:
            again.close()


def _read_until_closed(viewer: WebSocketClient) -> None:
    while True:
        viewer.receive_json(timeout=20)


def _worker_pids(node: AppNode) -> set[int]:
    children = Path(f"/proc/{node.process.pid}/task/{node.process.pid}/children").read_text().split()
    return {int(pid) for pid in children}


def test_a_node_of_one_process_per_core_updates_every_viewer_and_drains_them_all_with_1012(
    published: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    """``WEB_CONCURRENCY=2``: two server processes share the node's port, each with viewers of its own; an entry
    accepted by either reaches every viewer, and SIGTERM closes all of them with 1012."""
    _token, secret = issue_api_token(user=official, name="node test", issued_by=official)
    with app_node(workers=2) as node:
        deadline = time.monotonic() + 30
        while len(_worker_pids(node)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_worker_pids(node)) >= 2
        viewers = [WebSocketClient(node.base, f"/ws/results/{published.slug}/") for _ in range(8)]
        try:
            hellos = [viewer.receive_json() for viewer in viewers]
            status = _post(
                f"{node.base}/api/v1/entry/tally-sheets", _sheet(station, contest, [61, 39]), secret, "node-0001"
            )
            assert status == 201
            frames = [viewer.receive_json(timeout=20) for viewer in viewers]
            assert all(frame["type"] == "update" for frame in frames)
            assert all(f["version"] > h["version"] for f, h in zip(frames, hellos, strict=True))
            assert all("61" in frame["parts"]["contest-mayor"] for frame in frames)
            node.process.send_signal(signal.SIGTERM)
            for viewer in viewers:
                with pytest.raises(ConnectionError):
                    _read_until_closed(viewer)
                assert viewer.close_code == 1012
        finally:
            for viewer in viewers:
                viewer.close()
        node.process.wait(timeout=30)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def test_a_stopping_node_finishes_the_request_it_is_reading(
    published: Election, station: PollingStation, contest: Contest, official: User
) -> None:
    _token, secret = issue_api_token(user=official, name="drain test", issued_by=official)
    body = _sheet(station, contest, [70, 30])
    with app_node() as node:
        sock = socket.create_connection(("127.0.0.1", node.port), timeout=10)
        head = (
            f"POST /api/v1/entry/tally-sheets HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {secret}\r\n"
            f"Idempotency-Key: drain-0001\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        # The request is half sent when the node is told to stop.
        sock.sendall(head.encode() + body[:10])
        time.sleep(0.5)
        node.process.send_signal(signal.SIGTERM)
        time.sleep(1)
        # It no longer accepts connections, but the one in flight is still served.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", node.port), timeout=2)
        sock.sendall(body[10:])
        status, answer = _read_response(sock)
        sock.close()
        assert node.process.wait(timeout=30) == STOPPED
    assert status == 201, answer
    assert TallySheet.objects.filter(station=station, contest=contest).count() == 1
