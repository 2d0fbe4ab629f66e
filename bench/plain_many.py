"""Every dashboard of one catalogue package as its own plain Dash app, under /<slug>/ (bench/scale.py).

    BENCH_PLAIN_PACKAGE=<package> gunicorn --workers 1 --bind 127.0.0.1:PORT bench.plain_many:application

The package's directory must be importable (PYTHONPATH). Each module's `dashboard`
becomes one `dash.Dash` app, built as `dashkit.spec.standalone_app` builds it,
mounted with werkzeug's DispatcherMiddleware at /<slug>. The middleware moves
/<slug> into SCRIPT_NAME, so each app routes from "/" and asks the browser to
request under "/<slug>/". No Django, no django_plotly_dash.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import dash
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashkit.spec import INDEX_STRING, Dashboard  # noqa: E402


def dashboards(package_name: str) -> list[Dashboard]:
    package = importlib.import_module(package_name)
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package_name}.{info.name}")
        if isinstance(getattr(module, "dashboard", None), Dashboard):
            found.append(module.dashboard)
    return found


def mounted_app(dashboard: Dashboard) -> dash.Dash:
    app = dash.Dash(
        dashboard.slug,
        title=dashboard.title,
        index_string=INDEX_STRING,
        serve_locally=True,
        requests_pathname_prefix=f"/{dashboard.slug}/",
        routes_pathname_prefix="/",
    )
    app.layout = dashboard.build_layout()
    dashboard.register_callbacks(app)
    return app


def not_found(environ, start_response):
    return Response("No such app.", status=404)(environ, start_response)


application = DispatcherMiddleware(
    not_found,
    {f"/{d.slug}": mounted_app(d).server for d in dashboards(os.environ["BENCH_PLAIN_PACKAGE"])},
)
