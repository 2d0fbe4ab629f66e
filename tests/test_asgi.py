import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.test import Client

from dashengine_site.asgi import application


def run_async(coroutine):
    # In a thread of its own: the browser tests keep an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.django_db(transaction=True)
def test_the_asgi_application_serves_django_pages():
    communicator = HttpCommunicator(application, "GET", "/accounts/login/", headers=[(b"host", b"localhost")])
    response = run_async(communicator.get_response())
    assert response["status"] == 200
    assert b"csrfmiddlewaretoken" in response["body"]


async def websocket_accepted(path: str, cookie: bytes = b"") -> bool:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    try:
        connected, _ = await communicator.connect(timeout=3)
    except ValueError:  # no such route: the router refuses the connection
        return False
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/dpd/ws/channel", "/ws/anything/"])
def test_websockets_outside_the_portals_routes_are_refused(path, request):
    cast = request.getfixturevalue("cast")
    client = Client()
    client.force_login(cast["sales"])
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    assert run_async(websocket_accepted(path)) is False
    assert run_async(websocket_accepted(path, cookie)) is False
