"""The callback guard: a 4xx for any `_dash-update-component` body this dashboard
would not produce, before any of its code runs.

The body must be JSON as a browser writes it (`dashboards.inputs.browser_json`), name one of the app's callbacks, and
carry exactly its outputs, inputs and state: the same ids (pattern-matching ids:
the same keys, equal where not a wildcard; a list for ALL and ALLSMALLER) and
properties. Declared parameters must pass their spec.
"""

from __future__ import annotations

import functools
import json

import dash
from django.http import HttpRequest, HttpResponse

from dashboards.inputs import browser_json
from dashboards.refusals import plain_text
from dashkit.spec import Dashboard, ParamError

WILDCARDS = (["MATCH"], ["ALL"], ["ALLSMALLER"])
MANY = (["ALL"], ["ALLSMALLER"])


def refuse_callback(request: HttpRequest, dashboard: Dashboard, app: dash.Dash) -> HttpResponse | None:
    if request.method != "POST":
        return plain_text(405, "Callbacks are sent with POST.")
    if request.content_type != "application/json":
        return plain_text(415, "Callbacks must be sent as application/json.")
    try:
        body = browser_json(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return plain_text(400, "The callback body is not valid JSON.")
    output = body.get("output")
    callback = app.callback_map.get(output) if isinstance(output, str) else None
    if callback is None or "callback" not in callback:
        return plain_text(400, "This dashboard has no such callback.")
    inputs, state = body.get("inputs", []), body.get("state", [])
    if not (_items_match(inputs, callback["inputs"]) and _items_match(state, callback["state"])):
        return plain_text(400, "The callback's inputs do not match the dashboard.")
    if not _outputs_match(body.get("outputs"), output):
        return plain_text(400, "The callback's outputs do not match the dashboard.")
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return plain_text(400, "The callback's changedPropIds are not a list of names.")
    return _refuse_params(dashboard, [*inputs, *state])


def _refuse_params(dashboard: Dashboard, items: list) -> HttpResponse | None:
    # An empty choice is left to the dashboard, which tells the user what to pick.
    params = {p.name: p for p in dashboard.params}
    for item in items:
        param = params.get(item["id"]) if isinstance(item, dict) and isinstance(item["id"], str) else None
        if param is None or item["property"] != param.prop or item.get("value") in (None, "", []):
            continue
        try:
            param.clean(item["value"])
        except ParamError as error:
            return plain_text(400, f"Bad parameter {error}")
    return None


@functools.lru_cache(maxsize=4096)
def _pattern(declared_id: str) -> dict | None:
    """A declared pattern-matching id (Dash keys it as JSON), or None for a plain id."""
    return json.loads(declared_id) if declared_id.startswith("{") else None


def _items_match(given, declared: list[dict]) -> bool:
    return (
        isinstance(given, list)
        and len(given) == len(declared)
        and all(_matches(g, d["id"], d["property"]) for g, d in zip(given, declared, strict=True))
    )


def _outputs_match(outputs, output: str) -> bool:
    multi = output.startswith("..")
    parts = output[2:-2].split("...") if multi else [output]
    given = outputs if multi else [outputs]
    if not isinstance(given, list) or len(given) != len(parts):
        return False
    for item, part in zip(given, parts, strict=True):
        declared_id, _, prop = part.rpartition(".")
        # allow_duplicate outputs carry a hash in their key, not in the request.
        if not _matches(item, declared_id, prop.split("@")[0]):
            return False
    return True


def _matches(item, declared_id: str, prop: str) -> bool:
    """One request item for a declared dependency (a list of items for ALL and ALLSMALLER)."""
    pattern = _pattern(declared_id)
    if pattern is None:
        return _one(item, prop) and item["id"] == declared_id
    items = item if any(v in MANY for v in pattern.values()) else [item]
    return isinstance(items, list) and all(_one(i, prop) and _fits(i["id"], pattern) for i in items)


def _one(item, prop: str) -> bool:
    return isinstance(item, dict) and "id" in item and item.get("property") == prop


def _fits(concrete, pattern: dict) -> bool:
    return (
        isinstance(concrete, dict)
        and concrete.keys() == pattern.keys()
        and all(
            isinstance(concrete[k], (str, int, float, bool)) and (v in WILDCARDS or concrete[k] == v)
            for k, v in pattern.items()
        )
    )
