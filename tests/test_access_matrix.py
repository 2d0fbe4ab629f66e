"""Every user kind × every dashboard × every endpoint a browser uses, plus every URL pattern.

Endpoints are discovered as a browser finds them: from the dashboard page (its
iframe), the Dash app page (its scripts and styles) and the Dash dependencies
(one callback request each, with the layout's initial values).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dashboards import registry
from dashboards.models import Dashboard, Report
from dashboards.services import grant_add
from tests.dash_requests import callback_body, layout_values, server_callbacks

KINDS = [
    "anonymous",
    "no grant",
    "group grant",
    "user grant",
    "everyone grant",
    "staff",
    "superuser",
    "inactive",
]
ALLOWED = {"group grant", "user grant", "everyone grant", "superuser"}
# username in the cast for each kind (the everyone-grant kind is `viewer`
# after the dashboard is opened to every signed-in user).
USERNAME = {
    "no grant": "marketing",
    "group grant": "sales",
    "user grant": "alice",
    "everyone grant": "viewer",
    "staff": "staff",
    "superuser": "admin",
    "inactive": "gone",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: str | None = None

    def call(self, client: Client):
        if self.method == "POST":
            return client.post(self.path, self.body, content_type="application/json")
        return client.get(self.path)


def discover_endpoints(client: Client, slug: str) -> list[Endpoint]:
    page = client.get(f"/dashboards/{slug}/").content.decode()
    app = re.search(r'id="dash-app"[^>]*src="([^"]+)"|src="([^"]+)"[^>]*id="dash-app"', page)
    app_path = app[1] or app[2]
    app_html = client.get(app_path).content.decode()
    # The page loads Dash's bundles as public static files (library code, no
    # data); the same files under the app's own route are what dash-renderer
    # asks for when it loads a chunk later, and that route is guarded.
    bundles = re.findall(r'src="/static/dash-bundles/([^/]+)/[^/]+/([^"]+)"', app_html)
    assets = sorted({f"{app_path}_dash-component-suites/{package}/{path}" for package, path in bundles})
    dependencies = json.loads(client.get(app_path + "_dash-dependencies").content)
    values = layout_values(json.loads(client.get(app_path + "_dash-layout").content))
    callbacks = [
        Endpoint("POST", app_path + "_dash-update-component", json.dumps(callback_body(dep, values)))
        for dep in server_callbacks(dependencies)
    ]
    endpoints = [
        Endpoint("GET", f"/dashboards/{slug}/"),
        Endpoint("GET", app_path),
        Endpoint("GET", app_path + "_dash-layout"),
        Endpoint("GET", app_path + "_dash-dependencies"),
        *[Endpoint("GET", a) for a in assets],
        *callbacks,
    ]
    assert len(assets) >= 5 and callbacks, "discovery found too little to be a real page"
    return endpoints


def client_for(kind: str, cast) -> Client:
    client = Client()
    if kind != "anonymous":
        client.force_login(cast[USERNAME[kind]])
    return client


@pytest.fixture
def opened_to_everyone(cast):
    """A second world in which Stock Today is open to every signed-in user, and viewer relies on that."""
    from dashboards.services import dashboard_open_to_all_set

    for row in Dashboard.objects.all():
        dashboard_open_to_all_set(dashboard=row, value=True)


def is_refusal(response, *, page: bool) -> bool:
    if page and response.status_code == 302:
        return "/accounts/login/" in response["Location"]
    return response.status_code in (401, 403, 404)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("slug", [d.slug for d in registry.all_dashboards()])
def test_the_matrix_has_no_leaks(kind, slug, cast, request):
    # Each dashboard granted as the cast has Stock Today: to the group Sales and to alice.
    row = Dashboard.objects.get(slug=slug)
    grant_add(dashboard=row, group=Group.objects.get(name="Sales"))
    grant_add(dashboard=row, user=cast["alice"])
    admin = Client()
    admin.force_login(cast["admin"])
    endpoints = discover_endpoints(admin, slug)
    if kind == "everyone grant":
        request.getfixturevalue("opened_to_everyone")
    client = client_for(kind, cast)
    for endpoint in endpoints:
        response = endpoint.call(client)
        page = endpoint.path == f"/dashboards/{slug}/"
        if kind in ALLOWED:
            # Bundles answer with a redirect to the static file.
            assert response.status_code in (200, 302), (kind, endpoint.path, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/static/"), (kind, endpoint.path)
        else:
            assert is_refusal(response, page=page), (kind, endpoint.path, response.status_code)
            if not page:
                assert not response["Content-Type"].startswith("text/html"), "no login page into Dash"


def concrete_paths(patterns, prefix: str = "", number: str = "1"):
    """Every URL pattern of the project, with its parameters filled in (`number` for ints)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from concrete_paths(pattern.url_patterns, prefix + str(pattern.pattern), number)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            route = re.sub(r"<(?:\w+:)?(ident|slug)>", "stocktoday", route)
            route = re.sub(r"<int:\w+>", number, route)
            route = re.sub(r"<(?:\w+:)?\w+>", "x", route)
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "x", route).replace("^", "").replace("$", "")
            yield "/" + route


# Pages anyone may see: logging in, a forgotten password, health, and the admin's own login redirect.
PUBLIC = (
    "/accounts/login/",
    "/accounts/password_reset/",
    "/accounts/reset/",
    "/healthz",
    "/livez",
    "/readyz",
    "/admin/login/",
    "/admin/logout/",
    "/accounts/logout/",
)


@pytest.mark.parametrize("kind", ["anonymous", "no grant", "inactive"])
def test_no_url_pattern_shows_data_to_the_unentitled(kind, cast):
    owner = client_for("group grant", cast)
    owner.post("/dashboards/stocktoday/reports/", {"name": "r", "visibility": "everyone", "params": "{}"})
    report = Report.objects.get()  # shared with everyone who can open Stock Today
    client = client_for(kind, cast)
    paths = sorted(set(concrete_paths(get_resolver().url_patterns, number=str(report.pk))))
    assert len(paths) > 20
    for path in paths:
        if path.startswith(PUBLIC):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 200 and kind == "no grant":
                # Their own pages (the gallery, the password form), with no dashboard in them.
                assert not any(d.title.encode() in response.content for d in registry.all_dashboards()), path
                continue
            assert response.status_code in (301, 302, 400, 401, 403, 404, 405, 415), (kind, method, path)
            if response.status_code in (301, 302):
                location = response["Location"]
                if kind == "no grant" and path.endswith("/request-access/"):
                    assert client.get(location).status_code == 403  # back to the refusal page
                else:
                    assert "login" in location, (kind, method, path, location)
