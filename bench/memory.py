"""What one worker's memory costs per dashboard opened: the portal against plain Dash with as many apps.

    .venv/bin/python bench/memory.py --counts 5 200 --passes 3
    .venv/bin/python bench/memory.py --counts 200 --trace            # where it goes, in-process
    .venv/bin/python bench/memory.py --counts 200 --assets --users 32 --cores 32

For each count N, writes N synthetic dashboards (bench/scale.py's template: one
dropdown parameter, one graph, one callback) into a temporary package, served by two
sides, one at a time, one worker each:

- portal: the Procfile web command on a fresh SQLite database (Redis db 13 for cache
  and sessions when Redis answers), signed in as `admin`; the catalogue's own 5
  dashboards are there too (`--catalogue` opens them as well);
- plain: the same apps mounted in one gunicorn worker by bench/plain_many.py.

`--users` clients (default 4, as many as the worker has request threads) share the
dashboards between them, each on one keep-alive connection, and open each one as a
browser does. Portal: the dashboard page, the app page its iframe names, that page's
`_dash-layout` and `_dash-dependencies`, then every callback its layout can send, with
the layout's values (tests/dash_requests.py builds them as dash-renderer does). Plain:
`/<slug>/`, its layout, dependencies and callback. Scripts and styles are static files
a browser keeps: fetched only with `--assets` (then every time: a browser without a
cache). `--chromium`: one headless Chromium profile opens each synthetic dashboard
instead and waits for its chart.

The worker's resident memory (VmRSS) is read after start-up (portal: after one
gallery load), then after each pass over every dashboard: pass 1 is each dashboard's
first opening, later passes open them all again. A one-time cost per dashboard shows
as growth in pass 1 only; a leak as growth in every pass. With two counts or more, what
each dashboard more costs, at start-up and at its first opening, between the smallest
and the largest count (a process's fixed costs cancel out).

`--env NAME=value` goes to both servers (e.g. `MALLOC_MMAP_THRESHOLD_=131072`).
`--cores N` makes the servers' Python see N processors (`os.cpu_count()`, which sizes
asyncio's default thread pool) and lets glibc make the arenas it would there: the
threads of a bigger machine, on this one.

`--trace` runs the portal side in this process instead (django.test.Client, the same
requests, one client) under tracemalloc, and prints what Python still holds after each
pass, by file and by the line that allocated it. (The test client itself keeps a few
hundred bytes per request in Django's signals, `django/test/client.py`; a server does not.)

Prints Markdown tables and writes them as JSON to bench/results/memory.json
(`--trace`: memory_trace.json). Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import tempfile
import threading
import tracemalloc
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    add_redis_option,
    free_port,
    log_tail,
    portal_env,
    prepare_portal,
    rss_kib,
    server,
    worker_pids,
    write_results,
)
from bench.first_chart import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from bench.scale import PACKAGE, package_env, write_package  # noqa: E402
from bench.side_by_side import (  # noqa: E402
    REDIS_URL,
    START_TIMEOUT,
    Browser,
    expect,
    links,
    local_path,
    plain_command,
    portal_command,
    portal_setup,
    redis_answers,
)
from tests.dash_requests import callback_body, layout_values, server_callbacks  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "memory.json"
IFRAME = re.compile(r'<iframe id="dash-app"[^>]*\ssrc="([^"]+)"')
MIB = 1024 * 1024
# The catalogue's own dashboards (`--catalogue`): real data, several callbacks each.
CATALOGUE = ("abtest", "funnel", "publicapi", "stocktoday", "timeseries")


def open_dashboard(fetch, *, app: str, page: str | None = None, assets: bool = False) -> None:
    """What a browser asks for when it opens one dashboard; `fetch(path, method, body)`
    answers (status, body), following redirects. `page`: the portal's dashboard page, whose
    iframe names `app`'s address. `assets`: each page's scripts, styles and preloads too."""
    if page is not None:
        status, body = fetch(page)
        expect_200(status, page)
        app = local_path(page, IFRAME.search(body.decode())[1])
        if assets:
            fetch_assets(fetch, body.decode(), page)
    for path in (app, app + "_dash-layout", app + "_dash-dependencies"):
        status, body = fetch(path)
        expect_200(status, path)
        if path == app and assets:
            fetch_assets(fetch, body.decode(), app)
        if path.endswith("_dash-layout"):
            values = layout_values(json.loads(body))
        elif path.endswith("_dash-dependencies"):
            dependencies = server_callbacks(json.loads(body))
    update = app + "_dash-update-component"
    fired = 0
    for dependency in dependencies:
        try:
            request = callback_body(dependency, values)
        except (KeyError, TypeError):  # an input the first layout does not have (pattern ids, pages)
            continue
        status, body = fetch(update, "POST", json.dumps(request))
        if status not in (200, 204):  # 204: the callback prevented its update
            raise RuntimeError(f"{update}: {status} {body[:300]!r}")
        fired += 1
    if not fired:
        raise RuntimeError(f"{app}: no callback could be sent from its layout")


def fetch_assets(fetch, page: str, current: str) -> None:
    preloads = re.findall(r'<link\b[^>]*\brel="preload"[^>]*\bhref="([^"]+)"[^>]*\bas="script"', page)
    for path in [*links(page, current), *(local_path(current, link) for link in preloads)]:
        status, _ = fetch(path)
        expect_200(status, path)


def expect_200(status: int, path: str) -> None:
    if status != 200:
        raise RuntimeError(f"{path}: {status}")


def portal_paths(slug: str) -> dict[str, str]:
    return {"page": f"/dashboards/{slug}/", "app": ""}


def plain_paths(slug: str) -> dict[str, str]:
    return {"app": f"/{slug}/"}


def open_all(port: int, headers: dict[str, str], slugs: list[str], paths, users: int, assets: bool) -> None:
    """Every dashboard in `slugs` opened once, shared out between `users` clients at once."""
    failures: list[BaseException] = []

    def user(mine: list[str]) -> None:
        browser = Browser(port, headers)

        def fetch(path: str, method: str = "GET", body: str | None = None):
            reply = browser.fetch(path, method=method, body=body, follow=True)
            return reply.status, reply.body

        try:
            for slug in mine:
                open_dashboard(fetch, **paths(slug), assets=assets)
        except BaseException as error:  # noqa: BLE001 - reported after the others finish
            failures.append(error)
        finally:
            browser.close()

    threads = [threading.Thread(target=user, args=(slugs[n::users],)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=1800)
    if failures:
        raise failures[0]


@contextmanager
def chromium_opener(port: int, cookie_header: str):
    """`open(path)` loads a page in one headless Chromium tab (one profile: its HTTP cache is
    kept, as a person's is) and waits until the first chart has drawn its trace."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            cookies = [c.split("=", 1) for c in cookie_header.split("; ") if "=" in c]
            base = f"http://127.0.0.1:{port}"
            context.add_cookies([{"name": n, "value": v, "url": base} for n, v in cookies])
            page = context.new_page()

            def open_page(path: str, *, portal: bool) -> None:
                response = page.goto(base + path)
                expect_200(response.status, path)
                frame = page.frame_locator("#dash-app") if portal else page
                frame.locator("#chart .scatterlayer .trace").first.wait_for(timeout=30_000)

            yield open_page
        finally:
            browser.close()


def rss_mib(pid: int) -> float:
    return rss_kib(pid) / 1024


def passes(worker: int, process, args, *, side: str, open_pass) -> list[float]:
    """The worker's memory after start, then after each `open_pass()`."""
    rss = [rss_mib(worker)]
    for number in range(args.passes):
        print(f"  {side} pass {number + 1}", file=sys.stderr, flush=True)
        try:
            open_pass()
        except Exception:
            print(log_tail(process), file=sys.stderr)
            raise
        rss.append(rss_mib(worker))
    return rss


def as_if_cores(root: Path, cores: int) -> dict[str, str]:
    """The environment that makes a server's Python see `cores` processors (os.cpu_count(),
    which sizes asyncio's default thread pool: min(32, cores + 4)) and glibc allow the
    arenas it would on such a machine (8 per core): a bigger machine's threads, on this one."""
    folder = root / f"cores-{cores}"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(f"import os\n\nos.cpu_count = lambda: {cores}\n")
    return {"PYTHONPATH": str(folder), "MALLOC_ARENA_MAX": str(8 * cores)}


def server_env(base: dict[str, str], root: Path, args) -> dict[str, str]:
    env = {**base, **dict(args.env)}
    if args.cores:
        simulated = as_if_cores(root, args.cores)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (simulated["PYTHONPATH"], env.get("PYTHONPATH")) if p)
        env.setdefault("MALLOC_ARENA_MAX", simulated["MALLOC_ARENA_MAX"])
    return env


def measure_portal(root: Path, slugs: list[str], args) -> dict:
    # Chromium waits for the synthetic dashboards' own chart: the catalogue's are not opened there.
    opened = [*CATALOGUE, *slugs] if args.catalogue and not args.chromium else slugs
    with portal_setup(root / "bench.sqlite3", redis=args.redis, **package_env(root)) as setup:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = server_env(setup.env, root, args)
        command = portal_command(port, 1)
        with server(command, env=env, ready_url=f"{base}/healthz", timeout=START_TIMEOUT) as (process, _):
            [worker] = worker_pids(process.pid)
            headers = {**setup.headers, "Referer": f"{base}/"}
            expect(Browser(port, headers).fetch("/"), 200)
            with ExitStack() as stack:
                if args.chromium:
                    open_page = stack.enter_context(chromium_opener(port, headers["Cookie"]))

                    def open_pass() -> None:
                        for slug in opened:
                            open_page(f"/dashboards/{slug}/", portal=True)
                else:

                    def open_pass() -> None:
                        open_all(port, headers, opened, portal_paths, args.users, args.assets)

                rss = passes(worker, process, args, side="portal", open_pass=open_pass)
    return {"redis": setup.redis, "opened": len(opened), "rss_mib": rss}


def measure_plain(root: Path, slugs: list[str], args) -> dict:
    port = free_port()
    env = server_env({**os.environ, **package_env(root), "BENCH_PLAIN_PACKAGE": PACKAGE}, root, args)
    command = [*plain_command(port, 1)[:-1], "bench.plain_many:application"]
    ready = f"http://127.0.0.1:{port}/{slugs[-1]}/_dash-dependencies"
    # gunicorn's sync worker answers one request at a time and closes every connection.
    with server(command, env=env, ready_url=ready, timeout=START_TIMEOUT) as (process, _):
        [worker] = worker_pids(process.pid)
        with ExitStack() as stack:
            if args.chromium:
                open_page = stack.enter_context(chromium_opener(port, ""))

                def open_pass() -> None:
                    for slug in slugs:
                        open_page(f"/{slug}/", portal=False)
            else:

                def open_pass() -> None:
                    open_all(port, {}, slugs, plain_paths, args.users, args.assets)

            rss = passes(worker, process, args, side="plain", open_pass=open_pass)
    return {"opened": len(slugs), "rss_mib": rss}


# --- In-process, under tracemalloc -----------------------------------------------------------


def trace(root: Path, slugs: list[str], args) -> dict:
    """Pass 1 and pass 2 of the portal side in this process, under tracemalloc."""
    env = portal_env(
        root / "bench.sqlite3",
        CACHE_DIR=str(root / "cache"),
        **package_env(root),
        **(
            {"REDIS_URL": REDIS_URL}
            if args.redis == "yes" or (args.redis == "auto" and redis_answers())
            else {}
        ),
    )
    prepare_portal(env)
    os.environ.update(env)
    os.environ.update(dict(args.env))
    sys.path.insert(0, str(root))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashengine_site.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="admin"))
    expect_200(client.get("/").status_code, "/")

    def fetch(path: str, method: str = "GET", body: str | None = None):
        if method == "POST":
            response = client.post(
                path,
                body,
                content_type="application/json",
                HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
            )
        else:
            response = client.get(path)
        return response.status_code, response.content

    def one_pass() -> None:
        for slug in slugs:
            open_dashboard(fetch, **portal_paths(slug), assets=False)

    gc.collect()
    rss = [rss_mib(os.getpid())]
    tracemalloc.start(30)
    snapshots = [tracemalloc.take_snapshot()]
    for number in range(args.passes):
        print(f"  in-process pass {number + 1}", file=sys.stderr, flush=True)
        one_pass()
        gc.collect()
        rss.append(rss_mib(os.getpid()))
        snapshots.append(tracemalloc.take_snapshot())
    tracemalloc.stop()
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    snapshots = [s.filter_traces(ignore) for s in snapshots]
    passes = []
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        by_file = after.compare_to(before, "filename")
        passes.append(
            {
                "traced_mib": sum(s.size_diff for s in by_file) / MIB,
                "by_file": [
                    {"file": short(s.traceback[0].filename), "mib": s.size_diff / MIB, "blocks": s.count_diff}
                    for s in by_file[: args.top]
                ],
                "by_caller": callers(after.compare_to(before, "traceback"), args.top),
            }
        )
    return {"rss_mib": rss, "passes": passes}


def short(filename: str) -> str:
    for prefix in (str(ROOT) + "/.venv/lib/python3.11/site-packages/", str(ROOT) + "/", sys.prefix + "/"):
        if filename.startswith(prefix):
            return filename.removeprefix(prefix)
    return filename


def callers(stats, top: int) -> list[dict]:
    """The growth grouped by the innermost frame outside Django, the test client and the stdlib
    that led to it: which code of the portal, Dash or a library asked for the memory."""
    grouped: dict[str, list[float]] = {}
    for stat in stats:
        where = "?"
        for frame in reversed(stat.traceback):  # innermost first
            name = short(frame.filename)
            if name.startswith("django/test/") or not name.startswith(("/", "<", "django/")):
                where = f"{name}:{frame.lineno}"
                break
        size, count = grouped.setdefault(where, [0.0, 0])
        grouped[where] = [size + stat.size_diff, count + stat.count_diff]
    ranked = sorted(grouped.items(), key=lambda item: -abs(item[1][0]))[:top]
    return [{"where": where, "mib": size / MIB, "blocks": count} for where, (size, count) in ranked]


# --- Report ----------------------------------------------------------------------------------


def rss_table(runs: list[dict]) -> str:
    """A row per count and side: the worker's memory after start and after each pass."""
    passes = len(runs[0]["sides"][next(iter(runs[0]["sides"]))]["rss_mib"]) - 1
    header = ["dashboards", "side", "after start", *[f"after pass {n}" for n in range(1, passes + 1)]]
    header += ["pass 1, per dashboard", "each later pass, per dashboard"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in runs:
        for side, result in run["sides"].items():
            rss, opened = result["rss_mib"], result["opened"]
            later = (rss[-1] - rss[1]) / (passes - 1) if passes > 1 else 0.0
            cells = [str(opened), side, *[f"{value:.0f} MiB" for value in rss]]
            cells += [f"{(rss[1] - rss[0]) * 1024 / opened:.0f} KiB", f"{later * 1024 / opened:.1f} KiB"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def marginal_table(runs: list[dict]) -> str:
    """What each dashboard more costs, between the smallest and the largest count: the
    fixed costs of a process (its libraries, its first request of any kind) cancel out."""
    small, large = runs[0], runs[-1]
    lines = [
        "| side | at start-up, per dashboard | first opening, per dashboard | "
        f"{large['count']} synthetic dashboards: worker RSS after the last pass |",
        "|---|---|---|---|",
    ]
    for side in large["sides"]:
        a, b = small["sides"][side], large["sides"][side]
        extra = b["opened"] - a["opened"]
        start = (b["rss_mib"][0] - a["rss_mib"][0]) * 1024 / extra
        first = ((b["rss_mib"][1] - b["rss_mib"][0]) - (a["rss_mib"][1] - a["rss_mib"][0])) * 1024 / extra
        lines.append(f"| {side} | {start:.0f} KiB | {first:.0f} KiB | {b['rss_mib'][-1]:.0f} MiB |")
    return "\n".join(lines)


def trace_tables(traced: dict) -> str:
    out = [f"In-process RSS: {' → '.join(f'{v:.0f}' for v in traced['rss_mib'])} MiB"]
    for number, result in enumerate(traced["passes"], start=1):
        out.append(f"\nPass {number}: {result['traced_mib']:.2f} MiB traced by Python\n")
        out.append("| file | MiB | blocks |\n|---|---|---|")
        out += [f"| {r['file']} | {r['mib']:.3f} | {r['blocks']:+d} |" for r in result["by_file"]]
        out.append("\n| asked for by | MiB | blocks |\n|---|---|---|")
        out += [f"| {r['where']} | {r['mib']:.3f} | {r['blocks']:+d} |" for r in result["by_caller"]]
    return "\n".join(out)


def variable(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name):
        raise argparse.ArgumentTypeError("NAME=value")
    return name, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[5, 200], help="synthetic dashboards")
    parser.add_argument("--passes", type=int, default=3, help="times every dashboard is opened")
    parser.add_argument("--users", type=int, default=4, help="clients at once")
    parser.add_argument(
        "--assets",
        action="store_true",
        help="each opening fetches its pages' scripts and styles too (no browser cache)",
    )
    parser.add_argument(
        "--chromium", action="store_true", help="open the synthetic dashboards in headless Chromium instead"
    )
    parser.add_argument("--catalogue", action="store_true", help="the portal opens the catalogue's 5 too")
    parser.add_argument("--sides", nargs="+", choices=("portal", "plain"), default=["portal", "plain"])
    parser.add_argument(
        "--trace", action="store_true", help="the portal in this process, under tracemalloc (the last count)"
    )
    parser.add_argument("--top", type=int, default=15, help="rows of each --trace table")
    parser.add_argument(
        "--env",
        type=variable,
        action="append",
        default=[],
        help="NAME=value for the servers, e.g. MALLOC_ARENA_MAX=2",
    )
    parser.add_argument(
        "--cores", type=int, default=0, help="the servers' Python sees this many processors (simulated)"
    )
    add_redis_option(parser)
    args = parser.parse_args()
    if not (
        all(1 <= n <= 1000 for n in args.counts)
        and 1 <= args.passes <= 10
        and 1 <= args.users <= 32
        and 1 <= args.top <= 100
        and 0 <= args.cores <= 256
    ):
        parser.error(
            "--counts 1 to 1000, --passes 1 to 10, --users 1 to 32, --top 1 to 100, --cores 0 to 256"
        )
    args.counts.sort()
    if args.trace:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            traced = trace(root, write_package(root, args.counts[-1]), args)
        print(trace_tables(traced))
        write_results(RESULTS.with_name("memory_trace.json"), args, count=args.counts[-1], trace=traced)
        return
    measures = {"portal": measure_portal, "plain": measure_plain}
    runs = []
    for count in args.counts:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            slugs = write_package(root, count)
            sides = {}
            for side in args.sides:
                print(f"{count} dashboards: {side}", file=sys.stderr, flush=True)
                sides[side] = measures[side](root, slugs, args)
        runs.append({"count": count, "sides": sides})
    redis = any(side.get("redis") for run in runs for side in run["sides"].values())
    how = "in headless Chromium" if args.chromium else f"by {args.users} clients at once"
    print(
        f"One worker's resident memory, synthetic dashboards opened {args.passes} times {how} "
        f"(portal: Procfile web command, {'Redis' if redis else 'no Redis'}; plain: gunicorn sync worker)"
        + (", with their scripts and styles each time" if args.assets else "")
        + (f"; {' '.join(f'{k}={v}' for k, v in args.env)}" if args.env else "")
        + (f"; the servers see {args.cores} processors" if args.cores else "")
        + ".\n"
    )
    print(rss_table(runs))
    if len(runs) > 1:
        print()
        print(marginal_table(runs))
    write_results(RESULTS, args, runs=runs)


if __name__ == "__main__":
    main()
