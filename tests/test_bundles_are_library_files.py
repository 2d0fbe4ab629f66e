"""Only real component libraries' own files are served as bundles, never a file of this project.

Dash's All-in-One pattern (`class Greeting(html.Div)` in a catalogue module) registers
the module's top-level package as a component library; serving "every registered
library" then served the project's own files (`tests/aio_catalogue/`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dash
import pytest
from dash.development.base_component import ComponentRegistry
from django.conf import settings

from dashboards import registry
from dashboards.hosting import bundles
from tests.test_compat import prefix

ROOT = Path(__file__).resolve().parent.parent
SECRET = "aio_catalogue/greeting/credentials.json"
DATA = "data/exchange_rates_snapshot.json"
DCC = f"/static/dash-bundles/dash/{dash.__version__}/dcc/dash_core_components.js"

# The release step (`collectstatic`), then anonymous GETs through the ASGI application,
# in a process of its own: WhiteNoise indexes STATIC_ROOT when the application is built.
RELEASE_AND_GET = """
import asyncio, json, sys
import django
django.setup()
from asgiref.testing import ApplicationCommunicator
from dash.development.base_component import ComponentRegistry
from django.core.management import call_command

# What an All-in-One class in dashboards/catalogue/<x>/ does to Dash's registry.
ComponentRegistry.registry.add("dashboards")
call_command("collectstatic", interactive=False, verbosity=0)

from dashengine_site.asgi import application

async def get(path):
    scope = {
        "type": "http", "method": "GET", "path": path, "query_string": b"", "root_path": "",
        "headers": [(b"host", b"localhost")], "http_version": "1.1", "scheme": "http",
        "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 50000),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(30)
    body = b""
    while True:
        message = await communicator.receive_output(30)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return {"status": start["status"], "headers": headers, "body": body.decode("utf-8", "replace")}

print(json.dumps({path: asyncio.run(get(path)) for path in sys.argv[1:]}))
"""


@pytest.fixture
def aio_registered(monkeypatch):
    """Dash's registry as it is once an All-in-One app is loaded (`tests`, its package)
    and one in `dashboards/catalogue/` (`dashboards`); restored afterwards."""
    registry.catalogue()  # what the shipped catalogue registers stays registered
    # Imported first: a library registers itself once, and must stay registered after.
    import dash_bootstrap_components  # noqa: F401  (a real component library)

    monkeypatch.setattr(
        ComponentRegistry, "registry", type(ComponentRegistry.registry)(*ComponentRegistry.registry)
    )

    import tests.aio_catalogue.greeting  # noqa: F401  (registers `tests` on its first import)

    ComponentRegistry.registry.add("tests")
    ComponentRegistry.registry.add("dashboards")
    ComponentRegistry.registry.add("dash_bootstrap_components")
    assert {"tests", "dashboards"} <= set(ComponentRegistry.registry)


def test_a_registered_project_package_has_no_bundle_files(aio_registered):
    assert (ROOT / "tests" / SECRET).is_file() and (ROOT / "dashboards" / DATA).is_file()
    assert bundles.package_file("tests", SECRET) is None
    assert bundles.package_file("dashboards", DATA) is None
    assert bundles.package_file("dash", "dcc/dash_core_components.js") == str(
        Path(dash.__file__).resolve().parent / "dcc" / "dash_core_components.js"
    )
    dbc = "_components/dash_bootstrap_components.min.js"
    assert bundles.package_file("dash_bootstrap_components", dbc).endswith(
        "/site-packages/dash_bootstrap_components/" + dbc
    )


def test_the_bundle_finder_lists_no_file_of_the_project(aio_registered):
    listed = {storage.location for _, storage in bundles.DashBundleFinder().list([])}
    own = [
        location
        for location in listed
        if Path(location).is_relative_to(ROOT)
        and not Path(location).is_relative_to(Path(sys.prefix).resolve())
    ]
    assert own == []
    packages = {storage.prefix.split("/")[1] for _, storage in bundles.DashBundleFinder().list([])}
    assert {"dash", "plotly", "dash_bootstrap_components"} <= packages
    assert not packages & {"tests", "dashboards"}


def test_the_component_suites_route_serves_no_file_of_the_project(aio_registered, client_for):
    client = client_for("stocktoday")
    for package, path in (("tests", SECRET), ("dashboards", DATA)):
        response = client.get(prefix("stocktoday") + f"_dash-component-suites/{package}/{path}")
        assert (response.status_code, response.content) == (404, b"No such file.")
    dcc = client.get(prefix("stocktoday") + "_dash-component-suites/dash/dcc/dash_core_components.js")
    assert (dcc.status_code, dcc["Location"]) == (302, DCC)


def test_after_collectstatic_project_files_are_404_and_bundles_carry_no_cors_header(tmp_path):
    static_root = tmp_path / "static"
    static_root.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="dashengine_site.settings",
        DJANGO_ENV_FILE="/nonexistent",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="test-only-secret-key-not-for-production-0123456789",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(static_root),
        DASHBOARD_PACKAGES="tests.aio_catalogue",
        CACHE_DIR=str(tmp_path / "cache"),
        WHITENOISE_USE_FINDERS="0",
    )
    secret = f"/static/dash-bundles/tests/0/{SECRET}"
    data = f"/static/dash-bundles/dashboards/0/{DATA}"
    result = subprocess.run(
        [sys.executable, "-c", RELEASE_AND_GET, secret, data, DCC],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.splitlines()[-1])
    for path in (secret, data):
        assert answers[path]["status"] == 404, answers[path]
        assert "not-for-the-public" not in answers[path]["body"]
        assert "access-control-allow-origin" not in answers[path]["headers"]
    assert not (static_root / "dash-bundles" / "tests").exists()
    assert not (static_root / "dash-bundles" / "dashboards").exists()
    dcc = answers[DCC]
    assert dcc["status"] == 200
    assert dcc["body"] == (Path(dash.__file__).parent / "dcc" / "dash_core_components.js").read_text()
    assert dcc["headers"]["cache-control"] == "max-age=315360000, public, immutable"
    assert "access-control-allow-origin" not in dcc["headers"]
    assert settings.WHITENOISE_ALLOW_ALL_ORIGINS is False
