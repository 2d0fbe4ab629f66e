"""Stock Today in the portal against the same dashboard as a plain Dash app, endpoint by endpoint.

    .venv/bin/python bench/side_by_side.py --duration 5 --repeat 3 --workers 2 --connections 8

Two sides, started one at a time, their order reversed on every repeat:

- plain: `gunicorn --workers W --bind 127.0.0.1:PORT examples.stocktoday:server`;
- portal: the Procfile web command (gunicorn + uvicorn workers) with W workers.

The portal side runs against a fresh SQLite database (`prepare_portal`) as the
logged-in `admin`, with the file cache (`--redis no`) or Redis db 13 for cache and
sessions (`--redis yes`; `auto`, the default: when Redis answers at
127.0.0.1:6379). Each side is bound to 127.0.0.1 only. `--rows` measures only
the named rows, e.g. `--rows callback "callback, new inputs each time"`.

Measured per side, median over the repeats:

- requests/s, p50 and p99 latency (`wrk --latency`, --duration seconds after a
  --warmup run), and the CPU time the side's processes spent per request (less
  sensitive than requests/s to other load on the machine), of: the gallery `/` and the dashboard page (portal only), the Dash
  app page, `_dash-layout`, `_dash-dependencies`, the Stock Today callback with the
  layout's initial values (built as dash-renderer does, tests/dash_requests.py), the
  same callback with new inputs on every request (each starts on a day nobody asked
  for: nothing a memoised data function has seen), and
  one JS bundle as the app page links it (plus its target when that link redirects);
- for the same requests, the context switches of the side's threads per request (a
  worker's threads taking turns on the interpreter lock show here), and the busiest
  worker's share of the side's CPU (keep-alive connections stay with the worker that
  accepted them: wrk's few connections may all land on one worker);
- cold start: seconds from process start to the first 200 of the app page;
- resident memory per worker after the load (mean over the workers);
- full page load: one keep-alive client fetching, one after the other, what a
  browser fetches on a first visit (portal: dashboard page with its scripts and
  stylesheets; both: app page, its scripts following redirects, layout,
  dependencies, the callback), 20 times; the median.

Prints a Markdown table and writes it as JSON to bench/results/side_by_side.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import http.client
import json
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PYTHON,
    ROOT,
    Session,
    add_redis_option,
    alternating_runs,
    context_switches,
    cpu_seconds,
    free_port,
    log_tail,
    portal_env,
    prepare_portal,
    process_tree,
    procfile_web,
    rss_kib,
    server,
    worker_pids,
    write_results,
)
from tests.dash_requests import callback_body, layout_values, server_callbacks  # noqa: E402

SLUG = "stocktoday"
DASHBOARD_PAGE = f"/dashboards/{SLUG}/"
# The app page without initial arguments: the same view as the iframe's, usable before any page is rendered.
PORTAL_APP_PAGE = f"/django_plotly_dash/app/{SLUG}/"
REDIS_URL = "redis://127.0.0.1:6379/13"
SIDES = ("plain", "portal")
PAGE_LOADS = 20
# More than wrk sends in a warm-up and a run at callback speed.
NEW_VIEWS = 3000
START_TIMEOUT = 120
RESULTS = ROOT / "bench" / "results" / "side_by_side.json"
# Table rows, in order; a side without the endpoint shows "—".
ENDPOINTS = (
    "gallery /",
    "dashboard page",
    "app page",
    "_dash-layout",
    "_dash-dependencies",
    "callback",
    "callback, new inputs each time",
    "JS bundle, as linked",
    "JS bundle, redirect target",
)


# --- Plain HTTP, as one browser tab ------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Browser:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, reopened whenever the server closes it."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port, self.headers, self.conn = port, headers, None

    def fetch(
        self, path: str, *, method: str = "GET", body: str | None = None, follow: bool = False
    ) -> Reply:
        for _ in range(5):  # at most 4 redirects
            reply = self._send(path, method, body)
            if not (follow and reply.status in (301, 302, 303, 307, 308)):
                return reply
            path = local_path(path, reply.headers["location"])
            method, body = "GET", None
        raise RuntimeError(f"too many redirects from {path}")

    def _send(self, path: str, method: str, body: str | None) -> Reply:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # an idle keep-alive connection the server dropped: once more, afresh
                if attempt == 2:
                    raise
        if response.will_close:
            self.close()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def local_path(current: str, link: str) -> str:
    """A link resolved against the current path; only ever on this server."""
    url = urllib.parse.urlsplit(urllib.parse.urljoin(current, html.unescape(link)))
    if url.netloc and url.hostname != "127.0.0.1":
        raise RuntimeError(f"refusing to follow a link off 127.0.0.1: {link}")
    return url.path + (f"?{url.query}" if url.query else "")


def links(page: str, current: str) -> list[str]:
    """The scripts and stylesheets a browser loads from a page."""
    found = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", page)
    found += [
        re.search(r"\bhref=\"([^\"]+)\"", tag)[1]
        for tag in re.findall(r"<link\b[^>]*>", page)
        if re.search(r"\brel=\"stylesheet\"", tag) and "href=" in tag
    ]
    return [local_path(current, link) for link in found]


# --- What a side serves ------------------------------------------------------------------------


@dataclass
class Request:
    path: str
    method: str = "GET"
    body: str | None = None
    expect: int = 200
    # Sent in turn instead of `body`, none twice: answers nobody asked for before.
    bodies: tuple[str, ...] = ()

    def halves(self) -> tuple[Request, Request]:
        """One for the warm-up, one for the measured run, sharing no body."""
        half = len(self.bodies) // 2
        return replace(self, bodies=self.bodies[:half]), replace(self, bodies=self.bodies[half:])


@dataclass
class App:
    """The URLs a browser uses for the dashboard on one side, found as a browser finds them."""

    app_page: str
    prefix: str
    scripts: list[str]
    dashboard_page: str | None = None
    dashboard_assets: list[str] = field(default_factory=list)

    def callback(self, browser: Browser) -> str:
        """The body dash-renderer sends for Stock Today's callback, from this side's layout."""
        layout = json.loads(expect(browser.fetch(self.prefix + "_dash-layout"), 200).body)
        dependencies = json.loads(expect(browser.fetch(self.prefix + "_dash-dependencies"), 200).body)
        [dependency] = server_callbacks(dependencies)
        return json.dumps(callback_body(dependency, layout_values(layout)))

    def new_callbacks(self, browser: Browser, count: int = NEW_VIEWS) -> tuple[str, ...]:
        """Bodies for `count` views nobody has asked for: each starts on another day."""
        layout = json.loads(expect(browser.fetch(self.prefix + "_dash-layout"), 200).body)
        dependencies = json.loads(expect(browser.fetch(self.prefix + "_dash-dependencies"), 200).body)
        [dependency] = server_callbacks(dependencies)
        first = dt.date(2007, 1, 3)
        # A last day of its own for each measure, so that no repeat or earlier run (whose
        # memoised data may still be in Redis or the file cache) has seen these views.
        end = LAST_DAY - dt.timedelta(days=fresh_offset())
        return tuple(
            json.dumps(
                callback_body(
                    dependency,
                    {
                        **layout_values(layout),
                        "start.date": str(first + dt.timedelta(days=n)),
                        "end.date": str(end),
                    },
                )
            )
            for n in range(count)
        )


LAST_DAY = dt.date(2016, 2, 29)  # Stock Today's last day; NEW_VIEWS days after 2007-01-03 stay before it
_offsets_used: set[int] = set()


def fresh_offset() -> int:
    """Days before LAST_DAY, never the same twice in one run, at random across runs."""
    choices = [n for n in range(300) if n not in _offsets_used]
    offset = random.SystemRandom().choice(choices)
    _offsets_used.add(offset)
    return offset


def expect(reply: Reply, status: int) -> Reply:
    if reply.status != status:
        raise RuntimeError(f"HTTP {reply.status} where {status} was expected: {reply.body[:300]!r}")
    return reply


def find_app(side: str, browser: Browser) -> App:
    """Open the dashboard as a browser would; the portal's iframe src carries fresh initial arguments."""
    dashboard_page, assets, app_page = None, [], "/"
    if side != "plain":
        dashboard_page = DASHBOARD_PAGE
        page = expect(browser.fetch(dashboard_page), 200).body.decode()
        assets = links(page, dashboard_page)
        app_page = local_path(dashboard_page, re.search(r"<iframe\b[^>]*\bsrc=\"([^\"]+)\"", page)[1])
    page = expect(browser.fetch(app_page), 200).body.decode()
    config = json.loads(re.search(r"<script id=\"_dash-config\"[^>]*>(.*?)</script>", page, re.S)[1])
    return App(
        app_page=app_page,
        prefix=config.get("requests_pathname_prefix") or app_page,
        scripts=links(page, app_page),
        dashboard_page=dashboard_page,
        dashboard_assets=assets,
    )


def requests_for(side: str, app: App, browser: Browser, bundle: str) -> dict[str, Request]:
    """The request measured for each table row this side has."""
    script = next((s for s in app.scripts if bundle in s), app.scripts[0])
    linked = browser.fetch(script)
    found = {
        "app page": Request(app.app_page),
        "_dash-layout": Request(app.prefix + "_dash-layout"),
        "_dash-dependencies": Request(app.prefix + "_dash-dependencies"),
        "callback": Request(app.prefix + "_dash-update-component", "POST", app.callback(browser)),
        "callback, new inputs each time": Request(
            app.prefix + "_dash-update-component", "POST", bodies=app.new_callbacks(browser)
        ),
        "JS bundle, as linked": Request(script, expect=linked.status),
    }
    if linked.status in (301, 302, 303, 307, 308):
        found["JS bundle, redirect target"] = Request(local_path(script, linked.headers["location"]))
    if side != "plain":
        found["gallery /"] = Request("/")
        found["dashboard page"] = Request(app.dashboard_page)
    return found


def page_load_ms(side: str, browser: Browser) -> float:
    """A first visit, every request one after the other on one connection."""
    started = time.perf_counter()
    app = find_app(side, browser)  # dashboard page (portal) and app page
    for asset in [*app.dashboard_assets, *app.scripts]:
        expect(browser.fetch(asset, follow=True), 200)
    body = app.callback(browser)  # layout and dependencies
    expect(browser.fetch(app.prefix + "_dash-update-component", method="POST", body=body), 200)
    return (time.perf_counter() - started) * 1000


# --- Load with wrk ---------------------------------------------------------------------------


def lua_string(text: str) -> str:
    level = "=" * next(n for n in range(1, 100) if f"]{'=' * n}]" not in text)
    return f"[{level}[{text}]{level}]"


def wrk_script(request: Request, headers: dict[str, str], *, threads: int, check: bool = False) -> str:
    """The request for wrk; with `check`, it also counts answers whose status is not the expected one."""
    lines = [f"wrk.method = {lua_string(request.method)}", SETUP_LUA]
    if request.body is not None or request.bodies:
        lines.append(f"wrk.body = {lua_string(request.body or request.bodies[0])}")
        headers = {**headers, "Content-Type": "application/json"}
    # The spaces matter: `[[` would open a Lua string.
    lines += [f"wrk.headers[ {lua_string(k)} ] = {lua_string(v)}" for k, v in headers.items()]
    if request.bodies:
        lines.append("bodies = {" + ",\n".join(lua_string(b) for b in request.bodies) + "}")
        lines.append(BODIES_LUA % threads)
    if check:
        lines.append(CHECK_LUA % request.expect)
    return "\n".join(lines) + "\n"


SETUP_LUA = """
threads = {}
next_id = 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
"""
# Each wrk thread takes every n-th body from its own start: no body is sent twice.
BODIES_LUA = """
sent = 0
function request()
  local i = id + sent * %d
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[(i %% #bodies) + 1])
end
"""


# Reading every answer into Lua slows wrk down: only for the warm-up run.
CHECK_LUA = """
unexpected = 0
function response(status, headers, body) if status ~= %d then unexpected = unexpected + 1 end end
function done(summary, latency, requests)
  local n = 0
  for _, thread in ipairs(threads) do n = n + thread:get("unexpected") end
  io.write(string.format("Unexpected status: %%d\\n", n))
end
"""


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(output: str) -> dict:
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    unexpected = re.search(r"Unexpected status: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50_ms": milliseconds(re.search(r"\s50%\s+(\S+)", output)[1]),
        "p99_ms": milliseconds(re.search(r"\s99%\s+(\S+)", output)[1]),
        "requests": int(re.search(r"(\d+) requests in", output)[1]),
        "errors": errors + (int(bad[1]) if bad else 0),
        "unexpected": int(unexpected[1]) if unexpected else 0,
    }


def wrk(port: int, request: Request, headers: dict[str, str], seconds: float, args, *, check=False) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        threads = min(args.threads, args.connections)
        script.write(wrk_script(request, headers, threads=threads, check=check))
        script.flush()
        command = [
            "wrk",
            "--latency",
            f"--threads={threads}",
            f"--connections={args.connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            f"--script={script.name}",
            f"http://127.0.0.1:{port}{request.path}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    result = parse_wrk(done.stdout)
    if result["requests"] == 0:
        raise RuntimeError(f"wrk made no request to {request.path}: {done.stdout[-500:]}")
    return result


def warm_up_and_check(port: int, request: Request, headers: dict[str, str], args) -> int:
    """A first wrk run, not measured, that checks the answers' status; returns how many were wrong.

    Mostly wrong answers (a login page, a CSRF refusal) stop the side; a few are counted.
    """
    output = wrk(port, request, headers, args.warmup, args, check=True)
    wrong = max(output["errors"], output["unexpected"])
    if wrong * 2 > output["requests"]:
        raise RuntimeError(f"{request.method} {request.path}: {wrong} of {output['requests']} answers wrong")
    return wrong


# --- One side ----------------------------------------------------------------------------------


@dataclass
class Setup:
    env: dict[str, str]
    headers: dict[str, str]  # the logged-in admin's Cookie, X-CSRFToken, Referer
    redis: bool


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def portal_command(port: int, workers: int) -> list[str]:
    """The Procfile web command, listening on 127.0.0.1 only."""
    return [arg.replace("0.0.0.0:", "127.0.0.1:") for arg in procfile_web(port, workers)]


def plain_command(port: int, workers: int) -> list[str]:
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    return [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "examples.stocktoday:server"]


@contextmanager
def portal_setup(database: Path, *, redis: str = "auto", **extra: str) -> Iterator[Setup]:
    """A migrated, seeded database and the admin's session, logged in through the login form once."""
    with_redis = redis == "yes" or (redis == "auto" and redis_answers())
    if redis == "yes" and not redis_answers():
        raise RuntimeError("--redis yes, but Redis does not answer at 127.0.0.1:6379")
    # The file cache in this run's own folder: nothing left from another run.
    extra.setdefault("CACHE_DIR", str(database.parent / "cache"))
    env = portal_env(database, **extra, **({"REDIS_URL": REDIS_URL} if with_redis else {}))
    prepare_portal(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(portal_command(port, 1), env=env, ready_url=f"{base}/healthz", timeout=START_TIMEOUT):
        session = Session(base, "admin")
    # Sessions live in the database or in Redis: they outlive this server.
    yield Setup(
        env=env,
        headers={
            "Cookie": session.cookie_header(),
            "X-CSRFToken": session.cookie("csrftoken"),
            "Referer": f"{base}{DASHBOARD_PAGE}",
        },
        redis=with_redis,
    )


def side_process(side: str, setup: Setup, port: int, workers: int):
    """(command, env, request headers, the request that answers 200 once the app page is served)."""
    base = f"http://127.0.0.1:{port}"
    if side == "plain":
        headers = {"Referer": f"{base}/"}
        return plain_command(port, workers), dict(setup.env), headers, f"{base}/"
    headers = {**setup.headers, "Referer": f"{base}{DASHBOARD_PAGE}"}
    # server() polls with urlopen, which takes a Request too: the app page needs the session cookie.
    ready = urllib.request.Request(f"{base}{PORTAL_APP_PAGE}", headers={"Cookie": headers["Cookie"]})
    return portal_command(port, workers), dict(setup.env), headers, ready


def measure_side(side: str, setup: Setup, args) -> dict:
    port = free_port()
    command, env, headers, ready = side_process(side, setup, port, args.workers)
    with server(command, env=env, ready_url=ready, timeout=START_TIMEOUT) as (process, cold_start):
        try:
            browser = Browser(port, headers)
            endpoints = {}
            for name in args.rows:
                request = requests_for(side, find_app(side, browser), browser, args.bundle).get(name)
                if request is None:
                    continue
                warm, measured = request.halves()
                first_body = request.body or (warm.bodies[0] if warm.bodies else None)
                expect(browser.fetch(request.path, method=request.method, body=first_body), request.expect)
                wrong = warm_up_and_check(port, warm, headers, args)
                pids = process_tree(process.pid)
                cpu_before = {pid: cpu_seconds(pid) for pid in pids}
                switches_before = sum(context_switches(pid) for pid in pids)
                result = wrk(port, measured, headers, args.duration, args)
                cpu = {pid: cpu_seconds(pid) - cpu_before[pid] for pid in pids}
                switches = sum(context_switches(pid) for pid in pids) - switches_before
                endpoints[name] = {
                    **result,
                    "cpu_ms": sum(cpu.values()) * 1000 / result["requests"],
                    "switches": switches / result["requests"],
                    # Keep-alive connections stay with the worker that accepted them: all
                    # of wrk's few connections may land on one worker (then near 100%).
                    "busiest_worker": max(cpu[pid] for pid in pids[1:]) / (sum(cpu.values()) or 1),
                    "status": request.expect,
                    "warmup_errors": wrong,
                }
            page_loads = [page_load_ms(side, browser) for _ in range(PAGE_LOADS)]
            workers = worker_pids(process.pid)
            rss = statistics.mean(rss_kib(pid) for pid in workers) / 1024
            browser.close()
        except Exception as error:
            raise RuntimeError(f"{side}: {error}\nserver log, last lines:\n{log_tail(process)}") from error
    return {
        "endpoints": endpoints,
        "cold_start_s": cold_start,
        "rss_mb_per_worker": rss,
        "workers": len(workers),
        "page_load_ms": statistics.median(page_loads),
    }


# --- Many runs, one table ----------------------------------------------------------------------


def run_all(setup: Setup, args) -> dict[str, list[dict]]:
    return alternating_runs(SIDES, args.repeat, lambda side: measure_side(side, setup, args))


def median_of(runs: list[dict], key: str) -> float | None:
    values = [run[key] for run in runs if "failed" not in run]
    return statistics.median(values) if values else None


def summarise(runs: dict[str, list[dict]]) -> list[dict]:
    rows = []
    for name in ENDPOINTS:
        row = {"row": name, "unit": "req/s"}
        for side in SIDES:
            measured = [r["endpoints"][name] for r in runs[side] if name in r.get("endpoints", {})]
            if not measured:
                row[side] = None
                continue
            row[side] = {
                key: statistics.median(m[key] for m in measured)
                for key in ("rps", "p50_ms", "p99_ms", "cpu_ms", "switches", "busiest_worker")
                if all(key in m for m in measured)
            }
            row[side]["status"] = measured[0]["status"]
            # Not a median: every failed answer counts.
            row[side]["errors"] = sum(m["errors"] + m["warmup_errors"] for m in measured)
        if any(row[side] for side in SIDES):
            rows.append(row)
    for key, name, unit in (
        ("cold_start_s", "cold start (first 200 of the app page)", "s"),
        ("rss_mb_per_worker", "RSS per worker after the load", "MB"),
        ("page_load_ms", f"full page load (sequential, median of {PAGE_LOADS})", "ms"),
    ):
        rows.append(
            {"row": name, "unit": unit, **{side: {"value": median_of(runs[side], key)} for side in SIDES}}
        )
    return rows


def value(cell: dict | None) -> float | None:
    if not cell:
        return None
    return cell.get("rps", cell.get("value"))


def fmt(number: float | None, unit: str) -> str:
    if number is None:
        return "—"
    if unit == "req/s":
        return f"{number:,.0f}"
    return f"{number:,.2f} s" if unit == "s" else f"{number:,.1f} {unit}"


def req_cell(cell: dict | None, unit: str) -> str:
    text = fmt(value(cell), unit)
    if cell and cell.get("status") not in (None, 200):
        text += f" ({cell['status']:.0f})"
    if cell and cell.get("errors"):
        text += f" ⚠ {cell['errors']:.0f} failed"
    return text


def fmt_cell(cell: dict | None, key: str, form: str) -> str:
    return form.format(cell[key]) if cell and key in cell else "—"


def latency_cell(cell: dict | None) -> str:
    if not cell or cell.get("p50_ms") is None:
        return "—"
    return f"{cell['p50_ms']:.1f} / {cell['p99_ms']:.1f}"


def table(rows: list[dict]) -> str:
    header = [
        "endpoint",
        "plain req/s",
        "portal req/s",
        "portal/plain",
        "plain p50/p99 ms",
        "portal p50/p99 ms",
        "plain CPU ms/req",
        "portal CPU ms/req",
        "context switches/req plain / portal",
        "busiest worker's CPU plain / portal",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        plain, portal = value(row["plain"]), value(row["portal"])
        ratio = f"{portal / plain:.2f}×" if plain and portal else "—"
        cells = [row["row"], *(req_cell(row[side], row["unit"]) for side in SIDES), ratio]
        cells += [latency_cell(row[side]) for side in SIDES]
        cells += [
            f"{row[side]['cpu_ms']:.2f}" if row[side] and "cpu_ms" in row[side] else "—" for side in SIDES
        ]
        for key, form in (("switches", "{:.0f}"), ("busiest_worker", "{:.0%}")):
            both = [fmt_cell(row[side], key, form) for side in SIDES]
            cells.append(" / ".join(both) if any(text != "—" for text in both) else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds of wrk per endpoint")
    parser.add_argument(
        "--warmup", type=float, default=1, help="seconds of wrk before each measure (1 to 10)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--bundle", default="dash_renderer", help="part of the JS bundle URL to load")
    add_redis_option(parser)
    parser.add_argument("--rows", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS), metavar="ROW")
    args = parser.parse_args()
    if not 1 <= args.warmup <= 10:
        parser.error("--warmup must be 1 to 10 s")
    if not 1 <= args.duration <= 50:
        parser.error("--duration must be 1 to 50 s")
    with (
        tempfile.TemporaryDirectory() as tmp,
        portal_setup(Path(tmp) / "bench.sqlite3", redis=args.redis) as setup,
    ):
        runs = run_all(setup, args)
    rows = summarise(runs)
    redis = f"Redis ({REDIS_URL})" if setup.redis else "no Redis (file cache, sessions in SQLite)"
    print(
        f"Stock Today, {args.workers} workers per side, wrk {args.connections} connections, "
        f"{args.duration:g} s per endpoint, median of {args.repeat}; portal side with {redis}.\n"
    )
    print(table(rows))
    failures = {side: [r["failed"] for r in runs[side] if "failed" in r] for side in SIDES}
    for side, errors in failures.items():
        for error in errors:
            print(f"\n{side} failed: {error}")
    write_results(
        RESULTS,
        args,
        redis=REDIS_URL if setup.redis else None,
        rows=rows,
        runs=runs,
    )


if __name__ == "__main__":
    main()
