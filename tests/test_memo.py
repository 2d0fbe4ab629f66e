"""Memoised data functions (dashkit.memo): keyed by their arguments and code version,
blind to the request, kept in the site's cache in the portal."""

import contextvars
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import dash
import flask
import pytest
from dash import Dash, Input, Output, html

from dashboards.catalogue import stocktoday
from dashboards.memo import CountedStore
from dashengine_site import metrics
from dashkit import memo


@pytest.fixture
def local_store(monkeypatch):
    store = memo.LocalStore()
    monkeypatch.setattr(memo, "_store", store)
    return store


CALLS: list = []
SEEN: dict = {}


@memo.memoize
def double(params):
    CALLS.append(params)
    return {"n": params["n"] * 2}


@memo.memoize
def look(word):
    SEEN["request"] = flask.has_request_context()
    try:
        SEEN["triggered"] = dash.ctx.triggered_id
    except LookupError:
        SEEN["triggered"] = "no callback context"
    return word


@memo.memoize
def size(thing):
    CALLS.append(thing)
    return 3


def test_the_same_arguments_are_computed_once_and_new_ones_computed_again(local_store):
    CALLS.clear()
    assert [double({"n": 1}), double({"n": 1}), double({"n": 2})] == [{"n": 2}, {"n": 2}, {"n": 4}]
    assert CALLS == [{"n": 1}, {"n": 2}]


def test_a_memoised_function_sees_no_request_and_no_callback_context(local_store):
    SEEN.clear()
    app = Dash(__name__)
    app.layout = html.Div([html.Button(id="go"), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input("go", "n_clicks"))
    def update(clicks):
        SEEN["callback saw"] = (flask.request.cookies["sessionid"], dash.ctx.triggered_id)
        return look("hello")

    body = {
        "output": "out.children",
        "outputs": {"id": "out", "property": "children"},
        "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["go.n_clicks"],
    }
    client = app.server.test_client()
    client.set_cookie("sessionid", "alice")
    # A thread of its own, as a request's: the browser tests keep an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(client.post, "/_dash-update-component", json=body).result()
    assert answer.json["response"] == {"out": {"children": "hello"}}
    assert SEEN == {"callback saw": ("alice", "go"), "request": False, "triggered": "no callback context"}


SETTING = contextvars.ContextVar("setting", default="plain")
memo.carry(SETTING)


@memo.memoize
def drawn(word):
    CALLS.append(word)
    return f"{word} {SETTING.get()}"


def test_a_memoised_function_sees_the_kits_carried_settings_and_answers_each_apart(local_store):
    CALLS.clear()
    token = SETTING.set("themed")
    try:
        assert [drawn("chart"), drawn("chart")] == ["chart themed", "chart themed"]
    finally:
        SETTING.reset(token)
    assert drawn("chart") == "chart plain"
    assert CALLS == ["chart", "chart"]


def test_an_argument_that_cannot_be_pickled_is_computed_every_time(local_store):
    CALLS.clear()
    assert size(lambda: None) == size(lambda: None) == 3
    assert len(CALLS) == 2


def test_only_module_level_functions_can_be_memoised():
    # Made by one factory, two loaders share a name but not their data: never one key.
    def loader(table):
        def load(params):
            return table

        return load

    with pytest.raises(TypeError, match="module-level functions only"):
        memo.memoize(loader("salaries"))
    with pytest.raises(TypeError, match="module-level functions only"):
        memo.memoize(lambda params: params)


def test_the_local_store_forgets_answers_older_than_its_age(monkeypatch):
    store = memo.LocalStore(max_age=60)
    now = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: now[0])
    store.set("a", b"aaaa", function="f")
    now[0] += 59
    assert store.get("a", function="f") == b"aaaa"
    now[0] += 2
    assert store.get("a", function="f") is None


def test_the_local_store_lets_the_least_recently_used_answers_go_first():
    # Each entry costs its key, its value and ENTRY_BYTES: room for two of these.
    store = memo.LocalStore(max_bytes=2 * (1 + 4 + memo.LocalStore.ENTRY_BYTES), max_item_bytes=6)
    store.set("a", b"aaaa", function="f")
    store.set("b", b"bbbb", function="f")
    assert store.get("a", function="f") == b"aaaa"  # used: "b" is now the oldest
    store.set("c", b"cccc", function="f")
    store.set("huge", b"x" * 7, function="f")  # above the item limit: not kept
    assert [store.get(k, function="f") for k in ("a", "b", "c", "huge")] == [b"aaaa", None, b"cccc", None]


def test_the_code_version_names_the_libraries_and_the_data_files(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    memo.code_version.cache_clear()
    before = memo.code_version(__name__)
    (tmp_path / "new.csv").write_text("a\n1\n")
    memo.code_version.cache_clear()
    after_data = memo.code_version(__name__)
    monkeypatch.setattr(memo, "LIBRARIES", ("dash", "plotly"))
    memo.code_version.cache_clear()
    fewer_libraries = memo.code_version(__name__)
    memo.code_version.cache_clear()
    assert len({before, after_data, fewer_libraries}) == 3


def test_the_portal_counts_a_dashboards_views_as_computed_then_kept(db, monkeypatch):
    monkeypatch.setattr(memo, "_store", CountedStore(memo.LocalStore()))
    name = "dashboards.catalogue.stocktoday.view"

    def count(result):
        return metrics.MEMOS.labels(function=name, result=result)._value.get()

    before = count("miss"), count("hit")
    params = stocktoday.dashboard.clean({"tickers": ["IBM"], "start": dt.date(2010, 1, 4)})
    answers = [stocktoday.view(params), stocktoday.view(params)]
    assert [[t["name"] for t in a[0]["data"]] for a in answers] == [["IBM"], ["IBM"]]
    assert (count("miss") - before[0], count("hit") - before[1]) == (1, 1)
