"""The callback guard accepts what dash-renderer sends and refuses, with a 4xx and a log
line, what it would not send.

The bodies below were captured from Chromium driving the compat apps as plain Dash;
tests/browser/test_captured_bodies_in_browser.py checks that Chromium still sends them.
"""

from __future__ import annotations

import copy
import json
import logging

import pytest

from tests.test_compat import add_compat_apps, prefix

GROW_HASH = "5c867be88860a615a22022993d9e5bdef2b31689c4033f347f7088147cfa76f3"
BOTH_HASH = "16dd7ebff135a1b85800d2d3bf127559866fa628e7c0e6701a18502829d4f987"
MARK_HASH = "add151206f3fea85c2e337321fb1fa3c1cd7113278949ccaadd824e27667a556"
RESET_HASH = "f096832f03b36f636dfd434c339ec7f2e38a2fbe9d09f564caa14d1a0f58ab15"
PING_KEY = "c23a2ac79b18e0aeef35b28e67c7d464a6742fbc80557f72df6725f482cca310"


def _item(id_, prop, value):
    return {"id": id_, "property": prop, "value": value}


def _items(type_, values):
    return [_item({"index": i, "type": type_}, "value", v) for i, v in enumerate(values)]


# "<app>:<callback>" -> a body as dash-renderer 4.4.1 sent it (JSON key order aside).
CAPTURED = {
    # allow_duplicate: the output's property carries the key's hash; an optional State
    # that is not in the layout comes with `allow_optional` and no value.
    "duplicates:grow": {
        "output": f"chart.figure@{GROW_HASH}",
        "outputs": {"id": "chart", "property": f"figure@{GROW_HASH}"},
        "inputs": [_item("grow", "n_clicks", 1)],
        "changedPropIds": ["grow.n_clicks"],
        "parsedChangedPropsIds": ["grow.n_clicks"],
        "state": [{"id": "missing", "property": "value", "allow_optional": True, "value": None}],
    },
    "duplicates:both": {
        "output": f"..chart.figure@{BOTH_HASH}...status.children@{BOTH_HASH}..",
        "outputs": [
            {"id": "chart", "property": f"figure@{BOTH_HASH}"},
            {"id": "status", "property": f"children@{BOTH_HASH}"},
        ],
        "inputs": [_item("both", "n_clicks", 1)],
        "changedPropIds": ["both.n_clicks"],
        "parsedChangedPropsIds": ["both.n_clicks"],
    },
    "duplicates:mark": {
        "output": f'{{"index":["MATCH"],"type":"cell"}}.children@{MARK_HASH}',
        "outputs": {"id": {"index": 1, "type": "cell"}, "property": f"children@{MARK_HASH}"},
        "inputs": [_item({"index": 1, "type": "mark"}, "n_clicks", 1)],
        "changedPropIds": ['{"index":1,"type":"mark"}.n_clicks'],
        "parsedChangedPropsIds": [{"index": 1, "type": "mark"}],
    },
    # A callback without outputs: no `outputs` at all.
    "duplicates:ping": {
        "output": PING_KEY,
        "inputs": [_item("ping", "n_clicks", 1)],
        "changedPropIds": ["ping.n_clicks"],
        "parsedChangedPropsIds": ["ping.n_clicks"],
    },
    "patterns:reset": {
        "output": f"log.data@{RESET_HASH}",
        "outputs": {"id": "log", "property": f"data@{RESET_HASH}"},
        "inputs": [_item("reset", "n_clicks", 1)],
        "changedPropIds": ["reset.n_clicks"],
        "parsedChangedPropsIds": ["reset.n_clicks"],
    },
    "patterns:total": {
        "output": "total.children",
        "outputs": {"id": "total", "property": "children"},
        "inputs": [_items("item", ["v0", "v1", "v2"])],
        "changedPropIds": [],
        "parsedChangedPropsIds": [],
    },
    "patterns:before": {
        "output": '{"index":["MATCH"],"type":"before"}.children',
        "outputs": {"id": {"index": 2, "type": "before"}, "property": "children"},
        "inputs": [_item({"index": 2, "type": "item"}, "value", "v2")],
        "changedPropIds": [],
        "parsedChangedPropsIds": [],
        "state": [_items("item", ["v0", "v1"])],
    },
    "declared:total": {
        "output": "total.children",
        "outputs": {"id": "total", "property": "children"},
        "inputs": [_item("region", "value", "North")],
        "changedPropIds": [],
        "parsedChangedPropsIds": [],
    },
}


@pytest.fixture
def alice(client, monkeypatch, cast):
    add_compat_apps(monkeypatch, cast["alice"])
    client.force_login(cast["alice"])
    return client


def send(client, name: str, body, content_type: str = "application/json"):
    app = name.split(":")[0]
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(prefix(app) + "_dash-update-component", raw, content_type=content_type)


def refused_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dashboards.hosting.guard"]


@pytest.mark.parametrize("name", list(CAPTURED))
def test_a_body_dash_renderer_sends_is_accepted(alice, caplog, name):
    response = send(alice, name, CAPTURED[name])
    assert response.status_code == 200, response.content[:300]
    assert refused_lines(caplog) == []


def test_an_allow_duplicate_answer_is_dashs(alice):
    answer = json.loads(send(alice, "duplicates:both", CAPTURED["duplicates:both"]).content)
    assert answer["response"]["status"] == {"children": "both 1"}
    answer = json.loads(send(alice, "duplicates:ping", CAPTURED["duplicates:ping"]).content)
    assert answer == {"multi": True, "response": {}, "sideUpdate": {"pinged": {"children": "pinged 1"}}}


def changed(name: str, change) -> dict:
    body = copy.deepcopy(CAPTURED[name])
    change(body)
    return body


def _set(path, value):
    def change(body):
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop(key):
    return lambda body: body.pop(key)


OUTPUTS = "The callback's outputs do not match the dashboard."
INPUTS = "The callback's inputs do not match the dashboard."

REFUSED = {
    # What tests built by hand used to send: the allow_duplicate output without its hash.
    "hash dropped": (
        "duplicates:grow",
        _set(["outputs", "property"], "figure"),
        OUTPUTS,
        "outputs do not match",
    ),
    "hash dropped, one of several": (
        "duplicates:both",
        _set(["outputs", 1, "property"], "children"),
        OUTPUTS,
        "outputs do not match",
    ),
    "another output id": (
        "patterns:reset",
        _set(["outputs", "id"], "items"),
        OUTPUTS,
        "outputs do not match",
    ),
    "one output too few": ("duplicates:both", lambda b: b["outputs"].pop(), OUTPUTS, "outputs do not match"),
    "a list for one output": (
        "duplicates:grow",
        lambda b: b.update(outputs=[b["outputs"]]),
        OUTPUTS,
        "outputs do not match",
    ),
    "outputs for a callback without": (
        "duplicates:ping",
        _set(["outputs"], {"id": "pinged", "property": "children"}),
        OUTPUTS,
        "outputs do not match",
    ),
    "outputs left out": ("patterns:total", _drop("outputs"), OUTPUTS, "outputs do not match"),
    "a MATCH output of another type": (
        "duplicates:mark",
        _set(["outputs", "id", "type"], "mark"),
        OUTPUTS,
        "outputs do not match",
    ),
    "another input property": (
        "duplicates:grow",
        _set(["inputs", 0, "property"], "children"),
        INPUTS,
        "inputs or state do not match",
    ),
    "another input id": (
        "declared:total",
        _set(["inputs", 0, "id"], "total"),
        INPUTS,
        "inputs or state do not match",
    ),
    "inputs left out": ("duplicates:ping", _drop("inputs"), INPUTS, "inputs or state do not match"),
    "state left out": ("duplicates:grow", _drop("state"), INPUTS, "inputs or state do not match"),
    "an extra key in a pattern id": (
        "patterns:total",
        _set(["inputs", 0, 1, "id", "extra"], 1),
        INPUTS,
        "inputs or state do not match",
    ),
    "a list for a MATCH input": (
        "duplicates:mark",
        lambda b: b.update(inputs=[b["inputs"]]),
        INPUTS,
        "inputs or state do not match",
    ),
    "one item for ALL": (
        "patterns:total",
        lambda b: b.update(inputs=[b["inputs"][0][0]]),
        INPUTS,
        "inputs or state do not match",
    ),
    "a wildcard sent as a value": (
        "patterns:before",
        _set(["state", 0, 0, "id", "index"], ["ALLSMALLER"]),
        INPUTS,
        "inputs or state do not match",
    ),
    "no such callback": (
        "patterns:reset",
        _set(["output"], "log.size"),
        "This dashboard has no such callback.",
        "no such callback",
    ),
    "changedPropIds not names": (
        "patterns:reset",
        _set(["changedPropIds"], [{"id": "reset"}]),
        "The callback's changedPropIds are not a list of names.",
        "changedPropIds are not a list of names",
    ),
    "a value the parameter does not allow": (
        "declared:total",
        _set(["inputs", 0, "value"], "West"),
        "Bad parameter region: 'West' is not one of North, South",
        "parameter 'region' fails its spec",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_body_dash_renderer_would_not_send_is_a_400_and_logged(alice, caplog, case):
    name, change, message, reason = REFUSED[case]
    body = changed(name, change)
    with caplog.at_level(logging.WARNING, logger="dashboards.hosting.guard"):
        response = send(alice, name, body)
    assert (response.status_code, response.content.decode()) == (400, message)
    output = body["output"]
    assert refused_lines(caplog) == [
        f"Refused a callback body for dashboard {name.split(':')[0]!r}: {reason} (output {output!r})"
    ]


@pytest.mark.parametrize(
    "raw,content_type,status,message,reason",
    [
        ("{", "application/json", 400, "The callback body is not valid JSON.", "not a JSON object"),
        ("[]", "application/json", 400, "The callback body is not valid JSON.", "not a JSON object"),
        (
            json.dumps(CAPTURED["patterns:total"]),
            "text/plain",
            415,
            "Callbacks must be sent as application/json.",
            "not application/json",
        ),
    ],
)
def test_a_body_that_is_not_json_is_refused_and_logged(
    alice, caplog, raw, content_type, status, message, reason
):
    with caplog.at_level(logging.WARNING, logger="dashboards.hosting.guard"):
        response = send(alice, "patterns:total", raw, content_type=content_type)
    assert (response.status_code, response.content.decode()) == (status, message)
    assert refused_lines(caplog) == [
        f"Refused a callback body for dashboard 'patterns': {reason} (output None)"
    ]


def test_a_get_of_the_callback_route_is_a_405_and_logged(alice, caplog):
    with caplog.at_level(logging.WARNING, logger="dashboards.hosting.guard"):
        response = alice.get(prefix("patterns") + "_dash-update-component")
    assert (response.status_code, response.content) == (405, b"Callbacks are sent with POST.")
    assert refused_lines(caplog) == [
        "Refused a callback body for dashboard 'patterns': not a POST (output None)"
    ]


def test_the_log_line_never_holds_the_values_sent(alice, caplog):
    body = changed("declared:total", _set(["inputs", 0, "value"], "secret-West"))
    body["changedPropIds"] = [{"secret": 1}]
    send(alice, "declared:total", body)
    send(alice, "declared:total", changed("declared:total", _set(["inputs", 0, "value"], "secret-West")))
    assert len(refused_lines(caplog)) == 2
    assert "secret" not in caplog.text


def test_a_huge_output_key_is_cut_in_the_log(alice, caplog):
    send(alice, "patterns:total", changed("patterns:total", _set(["output"], "x" * 10_000)))
    [line] = refused_lines(caplog)
    assert (
        line == f"Refused a callback body for dashboard 'patterns': no such callback (output {'x' * 300!r})"
    )
