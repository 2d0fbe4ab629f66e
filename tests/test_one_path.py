"""Every dashboard request is Django's to decide: a middleware added in front of the
portal (a maintenance switch, an address allow-list) holds for every dashboard route,
whatever was asked before."""

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.test import Client, override_settings

from dashengine_site import asgi
from tests.test_asgi import run_async

APP = "/django_plotly_dash/app/stocktoday/"


class Maintenance:
    """Answers 503 to everything."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return HttpResponse("Down for maintenance.", status=503, content_type="text/plain")


def _routes(client) -> list[tuple[str, str]]:
    page = client.get("/dashboards/stocktoday/?tickers=IBM").content.decode()
    view = page.split('src="/django_plotly_dash/app/stocktoday/', 1)[1].split('"', 1)[0]
    return [
        ("GET", "/"),
        ("GET", "/dashboards/stocktoday/"),
        ("GET", "/dashboards/stocktoday/?tickers=IBM"),
        ("GET", "/dashboards/stocktoday/export.csv"),
        ("GET", "/reports/"),
        ("GET", APP),
        ("GET", APP + "_dash-layout"),
        ("GET", APP + "_dash-dependencies"),
        ("GET", APP + view),
        ("GET", APP + view + "_dash-layout"),
        ("GET", APP + view + "_dash-dependencies"),
        ("GET", APP + "_dash-component-suites/dash/dcc/dash_core_components.js"),
        ("POST", APP + "_dash-update-component"),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_middleware_that_answers_503_holds_for_every_dashboard_route(cast):
    user = Client()
    user.force_login(cast["sales"])
    routes = _routes(user)
    # Every route answered once before, as a visit would: nothing of that is given again.
    assert all(user.generic(method, path).status_code != 503 for method, path in routes)
    cookie = "; ".join(f"{k}={v.value}" for k, v in user.cookies.items())
    middleware = [f"{__name__}.Maintenance", *settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware):
        down = asgi.http_application(WSGIHandler())
        for method, path in routes:
            status, body = run_async(_asgi(down, method, path, cookie))
            assert (path, status, body) == (path, 503, b"Down for maintenance.")


async def _asgi(app, method: str, path: str, cookie: str) -> tuple[int, bytes]:
    from channels.testing import HttpCommunicator

    route, _, query = path.partition("?")
    communicator = HttpCommunicator(
        app,
        method,
        route,
        body=b"{}" if method == "POST" else b"",
        headers=[(b"host", b"testserver"), (b"cookie", cookie.encode())],
    )
    communicator.scope["query_string"] = query.encode()
    response = await communicator.get_response()
    return response["status"], response["body"]
