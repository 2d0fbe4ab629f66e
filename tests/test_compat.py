"""Plain Dash apps dropped into the catalogue answer exactly as they do alone.

Each app in `tests/compat_apps/` runs as plain Dash in a process of its own
(`dashboards.hosting.alone`, no Django) and in the portal; the same requests get
the same JSON from both.
"""

from __future__ import annotations

import copy
import json
import random
import re
import urllib.error
import urllib.request
from collections import Counter

import pytest

from dashboards import registry
from dashboards.hosting.loader import discover
from dashboards.models import Dashboard
from dashboards.services import dashboards_sync, grant_add
from tests.conftest import with_catalogue_packages

APPS = ["context", "patterns", "clientside", "downloads", "libraries", "multipage", "duplicates"]


def prefix(slug: str) -> str:
    return f"/django_plotly_dash/app/{slug}/"


def plain_request(url: str, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def add_compat_apps(monkeypatch, alice) -> None:
    """The shipped catalogue plus the compat apps, which `alice` may open."""
    extra = with_catalogue_packages(monkeypatch, "tests.compat_apps")
    assert extra.failed == {}
    for slug in extra.by_slug:
        grant_add(dashboard=Dashboard.objects.get(slug=slug), user=alice)


@pytest.fixture
def compat(monkeypatch, cast):
    """The compat apps in the portal; alice may open them, viewer may not."""
    add_compat_apps(monkeypatch, cast["alice"])


@pytest.fixture
def alice(client, compat, cast):
    client.force_login(cast["alice"])
    return client


def portal_request(client, url: str, body: dict | None = None):
    if body is None:
        return client.get(url)
    return client.post(url, json.dumps(body), content_type="application/json")


def item(id_, prop, value=None):
    return {"id": id_, "property": prop, "value": value}


def body(output, outputs, inputs, state=(), changed=None):
    return {
        "output": output,
        "outputs": outputs,
        "inputs": list(inputs),
        "state": list(state),
        "changedPropIds": changed if changed is not None else [],
    }


def out(id_, prop):
    return {"id": id_, "property": prop}


ITEM = {"type": "item", "index": 1}
ECHO = {"type": "echo", "index": 1}
CALLBACKS = {
    "context": [
        body(
            "which.children",
            out("which", "children"),
            [item("btn-1", "n_clicks", 0), item("btn-2", "n_clicks", 0)],
        ),
        body(
            "which.children",
            out("which", "children"),
            [item("btn-1", "n_clicks", 1), item("btn-2", "n_clicks", 0)],
            changed=["btn-1.n_clicks"],
        ),
        body(
            "..grouped.children..",
            [out("grouped", "children")],
            [item("btn-1", "n_clicks", 2), item("btn-2", "n_clicks", 1)],
            [item("kept", "children", "unchanged")],
            changed=["btn-1.n_clicks"],
        ),
        body(
            "..grouped.children..",
            [out("grouped", "children")],
            [item("btn-1", "n_clicks", 0), item("btn-2", "n_clicks", 0)],
            [item("kept", "children", "unchanged")],
        ),
        body(
            "kept.children",
            out("kept", "children"),
            [item("btn-2", "n_clicks", 3)],
            changed=["btn-2.n_clicks"],
        ),
    ],
    "patterns": [
        body(
            '{"index":["MATCH"],"type":"echo"}.children',
            out(ECHO, "children"),
            [item(ITEM, "value", "typed")],
            changed=['{"index":1,"type":"item"}.value'],
        ),
        body(
            '{"index":["MATCH"],"type":"before"}.children',
            out({"type": "before", "index": 1}, "children"),
            [item(ITEM, "value", "v1")],
            [[item({"type": "item", "index": 0}, "value", "v0")]],
        ),
        body(
            "total.children",
            out("total", "children"),
            [[item({"type": "item", "index": i}, "value", f"v{i}") for i in range(3)]],
        ),
        body(
            "items.children", out("items", "children"), [item("add", "n_clicks", 1)], changed=["add.n_clicks"]
        ),
        body("log.data", out("log", "data"), [item("add", "n_clicks", 2)], changed=["add.n_clicks"]),
    ],
    "downloads": [
        body("download.data", out("download", "data"), [item("download-btn", "n_clicks", 1)]),
        body("failure.children", out("failure", "children"), [item("fail-btn", "n_clicks", 2)]),
        body("later.children", out("later", "children"), [item("fail-btn", "n_clicks", 1)]),
        body(
            "made-later.title",
            out("made-later", "title"),
            [item("made-later", "children", "made by click 1")],
        ),
    ],
    "libraries": [
        body("alert.children", out("alert", "children"), [item("count", "n_clicks", 4)]),
        body(
            "selected.children", out("selected", "children"), [item("grid", "cellClicked", {"value": "Kia"})]
        ),
    ],
}


def allow_duplicate_body(client) -> dict:
    """`log_reset` writes `log.data` with allow_duplicate: its key carries a hash."""
    dependencies = json.loads(client.get(prefix("patterns") + "_dash-dependencies").content)
    [key] = [d["output"] for d in dependencies if d["output"].startswith("log.data@")]
    # dash-renderer sends the output's property as the key has it: `data@<hash>`.
    return body(
        key, out("log", key.partition(".")[2]), [item("reset", "n_clicks", 1)], changed=["reset.n_clicks"]
    )


def without_portal_additions(layout: dict) -> dict:
    """The app's own layout: Dash wraps it in a Div with the portal's extra components
    (the error note, the parameter store), whose ids start with `_portal`."""
    children = layout["props"]["children"]
    extras = children[1:] if isinstance(children, list) else []
    if extras and all(str(c["props"].get("id", "")).startswith("_portal") for c in extras):
        return children[0]
    return layout


@pytest.mark.parametrize("name", APPS)
def test_layout_and_dependencies_are_plain_dashs(alice, plain, name):
    for route in ("_dash-layout", "_dash-dependencies"):
        status, expected = plain_request(plain[name] + route)
        response = portal_request(alice, prefix(name) + route)
        # Addresses differ only by where the app lives: `/` alone, its prefix in the portal.
        ours = json.loads(json.dumps(json.loads(response.content)).replace(prefix(name), "/"))
        if route == "_dash-layout":
            ours = without_portal_additions(ours)
        assert (response.status_code, ours) == (status, json.loads(expected)), route


@pytest.mark.parametrize("name", [n for n in APPS if n in CALLBACKS])
def test_every_callback_answers_as_plain_dash(alice, plain, name):
    bodies = CALLBACKS[name] + ([allow_duplicate_body(alice)] if name == "patterns" else [])
    for sent in bodies:
        status, expected = plain_request(plain[name] + "_dash-update-component", sent)
        response = portal_request(alice, prefix(name) + "_dash-update-component", sent)
        assert response.status_code == status, (sent["output"], response.content[:300])
        if status == 200:
            assert json.loads(response.content) == json.loads(expected), sent["output"]


def test_dash_ctx_works_inside_a_callback(alice):
    [sent] = [
        b
        for b in CALLBACKS["context"]
        if b["changedPropIds"] == ["btn-1.n_clicks"] and "which" in b["output"]
    ]
    response = portal_request(alice, prefix("context") + "_dash-update-component", sent)
    assert response.cookies["last-button"].value == "btn-1"  # ctx.response.set_cookie
    answer = json.loads(response.content)
    assert answer["response"]["which"]["children"] == "btn-1 ['btn-1.n_clicks'] 1 btn-1"
    assert answer["sideUpdate"] == {"side": {"children": "set_props from btn-1"}}


def test_an_allow_duplicate_output_answers_under_its_plain_name(alice):
    answer = json.loads(
        portal_request(
            alice, prefix("patterns") + "_dash-update-component", allow_duplicate_body(alice)
        ).content
    )
    assert answer["response"] == {"log": {"data": ["reset"]}}


def test_a_match_output_answers_for_its_own_index(alice):
    sent = CALLBACKS["patterns"][0]
    answer = json.loads(portal_request(alice, prefix("patterns") + "_dash-update-component", sent).content)
    assert answer["response"] == {'{"index":1,"type":"echo"}': {"children": "echo typed"}}


def test_a_global_callback_belongs_to_its_own_module_only(alice):
    clientside = registry.app("clientside")
    context = registry.app("context")
    assert "length.children" in clientside.callback_map
    assert "which.children" in context.callback_map
    assert "length.children" not in context.callback_map
    assert "which.children" not in registry.app("stocktoday").callback_map


def test_a_page_loads_only_its_own_component_libraries(alice):
    def loaded(name):
        page = alice.get(prefix(name)).content.decode()
        return {src.split("/")[3] for src in re.findall(r'src="(/static/dash-bundles/[^"]+)"', page)}

    assert loaded("libraries") == {
        "dash",
        "dash_bootstrap_components",
        "dash_ag_grid",
        "dash_mantine_components",
    }
    assert loaded("context") == {"dash"}


def test_component_libraries_and_the_bootstrap_theme_come_from_this_site(alice):
    page = alice.get(prefix("libraries")).content.decode()
    assert re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', page) == []
    assert '/static/vendor/bootstrap-5.3.6/bootstrap.min.css"' in page
    assert '/static/vendor/bootstrap-icons-1.11.3/bootstrap-icons.css"' in page
    assert '/static/vendor/fontawesome-free-6.7.2/css/all.css"' in page
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        served = alice.get(src)
        assert served.status_code == 200, src


def test_a_missing_static_file_is_404(alice):
    assert alice.get("/static/dash-bundles/dash_ag_grid/0.0.0/nothing.js").status_code == 404
    assert alice.get("/static/no/such/file.css").status_code == 404
    assert (
        alice.get(prefix("libraries") + "_dash-component-suites/dash_ag_grid/nothing.js").status_code == 404
    )


def test_a_stylesheet_from_the_apps_root_is_served_by_its_own_route(alice):
    page = alice.get(prefix("clientside")).content.decode()
    assert f'href="{prefix("clientside")}local/theme.css"' in page
    css = alice.get(prefix("clientside") + "local/theme.css")
    assert (css.status_code, css.content) == (200, b".compat-length { letter-spacing: 2px; }")


def test_assets_are_served_and_named_on_the_page(alice):
    page = alice.get(prefix("clientside")).content.decode()
    assert f"{prefix('clientside')}assets/style.css" in page
    assert f"{prefix('clientside')}assets/app.js" in page
    css = alice.get(prefix("clientside") + "assets/style.css")
    assert css.status_code == 200
    assert b"compat-upper" in b"".join(css.streaming_content) if css.streaming else css.content
    layout = json.loads(alice.get(prefix("clientside") + "_dash-layout").content)
    assert f"{prefix('clientside')}assets/logo.svg" in json.dumps(layout)


def test_a_download_sends_the_frame_as_csv(alice):
    sent = CALLBACKS["downloads"][0]
    answer = json.loads(portal_request(alice, prefix("downloads") + "_dash-update-component", sent).content)
    data = answer["response"]["download"]["data"]
    assert (data["filename"], data["base64"]) == ("cities.csv", False)
    assert data["content"].splitlines() == ["city,people", "Oslo,709000", "Lima,10090000", "Pune,3124000"]


def test_a_user_without_a_grant_gets_nothing_from_a_dropped_in_app(client, compat, cast):
    client.force_login(cast["viewer"])
    for name in APPS:
        for route in (
            "",
            "_dash-layout",
            "_dash-dependencies",
            "assets/style.css",
            "_dash-component-suites/dash/deps/",
        ):
            response = client.get(prefix(name) + route)
            assert (response.status_code, response.content) == (
                403,
                b"You do not have access to this dashboard.",
            )
    response = portal_request(client, prefix("patterns") + "_dash-update-component", CALLBACKS["patterns"][0])
    assert response.status_code == 403


def test_a_dropped_in_app_gets_a_card_and_a_page_without_data_extras(alice):
    gallery = alice.get("/").content.decode()
    assert "Compat: context" in gallery
    page = alice.get("/dashboards/context/").content.decode()
    assert 'id="dash-app"' in page
    assert "Download CSV" not in page  # it declares no data
    assert "Save report" in page  # as it opens: to come back to, or to have it e-mailed
    assert registry.get("context").description == (
        "Context: dash.ctx, callback_context, dict-grouped arguments, set_props, no_update."
    )


def test_a_module_that_fails_to_load_does_not_stop_the_others():
    catalogue = discover(["tests.compat_broken"])
    assert list(catalogue.by_slug) == ["cdn", "fine"]
    assert set(catalogue.failed) == {"tests.compat_broken.broken", "tests.compat_broken.bad_layout"}
    assert "this module is broken on purpose" in catalogue.failed["tests.compat_broken.broken"]
    assert "this layout is broken on purpose" in catalogue.failed["tests.compat_broken.bad_layout"]


def test_the_check_names_a_module_that_fails_to_load(monkeypatch):
    from dashboards.checks import catalogue_check

    monkeypatch.setattr(registry, "_catalogue", discover(["tests.compat_broken"]))
    errors = [m for m in catalogue_check() if m.id == "dashboards.W004"]
    assert sorted(e.msg.split(" failed")[0] for e in errors) == [
        "Catalogue module tests.compat_broken.bad_layout",
        "Catalogue module tests.compat_broken.broken",
    ]


def test_a_portal_declaration_beside_the_app_gives_reports_permalinks_and_csv(alice):
    dashboard = registry.get("declared")
    assert (dashboard.title, dashboard.category) == ("Orders by region", "Sales")
    page = alice.get("/dashboards/declared/?region=South").content.decode()
    assert "Save report" in page and "Download CSV" in page
    app_url = re.search(r'id="dash-app"[^>]*src="([^"]+)"', page)[1]
    layout = json.loads(alice.get(app_url + "_dash-layout").content)
    assert '"value": "South"' in json.dumps(layout)
    csv = alice.get("/dashboards/declared/export.csv?region=South")
    assert b"".join(csv.streaming_content).decode().splitlines() == ["region,orders", "South,5"]
    refused = portal_request(
        alice,
        prefix("declared") + "_dash-update-component",
        body("total.children", out("total", "children"), [item("region", "value", "West")]),
    )
    assert (refused.status_code, refused.content) == (
        400,
        b"Bad parameter region: 'West' is not one of North, South",
    )


def test_a_django_dash_module_is_hosted_as_the_dash_app_it_describes(alice):
    dependencies = json.loads(alice.get(prefix("django-dash") + "_dash-dependencies").content)
    assert [d["output"] for d in dependencies] == ["doubled.children"]
    sent = body(
        "doubled.children",
        out("doubled", "children"),
        [item("number", "value", 21)],
        changed=["number.value"],
    )
    answer = json.loads(portal_request(alice, prefix("django-dash") + "_dash-update-component", sent).content)
    assert answer["response"] == {"doubled": {"children": "42 (triggered by number)"}}


def test_the_admin_names_a_module_that_fails_to_load(client, monkeypatch, cast):
    monkeypatch.setattr(registry, "_catalogue", discover(["tests.compat_broken"]))
    client.force_login(cast["admin"])
    page = client.get("/admin/dashboards/dashboard/").content.decode()
    assert "Catalogue module tests.compat_broken.broken failed to load and is not served" in page
    assert "RuntimeError: this module is broken on purpose" in page


JUNK = [None, 0, -1, 10**400, 1e308, "x", "", [], {}, [[]], [[1]], {"a": 1}, True, "\x00", "\ud800", [None]]


def mangle(sent: dict, rng) -> dict:
    """`sent` with one to three of its parts, anywhere but an input's value, replaced by junk."""
    mangled = copy.deepcopy(sent)
    for _ in range(rng.randint(1, 3)):
        parent, key = mangled, rng.choice(list(mangled))
        for _ in range(rng.randint(0, 4)):
            node = parent[key]
            if not isinstance(node, (dict, list)):
                break
            keys = [k for k in node if k != "value"] if isinstance(node, dict) else range(len(node))
            if not keys:
                break
            parent, key = node, rng.choice(list(keys))
        parent[key] = copy.deepcopy(rng.choice(JUNK))
    return mangled


def test_a_mangled_callback_body_is_a_400_never_a_500(alice):
    rng = random.Random(7)
    sent_bodies = [(name, sent) for name, bodies in CALLBACKS.items() for sent in bodies]
    statuses = Counter()
    for _ in range(1500):
        name, sent = rng.choice(sent_bodies)
        response = portal_request(alice, prefix(name) + "_dash-update-component", mangle(sent, rng))
        statuses[response.status_code // 100 * 100] += 1
    assert statuses[500] == 0, statuses
    assert statuses[400] > 1000, statuses


@pytest.mark.parametrize(
    "raw",
    [
        '{"output": "alert.children", "inputs": [NaN]}',
        '{"output": 1e999}',
        "[" * 5000,
        '{"a": "\\ud800"}',
        "9" * 30,
    ],
)
def test_json_a_browser_cannot_write_is_a_400(alice, raw):
    response = alice.post(
        prefix("libraries") + "_dash-update-component", raw, content_type="application/json"
    )
    assert (response.status_code, response.content) == (400, b"The callback body is not valid JSON.")


def test_a_file_on_another_host_is_named_by_the_check_and_left_off_the_page(client, monkeypatch, cast):
    from dashboards.checks import catalogue_check

    monkeypatch.setattr(registry, "_catalogue", discover(["tests.compat_broken"]))
    [warning] = [m for m in catalogue_check() if m.id == "dashboards.W002"]
    assert "'cdn' loads https://cdn.example.com/widget.js from another host" in warning.msg
    dashboards_sync()
    client.force_login(cast["admin"])
    page = client.get(prefix("cdn")).content.decode()
    assert "cdn.example.com" not in page
    assert "dash_renderer" in page  # the rest of the page is there


def test_the_page_dependencies_and_a_fixed_layout_answer_the_same_every_time(alice):
    def answer(route: str):
        response = alice.get(prefix("context") + route)
        # Each page has a page-load id of its own, as in plain Dash.
        content = re.sub(rb'"end_id":"[^"]+"', b"", response.content)
        return response.status_code, content, response["Content-Type"]

    for route in ("", "_dash-dependencies", "_dash-layout"):
        first, again = answer(route), answer(route)
        assert first == again and first[0] == 200


def test_a_layout_function_is_called_for_every_visit(alice):
    def visit():
        layout = without_portal_additions(json.loads(alice.get(prefix("tall") + "_dash-layout").content))
        return layout["props"]["children"][0]["props"]["children"]

    first = int(visit().split()[1])
    assert visit() == f"Visit {first + 1}"


def test_an_app_with_request_hooks_of_its_own_answers_every_request_itself(alice):
    served = [int(alice.get(prefix("downloads") + "_dash-dependencies")["X-Served"]) for _ in range(2)]
    assert served[1] == served[0] + 1


def test_an_app_with_its_own_base_path_is_served_at_its_portal_address(alice):
    page = alice.get(prefix("based")).content.decode()
    assert '"requests_pathname_prefix":"\\u002fdjango_plotly_dash\\u002fapp\\u002fbased\\u002f"' in page
    sent = body("greeting.children", out("greeting", "children"), [item("name", "value", "you")])
    answer = json.loads(portal_request(alice, prefix("based") + "_dash-update-component", sent).content)
    assert answer["response"] == {"greeting": {"children": "hello you"}}


def test_every_theme_and_icon_set_of_dash_bootstrap_components_has_a_local_copy(alice):
    import dash_bootstrap_components as dbc

    from dashboards.hosting.bundles import local_copy

    names = [*vars(dbc.themes).items(), *vars(dbc.icons).items()]
    urls = {name: url for name, url in names if name.isupper() and not name.startswith("_")}
    missing = {name: url for name, url in urls.items() if local_copy(url) is None}
    assert missing == {}
    for url in urls.values():
        served = alice.get("/static/" + local_copy(url))
        assert served.status_code == 200, url
        css = b"".join(served.streaming_content) if served.streaming else served.content
        assert b"fonts.googleapis.com" not in css


def test_every_worker_signs_an_apps_background_jobs_with_the_same_key(compat):
    from django.utils.crypto import salted_hmac

    assert (
        registry.app("context").server.secret_key == salted_hmac("dashboards.hosting", "context").hexdigest()
    )
    assert registry.app("context").server.secret_key != registry.app("patterns").server.secret_key


def test_a_callback_that_raises_is_logged_and_shown_as_a_plain_note(alice, caplog):
    # `selected` reads cell["value"]: a string there makes it raise.
    sent = body("selected.children", out("selected", "children"), [item("grid", "cellClicked", "oops")])
    response = portal_request(alice, prefix("libraries") + "_dash-update-component", sent)
    answer = json.loads(response.content)
    assert response.status_code == 200
    assert answer["sideUpdate"]["_portal_error"]["children"].startswith("Something went wrong")
    assert "selected" not in answer.get("response", {})
    assert "A callback of dashboard 'libraries' raised" in caplog.text
    assert "Traceback" in caplog.text


@pytest.mark.parametrize(
    "rest", ["x", "nope/x.js", "dash_core_components/x.js", "dash/%00.js", "dash/" + "a" * 300 + ".js"]
)
def test_an_odd_component_file_name_is_a_404(alice, rest):
    response = alice.get(prefix("libraries") + "_dash-component-suites/" + rest)
    assert (response.status_code, response.content) == (404, b"No such file.")
