"""The callback guard: a 4xx for any `_dash-update-component` body this dashboard
would not produce, before any of its code runs.

dash-renderer 4.4.1 is the reference (`executeCallback` in
dash/dash-renderer/build/dash_renderer.dev.js). It sends JSON (as a browser writes
it, `dashboards.inputs.browser_json`) naming one of the app's callbacks by its key
(`output`), with:

- `outputs`: one `{id, property}` (a list of them for a `..a.b...c.d..` key), read
  from the key as the renderer reads it: the property keeps the `@<hash>` of an
  `allow_duplicate` output; no `outputs` at all for a callback without outputs;
- `inputs` and `state` (`state` left out when there is none): the declared
  dependencies in order, each `{id, property, value}`;
- pattern-matching ids: the same keys, equal where not a wildcard; a list of items
  for ALL and ALLSMALLER;
- `changedPropIds`: the names of the inputs that changed.

Declared parameters must pass their spec. Each refusal is logged with the
dashboard, the reason and the callback's key, never the values sent.
"""

from __future__ import annotations

import functools
import json
import logging

import dash
from django.http import HttpRequest, HttpResponse

from dashboards.inputs import browser_json
from dashboards.refusals import plain_text
from dashkit.spec import Dashboard, ParamError

logger = logging.getLogger(__name__)

WILDCARDS = (["MATCH"], ["ALL"], ["ALLSMALLER"])
MANY = (["ALL"], ["ALLSMALLER"])
# A key longer than this is cut in the log: it comes from the caller.
LOGGED_KEY_CHARS = 300


def refuse_callback(request: HttpRequest, dashboard: Dashboard, app: dash.Dash) -> HttpResponse | None:
    """None when dash-renderer could have sent this request to `app`, else the answer to give."""
    output, refusal = _refusal(request, dashboard, app)
    if refusal is None:
        return None
    status, message, reason = refusal
    key = output[:LOGGED_KEY_CHARS] if isinstance(output, str) else None
    logger.warning("Refused a callback body for dashboard %r: %s (output %r)", dashboard.slug, reason, key)
    return plain_text(status, message)


# (status, message for the caller, reason for the log: never a value sent)
Refusal = tuple[int, str, str]


def _refusal(request: HttpRequest, dashboard: Dashboard, app: dash.Dash) -> tuple[object, Refusal | None]:
    if request.method != "POST":
        return None, (405, "Callbacks are sent with POST.", "not a POST")
    if request.content_type != "application/json":
        return None, (415, "Callbacks must be sent as application/json.", "not application/json")
    try:
        body = browser_json(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, (400, "The callback body is not valid JSON.", "not a JSON object")
    output = body.get("output")
    callback = app.callback_map.get(output) if isinstance(output, str) else None
    if callback is None or "callback" not in callback:
        return output, (400, "This dashboard has no such callback.", "no such callback")
    inputs, state = body.get("inputs"), body.get("state", [])
    if not (_items_match(inputs, callback["inputs"]) and _items_match(state, callback["state"])):
        return output, (
            400,
            "The callback's inputs do not match the dashboard.",
            "inputs or state do not match",
        )
    if not _outputs_match(body, output, no_output=bool(callback.get("no_output"))):
        return output, (400, "The callback's outputs do not match the dashboard.", "outputs do not match")
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return output, (
            400,
            "The callback's changedPropIds are not a list of names.",
            "changedPropIds are not a list of names",
        )
    return output, _param_refusal(dashboard, [*inputs, *state])


def _param_refusal(dashboard: Dashboard, items: list) -> Refusal | None:
    # An empty choice is left to the dashboard, which tells the user what to pick.
    params = {p.name: p for p in dashboard.params}
    for item in items:
        param = params.get(item["id"]) if isinstance(item, dict) and isinstance(item["id"], str) else None
        if param is None or item["property"] != param.prop or item.get("value") in (None, "", []):
            continue
        try:
            param.clean(item["value"])
        except ParamError as error:
            return 400, f"Bad parameter {error}", f"parameter {param.name!r} fails its spec"
    return None


def _outputs_match(body: dict, output: str, *, no_output: bool) -> bool:
    if no_output:
        # The renderer sends `outputs[0]` of an empty list: JSON leaves it out.
        return "outputs" not in body
    multi = output.startswith("..")
    parts = output[2:-2].split("...") if multi else [output]
    given = body.get("outputs") if multi else [body.get("outputs")]
    if not isinstance(given, list) or len(given) != len(parts):
        return False
    # The renderer splits the key at its last dot, so an allow_duplicate output's
    # property is sent with its `@<hash>`, as it is in the key.
    return all(_matches(item, *part.rpartition(".")[::2]) for item, part in zip(given, parts, strict=True))


def _items_match(given, declared: list[dict]) -> bool:
    return (
        isinstance(given, list)
        and len(given) == len(declared)
        and all(_matches(g, d["id"], d["property"]) for g, d in zip(given, declared, strict=True))
    )


@functools.lru_cache(maxsize=4096)
def _pattern(declared_id: str) -> dict | None:
    """A declared pattern-matching id (Dash keys it as JSON), or None for a plain id."""
    return json.loads(declared_id) if declared_id.startswith("{") else None


def _matches(item, declared_id: str, prop: str) -> bool:
    """One request item for a declared dependency (a list of items for ALL and ALLSMALLER)."""
    try:
        pattern = _pattern(declared_id)
    except ValueError:  # a dot in a pattern's value is escaped in the key: the renderer cannot read it either
        return False
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
