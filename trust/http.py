"""Small request helpers shared by views and admin actions."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest

from votetracker.metrics import CLIENT_ADDRESS_KEY

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def get_client_address(request: HttpRequest) -> str | None:
    """The address a request came from, for the audit log, the login lockout and the ``/metrics`` allow-list.

    It is the direct peer, unless the peer is one of ``TRUSTED_PROXIES``: then ``X-Forwarded-For`` is read from right
    to left, past every trusted proxy, to the first address that is not one. A client that is not a trusted proxy
    cannot choose its address by sending the header itself. Resolved once per request: ``ClientAddressMiddleware``
    keeps the answer in ``request.META``, where the audit log and the login lockout find it again.
    """
    if CLIENT_ADDRESS_KEY in request.META:
        resolved: str | None = request.META[CLIENT_ADDRESS_KEY]
        return resolved
    return resolve_client_address(
        peer=request.META.get("REMOTE_ADDR") or None,
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR", ""),
        trusted_proxies=settings.TRUSTED_PROXIES,
    )


def resolve_client_address(*, peer: str | None, forwarded_for: str, trusted_proxies: Sequence[Network]) -> str | None:
    """The client behind ``peer`` given the ``X-Forwarded-For`` it passed on (see ``get_client_address``)."""
    if not is_trusted_proxy(peer, trusted_proxies=trusted_proxies):
        return peer
    nearest = peer
    # Each trusted proxy appends the address it received the request from, so the right end is the nearest hop.
    for hop in reversed(forwarded_for.split(",")):
        address = _parse_address(hop)
        if address is None:
            # A trusted proxy passed on something that is not an address: the last hop known for sure is that proxy.
            return nearest
        nearest = str(address)
        if not _is_trusted(address, trusted_proxies):
            return nearest
    return nearest


def is_trusted_proxy(peer: str | None, *, trusted_proxies: Sequence[Network]) -> bool:
    """Whether the direct peer ``peer`` (as the server reports it) is one of ``trusted_proxies``, the only hosts whose
    forwarding headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed."""
    return _is_trusted(_parse_address(peer or ""), trusted_proxies)


def _is_trusted(address: Address | None, trusted_proxies: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in trusted_proxies)


def _parse_address(text: str) -> Address | None:
    """An address as proxies write it: ``192.0.2.1``, ``2001:db8::1``, or with a port (``192.0.2.1:5000``,
    ``[2001:db8::1]:5000``)."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; compare it with IPv4 networks as what it is.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
