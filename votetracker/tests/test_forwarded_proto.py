"""X-Forwarded-Proto counts only from a trusted proxy, as X-Forwarded-For does: a client cannot make a plain-HTTP
request pass for HTTPS (skipping the redirect) by sending the header itself."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from votetracker.middleware import ForwardedProtoMiddleware

PROXY_NETWORK = ipaddress.ip_network("172.31.240.0/24")
PROXY = "172.31.240.5"
CLIENT = "203.0.113.9"


@pytest.fixture
def behind_tls_proxy(settings: Any) -> None:
    """HTTPS mode as server mode sets it (``votetracker.settings``), with nginx's network as the trusted proxies."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = (PROXY_NETWORK,)


def seen_as_secure(peer: str, forwarded_proto: str) -> bool:
    """Whether the view behind the middleware finds the request secure."""
    seen: list[bool] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.is_secure())
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO=forwarded_proto)
    ForwardedProtoMiddleware(view)(request)
    return seen == [True]


@pytest.mark.usefixtures("behind_tls_proxy")
def test_a_client_saying_https_itself_is_not_secure() -> None:
    assert not seen_as_secure(CLIENT, "https")
    assert not seen_as_secure("::ffff:203.0.113.9", "https")


@pytest.mark.usefixtures("behind_tls_proxy")
def test_the_trusted_proxy_saying_https_is_secure_and_saying_http_is_not() -> None:
    assert seen_as_secure(PROXY, "https")
    assert seen_as_secure(f"::ffff:{PROXY}", "https")
    assert not seen_as_secure(PROXY, "http")


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_tls_proxy")
def test_a_spoofed_https_request_is_still_redirected_to_https(client: Client) -> None:
    spoofed = client.get("/", REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.status_code == 301
    assert spoofed["Location"] == "https://testserver/"
    through_proxy = client.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert through_proxy.status_code == 200


async def asgi_get(path: str, *, peer: str, forwarded_proto: str) -> tuple[int, dict[str, str]]:
    """A GET through Django's ASGI handler from ``peer`` (the test client cannot choose the peer of an ASGI request)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"x-forwarded-proto", forwarded_proto.encode())],
        "client": (peer, 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(ASGIHandler(), scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(timeout=10)
    while (await communicator.receive_output(timeout=10)).get("more_body"):
        pass
    await communicator.wait(timeout=10)
    return start["status"], {name.decode(): value.decode() for name, value in start["headers"]}


@pytest.mark.asyncio
@pytest.mark.usefixtures("behind_tls_proxy")
async def test_the_asgi_path_believes_only_the_trusted_proxy() -> None:
    status, headers = await asgi_get("/api/v1/docs", peer=CLIENT, forwarded_proto="https")
    assert status == 301
    assert headers["Location"] == "https://testserver/api/v1/docs"
    status, _ = await asgi_get("/api/v1/docs", peer=PROXY, forwarded_proto="https")
    assert status == 200


def test_https_without_a_trusted_proxy_is_named_in_a_warning(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ()
    with caplog.at_level(logging.WARNING, logger="votetracker.middleware"):
        ForwardedProtoMiddleware(lambda request: HttpResponse())
    assert "TRUSTED_PROXIES" in caplog.text

    caplog.clear()
    settings.TRUSTED_PROXIES = (PROXY_NETWORK,)
    with caplog.at_level(logging.WARNING, logger="votetracker.middleware"):
        ForwardedProtoMiddleware(lambda request: HttpResponse())
    assert caplog.text == ""
