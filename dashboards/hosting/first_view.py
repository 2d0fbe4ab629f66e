"""A view's first answers, sent inside its layout.

Right after the layout, dash-renderer asks for the answer of every callback that
fires on load, and draws the charts only when they come back. For a view the
portal opens (`initial/<token>/`), the portal computes those answers while it
serves the layout, puts them in it, and tells the renderer, in that view's
dependencies, not to ask (`prevent_initial_call`): the charts are drawn one round
trip and one callback sooner. The answers come through the shared answer cache
(`answers`), so only callbacks that may be shared are answered this way, and
the answer is the one the browser would have got:

- in the renderer's order: a callback whose inputs are another's outputs is
  answered after it, with the props that one changed named as changed;
- a callback an input of which is changed later by a callback left to the browser
  (clientside, pattern-matching, ...) still fires then, as Dash fires a callback
  whose input an initial callback changes even when `prevent_initial_call` is set;
- any doubt (a failure, a cookie, `set_props`, a `Patch`) leaves the callback to the
  browser, as in plain Dash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import dash
from django.http import HttpResponse

from dashboards.hosting import answers
from dashkit.spec import Dashboard

logger = logging.getLogger(__name__)

Ask = Callable[[bytes], HttpResponse]


def first_answers(*, dashboard: Dashboard, app: dash.Dash, module: str, layout: dict, ask: Ask) -> set[str]:
    """Put into `layout` (in place) the first answers of the callbacks that may be shared;
    return their output keys. `ask(body)` answers a callback request as the app would."""
    props = props_by_id(layout)
    changed: set[str] = set()
    answered: set[str] = set()
    for dependency in _in_order(app):
        if not all(i["id"] in props for i in [*dependency["inputs"], *dependency["state"]]):
            continue  # the renderer would not call it before its inputs exist
        body = {
            "output": dependency["output"],
            "outputs": _outputs(dependency["output"]),
            "inputs": [_item(i, props) for i in dependency["inputs"]],
            "changedPropIds": [_key(i) for i in dependency["inputs"] if _key(i) in changed],
        }
        if dependency["state"]:
            body["state"] = [_item(i, props) for i in dependency["state"]]
        if not dependency["output"].startswith(".."):
            body["outputs"] = body["outputs"][0]
        raw = json.dumps(body).encode()
        key = answers.cache_key(
            dashboard=dashboard, app=app, module=module, output=dependency["output"], body=raw
        )
        if key is None:
            continue
        kept = answers.answer_get(key)
        if kept is None:
            try:
                kept = ask(raw)
            except Exception:  # noqa: BLE001 - the browser asks again, and sees what happens
                logger.exception(
                    "The first answer of %s in dashboard %r failed", dependency["output"], dashboard.slug
                )
                continue
            answers.answer_keep(key, kept)
            if not (kept.status_code == 200 and getattr(kept, "shareable", False) and not kept.cookies):
                continue
        update = _plain_update(kept.content)
        if update is None:
            continue
        for component_id, values in update.items():
            props.setdefault(component_id, {}).update(values)
            changed.update(f"{component_id}.{prop}" for prop in values)
        answered.add(dependency["output"])
    return answered


def _in_order(app: dash.Dash) -> list[dict]:
    """The server callbacks that fire on load and that the portal can answer, those whose
    inputs another one makes after it (callbacks in a cycle are left to the browser)."""
    candidates = [d for d in app._callback_list if _answerable(app, d)]
    makes = {d["output"]: set(_outputs_keys(d["output"])) for d in candidates}
    needs = {d["output"]: {_key(i) for i in [*d["inputs"], *d["state"]]} for d in candidates}
    ordered, done = [], set()
    while True:
        ready = [
            d
            for d in candidates
            if d["output"] not in done
            and not any(needs[d["output"]] & makes[o] for o in makes if o not in done and o != d["output"])
        ]
        if not ready:
            return ordered
        ordered += ready
        done.update(d["output"] for d in ready)


def _answerable(app: dash.Dash, dependency: dict) -> bool:
    entry = app.callback_map.get(dependency["output"], {})
    ids = [i["id"] for i in [*dependency["inputs"], *dependency["state"]]] + [
        key.rsplit(".", 1)[0] for key in _outputs_keys(dependency["output"])
    ]
    return (
        not dependency.get("clientside_function")
        and not dependency.get("prevent_initial_call")
        and not entry.get("background")
        and "callback" in entry
        and "@" not in dependency["output"]  # allow_duplicate: several callbacks write that prop
        and all(isinstance(i, str) and not i.startswith("{") for i in ids)
    )


def _plain_update(content: bytes) -> dict[str, dict] | None:
    """{id: {prop: value}} of an answer that only sets props, else None."""
    try:
        answer = json.loads(content)
    except ValueError:
        return None
    update = answer.get("response") if isinstance(answer, dict) else None
    if (
        not isinstance(update, dict)
        or set(answer) - {"response", "multi"}
        or b"__dash_patch_update" in content
    ):
        return None  # set_props (sideUpdate), a Patch, or something else the renderer applies itself
    return update if all(isinstance(v, dict) for v in update.values()) else None


def props_by_id(tree) -> dict[str, dict]:
    """The props of every component of a `_dash-layout` tree with a plain id, by id (the
    tree's own dicts: changing them changes the tree)."""
    found, stack = {}, [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                if isinstance(props.get("id"), str):
                    found[props["id"]] = props
                stack.extend(v for v in props.values() if isinstance(v, (list, dict)))
    return found


def _outputs_keys(output: str) -> list[str]:
    return output[2:-2].split("...") if output.startswith("..") else [output]


def _outputs(output: str) -> list[dict]:
    return [{"id": k.rsplit(".", 1)[0], "property": k.rsplit(".", 1)[1]} for k in _outputs_keys(output)]


def _key(item: dict) -> str:
    return f"{item['id']}.{item['property']}"


def _item(item: dict, props: dict[str, dict]) -> dict:
    return {"id": item["id"], "property": item["property"], "value": props[item["id"]].get(item["property"])}
