"""Each hosted app is isolated: its Dash Pages and its dash.hooks are its own.

The apps are in `tests/pages_apps/`: `a` (Pages, with a 404 page), `b` (Pages,
with a secret page), `c` (Pages, its page modules named like b's by Dash), all
three at `/`; `hooked` registers every kind of `dash.hooks`; `plain` is loaded
after it. Alice may open a, c, hooked and plain; marketing may open b.
"""

from __future__ import annotations

import ast
import contextvars
import json
import pathlib
import sys

import dash
import dash._get_app
import dash._hooks
import dash._pages
import dash.background_callback.managers
import pytest

from dashboards.hosting import background, isolation
from dashboards.models import Dashboard
from dashboards.services import grant_add
from tests.conftest import with_catalogue_packages
from tests.dash_requests import app_url, callback_body


@pytest.fixture
def isolated(monkeypatch, cast):
    assert with_catalogue_packages(monkeypatch, "tests.pages_apps").failed == {}
    for slug in ("a", "c", "hooked", "plain"):
        grant_add(dashboard=Dashboard.objects.get(slug=slug), user=cast["alice"])
    grant_add(dashboard=Dashboard.objects.get(slug="b"), user=cast["marketing"])
    return cast


@pytest.fixture
def alice(client, isolated):
    client.force_login(isolated["alice"])
    return client


@pytest.fixture
def marketing(client, isolated):
    client.force_login(isolated["marketing"])
    return client


def route_to(client, slug: str, pathname: str) -> dict:
    """What Pages' routing callback of `slug` answers for `pathname`, asked with the body
    dash-renderer builds from the app's own dependencies."""
    dependencies = json.loads(client.get(app_url(slug) + "_dash-dependencies").content)
    [router] = [d for d in dependencies if {"id": "_pages_location", "property": "pathname"} in d["inputs"]]
    body = callback_body(router, {"_pages_location.pathname": pathname, "_pages_location.search": ""})
    body["changedPropIds"] = ["_pages_location.pathname"]
    response = client.post(
        app_url(slug) + "_dash-update-component", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)["response"]


def page_content(answer: dict) -> dict:
    return answer["_pages_content"]["children"]


def heading(text: str) -> dict:
    return {"namespace": "dash_html_components", "type": "H1", "props": {"children": text}}


def own_layout(client, slug: str) -> dict:
    """The app's own layout, without what the portal adds beside it."""
    return json.loads(client.get(app_url(slug) + "_dash-layout").content)["props"]["children"][0]


def test_a_pages_app_routes_only_its_own_pages(alice):
    response = alice.get("/django_plotly_dash/app/b/bsecret")
    assert (response.status_code, response.content) == (403, b"You do not have access to this dashboard.")
    assert page_content(route_to(alice, "a", "/django_plotly_dash/app/a/report")) == heading("A: report")
    answer = route_to(alice, "a", "/django_plotly_dash/app/a/bsecret")
    assert page_content(answer) == heading("A: no such page")
    assert answer["_pages_store"]["data"] == {"title": "A: not found"}


def test_an_apps_page_at_another_apps_page_path_is_its_own(alice):
    response = alice.get("/django_plotly_dash/app/a/bsecret")
    page = response.content.decode()
    assert response.status_code == 200
    assert "B secret" not in page
    assert "<title>Pages A</title>" in page
    assert '<meta property="og:title" content="Pages A">' in page


def test_a_pages_apps_page_meta_come_from_its_own_pages(alice, client, isolated):
    page = alice.get("/django_plotly_dash/app/a/").content.decode()
    assert '<meta property="og:title" content="A home">' in page
    assert '<meta name="description" content="The home page of A">' in page
    client.force_login(isolated["marketing"])
    page = client.get("/django_plotly_dash/app/b/bsecret").content.decode()
    assert '<meta property="og:title" content="B secret title">' in page
    assert '<meta name="description" content="B secret description">' in page


def test_two_pages_apps_may_both_have_a_home_page(alice, client, isolated):
    assert page_content(route_to(alice, "a", "/django_plotly_dash/app/a/")) == heading("A: home")
    assert page_content(route_to(alice, "c", "/django_plotly_dash/app/c/")) == heading("C: home")
    client.force_login(isolated["marketing"])
    assert page_content(route_to(client, "b", "/django_plotly_dash/app/b/")) == heading("B: home")
    assert page_content(route_to(client, "b", "/django_plotly_dash/app/b/bsecret")) == heading(
        "B: the secret page"
    )


def test_page_modules_of_two_packages_keep_their_own_names(isolated):
    # b and c build their app in `<package>.app`: Dash alone would name both `pages.home`.
    assert "pages.home" not in sys.modules
    assert sys.modules["tests.pages_apps.b.pages.home"].layout.children == "B: home"
    assert sys.modules["tests.pages_apps.c.pages.home"].layout.children == "C: home"


def test_dash_page_registry_in_a_module_lists_its_own_pages(alice, marketing):
    nav = own_layout(marketing, "b")["props"]["children"][0]
    assert nav["props"]["children"] == "B has 2 pages"


def test_page_links_name_their_own_apps_address(alice):
    links = own_layout(alice, "a")["props"]["children"][0]["props"]["children"]
    assert [(link["props"]["children"], link["props"]["href"]) for link in links] == [
        ("Home", "/django_plotly_dash/app/a/"),
        ("Not found 404", "/django_plotly_dash/app/a/not-found-404"),
        ("Report", "/django_plotly_dash/app/a/report"),
    ]


def test_dash_hooks_of_a_module_touch_only_its_own_app(alice):
    """Every kind, registered while the module is imported: setup, layout, index,
    route, callback, error, stylesheet and script."""
    from tests.pages_apps import hooked

    for slug in ("plain", "a"):
        assert "HOOKED" not in alice.get(app_url(slug) + "_dash-layout").content.decode()
        page = alice.get(app_url(slug)).content.decode()
        assert "HOOKED INDEX" not in page
        assert "hooked.css" not in page
        assert "hooked.js" not in page
        assert "hooked-out" not in alice.get(app_url(slug) + "_dash-dependencies").content.decode()
        assert "HOOKED ROUTE" not in alice.get(app_url(slug) + "hooked-route").content.decode()
    assert hooked.SET_UP == ["Hooked"]
    layout = json.loads(alice.get(app_url("hooked") + "_dash-layout").content)
    assert layout[0]["props"] == {"children": "HOOKED BANNER", "id": "hooked-banner"}
    page = alice.get(app_url("hooked")).content.decode()
    assert "<!-- HOOKED INDEX --></head>" in page
    assert '<link rel="stylesheet" href="/static/hooked.css">' in page
    assert '<script src="/static/hooked.js"></script>' in page
    response = alice.get(app_url("hooked") + "hooked-route")
    assert (response.status_code, response.content) == (200, b"HOOKED ROUTE")
    dependencies = json.loads(alice.get(app_url("hooked") + "_dash-dependencies").content)
    [echo] = [d for d in dependencies if d["output"] == "hooked-out.children"]
    body = callback_body(echo, {"hooked-in.value": "y"})
    response = alice.post(
        app_url("hooked") + "_dash-update-component", json.dumps(body), content_type="application/json"
    )
    assert json.loads(response.content)["response"] == {"hooked-out": {"children": "HOOKED y"}}
    body = callback_body(echo, {"hooked-in.value": "boom"})
    alice.post(
        app_url("hooked") + "_dash-update-component", json.dumps(body), content_type="application/json"
    )
    assert hooked.ERRORS == ["boom"]


def test_outside_a_hosted_app_dash_keeps_its_own_registry_and_hooks(isolated):
    def outside_any_app():
        return list(dash.page_registry), dash.hooks.get_hooks("layout")

    assert dash.page_registry is dash._pages.PAGE_REGISTRY
    pages, layout_hooks = contextvars.Context().run(outside_any_app)
    assert [name for name in pages if name.startswith("tests.pages_apps.")] == []
    assert layout_hooks == []


def test_the_private_names_of_dash_it_relies_on_are_where_it_reads_them():
    assert dash.__version__ == isolation.DASH_VERSION
    # Every module of dash that binds the page registry under a name of its own.
    package = pathlib.Path(dash.__file__).parent
    bindings = {"dash._pages": "PAGE_REGISTRY"}
    for source in package.rglob("*.py"):
        module = ".".join(source.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            for alias in node.names if isinstance(node, ast.ImportFrom) else ():
                if alias.name == "PAGE_REGISTRY":
                    bindings[module] = alias.asname or alias.name
    assert bindings == isolation.PAGE_REGISTRY_NAMES
    # Pages: the names `_import_layouts_from_pages` and `register_page` look up when called.
    assert "_infer_module_name" in dash._pages._import_layouts_from_pages.__code__.co_names
    assert "CONFIG" in dash._pages.register_page.__code__.co_names
    # Hooks: what a copy is made of; Dash reads them through `app._hooks`, set once in
    # `_setup_hooks`, and process-wide only in the error handler.
    assert {"_ns", "_finals", "_js_dist", "_css_dist", "_clientside_callbacks"} <= set(
        vars(dash._hooks._Hooks())
    )
    assert "HooksManager" in dash._hooks.HooksManager.HookErrorHandler.__call__.__code__.co_names
    source = (package / "dash.py").read_text(encoding="utf-8")
    assert source.count("HooksManager") == 2, "dash.py reads hooks somewhere else than `self._hooks`"
    # Background callbacks (`background`): Dash's class-wide lists of managers and
    # functions, read through the class; the key of a function; the app's manager and
    # signing secret, read through the instance; the manager methods it wraps, called
    # on the instance; the signing helpers it verifies handles with.
    base = dash.background_callback.managers.BaseBackgroundCallbackManager
    assert isinstance(background._DASH_MANAGERS, list) and isinstance(background._DASH_FUNCTIONS, list)
    assert {"managers", "functions"} <= set(base.__init__.__code__.co_names)
    assert {"hash_function", "functions", "managers", "register"} <= set(
        background._DASH_REGISTER_FUNC.__code__.co_names
    )
    callback_source = (package / "_callback.py").read_text(encoding="utf-8")
    for call in (
        "BaseBackgroundCallbackManager.register_func(",
        "get_app()._get_signing_secret()",
        "callback_manager.build_cache_key(",
        "callback_manager.call_job_fn(",
    ):
        assert call in callback_source, call
    assert 'cb.get("manager") or self._background_manager' in source
    assert source.count("._get_signing_secret()") == source.count("self._get_signing_secret()")
    assert {"sign", "unsign", "END_SCOPE", "job_scope", "cache_scope"} <= set(vars(dash._callback_signing))
