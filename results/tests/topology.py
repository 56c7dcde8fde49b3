"""The production topology from local processes: the image's own server command and the project's own nginx
configuration, with only addresses and paths swapped for ones on this host (no container engine needed)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from votetracker.tests.servers import ROOT, free_port, server_environment

NGINX = "/usr/sbin/nginx"
NGINX_DIR = ROOT / "deploy" / "nginx"


class Upstream(Protocol):
    """What nginx needs of an app node: the local port it listens on."""

    @property
    def port(self) -> int: ...


def image_command(port: int) -> list[str]:
    """The Dockerfile's CMD, listening on ``127.0.0.1:port`` and run from this virtualenv."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("CMD ["))
    command: list[str] = json.loads(line.removeprefix("CMD "))
    command[0] = str(Path(sys.executable).parent / command[0])
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    return command


def wait_until_answering(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a local test server
                return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


@dataclass
class AppNode:
    base: str
    port: int
    process: subprocess.Popen[bytes]

    def metric(self, name: str) -> float:
        """The sum of one Prometheus series family on this node (``/metrics`` answers local addresses)."""
        with urllib.request.urlopen(f"{self.base}/metrics", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
        pattern = re.compile(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", re.MULTILINE)
        return sum(float(value) for value in pattern.findall(text))

    def terminate(self) -> int:
        """SIGTERM, as `docker compose stop` sends, and the exit status once the node has drained."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@contextmanager
def app_node(workers: int = 1) -> Iterator[AppNode]:
    """One app replica as the image runs it, on the test's database and Redis; with ``workers``, that many server
    processes sharing its port, as ``WEB_CONCURRENCY`` asks of the image."""
    port = free_port()
    env = {**server_environment(), "WEB_CONCURRENCY": str(workers)}
    process = subprocess.Popen(
        image_command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/healthz", process, "the app node")
        yield AppNode(base, port, process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _swap(text: str, old: str, new: str) -> str:
    """Replace a line the test relies on; fail loudly if the configuration no longer has it."""
    if text.count(old) != 1:
        raise AssertionError(f"expected exactly one {old!r} in the nginx configuration")
    return text.replace(old, new)


def render_nginx(workdir: Path, nodes: Sequence[Upstream], conf: str = "nginx.conf") -> tuple[Path, dict[str, int]]:
    """Write deploy/nginx's configuration into ``workdir`` for local ports; returns its path and the ports."""
    ports = {"http": free_port(), "https": free_port()}
    (workdir / "votetracker").mkdir()
    site = (NGINX_DIR / conf).read_text()
    site = _swap(site, "listen 80 default_server;", f"listen 127.0.0.1:{ports['http']} default_server;")
    site = _swap(site, "listen [::]:80 default_server;", "")
    if "listen 443" in site:
        site = _swap(site, "listen 443 ssl", f"listen 127.0.0.1:{ports['https']} ssl")
        site = _swap(site, "listen [::]:443 ssl http2 default_server;", "")
        site = site.replace("/etc/nginx/certs/", f"{workdir}/certs/")
    (workdir / "nginx.conf").write_text(site)
    upstream = (NGINX_DIR / "upstream.conf").read_text()
    for name, node in zip(("app1:8000", "app2:8000"), nodes, strict=True):
        upstream = _swap(upstream, f"server {name} ", f"server 127.0.0.1:{node.port} ")
    upstream = _swap(upstream, "/var/cache/nginx/votetracker", str(workdir / "cache"))
    (workdir / "votetracker" / "upstream.conf").write_text(upstream)
    # The static files nginx serves: the project's own, where the compose volume holds the collected ones.
    public = workdir / "public"
    public.mkdir()
    (public / "static").symlink_to(ROOT / "static")
    proxy = _swap((NGINX_DIR / "proxy.conf").read_text(), "root /srv/votetracker;", f"root {public};")
    (workdir / "votetracker" / "proxy.conf").write_text(proxy)
    shutil.copy("/etc/nginx/mime.types", workdir / "mime.types")
    return workdir / "nginx.conf", ports


def nginx_command(config: Path, *, foreground: bool = True, test: bool = False) -> list[str]:
    """nginx on the rendered configuration, as root on this host (the files live in the test's own directory)."""
    workdir = config.parent
    directives = f"user root; pid {workdir / 'nginx.pid'};" + (" daemon off;" if foreground else "")
    return [NGINX, "-p", str(workdir), "-c", str(config), "-g", directives, *(["-t"] if test else [])]


@contextmanager
def nginx_front(nodes: Sequence[Upstream], workdir: Path) -> Iterator[str]:
    """nginx with deploy/nginx's configuration in front of the given nodes; yields its base URL."""
    config, ports = render_nginx(workdir, nodes)
    log = (workdir / "nginx.log").open("wb")
    process = subprocess.Popen(nginx_command(config), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{ports['http']}"
    try:
        wait_until_answering(f"{base}/healthz", process, "nginx")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
