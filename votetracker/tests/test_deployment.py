"""The container files describe the server-mode topology and parse as Compose understands them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from results.tests.topology import AppNode, image_command, nginx_command, render_nginx

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    pytest.fail("Neither `docker compose` nor `docker-compose` is installed; `make test` installs docker-compose")


def _compose_config(tmp_path: Path, env_text: str) -> subprocess.CompletedProcess[str]:
    """Run `compose config` on a copy of the project's compose file beside the given .env."""
    shutil.copy(PROJECT_DIR / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text(env_text)
    return subprocess.run(
        [*_compose_command(), "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


def test_compose_file_parses_with_the_example_settings(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, (PROJECT_DIR / ".env.example").read_text())
    assert result.returncode == 0, result.stderr
    assert "REDIS_URL: redis://redis:6379/0" in result.stdout
    for service in ("db", "redis", "migrate", "app1", "app2", "nginx"):
        assert f"\n  {service}:\n" in result.stdout


def test_compose_runs_the_replicas_as_a_role_that_does_not_own_the_tables(tmp_path: Path) -> None:
    """The replicas connect as votetracker_app; only the one-shot migration holds the owner's password, and it
    creates the replicas' role the first time."""
    result = _compose_config(tmp_path, (PROJECT_DIR / ".env.example").read_text())
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    app_url = "postgres://votetracker_app:change-me-too@db:5432/votetracker"
    owner_url = "postgres://votetracker:change-me@db:5432/votetracker"
    for replica in ("app1", "app2"):
        environment = services[replica]["environment"]
        assert environment["DATABASE_URL"] == app_url
        assert "MIGRATION_DATABASE_URL" not in environment
        # .env is every service's env_file: the owner's password it holds is blanked for the app's processes.
        assert environment["POSTGRES_PASSWORD"] == ""
        assert ":change-me@" not in str(environment)
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"] == app_url
    assert migrate["environment"]["MIGRATION_DATABASE_URL"] == owner_url
    assert "migrate --noinput --create-app-role" in " ".join(migrate["command"])
    assert services["db"]["environment"]["POSTGRES_USER"] == "votetracker"


def test_compose_starts_the_replicas_after_migrating_and_lets_them_drain() -> None:
    services = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())["services"]
    command = image_command(8000)
    drain = int(command[command.index("--timeout-graceful-shutdown") + 1])
    for replica in ("app1", "app2"):
        service = services[replica]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        # The image's own command runs (the one the topology test starts), and compose waits out its draining.
        assert "command" not in service
        assert int(service["stop_grace_period"].removesuffix("s")) > drain
    assert set(services["nginx"]["depends_on"]) == {"app1", "app2"}
    assert "collectstatic" in " ".join(services["migrate"]["command"])


@pytest.mark.parametrize("conf", ["nginx.conf", "nginx-https.conf"])
def test_the_nginx_configurations_are_valid(tmp_path: Path, conf: str) -> None:
    """`nginx -t` on each site configuration (the HTTPS one with a throwaway self-signed certificate)."""
    nodes = [AppNode("http://127.0.0.1:1", 1, None), AppNode("http://127.0.0.1:2", 2, None)]  # type: ignore[arg-type]
    config, _ports = render_nginx(tmp_path, nodes, conf)
    (tmp_path / "certs").mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(tmp_path / "certs" / "privkey.pem"), "-out", str(tmp_path / "certs" / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    result = subprocess.run(nginx_command(config, test=True), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_compose_refuses_to_start_without_either_database_password(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, "SECRET_KEY=x\n")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr or "APP_DATABASE_PASSWORD" in result.stderr
    result = _compose_config(tmp_path, "SECRET_KEY=x\nPOSTGRES_PASSWORD=x\n")
    assert result.returncode != 0
    assert "APP_DATABASE_PASSWORD" in result.stderr


def test_image_runs_as_non_root_with_a_health_check_and_a_draining_server() -> None:
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text()
    assert "\nUSER votetracker\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "/healthz" in dockerfile
    command = image_command(8000)
    assert Path(command[0]).name == "uvicorn"
    assert "--timeout-graceful-shutdown" in command
    assert command[command.index("--lifespan") + 1] == "off"
