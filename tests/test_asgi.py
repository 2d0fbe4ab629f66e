import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.testing import ApplicationCommunicator
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
    """Whether the socket opens and stays open (an unknown path is accepted only to be
    closed at once with its code)."""
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    # As communicator.connect(timeout=3), but without sitting out the whole timeout when
    # the application refuses at once: wait until it answers or has ended.
    await communicator.send_input({"type": "websocket.connect"})
    deadline = asyncio.get_running_loop().time() + 3
    while (
        communicator.output_queue.empty()
        and not communicator.future.done()
        and asyncio.get_running_loop().time() < deadline
    ):
        await asyncio.sleep(0.01)
    response = await communicator.receive_output(timeout=3)
    if response["type"] == "websocket.accept":
        with contextlib.suppress(TimeoutError):  # closed at once, or kept open
            response = await communicator.receive_output(timeout=0.5)
    await communicator.disconnect()
    return response["type"] != "websocket.close"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/dpd/ws/channel", "/ws/anything/"])
def test_websockets_outside_the_portals_routes_are_refused(path, request):
    cast = request.getfixturevalue("cast")
    client = Client()
    client.force_login(cast["sales"])
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    assert run_async(websocket_accepted(path)) is False
    assert run_async(websocket_accepted(path, cookie)) is False


async def asgi_get(
    path: str, cookie: bytes = b"", *, method: str = "GET", headers=(), query: bytes = b""
) -> list[dict]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"localhost"), (b"cookie", cookie), *headers],
        "http_version": "1.1",
        "scheme": "http",
        "root_path": "",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 50000),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    messages = [await communicator.receive_output(10)]
    while messages[-1]["type"] == "http.response.start" or messages[-1].get("more_body"):
        messages.append(await communicator.receive_output(10))
    return messages


@pytest.mark.django_db(transaction=True)
def test_the_csv_export_streams_under_asgi(request):
    cast = request.getfixturevalue("cast")
    client = Client()
    client.force_login(cast["sales"])
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    messages = run_async(
        asgi_get("/dashboards/stocktoday/export.csv", cookie, query=b"tickers=AAPL&tickers=IBM")
    )
    assert messages[0]["status"] == 200
    bodies = [m.get("body", b"") for m in messages[1:] if m.get("body")]
    assert len(bodies) >= 2, "sent as one piece"
    text = b"".join(bodies).decode()
    assert text.startswith("Date,Ticker,Close (USD; S&P 500 in points)")
    assert ",IBM," in text and ",AAPL," in text  # business names: tickers stay tickers


def header(message: dict, name: bytes) -> bytes | None:
    return dict(message["headers"]).get(name)


@pytest.mark.django_db(transaction=True)
def test_an_ordinary_answer_arrives_whole_under_asgi(request):
    cast = request.getfixturevalue("cast")
    client = Client()
    client.force_login(cast["sales"])
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    messages = run_async(asgi_get("/django_plotly_dash/app/stocktoday/_dash-layout", cookie))
    assert messages[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in messages[1:])
    assert body == client.get("/django_plotly_dash/app/stocktoday/_dash-layout").content


def test_static_files_are_answered_before_django_with_whitenoise_headers(settings, monkeypatch):
    from pathlib import Path

    from dashengine_site import asgi

    async def no_django(self, scope, receive, send):
        raise AssertionError(f"{scope['path']} reached Django")

    monkeypatch.setattr(asgi.WSGIBridge, "__call__", no_django)
    css = (Path(settings.BASE_DIR) / "dashboards/static/portal/site.css").read_bytes()
    start, *rest = run_async(asgi_get("/static/portal/site.css"))
    assert start["status"] == 200
    assert b"".join(m.get("body", b"") for m in rest) == css
    etag = header(start, b"etag")
    assert etag and header(start, b"cache-control")
    assert header(start, b"x-content-type-options") == b"nosniff"

    [again, *_] = run_async(asgi_get("/static/portal/site.css", headers=[(b"if-none-match", etag)]))
    assert again["status"] == 304
    head, *rest = run_async(asgi_get("/static/portal/site.css", method="HEAD"))
    assert head["status"] == 200 and b"".join(m.get("body", b"") for m in rest) == b""


@pytest.mark.django_db(transaction=True)
def test_a_missing_static_file_falls_through_to_djangos_404():
    start, *_ = run_async(asgi_get("/static/portal/nothing-here.css"))
    assert start["status"] == 404
