"""How the portal grows with the number of dashboards, against plain Dash with as many apps.

    .venv/bin/python bench/scale.py --counts 5 50 200

For each count N, writes N synthetic dashboards into a temporary package (copies
of one small module under another slug: one dropdown parameter, one graph, one
callback; they import only dashkit.spec, dash and pandas), puts it on
PYTHONPATH and sets DASHBOARD_PACKAGES="dashboards.catalogue,<package>" (so the
portal also serves the catalogue: N + 5 dashboards). Fresh SQLite database per N;
Redis db 13 for cache and sessions when Redis answers at 127.0.0.1:6379.

Measured per N:

- portal cold start, Procfile web command with 1 worker: seconds from process
  start to the first 200 of /healthz, and to the first 200 of the gallery `/`
  for the logged-in admin (the admin's session is made beforehand, by another
  server process, so no login is timed);
- resident memory of that worker after the gallery load;
- gallery under load: wrk --duration seconds on `/` as admin: requests/s, p50, p99;
- the gallery's database queries: a subprocess with the same environment GETs `/`
  as admin with django.test.Client, once to warm up, then counts the queries of
  the second GET (CaptureQueriesContext);
- plain Dash cold start: the N synthetic apps mounted by bench/plain_many.py under
  one gunicorn worker; seconds to the first 200 of the last app's
  /<slug>/_dash-layout, and that worker's memory.

Prints a Markdown table and writes it as JSON to bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PYTHON,
    ROOT,
    free_port,
    rss_kib,
    server,
    worker_pids,
)
from bench.side_by_side import (  # noqa: E402
    REDIS_URL,
    START_TIMEOUT,
    Request,
    plain_command,
    portal_command,
    portal_setup,
    warm_up_and_check,
    wrk,
)

PACKAGE = "bench_synthetic"
RESULTS = ROOT / "bench" / "results" / "scale.json"

# One small dashboard; every copy differs by its slug and title only.
TEMPLATE = '''"""Synthetic dashboard {number} (bench/scale.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import Input, Output, dcc, html

from dashkit.spec import Choice, Dashboard

SERIES = ("alpha", "beta", "gamma")
FRAME = pd.DataFrame(
    {{
        "series": [s for s in SERIES for _ in range(24)],
        "hour": list(range(24)) * len(SERIES),
        "value": [(i * 7 + {number}) % 31 for i in range(24 * len(SERIES))],
    }}
)


def data(params: dict[str, Any]) -> pd.DataFrame:
    return FRAME[FRAME["series"] == params["series"]].reset_index(drop=True)


def layout(params: dict[str, Any]) -> html.Div:
    return html.Div(
        [
            dcc.Dropdown(id="series", options=list(SERIES), value=params["series"], clearable=False),
            dcc.Graph(id="chart"),
        ]
    )


def register_callbacks(app: Any) -> None:
    @app.callback(Output("chart", "figure"), Input("series", "value"))
    def update(series):
        frame = data(dashboard.clean({{"series": series}}))
        return {{
            "data": [{{"x": frame["hour"].tolist(), "y": frame["value"].tolist(), "type": "scatter"}}],
            "layout": {{"title": {{"text": "{title}"}}}},
        }}


dashboard = Dashboard(
    slug="{slug}",
    title="{title}",
    description="A synthetic dashboard for the scale benchmark.",
    category="Synthetic",
    params=(Choice(name="series", label="Series", choices=SERIES, default="alpha"),),
    data=data,
    layout=layout,
    register_callbacks=register_callbacks,
)
'''

# Run with the portal's environment: the gallery's queries for the admin, after one warm-up GET.
QUERY_COUNT = """
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashengine_site.settings")
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username="admin"))
assert client.get("/").status_code == 200
with CaptureQueriesContext(connection) as queries:
    assert client.get("/").status_code == 200
print(len(queries))
"""


def slug(number: int) -> str:
    return f"synthetic-{number:04d}"


def write_package(root: Path, count: int) -> list[str]:
    """N dashboard modules in root/PACKAGE; returns their slugs."""
    package = root / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text('"""Synthetic dashboards for bench/scale.py."""\n')
    for number in range(1, count + 1):
        module = TEMPLATE.format(number=number, slug=slug(number), title=f"Synthetic {number}")
        (package / f"synthetic_{number:04d}.py").write_text(module)
    return [slug(n) for n in range(1, count + 1)]


def package_env(root: Path) -> dict[str, str]:
    """The environment that makes the package in `root` importable and a catalogue package."""
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "DASHBOARD_PACKAGES": f"dashboards.catalogue,{PACKAGE}"}


def first_200(request: urllib.request.Request, started: float, timeout: float = START_TIMEOUT) -> float:
    """Seconds from `started` to the first 200 of `request`, polling every 20 ms."""
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(request.full_url)
        time.sleep(0.02)


def portal_figures(env: dict[str, str], headers: dict[str, str], last_slug: str, args) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()  # server() starts the process right after this
    with server(portal_command(port, 1), env=env, ready_url=f"{base}/healthz", timeout=START_TIMEOUT) as (
        process,
        healthz,
    ):
        gallery_start = first_200(urllib.request.Request(f"{base}/", headers=headers), started)
        # Every synthetic dashboard is really served: the last one's page answers.
        first_200(urllib.request.Request(f"{base}/dashboards/{last_slug}/", headers=headers), started)
        gallery = Request("/")
        warm_up_and_check(port, gallery, headers, args)
        load = wrk(port, gallery, headers, args.duration, args)
        [worker] = worker_pids(process.pid)
        rss = rss_kib(worker) / 1024
    return {"healthz_s": healthz, "gallery_s": gallery_start, "rss_mb": rss, "gallery": load}


def gallery_queries(env: dict[str, str]) -> int:
    done = subprocess.run(
        [PYTHON, "-c", QUERY_COUNT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return int(done.stdout.split()[-1])


def plain_figures(root: Path, last_slug: str) -> dict:
    port = free_port()
    env = {**os.environ, **package_env(root), "BENCH_PLAIN_PACKAGE": PACKAGE}
    command = [*plain_command(port, 1)[:-1], "bench.plain_many:application"]
    ready = f"http://127.0.0.1:{port}/{last_slug}/_dash-layout"
    with server(command, env=env, ready_url=ready, timeout=START_TIMEOUT) as (process, seconds):
        [worker] = worker_pids(process.pid)
        return {"cold_start_s": seconds, "rss_mb": rss_kib(worker) / 1024}


def measure(count: int, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        slugs = write_package(root, count)
        with portal_setup(root / "bench.sqlite3", **package_env(root)) as setup:
            portal = portal_figures(setup.env, setup.headers, slugs[-1], args)
            queries = gallery_queries(setup.env)
        plain = plain_figures(root, slugs[-1])
    return {"dashboards": count, "redis": setup.redis, "portal": portal, "queries": queries, "plain": plain}


def table(results: list[dict]) -> str:
    header = [
        "dashboards",
        "portal cold start: /healthz",
        "portal cold start: gallery",
        "portal worker RSS",
        "gallery req/s",
        "gallery p50/p99 ms",
        "gallery queries",
        "plain Dash cold start",
        "plain Dash worker RSS",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        portal, gallery, plain = r["portal"], r["portal"]["gallery"], r["plain"]
        cells = [
            f"{r['dashboards']} (+ the catalogue's 5)",
            f"{portal['healthz_s']:.2f} s",
            f"{portal['gallery_s']:.2f} s",
            f"{portal['rss_mb']:.0f} MB",
            f"{gallery['rps']:,.0f}" + (f" ⚠ {gallery['errors']} failed" if gallery["errors"] else ""),
            f"{gallery['p50_ms']:.1f} / {gallery['p99_ms']:.1f}",
            str(r["queries"]),
            f"{plain['cold_start_s']:.2f} s",
            f"{plain['rss_mb']:.0f} MB",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[5, 50, 200])
    parser.add_argument("--duration", type=float, default=5, help="seconds of wrk on the gallery")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of checked wrk before it")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    args = parser.parse_args()
    if not all(1 <= n <= 1000 for n in args.counts):
        parser.error("--counts must be 1 to 1000")
    if not (1 <= args.duration <= 60 and 1 <= args.warmup <= 10):
        parser.error("--duration must be 1 to 60 s, --warmup 1 to 10 s")
    results = []
    for count in args.counts:
        print(f"{count} dashboards", file=sys.stderr, flush=True)
        results.append(measure(count, args))
    redis = f"Redis ({REDIS_URL})" if results[0]["redis"] else "no Redis (locmem cache, sessions in SQLite)"
    print(
        f"Portal (Procfile web command, 1 worker, {redis}) and plain Dash (gunicorn, 1 worker) "
        f"with N synthetic dashboards; gallery: wrk {args.connections} connections, {args.duration:g} s.\n"
    )
    print(table(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "settings": vars(args),
                "redis": REDIS_URL if results[0]["redis"] else None,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
