"""Private PostgreSQL, Redis and Daphne processes that the chaos tests may kill, stop and flush at will.

Each listens on a free port of 127.0.0.1 and lives in a temporary directory of its own, so that breaking it never
touches the PostgreSQL and Redis that other work on the machine relies on.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SECRET_KEY = "chaos-test-secret-key-not-for-production-0123456789"  # noqa: S105 - private test servers only
# PostgreSQL refuses to run as root; its processes run as this system user.
PG_USER = "postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers on {HOST}:{port}") from None
            time.sleep(0.1)


def postgres_bin() -> Path:
    """The newest PostgreSQL installed under /usr/lib/postgresql (Debian's layout)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return versions[-1].parent


class PrivatePostgres:
    """One PostgreSQL cluster (trust auth, fsync off) that can be stopped and started again on the same port.

    ``fsync=off`` only skips flushing to disk, which the machine does not lose; commits still wait for their WAL
    write (``synchronous_commit`` stays on), so a stopped server keeps every commit it acknowledged.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="votetracker-chaos-pg-"))
        self.data = self.directory / "data"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self._run(str(postgres_bin() / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", PG_USER, "--"] if self._as_postgres else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.directory)  # noqa: S603

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-h {HOST} -p {self.port} -k {self.directory} -c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "log"), "-o", options,
            "-w", "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """Stop at once (``immediate``: like a crash, clients' connections are cut)."""
        self._run(str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log (errors such as constraint violations show there)."""
        path = self.directory / "log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(statement.encode())

    def remove(self) -> None:
        with suppress(subprocess.CalledProcessError):  # Already stopped.
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


class PrivateRedis:
    """A Redis server without persistence that can be flushed, stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        # The system's redis-server, found on PATH as the CI's own services script finds it.
        command = ["redis-server", "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [*command, "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def flushall(self) -> None:
        import redis

        redis.Redis(host=HOST, port=self.port).flushall()


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def app_environment(*, database_url: str, redis_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an app process (and of manage.py) in server mode on private instances."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "votetracker.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }


def manage(env: Mapping[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` with ``env``; the caller looks at the exit code and output."""
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout
    )


class AppServer:
    """A Daphne process of VoteTracker that can be killed (SIGKILL) and started again on the same port."""

    def __init__(self, env: Mapping[str, str], *, log: Path | None = None) -> None:
        self.env = dict(env)
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, *, timeout: float = 30) -> None:
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(  # noqa: S603 - our own daphne, fixed arguments
            [str(BIN / "daphne"), "-b", HOST, "-p", str(self.port), "votetracker.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=output,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1):  # noqa: S310 - local server
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"daphne on port {self.port} did not start") from None
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish requests, commit hooks or timers."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


@contextmanager
def app_server(env: Mapping[str, str], *, log: Path | None = None) -> Iterator[AppServer]:
    server = AppServer(env, log=log)
    try:
        server.start()
        yield server
    finally:
        server.stop()
