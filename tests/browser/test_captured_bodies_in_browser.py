"""Dash is the reference for the callback request format (issue 19).

Chromium drives every app of `tests/compat_apps/` run alone as plain Dash, so that each
of its server callbacks fires; every `_dash-update-component` body dash-renderer sends is
captured with plain Dash's answer, then sent to the same app in the portal as a signed-in
user with Django's CSRF token: the callback guard accepts it, and the answer is plain Dash's.
"""

from __future__ import annotations

import json
import pkgutil
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client

import tests.compat_apps
from dashboards.hosting.loader import ERROR_MESSAGE
from tests import test_guard
from tests.browser.conftest import choose
from tests.compat_apps import slow
from tests.conftest import start_plain_dash
from tests.test_compat import add_compat_apps, prefix

pytestmark = pytest.mark.browser

UPDATE = "_dash-update-component"
UPDATES = re.compile(r"/_dash-update-component(\?.*)?$")


def dict_id(**id_) -> str:
    """A CSS selector for a component with a pattern-matching id (Dash writes it as sorted JSON)."""
    return f"[id='{json.dumps(id_, sort_keys=True, separators=(',', ':'))}']"


# What a person does with each app so that every server callback fires. Every module of
# tests/compat_apps has a script here, but django_dash: a DjangoDash is not plain Dash.
SCRIPTS: dict[str, list[Callable]] = {
    "based": [lambda p: p.locator("#name").fill("you")],
    "clientside": [lambda p: p.locator("#text").fill("world")],  # no server callback: nothing is sent
    "context": [lambda p: p.locator("#btn-1").click(), lambda p: p.locator("#btn-2").click()],
    "declared": [lambda p: p.locator("#region").click(), lambda p: choose(p, "South")],
    "downloads": [lambda p: p.locator("#download-btn").click(), lambda p: p.locator("#fail-btn").click()],
    "duplicates": [
        lambda p: p.locator("#grow").click(),
        lambda p: p.locator("#both").click(),
        lambda p: p.locator("#ping").click(),
        lambda p: p.locator(dict_id(type="mark", index=1)).click(),
    ],
    "libraries": [
        lambda p: p.locator("#count").click(),
        lambda p: p.locator(".ag-cell[col-id='make'] >> nth=1").click(),
    ],
    "multipage": [
        lambda p: p.locator("#to-analytics").click(),
        lambda p: p.locator("#choice").get_by_text("B", exact=True).click(),
    ],
    "patterns": [
        lambda p: p.locator(dict_id(type="item", index=1)).fill("typed"),
        lambda p: p.locator("#add").click(),
        lambda p: p.locator("#reset").click(),
    ],
    "slow": [lambda p: p.locator("#again").click(), lambda p: p.locator("#break").click()],
    "tall": [],  # no callbacks
}
BASE_PATHS = {"based": "/based/"}
NOT_PLAIN_DASH = {"django_dash"}
# The app's prevent_initial_callbacks keeps a callback on a component its other callback
# adds from ever firing, alone as in the portal.
NEVER_FIRED = {"downloads": {"made-later.title"}}


@dataclass
class Captured:
    body: dict
    status: int
    answer: bytes


@pytest.fixture(scope="module")
def plain_servers(plain):
    """Every compat app served alone by plain Dash: name -> base URL. Those of the session's
    `plain` fixture are reused; the others are started here, once."""
    urls, servers = {}, []
    for name in SCRIPTS:
        if name in plain and name not in BASE_PATHS:
            urls[name] = plain[name]
            continue
        server, urls[name] = start_plain_dash(f"tests.compat_apps.{name}", BASE_PATHS.get(name, "/"))
        servers.append(server)
    yield urls
    for server in servers:
        server.terminate()
        server.wait()


def _settle(page, pending: list) -> None:
    """Until no update is on its way, three looks in a row: an answer may start another."""
    quiet, looks = 0, 0
    while quiet < 3:
        looks += 1
        assert looks < 600, "an update never answered"
        page.wait_for_timeout(100)
        quiet = 0 if pending[0] else quiet + 1


def _capturing(bodies: list, pending: list) -> Callable:
    def capture(route):
        # Through the route, so that the answer is read before the page goes on.
        pending[0] += 1
        try:
            response = route.fetch()
            bodies.append(Captured(json.loads(route.request.post_data), response.status, response.body()))
            route.fulfill(response=response)
        finally:
            pending[0] -= 1

    return capture


@pytest.fixture(scope="module")
def captured(browser, plain_servers) -> dict[str, list[Captured]]:
    """name -> every update request Chromium sent to the app alone, with plain Dash's answer."""
    found = {}
    for name, script in SCRIPTS.items():
        context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        bodies, pending = [], [0]
        page.route(UPDATES, _capturing(bodies, pending))
        page.goto(plain_servers[name])
        page.locator("#react-entry-point > *").first.wait_for(state="attached")
        _settle(page, pending)
        for step in script:
            step(page)
            _settle(page, pending)
        found[name] = bodies
        context.close()
    return found


def test_every_compat_app_has_a_script():
    modules = {m.name for m in pkgutil.iter_modules(tests.compat_apps.__path__)}
    assert modules - NOT_PLAIN_DASH == set(SCRIPTS)


def _server_callbacks(url: str) -> set[str]:
    with urllib.request.urlopen(url + "_dash-dependencies", timeout=10) as response:
        return {d["output"] for d in json.loads(response.read()) if not d.get("clientside_function")}


def _in_portal(body: dict, slug: str) -> dict:
    """The body as the page in the portal sends it: an address (Dash Pages' location) is below
    the app's portal prefix, not below `/`. Nothing else differs."""
    for item in [*body["inputs"], *body.get("state", [])]:
        if (
            isinstance(item, dict)
            and item["property"] in ("pathname", "href")
            and isinstance(item["value"], str)
        ):
            item["value"] = item["value"].replace("/", prefix(slug), 1)
    return body


def _plain_addresses(answer: bytes, slug: str):
    return json.loads(answer.decode().replace(prefix(slug), "/")) if answer else answer


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_bodies_captured_from_chromium_pass_the_guard_and_get_plain_dashs_answer(
    name, captured, plain_servers, live_cast, monkeypatch
):
    add_compat_apps(monkeypatch, live_cast["alice"])
    monkeypatch.setattr(slow, "HOLD", 0.0)  # the portal's copy of the slow app need not wait
    # Playwright's event loop runs in this thread, and Dash's async dispatch refuses to run
    # beside one: the portal is asked from a thread of its own (hence committed test data).
    with ThreadPoolExecutor(1) as portal:
        portal.submit(_replay, name, captured[name], plain_servers[name], live_cast).result()


def _replay(name, bodies, plain_url, cast):
    slug = name.replace("_", "-")
    # Every server callback of the app fired at least once.
    fired = {c.body["output"] for c in bodies}
    assert fired | NEVER_FIRED.get(name, set()) == _server_callbacks(plain_url)

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["alice"])
    client.get(prefix(slug))  # the app page sets the CSRF cookie, as in the browser
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    for sent in bodies:
        response = client.post(
            prefix(slug) + UPDATE,
            json.dumps(_in_portal(json.loads(json.dumps(sent.body)), slug)),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        where = (sent.body["output"], response.content[:300])
        assert response.status_code not in (400, 403, 415), where
        ours = _plain_addresses(response.content, slug)
        if sent.status == 500:
            # A callback that raises: plain Dash answers 500; the portal keeps the page and
            # shows its plain note (loader._callback_failed).
            assert response.status_code == 200, where
            assert ours == {
                "multi": True,
                "response": {},
                "sideUpdate": {"_portal_error": {"children": ERROR_MESSAGE}},
            }, where
            continue
        assert (response.status_code, ours) == (sent.status, _plain_addresses(sent.answer, slug)), where


def test_the_guards_samples_are_what_chromium_sends(captured):
    """tests/test_guard.py starts from these bodies: they must be what the renderer sends."""
    for name, body in test_guard.CAPTURED.items():
        app = name.split(":")[0]
        assert body in [c.body for c in captured[app]], name


def test_a_refused_update_shows_the_plain_note_and_is_logged(visit, live_cast, monkeypatch, caplog):
    add_compat_apps(monkeypatch, live_cast["alice"])

    def drop_the_hash(route):
        # The body a hand-built test used to send: the allow_duplicate output without its hash.
        body = json.loads(route.request.post_data)
        if "@" in body["output"]:
            body["outputs"]["property"] = body["outputs"]["property"].split("@")[0]
        route.continue_(post_data=json.dumps(body))

    visit.page.route(UPDATES, drop_the_hash)
    visit.sign_in("alice")
    visit.goto("/dashboards/duplicates/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator("#status", has_text="drawn").wait_for()
    frame.locator("#grow").click()
    problem = frame.locator(".pf-problem")
    problem.wait_for()
    assert (
        problem.locator("p").inner_text()
        == "This change could not be applied. Reload the page and try again."
    )
    [record] = [r for r in caplog.records if r.name == "dashboards.hosting.guard"]
    assert record.getMessage() == (
        "Refused a callback body for dashboard 'duplicates': outputs do not match "
        f"(output {'chart.figure@' + test_guard.GROW_HASH!r})"
    )


def _duplicates_on_screen(page) -> dict:
    # One change at a time: two Patches of one figure answered out of order would differ.
    page.locator("#grow").click()
    page.locator("#chart .gtitle", has_text="grown 1").wait_for()
    page.locator("#both").click()
    page.locator("#chart .gtitle", has_text="both 1").wait_for()
    page.locator("#ping").click()
    page.locator("#pinged", has_text="pinged 1").wait_for()
    page.locator(dict_id(type="mark", index=1)).click()
    page.locator(dict_id(type="cell", index=1), has_text="marked 1").wait_for()
    return {
        "status": page.locator("#status").inner_text(),
        "cells": [page.locator(dict_id(type="cell", index=i)).inner_text() for i in range(2)],
        "title": page.locator("#chart .gtitle").text_content(),
    }


def test_allow_duplicate_and_patch_outputs_change_the_page_in_the_portal_as_alone(
    visit, browser, plain_servers, live_cast, monkeypatch
):
    alone = browser.new_context(viewport={"width": 1366, "height": 768})
    page = alone.new_page()
    page.set_default_timeout(20_000)
    page.goto(plain_servers["duplicates"])
    page.locator("#status", has_text="drawn").wait_for()
    expected = _duplicates_on_screen(page)
    alone.close()

    add_compat_apps(monkeypatch, live_cast["alice"])
    visit.sign_in("alice")
    visit.goto("/dashboards/duplicates/")
    frame = visit.page.frame_locator("#dash-app")
    frame.locator("#status", has_text="drawn").wait_for()
    assert (
        _duplicates_on_screen(frame)
        == expected
        == {
            "status": "both 1",
            "cells": ["cell 0", "marked 1"],
            "title": "both 1",
        }
    )
    assert frame.locator(".pf-problem:visible").count() == 0
