"""A dashboard's page, layout and dependencies given again before Django
(dashboards/hosting/known.py): Django's very answer, and only to whom Django would give it."""

from __future__ import annotations

import re

import pytest
from dash import _callback_signing
from django.conf import settings
from django.test import Client

from dashboards import registry
from dashboards.hosting import answers, known
from dashboards.models import Dashboard
from dashboards.services import grant_remove
from dashengine_site import asgi
from tests.test_asgi import asgi_get, run_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="asynchronous reads need Redis: the services run"),
]

APP = "/django_plotly_dash/app/stocktoday/"
ROUTES = ["", "_dash-layout", "_dash-dependencies"]


@pytest.fixture
def reached_django(monkeypatch):
    """The paths that went past the known answers, to Django."""
    paths = []
    original = asgi.WSGIBridge.__call__

    async def counted(self, scope, receive, send):
        paths.append(scope["path"])
        return await original(self, scope, receive, send)

    monkeypatch.setattr(asgi.WSGIBridge, "__call__", counted)
    known._known.clear()
    return paths


def signed_in(user) -> bytes:
    client = Client()
    client.force_login(user)
    page = client.get(APP)  # Django's CSRF cookie, as the browser has it after its first page
    return (
        f"sessionid={client.cookies['sessionid'].value}; csrftoken={page.cookies['csrftoken'].value}".encode()
    )


def get(path: str, cookie: bytes = b"", *, method: str = "GET", query: bytes = b"", headers=()) -> dict:
    start, *rest = run_async(asgi_get(path, cookie, method=method, query=query, headers=headers))
    return {
        "status": start["status"],
        "headers": sorted(start["headers"]),
        "body": b"".join(m.get("body", b"") for m in rest),
    }


def without_dates(answer: dict) -> dict:
    """The answer, aside from the cookie's expiry date (a second later the next time)
    and the page-load id (every page has its own)."""
    headers = [(k, re.sub(rb"expires=[^;]+;", b"", v)) for k, v in answer["headers"]]
    return {**answer, "headers": headers, "body": re.sub(rb'"end_id":"[^"]+"', b"", answer["body"])}


def end_id(answer: dict) -> str:
    return re.search(rb'"end_id":"([^"]+)"', answer["body"])[1].decode()


@pytest.mark.parametrize("route", ROUTES)
def test_djangos_answer_is_given_again_before_django_byte_for_byte(cast, reached_django, route):
    cookie = signed_in(cast["sales"])
    first = get(APP + route, cookie)
    again = get(APP + route, cookie)
    assert reached_django == [APP + route]
    assert first["status"] == 200
    assert without_dates(again) == without_dates(first)


def test_a_page_given_again_has_a_page_load_id_of_its_own(cast, reached_django):
    cookie = signed_in(cast["sales"])
    pages = [get(APP, cookie) for _ in range(3)]
    assert reached_django == [APP]
    ids = [end_id(page) for page in pages]
    assert len(set(ids)) == 3
    secret = registry.app("stocktoday")._get_signing_secret()
    assert all(_callback_signing.unsign(secret, _callback_signing.END_SCOPE, i) for i in ids)


def test_the_app_page_renews_the_browsers_csrf_cookie_as_django_does(cast, reached_django):
    cookie = signed_in(cast["sales"])
    token = re.search(rb"csrftoken=(\w+)", cookie)[1]
    first, again = get(APP, cookie), get(APP, cookie)
    renewed = [v for k, v in again["headers"] if k == b"set-cookie"]
    assert renewed == [v for k, v in first["headers"] if k == b"set-cookie"]
    assert renewed[0].startswith(b"csrftoken=" + token + b"; expires=")
    assert b"Max-Age=31449600; Path=/; SameSite=Lax" in renewed[0]


def test_a_views_page_layout_and_dependencies_are_given_again(cast, reached_django):
    cookie = signed_in(cast["sales"])
    client = Client()
    client.force_login(cast["sales"])
    page = client.get("/dashboards/stocktoday/?tickers=IBM&tickers=MSFT").content.decode()
    view = re.search(r'id="dash-app"[^>]*src="([^"]+)"', page)[1]
    for route in ROUTES:
        assert without_dates(get(view + route, cookie)) == without_dates(get(view + route, cookie))
    assert reached_django == [view + route for route in ROUTES]
    assert b'"name":"MSFT"' in get(view + "_dash-layout", cookie)["body"].replace(b" ", b"")


def test_another_user_with_the_grant_gets_it_and_one_without_is_refused_by_django(cast, reached_django):
    get(APP + "_dash-layout", signed_in(cast["sales"]))
    alice = signed_in(cast["alice"])  # her first page: Django decided she may
    assert [get(APP + "_dash-layout", alice)["status"] for _ in range(2)] == [200, 200]
    refused = [get(APP + "_dash-layout", signed_in(cast["marketing"])) for _ in range(2)]
    assert [(r["status"], r["body"]) for r in refused] == [
        (403, b"You do not have access to this dashboard.")
    ] * 2
    # The first answer, then both refusals: alice's answers were given again.
    assert reached_django == [APP + "_dash-layout"] * 3


def test_a_revoked_grant_is_refused_at_the_next_request(cast, reached_django):
    cookie = signed_in(cast["alice"])
    assert [get(APP, cookie)["status"] for _ in range(2)] == [200, 200]
    grant_remove(dashboard=Dashboard.objects.get(slug="stocktoday"), user=cast["alice"])
    assert get(APP, cookie)["status"] == 403
    assert reached_django == [APP, APP]


@pytest.mark.parametrize("change", ["sign out", "deactivate", "new password"])
def test_a_session_that_ended_is_refused_at_the_next_request(cast, reached_django, change):
    user = cast["sales"]
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    assert [get(APP + "_dash-layout", cookie)["status"] for _ in range(2)] == [200, 200]
    if change == "sign out":
        client.post("/accounts/logout/")
    elif change == "deactivate":
        user.is_active = False
        user.save()
    else:
        user.set_password("an entirely new password 123")
        user.save()
    assert get(APP + "_dash-layout", cookie)["status"] == 401
    assert reached_django == [APP + "_dash-layout"] * 2


def test_anonymous_head_and_query_requests_go_to_django(cast, reached_django):
    cookie = signed_in(cast["sales"])
    get(APP + "_dash-layout", cookie)
    assert get(APP + "_dash-layout")["status"] == 401
    assert get(APP + "_dash-layout", cookie, method="HEAD")["status"] == 200
    assert get(APP + "_dash-layout", cookie, query=b"x=1")["status"] == 200
    assert len(reached_django) == 4


def test_new_data_makes_a_views_answers_go_to_django_again(cast, reached_django):
    cookie = signed_in(cast["admin"])
    path = "/django_plotly_dash/app/timeseries/_dash-layout"
    get(path, cookie), get(path, cookie)
    answers.answers_forget(dashboard="timeseries")
    get(path, cookie), get(path, cookie)
    assert reached_django == [path, path]


def test_when_redis_does_not_answer_every_request_goes_to_django(cast, reached_django, monkeypatch):
    cookie = signed_in(cast["sales"])
    get(APP + "_dash-layout", cookie)
    monkeypatch.setattr(known, "_clients", {})
    monkeypatch.setattr(
        settings, "REDIS_URL", "redis://127.0.0.1:1/0"
    )  # nothing listens there (the cache's own Redis is untouched)
    assert get(APP + "_dash-layout", cookie)["status"] == 200
    assert reached_django == [APP + "_dash-layout"] * 2


def test_requests_django_reads_otherwise_go_to_django(cast, reached_django):
    cookie = signed_in(cast["sales"])
    layout = APP + "_dash-layout"
    get(layout, cookie)
    # Cookies in two headers (Django sees them joined by a comma), a malformed CSRF cookie
    # (Django sends a new one), a body's type (Django checks a form's charset).
    asked = [
        get(layout, cookie, headers=[(b"cookie", b"theme=dark")]),
        get(layout, cookie.replace(b"csrftoken=", b"csrftoken=short")),
        get(layout, cookie, headers=[(b"content-type", b"text/plain")]),
    ]
    assert [a["status"] for a in asked] == [200, 200, 200]
    assert len(reached_django) == 4
    renewed = [v for k, v in asked[1]["headers"] if k == b"set-cookie"]
    assert renewed and not renewed[0].startswith(b"csrftoken=short")


def test_a_forged_views_answers_are_not_kept(cast, reached_django):
    cookie = signed_in(cast["sales"])
    forged = APP + "initial/forged~token/_dash-layout"
    assert [get(forged, cookie)["status"] for _ in range(2)] == [200, 200]
    assert reached_django == [forged, forged]


def test_a_replay_that_fails_unexpectedly_leaves_the_answer_to_django(cast, reached_django, monkeypatch):
    cookie = signed_in(cast["sales"])
    get(APP + "_dash-layout", cookie)

    async def broken(session_key, slug):
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(known, "_signed_in", broken)
    assert get(APP + "_dash-layout", cookie)["status"] == 200
    assert reached_django == [APP + "_dash-layout"] * 2


@pytest.mark.parametrize(
    "headers",
    [
        [(b"cookie", b"sessionid=" + b"x" * 10_000)],
        [(b"cookie", b"sessionid=\x00\x01\x02abcdefgh; csrftoken=" + b"\xff" * 32)],
        [(b"cookie", b"sessionid=;;;==;csrftoken")],
        [(b"host", b"\xc3\xa9vil.example")],
        [(b"x-forwarded-proto", b"https")],
        [(b"x-forwarded-proto", b"\x00")],
    ],
)
def test_odd_headers_never_give_a_500(cast, reached_django, headers):
    cookie = signed_in(cast["sales"])
    get(APP + "_dash-layout", cookie)
    answer = get(APP + "_dash-layout", b"" if headers[0][0] == b"cookie" else cookie, headers=headers)
    assert answer["status"] in (200, 301, 400, 401)
