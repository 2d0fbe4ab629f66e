"""The django-plotly-dash routes of a dashboard, as the embedded app uses them."""

import json
import re

import pytest
from dash import _callback_signing
from django.core.cache import cache

from dashboards import registry
from tests.dash_requests import layout_values, server_callbacks
from tests.test_callbacks import post_callback, stock_callback

APP = "/django_plotly_dash/app/stocktoday/"


def test_the_app_page_renders_with_dash_4(sales_client):
    # dash 4.4.1 reads server.secret_key when it renders the page config.
    response = sales_client.get(APP)
    assert response.status_code == 200
    html = response.content.decode()
    assert "react-entry-point" in html
    assert '"csrf_token_name": "csrftoken"' in html or '"csrf_token_name":"csrftoken"' in html
    assert "csrftoken" in response.cookies


def test_every_app_page_has_a_page_load_id_of_its_own_as_in_plain_dash(sales_client):
    # Dash signs one per page it renders; background callbacks bind their handles to it.
    secret = registry.app("stocktoday")._get_signing_secret()
    for url in (APP, APP + "initial/some~view/"):
        ids = [re.search(r'"end_id":"([^"]+)"', sales_client.get(url).content.decode())[1] for _ in range(2)]
        assert ids[0] != ids[1]
        assert all(_callback_signing.unsign(secret, _callback_signing.END_SCOPE, i) for i in ids)


def test_the_app_page_loads_nothing_from_another_host(sales_client):
    html = sales_client.get(APP).content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "expected scripts on the page"
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls


def test_layout_and_dependencies_answer_json(sales_client):
    layout = sales_client.get(APP + "_dash-layout")
    assert layout.status_code == 200
    assert "tickers.value" in layout_values(json.loads(layout.content))
    dependencies = sales_client.get(APP + "_dash-dependencies")
    assert dependencies.status_code == 200
    [callback] = server_callbacks(json.loads(dependencies.content))
    assert [i["id"] for i in callback["inputs"]] == ["tickers", "start", "end", "show"]


def test_component_bundles_are_versioned_static_files_cached_for_a_year(sales_client):
    html = sales_client.get(APP).content.decode()
    scripts = re.findall(r'src="([^"]+)"', html)
    assert not [url for url in scripts if "_dash-component-suites" in url], "a redirect per bundle"
    bundle = next(url for url in scripts if "dash_renderer" in url)
    assert bundle.startswith("/static/dash-bundles/dash/4.")
    served = sales_client.get(bundle)
    assert served.status_code == 200
    assert "immutable" in served["Cache-Control"]
    assert "max-age=315360000" in served["Cache-Control"]


def test_the_bundle_folder_serves_only_bundles(sales_client):
    for path in ("../../settings.py", "dash/__init__.py", "dash/dcc/__init__.py", "os/path.py"):
        assert sales_client.get(f"/static/dash-bundles/x/{path}").status_code == 404


@pytest.mark.parametrize("suffix", ["", "_dash-layout", "_dash-dependencies"])
def test_anonymous_callers_get_401_text_not_a_login_page(client, db, suffix):
    response = client.get(APP + suffix)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/plain")


def test_an_unknown_app_is_404(sales_client):
    assert sales_client.get("/django_plotly_dash/app/nope/_dash-layout").status_code == 404


def test_database_instances_and_add_stateless_apps_are_not_reachable(sales_client, superuser, client):
    assert sales_client.get("/django_plotly_dash/instance/stocktoday/_dash-layout").status_code == 404
    client.force_login(superuser)
    assert client.get("/django_plotly_dash/add_stateless_apps").status_code == 404


def test_a_permalink_page_sends_dash_to_the_layout_of_its_parameters(sales_client):
    page = sales_client.get("/dashboards/stocktoday/?tickers=IBM&tickers=MSFT").content.decode()
    app_url = re.search(r'id="dash-app"[^>]*src="([^"]+)"', page)[1]
    assert "/initial/" in app_url
    app_page = sales_client.get(app_url).content.decode()
    config = json.loads(
        re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', app_page)[1]
    )
    assert config["requests_pathname_prefix"] == app_url
    layout = json.loads(sales_client.get(app_url + "_dash-layout").content)
    assert layout_values(layout)["tickers.value"] == ["IBM", "MSFT"]


def test_a_view_has_one_address_for_everyone_and_it_does_not_expire(client, cast):
    def app_url_for(user) -> str:
        client.force_login(user)
        page = client.get("/dashboards/stocktoday/?tickers=IBM&tickers=MSFT").content.decode()
        return re.search(r'id="dash-app"[^>]*src="([^"]+)"', page)[1]

    first = app_url_for(cast["sales"])
    assert app_url_for(cast["alice"]) == first
    cache.clear()  # nothing of the view is kept on the server
    layout = json.loads(client.get(first + "_dash-layout").content)
    assert layout_values(layout)["tickers.value"] == ["IBM", "MSFT"]
    client.force_login(cast["marketing"])  # the address is no key: the permission still decides
    assert client.get(first + "_dash-layout").status_code == 403


def test_the_app_page_and_callbacks_are_for_this_user_only_and_never_stored(sales_client):
    cache_control = sales_client.get(APP)["Cache-Control"]
    assert {"private", "no-store"} <= {part.strip() for part in cache_control.split(",")}
    body = stock_callback(sales_client, **{"tickers.value": ["IBM"], "start.date": "2010-01-04"})
    cache_control = post_callback(sales_client, body)["Cache-Control"]
    assert {"private", "no-store"} <= {part.strip() for part in cache_control.split(",")}


@pytest.mark.parametrize("suffix", ["_dash-layout", "_dash-dependencies"])
def test_layout_and_dependencies_are_kept_by_this_browser_only_and_revalidated(sales_client, suffix):
    first = sales_client.get(APP + suffix)
    assert {p.strip() for p in first["Cache-Control"].split(",")} == {"private", "no-cache"}
    again = sales_client.get(APP + suffix, headers={"if-none-match": first["ETag"]})
    assert (again.status_code, again.content) == (304, b"")
    # A 304 is given only after the same decisions: signed out, the browser gets nothing.
    sales_client.logout()
    refused = sales_client.get(APP + suffix, headers={"if-none-match": first["ETag"]})
    assert (refused.status_code, refused.content) == (401, b"Sign in to use this dashboard.")


def test_a_csv_download_is_for_this_user_only(sales_client):
    cache_control = sales_client.get("/dashboards/stocktoday/export.csv")["Cache-Control"]
    assert {"private", "no-store"} <= {part.strip() for part in cache_control.split(",")}


def test_every_page_carries_a_content_security_policy(sales_client):
    gallery = sales_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in gallery and "object-src 'none'" in gallery
    assert "frame-ancestors 'self'" in gallery
    page = sales_client.get(APP)
    policy = page["Content-Security-Policy"]
    # The Dash page allows its own inline scripts by hash, no others.
    hashes = re.findall(r"'sha256-[^']+'", policy)
    assert hashes and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    from dashboards import registry

    assert sorted(hashes) == sorted(registry.app("stocktoday").csp_hashes())
