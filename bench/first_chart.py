"""Stock Today in headless Chromium, portal against plain Dash: what a person waits for.

    .venv/bin/python bench/first_chart.py --rounds 6

Two sides, both started once and left up for all the rounds:

- plain: `gunicorn --workers W --bind 127.0.0.1:PORT examples.stocktoday:server`, page `/`;
- portal: the Procfile web command with W workers, on a fresh SQLite database
  (`prepare_portal`) and the file cache in a folder of the run's own (`--redis no`),
  or Redis db 13 for cache and sessions (`--redis yes`; `auto`, the default: when
  Redis answers at 127.0.0.1:6379), as `admin` logged in once through `/accounts/login/`;
  page `/dashboards/stocktoday/`, whose charts are in the iframe `#dash-app`.

Debian's Chromium (/usr/bin/chromium), driven by Playwright, window 1366×768.
Each round visits both sides, in an order that alternates from round to round;
every visit is a fresh browser context (an empty HTTP cache, only the session
cookie) that measures, in the browser, from the top page's navigation start
(`performance.timeOrigin`):

- first chart, cold cache: the first navigation, until both charts (`#prices`,
  `#changes`) have their traces drawn (`.cartesianlayer .trace`: lines, bars) and are visible
  (the portal keeps the app hidden under a skeleton until it has settled);
- change to redraw: then one more ticker chosen in `#tickers` (the dropdown
  opened first, not timed), from the press on the option until both charts
  have two lines and no update is pending on them;
- first chart, warm cache: a second navigation to the same page in the same
  context (the HTTP cache of the first).

A script the context adds to every frame (`add_init_script`) watches the DOM
with a MutationObserver and writes `window.top.performance.now()` into
`window.top.__bench`; the portal's iframe is same-origin. Before the rounds,
every side is visited twice unmeasured, so that both workers have loaded the app.
The portal's memoised data functions (dashkit.memo, in the site's cache) keep
what the first visit computed: after it, every visit's callback finds its data,
as in a portal that people use; the callback itself runs for every visit.

Prints a Markdown table (median of the rounds, in ms) and the median in-page
milestones of a first chart, cold and warm: where the time goes ("—" where a
side makes no such request; --timeline adds the first round's requests). Writes
everything, with the first round's per-request timelines (Resource Timing of
every frame), to bench/results/first_chart.json.

Most of a cold first chart is the browser's own work (compiling and running plotly.js
on the main thread: 4.8 MB in plain Dash, 1.2 MB in the portal, whose Stock Today
declares its one trace type): run it on an otherwise idle machine.

Needs Playwright (requirements-dev.txt) and Chromium (`make test-packages`).
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    BENCH_PASSWORD,
    PYTHON,
    ROOT,
    add_redis_option,
    free_port,
    log_tail,
    portal_env,
    prepare_portal,
    procfile_web,
    server,
    write_results,
)

SLUG = "stocktoday"
PAGES = {"plain": "/", "portal": f"/dashboards/{SLUG}/"}
SIDES = ("plain", "portal")
REDIS_URL = "redis://127.0.0.1:6379/13"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}
TICKER = "IBM"  # chosen for "change to redraw"; the layout starts with AAPL alone
WARMUP_VISITS = 2
TIMEOUT_MS = 60_000
START_TIMEOUT = 120
RESULTS = ROOT / "bench" / "results" / "first_chart.json"
ROWS = (
    ("cold", "first chart, cold cache"),
    ("warm", "first chart, warm cache"),
    ("redraw", "change to redraw"),
)

# Runs in every frame before its own scripts. Times are the top page's `performance.now()`.
WATCH = r"""
(() => {
  let top;
  try { top = window.top; void top.document; } catch (error) { return; }  // a foreign frame
  const state = top.__bench || (top.__bench = {});
  // Drawn traces, lines or bars (the daily moves are bars).
  const lines = (id) => document.querySelectorAll(`#${id} .cartesianlayer .trace`).length;
  const charts = () => ["prices", "changes"].map((id) => document.getElementById(id));
  const shown = (chart) => getComputedStyle(chart).visibility === "visible";
  const pending = (chart) => chart.closest('[data-dash-is-loading="true"]') !== null;
  function check() {
    const [prices, changes] = charts();
    if (!prices || !changes) return;
    const now = top.performance.now();
    if (state.layout === undefined) state.layout = now;
    const drawn = lines("prices") >= 1 && lines("changes") >= 1;
    if (drawn && state.traces === undefined) state.traces = now;
    if (drawn && state.firstChart === undefined && shown(prices) && shown(changes)) state.firstChart = now;
    if (state.clicked !== undefined && state.redrawn === undefined && lines("prices") >= 2
        && lines("changes") >= 2 && !pending(prices) && !pending(changes)) state.redrawn = now;
  }
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["class", "style", "data-frame", "data-dash-is-loading"],
  });
  // plotly.js has run: the first frame after it set window.Plotly (portal/plotly-defaults.js
  // owns that property in the portal, so it is read, not trapped).
  const plotly = () => {
    if (window.Plotly) state.plotly ??= top.performance.now();
    else if (state.firstChart === undefined) requestAnimationFrame(plotly);
  };
  requestAnimationFrame(plotly);
  // The main thread's long tasks; the top page's observer sees those of its same-origin frames too.
  if (window === top) {
    state.longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const task of list.getEntries()) state.longTasks.push([task.startTime, task.duration]);
      }).observe({type: "longtask", buffered: true});
    } catch (error) { /* no Long Tasks API */ }
  }
  // The press that starts the click on the option, once Python has armed it.
  document.addEventListener("pointerdown", (event) => {
    if (state.armed && state.clicked === undefined && event.target.closest(".dash-options-list-option")) {
      state.clicked = top.performance.now();
    }
  }, true);
})();
"""

# Evaluated in one frame: its navigation and resources on the top page's clock.
TIMELINE = r"""
() => {
  const shift = performance.timeOrigin - window.top.performance.timeOrigin;
  const at = (t) => (t > 0 ? Math.round((t + shift) * 10) / 10 : null);
  const [nav] = performance.getEntriesByType("navigation");
  const row = (e) => ({
    name: e.name.replace(location.origin, ""), type: e.initiatorType || "navigation",
    start: Math.round((e.startTime + shift) * 10) / 10, response_start: at(e.responseStart),
    end: at(e.responseEnd),
    transfer_bytes: e.transferSize, body_bytes: e.encodedBodySize, status: e.responseStatus ?? null,
  });
  return {
    url: location.href.replace(location.origin, ""),
    navigation: nav ? {...row(nav), dom_content_loaded: at(nav.domContentLoadedEventEnd),
                       load: at(nav.loadEventEnd)} : null,
    resources: performance.getEntriesByType("resource").map(row),
  };
}
"""


# --- The two servers ---------------------------------------------------------------------------


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def plain_command(port: int, workers: int) -> list[str]:
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    return [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "examples.stocktoday:server"]


def portal_command(port: int, workers: int) -> list[str]:
    """The Procfile web command, listening on 127.0.0.1 only."""
    return [arg.replace("0.0.0.0:", "127.0.0.1:") for arg in procfile_web(port, workers)]


def start_sides(
    stack: ExitStack, database: Path, workers: int, redis_choice: str = "auto"
) -> tuple[dict[str, str], dict, bool]:
    """Both servers, up until `stack` closes: ({side: base URL}, {side: process}, Redis used)."""
    redis = redis_choice == "yes" or (redis_choice == "auto" and redis_answers())
    if redis_choice == "yes" and not redis_answers():
        raise RuntimeError("--redis yes, but Redis does not answer at 127.0.0.1:6379")
    # The file cache in this run's own folder: nothing memoised by another run.
    extra = {"CACHE_DIR": str(database.parent / "cache"), **({"REDIS_URL": REDIS_URL} if redis else {})}
    env = portal_env(database, **extra)
    prepare_portal(env)
    bases, processes = {}, {}
    for side in SIDES:
        port = free_port()
        base = bases[side] = f"http://127.0.0.1:{port}"
        if side == "plain":
            command, ready = plain_command(port, workers), f"{base}/"
        else:
            command, ready = portal_command(port, workers), f"{base}/healthz"
        processes[side], _ = stack.enter_context(
            server(command, env=dict(env), ready_url=ready, timeout=START_TIMEOUT)
        )
    return bases, processes, redis


# --- In the browser ----------------------------------------------------------------------------


def log_in(browser, base: str) -> dict:
    """The admin's cookies, from the login form in a context of their own (its cache is dropped)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", BENCH_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        if "/accounts/login/" in urllib.parse.urlsplit(page.url).path:
            raise RuntimeError("the portal refused the admin's login")
        return context.storage_state()
    finally:
        context.close()


def app_frame(page, side: str):
    """Where Stock Today's charts are: the page itself, or the portal's iframe."""
    if side == "plain":
        return page.main_frame
    frame = page.frame(url=lambda url: "/django_plotly_dash/app/" in url)
    if frame is None:
        raise RuntimeError("no /django_plotly_dash/app/ frame in the dashboard page")
    return frame


def state(page) -> dict:
    return page.evaluate("() => ({...window.__bench})")


def load(page, side: str, url: str) -> dict:
    """Navigate (a new document) and wait for both charts: the in-page times and the frames' timelines."""
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__bench && window.__bench.firstChart !== undefined")
    times = state(page)
    frames = [page.main_frame] + ([app_frame(page, side)] if side != "plain" else [])
    return {"times": times, "frames": [frame.evaluate(TIMELINE) for frame in frames]}


def change(page, side: str) -> dict:
    """One more ticker: from the press on its option to both charts redrawn with two lines."""
    page.wait_for_load_state("networkidle")  # the first view has settled, as a person would see it
    frame = page.frame_locator("#dash-app") if side == "portal" else page
    frame.locator("#tickers").click()
    option = frame.locator("[role=dialog] .dash-options-list-option").filter(
        has_text=re.compile(rf"^\s*{re.escape(TICKER)}\s*$")
    )
    option.wait_for(state="visible")
    page.evaluate("() => { window.__bench.armed = true; }")
    option.click()
    page.wait_for_function("() => window.__bench.redrawn !== undefined")
    times = state(page)
    if times.get("clicked") is None:
        raise RuntimeError("the press on the option was not seen")
    page.keyboard.press("Escape")
    return times


def visit(browser, side: str, url: str, storage: dict | None) -> dict:
    """A fresh context: cold load, change, warm load."""
    context = browser.new_context(viewport=VIEWPORT, storage_state=storage)
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        cold = load(page, side, url)
        redraw = change(page, side)
        page.wait_for_load_state("networkidle")
        warm = load(page, side, url)
    finally:
        context.close()
    return {
        "cold": cold["times"]["firstChart"],
        "warm": warm["times"]["firstChart"],
        "redraw": redraw["redrawn"] - redraw["clicked"],
        "milestones": {"cold": milestones(side, cold), "warm": milestones(side, warm)},
        "timelines": {"cold": cold["frames"], "warm": warm["frames"]},
    }


def milestones(side: str, loaded: dict) -> dict[str, float | None]:
    """Where a first chart's time went, in ms from the top page's navigation start."""
    times, frames = loaded["times"], loaded["frames"]
    top, app = frames[0], frames[-1]
    resources = [r for frame in frames for r in frame["resources"]]

    def last_end(part: str, before: float | None = None) -> float | None:
        ends = [
            r["end"]
            for r in resources
            if part in r["name"] and r["end"] is not None and (before is None or r["end"] <= before)
        ]
        return max(ends) if ends else None

    loaded = app["navigation"]["dom_content_loaded"]
    scripts = [  # the page's own, not those the renderer loads later
        r["end"] for r in app["resources"] if r["type"] == "script" and r["end"] and r["start"] < loaded
    ]
    first = times.get("firstChart") or 0
    busy = sum(duration for start, duration in times.get("longTasks", []) if start < first)
    return {
        "page HTML": top["navigation"]["end"],
        "page DOMContentLoaded": top["navigation"]["dom_content_loaded"],
        "iframe navigation start": app["navigation"]["start"] if side != "plain" else None,
        "app page HTML": app["navigation"]["end"],
        "app scripts loaded": max(scripts) if scripts else None,
        "app DOMContentLoaded": app["navigation"]["dom_content_loaded"],
        "plotly.js loaded": max(
            (r["end"] for r in resources if r["end"] and re.search(r"/plotly(-\w+)?\.min\.js$", r["name"])),
            default=None,
        ),
        "plotly.js evaluated": times.get("plotly"),
        "_dash-layout answered": last_end("_dash-layout"),
        "_dash-dependencies answered": last_end("_dash-dependencies"),
        "layout rendered": times.get("layout"),
        "callback answered": last_end("_dash-update-component", times.get("traces")),
        "both charts drawn": times.get("traces"),
        "both charts visible": times.get("firstChart"),
        "long tasks until then (total ms)": busy,
    }


# --- Rounds, one table -------------------------------------------------------------------------


def run_all(browser, bases: dict[str, str], processes: dict, args) -> dict[str, list[dict]]:
    storage = {"plain": None, "portal": log_in(browser, bases["portal"])}
    urls = {side: bases[side] + PAGES[side] for side in SIDES}
    for side in SIDES:
        for _ in range(WARMUP_VISITS):
            try:
                visit(browser, side, urls[side], storage[side])
            except Exception as error:
                raise RuntimeError(f"{side}: {error}\nserver log:\n{log_tail(processes[side])}") from error
    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    for number in range(args.rounds):
        order = SIDES if number % 2 == 0 else tuple(reversed(SIDES))
        for side in order:
            print(f"round {number + 1}/{args.rounds}: {side}", file=sys.stderr, end="", flush=True)
            began = time.monotonic()
            try:
                run = visit(browser, side, urls[side], storage[side])
                print(
                    f", cold {run['cold']:.0f} ms, warm {run['warm']:.0f} ms, redraw {run['redraw']:.0f} ms"
                    f" ({time.monotonic() - began:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            except Exception as error:  # noqa: BLE001 (one failing side must not hide the other)
                message = f"{error!r}\nserver log:\n{log_tail(processes[side], 1500)}"
                print(f"\n  {side} failed: {message}"[:2000], file=sys.stderr, flush=True)
                run = {"failed": message[:2000]}
            if number > 0:
                run.pop("timelines", None)  # the first round's are enough
            runs[side].append(run)
    return runs


def median_of(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs: dict[str, list[dict]]) -> list[dict]:
    rows = []
    for key, name in ROWS:
        row = {"row": name, "unit": "ms"}
        for side in SIDES:
            values = [run[key] for run in runs[side] if "failed" not in run]
            row[side] = {"median": median_of(values), "values": values}
        rows.append(row)
    return rows


def where_time_goes(runs: dict[str, list[dict]], load: str = "cold") -> list[dict]:
    names = next(
        (list(run["milestones"][load]) for side in SIDES for run in runs[side] if "failed" not in run), []
    )
    return [
        {
            "milestone": name,
            **{
                side: median_of([run["milestones"][load][name] for run in runs[side] if "failed" not in run])
                for side in SIDES
            },
        }
        for name in names
    ]


def fmt(number: float | None) -> str:
    return "—" if number is None else f"{number:,.0f}"


def ratio(plain: float | None, portal: float | None) -> str:
    return f"{portal / plain:.2f}×" if plain and portal else "—"


def table(rows: list[dict]) -> str:
    lines = ["| | plain ms (median) | portal ms (median) | portal/plain |", "|---|---|---|---|"]
    for row in rows:
        plain, portal = row["plain"]["median"], row["portal"]["median"]
        lines.append(f"| {row['row']} | {fmt(plain)} | {fmt(portal)} | {ratio(plain, portal)} |")
    return "\n".join(lines)


def milestone_table(cold: list[dict], warm: list[dict]) -> str:
    """Where the time goes: median in-page milestones, in ms from the top page's navigation start."""
    lines = [
        "| first chart: ms from navigation start (median) | plain, cold | portal, cold | plain, warm | portal, warm |",
        "|---|---|---|---|---|",
    ]
    for row, again in zip(cold, warm, strict=True):
        cells = [fmt(row["plain"]), fmt(row["portal"]), fmt(again["plain"]), fmt(again["portal"])]
        lines.append(f"| {row['milestone']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def short(name: str) -> str:
    """A URL without the portal's initial arguments (a signed token, new on every dashboard page)."""
    name = re.sub(r"/initial/[^/]+/", "/initial/…/", name)
    return re.sub(r"(_dash-update-component)\?.*", r"\1", name)


def timeline_table(runs: dict[str, list[dict]], side: str, load: str = "cold") -> str:
    """The first round's requests of one load, by start time, in ms from navigation start."""
    run = next((run for run in runs[side] if "timelines" in run), None)
    if run is None:
        return f"({side}: no timeline, its first round failed)"
    lines = [
        f"| {side}, {load} cache: request | start | first byte | end | bytes over the wire |",
        "|---|---|---|---|---|",
    ]
    entries = [  # the iframe's own resource entry repeats its navigation
        entry
        for frame in run["timelines"][load]
        for entry in [frame["navigation"], *frame["resources"]]
        if entry["type"] != "iframe"
    ]
    for entry in sorted(entries, key=lambda entry: entry["start"]):
        lines.append(
            f"| {entry['type']} {short(entry['name'])} | {fmt(entry['start'])} | {fmt(entry['response_start'])}"
            f" | {fmt(entry['end'])} | {entry['transfer_bytes']:,} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="visits of each side, alternating")
    parser.add_argument("--workers", type=int, default=2, help="server workers per side")
    parser.add_argument(
        "--timeline", action="store_true", help="also print the first round's requests, cold and warm"
    )
    add_redis_option(parser)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("Playwright is missing: .venv/bin/pip install -r requirements-dev.txt")
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM}: `make test-packages` installs Debian's package.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        bases, processes, redis = start_sides(stack, Path(tmp) / "bench.sqlite3", args.workers, args.redis)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                runs = run_all(browser, bases, processes, args)
                version = browser.version
            finally:
                browser.close()
    rows, steps, steps_warm = summarise(runs), where_time_goes(runs), where_time_goes(runs, "warm")
    redis_text = f"Redis ({REDIS_URL})" if redis else "no Redis (file cache, sessions in SQLite)"
    print(
        f"Stock Today in Chromium {version} at 1366×768, {args.workers} workers per side, "
        f"median of {args.rounds} rounds; portal side with {redis_text}.\n"
    )
    print(table(rows))
    print()
    print(milestone_table(steps, steps_warm))
    if args.timeline:
        for side in SIDES:
            for load in ("cold", "warm"):
                print()
                print(timeline_table(runs, side, load))
    for side in SIDES:
        for run in runs[side]:
            if "failed" in run:
                print(f"\n{side} failed: {run['failed']}")
    write_results(
        RESULTS,
        args,
        chromium=version,
        redis=REDIS_URL if redis else None,
        seconds=round(time.monotonic() - started, 1),
        rows=rows,
        where_time_goes_cold=steps,
        where_time_goes_warm=steps_warm,
        runs=runs,
    )


if __name__ == "__main__":
    main()
