"""The client's address is the peer's, unless the peer is a trusted proxy: then X-Forwarded-For is read from right to
left past the trusted hops. A client cannot choose the address the audit log records by sending the header."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from trust.http import get_client_address, resolve_client_address
from trust.models import AuditEvent

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:f::/48"))


def resolve(peer: str | None, forwarded_for: str = "") -> str | None:
    return resolve_client_address(peer=peer, forwarded_for=forwarded_for, trusted_proxies=PROXIES)


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_forwards() -> None:
    assert resolve("203.0.113.9", "127.0.0.1") == "203.0.113.9"
    assert resolve("203.0.113.9", "10.0.0.5") == "203.0.113.9"
    assert resolve_client_address(peer="10.0.0.2", forwarded_for="198.51.100.4", trusted_proxies=()) == "10.0.0.2"


def test_a_trusted_proxy_names_the_client_it_received_the_request_from() -> None:
    assert resolve("10.0.0.2", "198.51.100.4") == "198.51.100.4"
    assert resolve("2001:db8:f::2", "2001:db8:1::7") == "2001:db8:1::7"


def test_the_header_is_walked_right_to_left_past_trusted_hops_only() -> None:
    # The client wrote "127.0.0.1" itself; the proxies appended what they saw. Only the proxies' part is believed.
    assert resolve("10.0.0.2", "127.0.0.1, 198.51.100.4, 10.0.0.9") == "198.51.100.4"
    assert resolve("10.0.0.2", "127.0.0.1,198.51.100.4") == "198.51.100.4"


def test_without_a_header_or_with_only_proxies_in_it_the_nearest_known_hop_counts() -> None:
    assert resolve("10.0.0.2") == "10.0.0.2"
    assert resolve("10.0.0.2", "10.0.0.9, 10.0.0.8") == "10.0.0.9"


def test_a_hop_that_is_not_an_address_stops_the_walk_at_the_proxy_that_passed_it() -> None:
    assert resolve("10.0.0.2", "198.51.100.4, unknown") == "10.0.0.2"
    assert resolve("10.0.0.2", "198.51.100.4, garbage, 10.0.0.9") == "10.0.0.9"


def test_addresses_with_ports_and_mapped_ipv4_peers_are_understood() -> None:
    assert resolve("10.0.0.2", "198.51.100.4:50312") == "198.51.100.4"
    assert resolve("10.0.0.2", "[2001:db8:1::7]:443") == "2001:db8:1::7"
    assert resolve("::ffff:10.0.0.2", "198.51.100.4") == "198.51.100.4"


def test_a_request_without_a_peer_has_no_address() -> None:
    assert resolve(None, "198.51.100.4") is None


@given(st.text(max_size=200))
def test_no_header_lets_an_untrusted_peer_choose_its_address(forwarded_for: str) -> None:
    assert resolve("203.0.113.9", forwarded_for) == "203.0.113.9"


def test_the_request_helper_believes_only_the_configured_proxies(settings: Any) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4")
    settings.TRUSTED_PROXIES = ()
    assert get_client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXIES = PROXIES
    assert get_client_address(request) == "198.51.100.4"


@pytest.mark.django_db
def test_the_audit_log_records_the_address_behind_the_proxy_not_one_the_client_chose(
    client: Client, official: User, settings: Any
) -> None:
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("172.31.240.0/24"),)
    client.force_login(official)

    def issue(name: str, **headers: Any) -> str | None:
        client.post("/admin/trust/apitoken/add/", {"user": str(official.pk), "name": name}, **headers)
        return AuditEvent.objects.get(action="api_token.issue", object_repr__contains=name).client_address

    assert issue("direct", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1") == "203.0.113.9"
    through_nginx: dict[str, Any] = {"REMOTE_ADDR": "172.31.240.5", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert issue("proxied", **through_nginx) == "198.51.100.4"
