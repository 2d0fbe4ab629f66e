"""One catalogue module's app served alone by plain Dash, as `python app.py` serves it:
`python -m dashboards.hosting.alone MODULE PORT`, on 127.0.0.1 only.

It is the reference the portal is compared with in the tests, and what a scheduled
e-mail shows of a dashboard that draws its charts only in the browser (a plain Dash app
dropped in): the app as it opens, loaded by Chromium (`dashboards.snapshots.app_charts`).
Imports neither Django nor django-plotly-dash unless the module does.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import dash


def app_of(module: ModuleType) -> dash.Dash:
    """The module's Dash app: a kit dashboard's, its `app`, or its only `dash.Dash`."""
    from dashkit.spec import Dashboard, standalone_app

    declared = getattr(module, "dashboard", None)
    if isinstance(declared, Dashboard):
        return standalone_app(declared)
    found = getattr(module, "app", None)
    if isinstance(found, dash.Dash):
        return found
    apps = [value for value in vars(module).values() if isinstance(value, dash.Dash)]
    if len(apps) != 1:
        raise SystemExit(f"{module.__name__} defines no single Dash app")
    return apps[0]


if __name__ == "__main__":
    module_name, port = sys.argv[1], int(sys.argv[2])
    app = app_of(importlib.import_module(module_name))
    # Where it answers ("/", or the app's own `url_base_pathname`): the first line out.
    print(app.config.requests_pathname_prefix, flush=True)
    app.run(host="127.0.0.1", port=port, debug=False)
