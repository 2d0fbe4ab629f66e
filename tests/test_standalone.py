"""Every dashboard runs as a plain Dash app and answers its callbacks as the portal does."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboards import registry
from dashkit import look
from tests.dash_requests import callback_body, layout_values, portal_callback_body, server_callbacks
from tests.test_frame import NO_TEMPLATE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("[!_]*.py"))  # module names


def slug_of(module: str) -> str:
    return module.replace("_", "-")


PLAIN_ENV = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}


def test_every_dashboard_has_a_standalone_example():
    assert sorted(d.slug for d in registry.all_dashboards()) == sorted(slug_of(m) for m in EXAMPLES)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module", params=EXAMPLES)
def standalone(request):
    """(slug, url): examples/<slug>.py under gunicorn in its own process, without Django settings."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            f"examples.{request.param}:server",
        ],
        cwd=ROOT,
        env=PLAIN_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "/_dash-layout", timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode()) from None
                time.sleep(0.2)
        yield slug_of(request.param), url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_standalone_example_answers_every_callback_with_the_same_data(standalone, client_for):
    slug, url = standalone
    client = client_for(slug)
    dependencies = server_callbacks(get_json(url + "/_dash-dependencies"))
    assert dependencies, "no server callback to compare"
    for dependency in dependencies:
        body = portal_callback_body(client, slug, dependency["output"])
        portal = client.post(
            f"/django_plotly_dash/app/{slug}/_dash-update-component",
            json.dumps(body),
            content_type="application/json",
        )
        assert portal.status_code == 200, portal.content[:300]
        plain = get_json(url + "/_dash-update-component", body)
        assert json.loads(portal.content)["response"] == page_themed(plain["response"]), dependency["output"]


DARK = json.loads(json.dumps(look.CHART_TEMPLATES["dark"].to_plotly_json()))


def page_themed(answer):
    """A standalone answer as the portal gives it: the kit's charts without the dark
    template, which the portal's page replaces by its theme's (`look.TEMPLATE_ON_PAGE`)."""
    if isinstance(answer, dict):
        if answer.get("template") == DARK:
            return {**answer, "template": NO_TEMPLATE}
        return {key: page_themed(value) for key, value in answer.items()}
    if isinstance(answer, list):
        return [page_themed(value) for value in answer]
    return answer


def test_the_standalone_layout_is_the_portal_layout_without_the_portals_additions(standalone, client_for):
    slug, url = standalone
    portal = layout_values(client_for(slug).get(f"/django_plotly_dash/app/{slug}/_dash-layout").json())
    plain = layout_values(get_json(url + "/_dash-layout"))
    # The portal adds its parameter store and its error note (ids `_portal…`).
    assert {k: v for k, v in portal.items() if not k.startswith("_portal")} == plain


def test_callback_bodies_are_built_as_the_browser_builds_them():
    dependency = {"output": "a.children", "inputs": [{"id": "x", "property": "value"}], "state": []}
    body = callback_body(dependency, {"x.value": 3})
    assert body["inputs"] == [{"id": "x", "property": "value", "value": 3}]
    assert body["changedPropIds"] == ["x.value"]
