"""The apps depend one way (pyproject.toml's import-linter contract): an import against the direction fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["trust", "elections", "ballots", "results", "votetracker"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy_project(tmp_path: Path) -> Path:
    tree = tmp_path / "project"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_project_keeps_its_layers(tmp_path: Path) -> None:
    result = _lint_imports(_copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apps depend one way KEPT" in result.stdout


def test_an_import_from_a_lower_app_into_a_higher_one_fails_even_inside_a_function(tmp_path: Path) -> None:
    tree = _copy_project(tmp_path)
    services = tree / "elections" / "services" / "__init__.py"
    services.write_text(
        services.read_text()
        + "\n\ndef refresh_now(election_id: int) -> None:\n"
        + "    from results.services import refresh_tallies\n\n"
        + "    refresh_tallies(election_id=election_id)\n"
    )
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "Apps depend one way BROKEN" in result.stdout
    assert "elections is not allowed to import results" in result.stdout
    assert "elections.services -> results.services" in result.stdout


def test_the_bottom_layer_may_not_import_any_app(tmp_path: Path) -> None:
    tree = _copy_project(tmp_path)
    roles = tree / "trust" / "roles.py"
    roles.write_text(roles.read_text() + "\nfrom elections.models import Election  # noqa: E402\n")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "trust is not allowed to import elections" in result.stdout
