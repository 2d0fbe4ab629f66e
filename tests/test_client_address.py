"""The client address behind a proxy: uvicorn's proxy headers (the Procfile's web
server) in front of the ASGI application, as in production."""

from __future__ import annotations

import pytest
from channels.testing import HttpCommunicator
from django.test import Client
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from dashboards.models import AuditEvent
from dashengine_site.asgi import application
from tests.test_asgi import run_async

PROXY = "10.0.0.5"


def through_proxy(peer: str, forwarded_for: str | None, cookie: bytes) -> int:
    app = ProxyHeadersMiddleware(application, trusted_hosts=f"{PROXY},10.0.1.0/24")
    headers = [(b"host", b"localhost"), (b"cookie", cookie)]
    if forwarded_for is not None:
        headers.append((b"x-forwarded-for", forwarded_for.encode()))
    communicator = HttpCommunicator(app, "GET", "/dashboards/stocktoday/", headers=headers)
    communicator.scope["client"] = (peer, 40000)
    return run_async(communicator.get_response())["status"]


@pytest.fixture
def sales_cookie(transactional_db, request) -> bytes:
    cast = request.getfixturevalue("cast")
    client = Client()
    client.force_login(cast["sales"])
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "peer,forwarded_for,recorded",
    [
        ("203.0.113.9", None, "203.0.113.9"),  # no proxy
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: its header is ignored
        (PROXY, "198.51.100.1", "198.51.100.1"),  # the proxy names the client
        (PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a client's own header cannot pick its address
        (PROXY, "198.51.100.1, 10.0.1.7", "198.51.100.1"),  # a chain of trusted proxies
    ],
)
def test_the_audit_trail_records_the_clients_address(sales_cookie, peer, forwarded_for, recorded):
    assert through_proxy(peer, forwarded_for, sales_cookie) == 200
    assert AuditEvent.objects.get(action="view").ip == recorded


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("forwarded_for", ["not-an-ip", "999.1.1.1", "\x00"])
def test_a_garbage_forwarded_address_is_a_400_and_records_nothing(sales_cookie, forwarded_for):
    assert through_proxy(PROXY, forwarded_for, sales_cookie) == 400
    assert not AuditEvent.objects.filter(action="view").exists()


def test_the_deploy_check_refuses_to_trust_every_peer(monkeypatch):
    from dashboards.checks import forwarded_allow_ips_check

    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert [m.id for m in forwarded_allow_ips_check()] == ["dashboards.W003"]
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.5,10.0.1.0/24")
    assert forwarded_allow_ips_check() == []


@pytest.mark.django_db
@pytest.mark.parametrize("charset", ["utf-16", "latin-1"])
def test_a_form_in_another_charset_is_a_400_not_a_500(client, charset):
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(
        "/accounts/login/",
        "username=x&password=y&csrfmiddlewaretoken=" + "a" * 32,
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert (response.status_code, response.content) == (400, b"Forms must be sent in UTF-8.")
