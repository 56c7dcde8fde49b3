"""The container files describe the server-mode topology and parse as Compose understands them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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
    assert "DATABASE_URL: postgres://votetracker:change-me@db:5432/votetracker" in result.stdout
    assert "REDIS_URL: redis://redis:6379/0" in result.stdout
    for service in ("db", "redis", "migrate", "app"):
        assert f"\n  {service}:\n" in result.stdout


def test_compose_refuses_to_start_without_a_database_password(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, "SECRET_KEY=x\n")
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_image_runs_as_non_root_with_a_health_check_and_daphne() -> None:
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text()
    assert "\nUSER votetracker\n" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "/healthz" in dockerfile
    assert 'CMD ["daphne"' in dockerfile
