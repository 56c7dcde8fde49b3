"""The image and the compose file trust no one's X-Forwarded-For but nginx's: uvicorn rewrites no address, and the
app is told the compose network nginx comes from, the same subnet the network is given."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from results.tests.topology import image_command
from votetracker.tests.test_deployment import _compose_config

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_image_leaves_the_client_address_to_the_app() -> None:
    command = image_command(8000)
    assert "--no-proxy-headers" in command
    assert "--proxy-headers" not in command
    # Trusting every peer ("*") is what let any client choose its address.
    assert "--forwarded-allow-ips" not in command


def _resolved_services(tmp_path: Path, env_text: str) -> dict[str, object]:
    result = _compose_config(tmp_path, env_text)
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


@pytest.mark.parametrize("subnet", [None, "10.89.4.0/24"])
def test_compose_trusts_exactly_the_network_nginx_comes_from(tmp_path: Path, subnet: str | None) -> None:
    env_text = (PROJECT_DIR / ".env.example").read_text() + (f"COMPOSE_SUBNET={subnet}\n" if subnet else "")
    config = _resolved_services(tmp_path, env_text)
    services = config["services"]
    assert isinstance(services, dict)
    networks = config["networks"]
    assert isinstance(networks, dict)
    network_subnet = networks["default"]["ipam"]["config"][0]["subnet"]
    if subnet:
        assert network_subnet == subnet
    # nginx joins only the default network, so its address is always inside that subnet.
    assert set(services["nginx"].get("networks", {"default": None})) == {"default"}
    for replica in ("app1", "app2"):
        trusted = services[replica]["environment"]["TRUSTED_PROXIES"]
        assert ipaddress.ip_network(trusted) == ipaddress.ip_network(network_subnet)
        # A network, not everyone.
        assert ipaddress.ip_network(trusted).num_addresses <= 256


def test_nginx_overwrites_the_forwarded_header_instead_of_passing_a_clients_on() -> None:
    proxy = (PROJECT_DIR / "deploy" / "nginx" / "proxy.conf").read_text()
    assert proxy.count("proxy_set_header X-Forwarded-For $remote_addr;") == 2
    assert "$proxy_add_x_forwarded_for" not in proxy
