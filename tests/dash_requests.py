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
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]
    return {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": items("inputs"),
        "state": items("state"),
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dependency["inputs"]],
    }


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
