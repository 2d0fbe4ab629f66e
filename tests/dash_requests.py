"""Build dash-renderer's requests from an app's dependencies, as a browser would."""

from __future__ import annotations

import json
from typing import Any


def callback_body(dependency: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The body of `_dash-update-component` for one callback.

    `values` maps "id.property" to the value sent for each input and state.
    """

    def items(kind: str) -> list[dict[str, Any]]:
        return [
            {"id": i["id"], "property": i["property"], "value": values[f"{i['id']}.{i['property']}"]}
            for i in dependency[kind]
        ]

    output = dependency["output"]
    body = {
        "output": output,
        "inputs": items("inputs"),
        "state": items("state"),
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dependency["inputs"]],
    }
    if dependency.get("no_output"):
        return body  # the renderer sends no `outputs` for a callback without any
    # Split as the renderer splits the key: an allow_duplicate property keeps its `@<hash>`.
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]
    return {**body, "outputs": outputs if output.startswith("..") else outputs[0]}


def layout_values(layout: dict[str, Any]) -> dict[str, Any]:
    """ "id.property" -> value for every component with an id in a `_dash-layout` answer."""
    found: dict[str, Any] = {}
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and "props" in node:
            props = node["props"]
            if isinstance(props.get("id"), str):
                for key, value in props.items():
                    found[f"{props['id']}.{key}"] = value
            stack.append(props.get("children"))
    return found


def dumps(body: dict[str, Any]) -> str:
    return json.dumps(body)


def server_callbacks(dependencies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The callbacks the browser sends to the server (not the clientside ones)."""
    return [d for d in dependencies if not d.get("clientside_function")]


def app_url(slug: str) -> str:
    return f"/django_plotly_dash/app/{slug}/"


def portal_callback(client, slug: str, output: str | None = None, **values: Any) -> dict[str, Any]:
    """Send one server callback of a dashboard through the portal, as a browser would.

    Inputs and state start from the layout's initial values; `values` overrides
    them by "id.property" (pass them as `**{"tickers.value": [...]}`). `output`
    picks the callback by its output key when the dashboard has several.
    Returns the parsed answer; fails the test on any status but 200.
    """
    response = portal_callback_response(client, slug, output, **values)
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)["response"]


def portal_callback_response(client, slug: str, output: str | None = None, **values: Any):
    body = portal_callback_body(client, slug, output, **values)
    return client.post(
        app_url(slug) + "_dash-update-component", json.dumps(body), content_type="application/json"
    )


def portal_callback_body(client, slug: str, output: str | None = None, **values: Any) -> dict[str, Any]:
    dependencies = server_callbacks(json.loads(client.get(app_url(slug) + "_dash-dependencies").content))
    if output is None:
        assert len(dependencies) == 1, [d["output"] for d in dependencies]
        [dependency] = dependencies
    else:
        [dependency] = [d for d in dependencies if d["output"] == output]
    initial = layout_values(json.loads(client.get(app_url(slug) + "_dash-layout").content))
    return callback_body(dependency, {**initial, **values})
