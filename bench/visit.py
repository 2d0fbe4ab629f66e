"""A full visit of Stock Today as users feel it, many at once: portal against plain Dash.

    .venv/bin/python bench/visit.py --users 16 --visits 10 --repeat 3 --redis no

Two sides, started one at a time (their order reversed on every repeat), as
bench/side_by_side.py starts them, 2 workers each:

- plain: `gunicorn --workers W --bind 127.0.0.1:PORT examples.stocktoday:server`;
- portal: the Procfile web command (gunicorn + uvicorn workers), on a fresh SQLite
  database, with the file cache (`--redis no`) or Redis db 13 for cache and sessions
  (`--redis yes`). Each user logs in through the login form (its own session), as
  `sales`, `analyst` and `admin` in turn: people who may see Stock Today.

A visit is what a browser fetches from the dashboard page to the first chart's
callback answer, in order, on one keep-alive connection per user (reopened when the
server closes it; plain Dash's sync workers close every connection):

- portal: `/dashboards/stocktoday/`, its scripts and stylesheets, the iframe's app
  page, its scripts and stylesheets (following redirects), `_dash-layout`,
  `_dash-dependencies`, then every server callback the renderer fires on load;
- plain: `/`, its scripts and stylesheets, `_dash-layout`, `_dash-dependencies`, the
  callbacks.

The callbacks are built from the dependencies and the layout's values as
dash-renderer builds them (tests/dash_requests.py). Not fetched on either side:
plotly.js itself (dcc.Graph loads it on its own, after the layout; the portal
preloads it), images and fonts. No answer is read from a cache of the client.

`--users` people at once, each doing `--visits` visits one after the other, in two
variants, each after an unmeasured warm-up visit per user:

- "new inputs": every visit opens a view that starts on a day no other visit asked
  for and ends on a day chosen afresh for each side and repeat (nothing memoised
  helps). In the portal the visit opens the view's permalink
  (`/dashboards/stocktoday/?tickers=AAPL&start=…&end=…`), whose layout carries the
  dates; in plain Dash, which has no permalinks, the callback carries them;
- "default view": everybody opens the dashboard as it starts (memoised data helps).

When the portal puts a view's first answers into its layout (first_view, in code
since removed) no callback fires on load: the visit ends with the dependencies.

Measured per variant and side, median over the repeats: visits per second (all
visits over the wall time from the first start to the last end), p50 and p95 of a
visit's time, requests per visit (redirects included), the CPU time per visit of
the side's processes (less sensitive to other load on the machine than visits/s)
and of this client, and failed visits (any answer but the expected one, or a
callback answer with the dashboard's error message). Prints Markdown tables and writes them as JSON to bench/results/visit.json.
Only 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    Session,
    add_redis_option,
    alternating_runs,
    cpu_seconds,
    free_port,
    log_tail,
    portal_env,
    prepare_portal,
    process_tree,
    server,
    write_results,
)
from bench.side_by_side import (  # noqa: E402
    DASHBOARD_PAGE,
    LAST_DAY,
    REDIS_URL,
    SIDES,
    START_TIMEOUT,
    App,
    Browser,
    expect,
    find_app,
    fresh_offset,
    links,
    local_path,
    plain_command,
    portal_command,
    redis_answers,
)
from tests.dash_requests import callback_body, layout_values, server_callbacks  # noqa: E402

USERNAMES = ("sales", "analyst", "admin")
VARIANTS = ("new inputs", "default view")
FIRST_DAY = dt.date(2007, 1, 3)  # Stock Today's first day
RESULTS = ROOT / "bench" / "results" / "visit.json"
# The most visits one variant may make: users × visits days after FIRST_DAY stay before LAST_DAY - 300.
MAX_VISITS = 2000


@dataclass
class Visit:
    ms: float
    requests: int
    callbacks: int


class CountingBrowser(Browser):
    """A Browser that counts the requests it sends, redirects included."""

    sent = 0

    def _send(self, path: str, method: str, body: str | None):
        self.sent += 1
        return super()._send(path, method, body)


class Visitor:
    """One person in a browser tab: a session of their own and one keep-alive connection."""

    def __init__(self, side: str, port: int, headers: dict[str, str]):
        self.side = side
        self.browser = CountingBrowser(port, headers)

    def visit(self, dates: tuple[dt.date, dt.date] | None) -> Visit:
        """From the page to the initial callbacks' answers; `dates` (start, end) is the view opened."""
        self.browser.sent = 0
        started = time.perf_counter()
        app = self.open(dates)
        for asset in [*app.dashboard_assets, *app.scripts]:
            expect(self.browser.fetch(asset, follow=True), 200)
        layout = json.loads(expect(self.browser.fetch(app.prefix + "_dash-layout"), 200).body)
        dependencies = json.loads(expect(self.browser.fetch(app.prefix + "_dash-dependencies"), 200).body)
        values = layout_values(layout)
        if dates is not None:
            wanted = {"start.date": str(dates[0]), "end.date": str(dates[1])}
            if self.side != "plain" and {k: values.get(k) for k in wanted} != wanted:
                raise RuntimeError(f"the layout is not the view asked for: {wanted}")
            values = {**values, **wanted}  # plain Dash: the person picks the dates on the page
        callbacks = initial_callbacks(dependencies, values)
        for dependency in callbacks:
            body = json.dumps(callback_body(dependency, values))
            reply = self.browser.fetch(app.prefix + "_dash-update-component", method="POST", body=body)
            # A view refused by the dashboard's own checks is an answer too, but not a chart.
            message = json.loads(expect(reply, 200).body)["response"].get("message", {}).get("children")
            if message:
                raise RuntimeError(f"the dashboard refused the view: {message}")
        return Visit(
            ms=(time.perf_counter() - started) * 1000, requests=self.browser.sent, callbacks=len(callbacks)
        )

    def open(self, dates: tuple[dt.date, dt.date] | None) -> App:
        """The dashboard page (portal: a permalink of the view when `dates` are given) and its app page."""
        if self.side == "plain" or dates is None:
            return find_app(self.side, self.browser)
        query = urllib.parse.urlencode({"tickers": "AAPL", "start": str(dates[0]), "end": str(dates[1])})
        dashboard_page = f"{DASHBOARD_PAGE}?{query}"
        page = expect(self.browser.fetch(dashboard_page), 200).body.decode()
        app_page = local_path(dashboard_page, re.search(r"<iframe\b[^>]*\bsrc=\"([^\"]+)\"", page)[1])
        app_html = expect(self.browser.fetch(app_page), 200).body.decode()
        config = re.search(r"<script id=\"_dash-config\"[^>]*>(.*?)</script>", app_html, re.S)[1]
        return App(
            app_page=app_page,
            prefix=json.loads(config).get("requests_pathname_prefix") or app_page,
            scripts=links(app_html, app_page),
            dashboard_page=dashboard_page,
            dashboard_assets=links(page, dashboard_page),
        )

    def close(self) -> None:
        self.browser.close()


def initial_callbacks(dependencies: list[dict], values: dict) -> list[dict]:
    """The server callbacks dash-renderer fires when the layout appears: not `prevent_initial_call`,
    every input in the layout."""
    found = [
        d
        for d in server_callbacks(dependencies)
        if not d.get("prevent_initial_call")
        and all(f"{i['id']}.{i['property']}" in values for i in d["inputs"])
    ]
    # None fire where the portal put the first answers into the layout (first_view, since removed).
    return found


# --- Many people at once ---------------------------------------------------------------------


def crowd(
    visitors: list[Visitor], plans: list[list[tuple[dt.date, dt.date] | None]], server_pid: int
) -> dict:
    """Every visitor runs its plan (one visit per entry) in a thread of its own, all starting together."""
    results: list[list[Visit]] = [[] for _ in visitors]
    failures: list[str] = []
    barrier = threading.Barrier(len(visitors) + 1)

    def run(n: int) -> None:
        barrier.wait()
        for dates in plans[n]:
            try:
                results[n].append(visitors[n].visit(dates))
            except Exception as error:  # noqa: BLE001 (a failed visit is counted, the others go on)
                failures.append(repr(error)[:300])
                visitors[n].close()

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(len(visitors))]
    for thread in threads:
        thread.start()
    pids = process_tree(server_pid)
    server_cpu, client_cpu = sum(cpu_seconds(pid) for pid in pids), time.process_time()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    seconds = time.perf_counter() - started
    server_cpu = sum(cpu_seconds(pid) for pid in pids) - server_cpu
    client_cpu = time.process_time() - client_cpu
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("visits still running after 600 s")
    visits = [visit for per_user in results for visit in per_user]
    if len(failures) * 2 > len(visits) + len(failures):
        raise RuntimeError(f"most visits failed: {failures[:3]}")
    times = sorted(visit.ms for visit in visits)
    return {
        "visits": len(visits),
        "seconds": seconds,
        "visits_per_s": len(visits) / seconds,
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "requests_per_visit": statistics.median(visit.requests for visit in visits),
        "callbacks_per_visit": statistics.median(visit.callbacks for visit in visits),
        # CPU time per visit (ms): the server's processes, and this benchmark's own (the client).
        "server_cpu_ms": server_cpu * 1000 / len(visits),
        "client_cpu_ms": client_cpu * 1000 / len(visits),
        "failed": len(failures),
        "failures": failures[:5],
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank on sorted values."""
    return values[max(0, min(len(values) - 1, round(pct / 100 * len(values)) - 1))]


def plans_for(variant: str, users: int, visits: int) -> list[list[tuple[dt.date, dt.date] | None]]:
    if variant == "default view":
        return [[None] * visits for _ in range(users)]
    end = LAST_DAY - dt.timedelta(days=fresh_offset())
    return [
        [(FIRST_DAY + dt.timedelta(days=u * visits + v), end) for v in range(visits)] for u in range(users)
    ]


# --- One side --------------------------------------------------------------------------------


def side_server(side: str, env: dict[str, str], workers: int):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if side == "plain":
        return port, server(
            plain_command(port, workers), env=dict(env), ready_url=f"{base}/", timeout=START_TIMEOUT
        )
    command = portal_command(port, workers)
    return port, server(command, env=dict(env), ready_url=f"{base}/healthz", timeout=START_TIMEOUT)


def visitors_for(side: str, port: int, users: int) -> list[Visitor]:
    base = f"http://127.0.0.1:{port}"
    if side == "plain":
        return [Visitor(side, port, {"Referer": f"{base}/"}) for _ in range(users)]
    found = []
    for n in range(users):
        session = Session(base, USERNAMES[n % len(USERNAMES)])
        headers = {
            "Cookie": session.cookie_header(),
            "X-CSRFToken": session.cookie("csrftoken"),
            "Referer": f"{base}{DASHBOARD_PAGE}",
        }
        found.append(Visitor(side, port, headers))
    return found


def measure_side(side: str, env: dict[str, str], args) -> dict:
    port, running = side_server(side, env, args.workers)
    with running as (process, _):
        try:
            visitors = visitors_for(side, port, args.users)
            # Unmeasured: every worker has served the app, every user has a connection.
            crowd(visitors, [[None]] * args.users, process.pid)
            measured = {
                variant: crowd(visitors, plans_for(variant, args.users, args.visits), process.pid)
                for variant in VARIANTS
            }
            for visitor in visitors:
                visitor.close()
        except Exception as error:
            raise RuntimeError(f"{side}: {error}\nserver log, last lines:\n{log_tail(process)}") from error
    return measured


def run_all(env: dict[str, str], args) -> dict[str, list[dict]]:
    return alternating_runs(SIDES, args.repeat, lambda side: measure_side(side, env, args))


# --- Tables ----------------------------------------------------------------------------------

MEASURES = (
    "visits_per_s",
    "p50_ms",
    "p95_ms",
    "requests_per_visit",
    "callbacks_per_visit",
    "server_cpu_ms",
    "client_cpu_ms",
    "failed",
)


def summarise(runs: dict[str, list[dict]]) -> dict[str, dict[str, dict]]:
    summary: dict[str, dict[str, dict]] = {}
    for variant in VARIANTS:
        summary[variant] = {}
        for side in SIDES:
            measured = [run[variant] for run in runs[side] if "failed" not in run]
            if not measured:
                summary[variant][side] = None
                continue
            cell = {key: statistics.median(m[key] for m in measured) for key in MEASURES[:-1]}
            cell["failed"] = sum(m["failed"] for m in measured)
            summary[variant][side] = cell
    return summary


def table(summary: dict[str, dict[str, dict]]) -> str:
    lines = [
        "| variant | measure | plain | portal | portal/plain |",
        "|---|---|---|---|---|",
    ]
    for variant, cells in summary.items():
        plain, portal = cells["plain"] or {}, cells["portal"] or {}
        for key, name, unit in (
            ("visits_per_s", "visits/s", ""),
            ("p50_ms", "visit time p50", " ms"),
            ("p95_ms", "visit time p95", " ms"),
            ("requests_per_visit", "requests per visit", ""),
            ("callbacks_per_visit", "callbacks per visit", ""),
            ("server_cpu_ms", "server CPU per visit", " ms"),
            ("client_cpu_ms", "client CPU per visit", " ms"),
            ("failed", "failed visits", ""),
        ):
            a, b = plain.get(key), portal.get(key)
            ratio = (
                f"{b / a:.2f}×"
                if a and b is not None and key in ("visits_per_s", "p50_ms", "p95_ms", "server_cpu_ms")
                else ""
            )
            lines.append(f"| {variant} | {name} | {fmt(a, unit)} | {fmt(b, unit)} | {ratio} |")
    return "\n".join(lines)


def fmt(number: float | None, unit: str) -> str:
    if number is None:
        return "—"
    return f"{number:,.1f}{unit}" if unit or number % 1 else f"{number:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=16, help="people visiting at once (1 to 64)")
    parser.add_argument("--visits", type=int, default=10, help="visits per person and variant (1 to 100)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating (1 to 10)")
    parser.add_argument("--workers", type=int, default=2, help="server workers per side")
    add_redis_option(parser)
    args = parser.parse_args()
    if not 1 <= args.users <= 64:
        parser.error("--users must be 1 to 64")
    if not 1 <= args.visits <= 100:
        parser.error("--visits must be 1 to 100")
    if args.users * args.visits > MAX_VISITS:
        parser.error(f"--users × --visits must be at most {MAX_VISITS}")
    if not 1 <= args.repeat <= 10:
        parser.error("--repeat must be 1 to 10")
    with_redis = args.redis == "yes" or (args.redis == "auto" and redis_answers())
    if args.redis == "yes" and not redis_answers():
        parser.error("--redis yes, but Redis does not answer at 127.0.0.1:6379")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        # The file cache in this run's own folder: nothing memoised by another run.
        extra = {"CACHE_DIR": str(Path(tmp) / "cache"), **({"REDIS_URL": REDIS_URL} if with_redis else {})}
        env = portal_env(Path(tmp) / "bench.sqlite3", **extra)
        prepare_portal(env)
        runs = run_all(env, args)
    summary = summarise(runs)
    redis = f"Redis ({REDIS_URL})" if with_redis else "no Redis (file cache, sessions in SQLite)"
    print(
        f"Stock Today, a full visit: {args.users} users at once, {args.visits} visits each per variant, "
        f"{args.workers} workers per side, median of {args.repeat}; portal side with {redis}.\n"
    )
    print(table(summary))
    for side in SIDES:
        for run in runs[side]:
            if "failed" in run:
                print(f"\n{side} failed: {run['failed']}")
    write_results(
        RESULTS,
        args,
        redis=REDIS_URL if with_redis else None,
        seconds=round(time.monotonic() - started, 1),
        summary=summary,
        runs=runs,
    )


if __name__ == "__main__":
    main()
