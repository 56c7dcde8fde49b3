"""The README's first section takes a newcomer from a checkout to every role of the demo: what it names must exist."""

from __future__ import annotations

import re
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command, load_command_class
from django.urls import resolve

from elections.demo import list_demo_clerk_station_codes
from elections.demo_data import DEMO_ACCOUNTS

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = ("Official", "Public viewer", "Clerk", "Supervisor")


def first_section() -> str:
    """From the README's first second-level heading to the next one."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## ")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def logins_table() -> dict[str, dict[str, str]]:
    """The table whose header has a "where" column, as one dict of its cells per role."""
    rows = [line for line in first_section().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert "where" in header, header
    table = {}
    for row in rows[2:]:
        cells = dict(zip(header, (cell.strip().strip("`") for cell in row.strip("|").split("|")), strict=True))
        table[cells["role"]] = cells
    return table


def steps_of(role: str) -> list[str]:
    """The numbered steps under the bold ``role`` line of the walkthrough."""
    section = first_section()
    start = section.index(f"**{role}**")
    following = [section.find(f"**{other}**", start + 1) for other in ROLES if other != role]
    end = min([index for index in following if index > start] + [section.index("### Start over")])
    return re.findall(r"^\d\. ", section[start:end], flags=re.MULTILINE)


def test_the_first_section_names_the_two_commands_the_port_and_how_to_start_over() -> None:
    section = first_section()
    assert re.search(r"^make run\b", section, flags=re.MULTILINE)
    assert re.search(r"^make test\b", section, flags=re.MULTILINE)
    assert "make run PORT=8080" in section
    assert "make demo-reset" in section
    assert "seed_demo --reset" in section


def test_each_demo_login_in_the_readme_has_its_password_and_a_where_the_site_routes() -> None:
    table = logins_table()
    expected = {account.group.rstrip("s").lower(): account for account in DEMO_ACCOUNTS}
    assert set(table) == set(expected) == {"official", "supervisor", "clerk"}
    for role, account in expected.items():
        row = table[role]
        assert (row["user"], row["password"]) == (account.username, account.password)
        # The README and the logins seed_demo prints send each role to the same place.
        assert row["where"] == account.home, role
        match = resolve(row["where"])
        assert match.view_name == ("admin:index" if role == "official" else "entry:home"), role


@pytest.mark.django_db
def test_the_readme_names_the_demo_clerks_own_boxes() -> None:
    call_command("seed_demo", stdout=StringIO())
    named = re.findall(r"HB-\d\d-\d", logins_table()["clerk"]["what the demo lets it do"])
    assert named == list_demo_clerk_station_codes()


def test_every_role_has_a_three_step_walkthrough() -> None:
    for role in ROLES:
        assert steps_of(role) == ["1. ", "2. ", "3. "], role


def test_every_address_in_the_first_section_is_one_the_site_routes() -> None:
    paths = re.findall(r"`(/[^`\s…]*)`", first_section())
    assert "/results/riverland-2026/station/HB-01-1/" in paths
    for path in paths:
        resolve(path)  # raises Resolver404 for an address the site does not have


def test_the_simulate_command_in_the_readme_parses() -> None:
    (line,) = [line.strip() for line in first_section().splitlines() if "manage.py simulate" in line]
    words = shlex.split(line)
    command = load_command_class("results", "simulate")
    options = command.create_parser("manage.py", "simulate").parse_args(words[words.index("simulate") + 1 :])
    assert options.election == "riverland-2026"
    assert options.url == "http://127.0.0.1:8000"
