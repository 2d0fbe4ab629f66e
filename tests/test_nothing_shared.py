"""Nothing one user computed reaches another: every callback is computed for the user who
asks, whatever the app declares (`Portal(cache_answers=True)` included)."""

import json

import pytest
from django.test import Client

from dashboards.models import Dashboard
from dashboards.services import grant_add
from tests.conftest import with_catalogue_packages
from tests.dash_requests import callback_body

APP = "/django_plotly_dash/app/channels/"


@pytest.fixture
def two_users(monkeypatch, cast):
    assert with_catalogue_packages(monkeypatch, "tests.leak_apps").failed == {}
    clients = []
    for name in ("alice", "sales"):
        for slug in ("channels", "greeting"):
            grant_add(dashboard=Dashboard.objects.get(slug=slug), user=cast[name])
        client = Client(
            HTTP_X_REMOTE_USER=f"{name}@corp",
            HTTP_ACCEPT_LANGUAGE=f"{name}-lang",
            REMOTE_ADDR="10.0.0.1" if name == "alice" else "10.0.0.2",
        )
        client.force_login(cast[name])
        clients.append(client)
    return clients


def _ask(client, output: str) -> str:
    dependencies = json.loads(client.get(APP + "_dash-dependencies").content)
    dependency = next(d for d in dependencies if d["output"] == f"{output}.children")
    body = callback_body(dependency, {"word.value": "hello"})
    query = "?who=" + client.defaults["HTTP_X_REMOTE_USER"] if output == "query" else ""
    response = client.post(
        APP + "_dash-update-component" + query, json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return json.loads(response.content)["response"][output]["children"]


@pytest.mark.parametrize(
    "output",
    [
        "cookie",
        "remote-user",
        "language",
        "address",
        "query",
        "session",
        "environ-get",
        "environ-copy",
        "user",
    ],
)
def test_two_users_sending_the_same_body_each_get_their_own_answer(two_users, output):
    alice, sales = two_users
    expected = {
        "cookie": lambda c: c.cookies["sessionid"].value,
        "remote-user": lambda c: c.defaults["HTTP_X_REMOTE_USER"],
        "language": lambda c: c.defaults["HTTP_ACCEPT_LANGUAGE"],
        "address": lambda c: c.defaults["REMOTE_ADDR"],
        "query": lambda c: "who=" + c.defaults["HTTP_X_REMOTE_USER"],
        "session": lambda c: c.cookies["sessionid"].value,
        "environ-get": lambda c: c.defaults["HTTP_X_REMOTE_USER"],
        "environ-copy": lambda c: c.defaults["HTTP_X_REMOTE_USER"],
        "user": lambda c: c.defaults["HTTP_X_REMOTE_USER"].split("@")[0],
    }[output]
    first = _ask(alice, output)
    second = _ask(sales, output)
    assert (first, second) == (f"hello {expected(alice)}", f"hello {expected(sales)}")


def test_a_views_layout_holds_no_answer_computed_for_whoever_asked_first(two_users):
    alice, sales = two_users
    page = alice.get("/dashboards/greeting/?region=South").content.decode()
    view = page.split('src="/django_plotly_dash/app/greeting/', 1)[1].split('"', 1)[0]
    layouts = [
        client.get(f"/django_plotly_dash/app/greeting/{view}_dash-layout").content.decode()
        for client in (alice, sales)
    ]
    assert layouts[0] == layouts[1]
    assert '"value": "South"' in layouts[0] or '"value":"South"' in layouts[0]
    assert "@example.com" not in layouts[0] and "session" not in layouts[0]
    answer = sales.post(
        "/django_plotly_dash/app/greeting/_dash-update-component",
        json.dumps(
            {
                "output": "hello.children",
                "outputs": {"id": "hello", "property": "children"},
                "inputs": [{"id": "region", "property": "value", "value": "South"}],
                "changedPropIds": [],
            }
        ),
        content_type="application/json",
    )
    assert json.loads(answer.content)["response"]["hello"]["children"].startswith(
        "South for sales@example.com"
    )
