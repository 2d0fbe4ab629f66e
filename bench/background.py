"""Dash background callbacks on Celery: the portal against plain Dash, side by side (issue 21).

    .venv/bin/python bench/background.py --duration 30 --repeat 2

One app, bench/catalogue/jobs.py (written as Dash's docs write a Celery app): a
background callback doing a fixed half second of pure-Python work (`interval=250`),
and an ordinary callback (a small pandas aggregation and a plotly figure, ~6 ms).
Two sides, started one at a time, their order reversed on every repeat
(`alternating_runs`):

- plain: `gunicorn --workers W bench.catalogue.jobs:server` and the Procfile's
  `worker:` command with `-A bench.catalogue.jobs:celery_app`;
- portal: the Procfile web command with W workers, and its `worker:` command
  (`celery -A dashboards.worker worker`), DASHBOARD_PACKAGES=dashboards.catalogue,
  bench.catalogue (slug `jobs`), a fresh SQLite database (`prepare_portal`), the
  logged-in `admin`; every job is recorded there (BackgroundJob).

Both sides use a redis-server of the bench's own on a free port (never the machine's
Redis): the portal db 0 (jobs, cache, channels), plain Dash db 1.

Per side, for each Celery concurrency in --concurrency (default 1 and 2), three
phases of --duration seconds:

1. jobs: N = 2 × concurrency simulated pages, each loads the app page once (its
   signed `endId`), then starts a job (a click with a value of its own, so no two
   jobs share Dash's cache key) and polls as dash-renderer does (`cacheKey` and `job`
   query params, the inputs' values null) every 250 ms until the answer, and starts
   the next; jobs answered in the time → jobs/min, median job latency (start →
   answer). Jobs still running when the time is up are polled to their answer (not
   counted), so none is left queued. CPU per job: the CPU time of the web processes,
   of the worker's processes (main and pool, those replaced included) and of Redis
   over this phase, divided by every job answered in it;
2. no jobs: one thread sends the ordinary callback, new inputs each time, one after
   the other, one every --ordinary-interval seconds (start to start; at once when
   the last one took longer): p50/p99 latency;
3. the same thread while the job load of (1) runs again: p50/p99 latency (and the
   jobs/min of that load, in the JSON and one table row).

The load generator runs on the same machine (threads of this process). Each
side's Celery worker log is kept in bench/results/background-logs/; the table
counts the pool processes Dash's revoke-after-read SIGTERMed (see `worker_log_notes`).

Prints a Markdown table and writes it as JSON to bench/results/background.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PYTHON,
    ROOT,
    alternating_runs,
    free_port,
    process_tree,
    server,
    write_results,
)
from bench.side_by_side import (  # noqa: E402
    START_TIMEOUT,
    Browser,
    expect,
    local_path,
    plain_command,
    portal_command,
    portal_setup,
)
from tests.dash_requests import callback_body, layout_values  # noqa: E402
from tests.sites import OwnRedis  # noqa: E402

SLUG = "jobs"
MODULE = "bench.catalogue.jobs"
DASHBOARD_PAGE = f"/dashboards/{SLUG}/"
SIDES = ("plain", "portal")
UPDATE = "_dash-update-component"
JOB_OUTPUT = "result.children"
ORDINARY_OUTPUT = "chart.figure"
POLL_SECONDS = 0.25  # the callback's `interval`
JOB_TIMEOUT = 120  # seconds: a job not answered by then counts as failed
WARM_ORDINARY = 20
RESULTS = ROOT / "bench" / "results" / "background.json"
LOGS = ROOT / "bench" / "results" / "background-logs"


# --- The app as a browser finds it --------------------------------------------------------------


class Page:
    """One browser tab on the app: its URLs, its signed `endId` and the callbacks' dependencies."""

    def __init__(self, side: str, port: int, headers: dict[str, str]):
        self.browser = Browser(port, headers)
        app_page = "/"
        if side == "portal":
            page = expect(self.browser.fetch(DASHBOARD_PAGE), 200).body.decode()
            app_page = local_path(DASHBOARD_PAGE, re.search(r"<iframe\b[^>]*\bsrc=\"([^\"]+)\"", page)[1])
        page = expect(self.browser.fetch(app_page), 200).body.decode()
        config = json.loads(re.search(r"<script id=\"_dash-config\"[^>]*>(.*?)</script>", page, re.S)[1])
        self.prefix = config.get("requests_pathname_prefix") or "/"
        self.end_id = config["end_id"]
        layout = json.loads(expect(self.browser.fetch(self.prefix + "_dash-layout"), 200).body)
        dependencies = json.loads(expect(self.browser.fetch(self.prefix + "_dash-dependencies"), 200).body)
        self.values = layout_values(layout)
        self.dependencies = {d["output"]: d for d in dependencies}

    def body(self, output: str, **values) -> dict:
        return callback_body(self.dependencies[output], {**self.values, **values})

    def post(self, query: str, body: dict):
        return self.browser.fetch(f"{self.prefix}{UPDATE}?{query}", method="POST", body=json.dumps(body))

    def ordinary(self, shift: int) -> float:
        """One ordinary callback with a new input: its latency in ms."""
        body = self.body(ORDINARY_OUTPUT, **{"shift.value": shift})
        started = time.perf_counter()
        reply = expect(
            self.browser.fetch(f"{self.prefix}{UPDATE}", method="POST", body=json.dumps(body)), 200
        )
        elapsed = (time.perf_counter() - started) * 1000
        if f"shifted by {shift}" not in reply.body.decode():
            raise RuntimeError(f"the ordinary callback answered something else: {reply.body[:300]!r}")
        return elapsed

    def job(self, clicks: int) -> dict:
        """Start a job as a click does and poll it to its answer, as dash-renderer does."""
        body = self.body(JOB_OUTPUT, **{"run.n_clicks": clicks})
        started = time.perf_counter()
        first = self.post(f"endId={self.end_id}", body)
        if first.status != 200:
            return {"error": f"start: HTTP {first.status} {first.body[:200]!r}"}
        handles = json.loads(first.body)
        # The signed handle is "<Celery task id>~<signature>": the id names the job in the worker's log.
        job_id = handles["job"].rsplit("~", 1)[0]
        query = f"endId={self.end_id}&cacheKey={handles['cacheKey']}&job={handles['job']}"
        polled = json.loads(json.dumps(body))
        for item in polled["inputs"]:
            item["value"] = None  # the renderer polls with the inputs' values left out
        polls = 0
        while time.perf_counter() - started < JOB_TIMEOUT:
            time.sleep(POLL_SECONDS)
            reply = self.post(query, polled)
            polls += 1
            if reply.status != 200:
                return {
                    "error": f"job {job_id}, poll: HTTP {reply.status} {reply.body[:200]!r}",
                    "polls": polls,
                }
            answer = json.loads(reply.body) if reply.body else {}
            if "sideUpdate" in answer:  # the portal's note of a job that will not answer
                note = json.dumps(answer["sideUpdate"])
                return {"error": f"job {job_id}, a note instead of the answer: {note}"[:300], "polls": polls}
            if "response" in answer:
                text = str(answer["response"].get("result", {}).get("children", ""))
                if not text.startswith(f"job {clicks}:"):
                    return {"error": f"job {job_id}, not its answer: {answer!r}"[:300], "polls": polls}
                return {"latency_ms": (time.perf_counter() - started) * 1000, "polls": polls}
        return {"error": f"job {job_id}, no answer in {JOB_TIMEOUT} s", "polls": polls}

    def close(self) -> None:
        self.browser.close()


# --- Load ------------------------------------------------------------------------------------------


class Ordinary(threading.Thread):
    """Ordinary callbacks one after the other, new inputs each time, until stopped."""

    def __init__(self, page: Page, first_shift: int, *, interval: float):
        super().__init__(daemon=True)
        self.page, self.shift, self.interval = page, first_shift, interval
        self.latencies: list[float] = []
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                self.shift += 1
                self.latencies.append(self.page.ordinary(self.shift))
                # One every `interval` seconds, start to start (at once when one took longer).
                self.stop.wait(max(0.0, started + self.interval - time.monotonic()))
        except BaseException as error:  # noqa: BLE001 (reported by the measure)
            self.error = error


class Jobs(threading.Thread):
    """One simulated page starting a job, polling it to its answer, and starting the next."""

    def __init__(self, page: Page, *, first_click: int, deadline: float):
        super().__init__(daemon=True)
        self.page, self.click, self.deadline = page, first_click, deadline
        self.done: list[dict] = []  # answered before the deadline
        self.late: list[dict] = []  # answered after it
        self.failed: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while time.monotonic() < self.deadline:
                self.click += 1
                outcome = self.page.job(self.click)
                if "error" in outcome:
                    self.failed.append(outcome["error"])
                elif time.monotonic() <= self.deadline:
                    self.done.append(outcome)
                else:
                    self.late.append(outcome)
        except BaseException as error:  # noqa: BLE001 (reported by the measure)
            self.error = error


def percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants, those that ended and were reaped included
    (a pool process Celery replaced takes its time to its parent's children's times)."""
    total = 0.0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


# --- One side ----------------------------------------------------------------------------------------


def worker_command(side: str, concurrency: int) -> list[str]:
    """The Procfile's `worker:` command; plain Dash runs it on the app's own Celery app."""
    line = next(row for row in (ROOT / "Procfile").read_text().splitlines() if row.startswith("worker:"))
    line = line.removeprefix("worker:").strip()
    values = {"JOB_CONCURRENCY": str(concurrency)}
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m[1], m[2]), line)
    args = shlex.split(line)
    args[0] = str(Path(PYTHON).parent / args[0])
    if side == "plain":
        args[args.index("-A") + 1] = f"{MODULE}:celery_app"
    return args


@contextmanager
def celery_worker(side: str, concurrency: int, env: dict[str, str]):
    """The side's worker, started and ready, its log kept in LOGS; yields its process."""
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / f"{side}-{concurrency}-{time.strftime('%H%M%S')}.log"
    with path.open("w") as log:
        process = subprocess.Popen(
            worker_command(side, concurrency),
            cwd=ROOT,
            env={**env, "JOB_CONCURRENCY": str(concurrency)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while "ready." not in path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{side} worker did not start:\n{path.read_text()[-3000:]}")
                time.sleep(0.1)
            children = len(process_tree(process.pid)) - 1
            if children != concurrency:
                raise RuntimeError(f"{side} worker has {children} pool processes, not {concurrency}")
            process.log_path = path
            yield process
        finally:
            process.terminate()  # warm shutdown: nothing is running by now
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_jobs(side: str, port: int, headers: dict, *, pages: int, salt: int, seconds: float):
    """`pages` pages starting jobs one after the other for `seconds`; their threads, once
    every job started in time has answered."""
    tabs = [Page(side, port, headers) for _ in range(pages)]
    deadline = time.monotonic() + seconds
    loaders = [
        Jobs(tab, first_click=salt + (number + 1) * 1_000_000, deadline=deadline)
        for number, tab in enumerate(tabs)
    ]
    for thread in loaders:
        thread.start()
    return loaders


def finish(threads) -> None:
    for thread in threads:
        thread.join(JOB_TIMEOUT + 10)
        if thread.error:
            raise thread.error
        if isinstance(thread, Jobs):
            thread.page.close()


def job_figures(loaders: list[Jobs], seconds: float) -> dict:
    done = [job for thread in loaders for job in thread.done]
    failed = [error for thread in loaders for error in thread.failed]
    return {
        "pages": len(loaders),
        "jobs_answered": len(done),
        "jobs_answered_late": sum(len(thread.late) for thread in loaders),
        "jobs_failed": len(failed),
        "failures": failed[:5],
        "jobs_per_minute": len(done) * 60 / seconds,
        "job_latency_p50_ms": percentile([job["latency_ms"] for job in done], 50),
        "job_latency_p99_ms": percentile([job["latency_ms"] for job in done], 99),
        "polls_per_job": statistics.mean(job["polls"] for job in done) if done else None,
    }


def ordinary_figures(thread: Ordinary) -> dict:
    return {
        "count": len(thread.latencies),
        "p50_ms": percentile(thread.latencies, 50),
        "p99_ms": percentile(thread.latencies, 99),
    }


def measure_concurrency(
    side: str, port: int, headers: dict, web_pid: int, concurrency: int, env, redis_pid, args
):
    pages = 2 * concurrency
    with celery_worker(side, concurrency, env) as worker:
        salt = random.SystemRandom().randrange(1, 10_000) * 100_000_000
        probe = Page(side, port, headers)
        warm = probe.job(salt)  # the worker runs this app's jobs, and answers this page
        if "error" in warm:
            raise RuntimeError(f"{side}: the first job failed: {warm['error']}")
        for shift in range(WARM_ORDINARY):
            probe.ordinary(salt + shift)
        processes = {"web": web_pid, "worker": worker.pid, "redis": redis_pid}

        # 1. Jobs alone: jobs/min and each process's CPU per job.
        before = {name: tree_cpu(pid) for name, pid in processes.items()}
        loaders = run_jobs(side, port, headers, pages=pages, salt=salt, seconds=args.duration)
        finish(loaders)
        cpu = {name: tree_cpu(pid) - before[name] for name, pid in processes.items()}
        alone = job_figures(loaders, args.duration)
        answered = alone["jobs_answered"] + alone["jobs_answered_late"]

        # 2. No jobs: the ordinary callback alone.
        idle = Ordinary(probe, salt + WARM_ORDINARY, interval=args.ordinary_interval)
        idle.start()
        time.sleep(args.duration)
        idle.stop.set()
        finish([idle])

        # 3. The ordinary callback while the jobs of (1) run.
        busy = Ordinary(probe, idle.shift + 1, interval=args.ordinary_interval)
        busy.start()
        loaders = run_jobs(side, port, headers, pages=pages, salt=salt + 50_000_000, seconds=args.duration)
        time.sleep(args.duration)
        busy.stop.set()
        finish([busy, *loaders])
        probe.close()
        meanwhile = job_figures(loaders, args.duration)

    return {
        "concurrency": concurrency,
        **alone,
        "cpu_ms_per_job": {
            name: value * 1000 / answered if answered else None for name, value in cpu.items()
        },
        "ordinary_idle": ordinary_figures(idle),
        "ordinary_busy": ordinary_figures(busy),
        "jobs_with_ordinary": meanwhile,
        "worker_log": worker_log_notes(worker.log_path),
    }


def worker_log_notes(path: Path) -> dict:
    """What the worker's log says beyond the ordinary: pool processes it had to replace, errors."""
    text = path.read_text(errors="replace")
    return {
        "path": str(path.relative_to(ROOT)),
        "pool_processes": sorted(set(re.findall(r"ForkPoolWorker-(\d+)", text)), key=int),
        # Dash's get_result revokes every job it read with terminate=True: a SIGTERM for the
        # pool process that ran it when the worker still counts the job as running.
        "terminated": len(re.findall(r"Terminating \S+ \(15\)", text)),
        "worker_lost": len(re.findall(r"WorkerLostError|exited prematurely", text)),
        "problems": [
            line[:300] for line in text.splitlines() if re.search(r"(WARNING|ERROR|CRITICAL)/", line)
        ][:10],
    }


def measure_side(side: str, setup, redis_server: OwnRedis, args) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if side == "plain":
        env = {**setup.env, "REDIS_URL": plain_redis_url(redis_server)}
        command = [*plain_command(port, args.web_workers)[:-1], f"{MODULE}:server"]
        headers = {"Referer": f"{base}/"}
        ready = f"{base}/"
    else:
        env = dict(setup.env)
        command = portal_command(port, args.web_workers)
        headers = {**setup.headers, "Referer": f"{base}{DASHBOARD_PAGE}"}
        ready = urllib_request(f"{base}{DASHBOARD_PAGE}", headers["Cookie"])
    # The web server's output kept beside the workers' (`server` keeps it only while it runs).
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{side}-web-{time.strftime('%H%M%S')}.log"
    command = ["sh", "-c", 'exec "$@" >"$0" 2>&1', str(log), *command]
    with server(command, env=env, ready_url=ready, timeout=START_TIMEOUT) as (process, _):
        results = {}
        for concurrency in args.concurrency:
            print(f"  {side}, {concurrency} Celery worker(s)", file=sys.stderr, flush=True)
            results[str(concurrency)] = measure_concurrency(
                side, port, headers, process.pid, concurrency, env, redis_server.process.pid, args
            )
    return {"by_concurrency": results}


def urllib_request(url: str, cookie: str):
    import urllib.request

    return urllib.request.Request(url, headers={"Cookie": cookie})


def plain_redis_url(redis_server: OwnRedis) -> str:
    return redis_server.url.rsplit("/", 1)[0] + "/1"


# --- Many runs, one table ------------------------------------------------------------------------


def median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


ROWS = (
    ("jobs/min", lambda r: r["jobs_per_minute"], "{:.0f}", median),
    ("job latency p50, start → answer (ms)", lambda r: r["job_latency_p50_ms"], "{:,.0f}", median),
    ("polls per job", lambda r: r["polls_per_job"], "{:.1f}", median),
    ("worker CPU per job (ms)", lambda r: r["cpu_ms_per_job"]["worker"], "{:.0f}", median),
    ("web CPU per job (ms)", lambda r: r["cpu_ms_per_job"]["web"], "{:.0f}", median),
    ("Redis CPU per job (ms)", lambda r: r["cpu_ms_per_job"]["redis"], "{:.1f}", median),
    ("ordinary callback p50, no jobs (ms)", lambda r: r["ordinary_idle"]["p50_ms"], "{:.1f}", median),
    ("ordinary callback p99, no jobs (ms)", lambda r: r["ordinary_idle"]["p99_ms"], "{:.1f}", median),
    ("ordinary callback p50, jobs running (ms)", lambda r: r["ordinary_busy"]["p50_ms"], "{:.1f}", median),
    ("ordinary callback p99, jobs running (ms)", lambda r: r["ordinary_busy"]["p99_ms"], "{:.1f}", median),
    (
        "jobs/min while the ordinary callbacks run",
        lambda r: r["jobs_with_ordinary"]["jobs_per_minute"],
        "{:.0f}",
        median,
    ),
    (
        "jobs failed (every repeat, both job phases)",
        lambda r: r["jobs_failed"] + r["jobs_with_ordinary"]["jobs_failed"],
        "{:.0f}",
        sum,
    ),
    (
        "pool processes SIGTERMed after their job (every repeat)",
        lambda r: r["worker_log"]["terminated"],
        "{:.0f}",
        sum,
    ),
)


def summarise(runs: dict[str, list[dict]], concurrencies: list[int]) -> list[dict]:
    rows = []
    for name, read, form, combine in ROWS:
        for concurrency in concurrencies:
            row = {"row": name, "workers": concurrency, "format": form}
            for side in SIDES:
                measured = [
                    run["by_concurrency"][str(concurrency)]
                    for run in runs.get(side, [])
                    if "failed" not in run
                ]
                values = [v for v in (read(m) for m in measured) if v is not None]
                row[side] = combine(values) if values else None
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| measure | Celery workers | plain | portal | portal/plain |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        plain, portal = row["plain"], row["portal"]
        cells = [
            row["row"],
            str(row["workers"]),
            *("—" if v is None else row["format"].format(v) for v in (plain, portal)),
            f"{portal / plain:.2f}×" if plain and portal is not None else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def job_records(database: Path) -> dict[str, int]:
    """The portal's BackgroundJob records by state, at the end of the run."""
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT state, COUNT(*) FROM dashboards_backgroundjob GROUP BY state"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of each phase")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2], help="Celery pool sizes")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument(
        "--ordinary-interval",
        type=float,
        default=0.1,
        help="seconds from one ordinary callback's start to the next's (0: back to back)",
    )
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES), help="to develop with")
    args = parser.parse_args()
    if not 2 <= args.duration <= 120:
        parser.error("--duration must be 2 to 120 s")
    if not all(1 <= c <= 8 for c in args.concurrency):
        parser.error("--concurrency must be 1 to 8")
    started, load_before = time.monotonic(), os.getloadavg()
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = OwnRedis(Path(tmp))
        redis_server.start()
        try:
            with portal_setup(
                Path(tmp) / "bench.sqlite3",
                redis="no",  # not the machine's Redis: the bench's own, below
                REDIS_URL=redis_server.url,
                DASHBOARD_PACKAGES="dashboards.catalogue,bench.catalogue",
                PYTHONPATH=str(ROOT),
            ) as setup:
                runs = alternating_runs(
                    tuple(args.sides), args.repeat, lambda side: measure_side(side, setup, redis_server, args)
                )
            if "portal" in args.sides:
                records = job_records(Path(tmp) / "bench.sqlite3")
        finally:
            redis_server.stop()
    rows = summarise(runs, args.concurrency)
    load = {"before": load_before, "after": os.getloadavg()}
    print(
        f"\nBackground jobs, {args.duration:g} s per phase, median of {args.repeat}; "
        f"{args.web_workers} web workers per side; Celery prefork, --prefetch-multiplier 1; "
        f"jobs from 2 × workers pages; Redis of the bench's own. "
        f"Took {time.monotonic() - started:.0f} s; load average {load_before[0]:.2f} → {load['after'][0]:.2f}.\n"
    )
    print(table(rows))
    if records:
        print(
            "\nThe portal's job records (BackgroundJob) by state: "
            + ", ".join(f"{k} {v}" for k, v in records.items())
        )
    for side in args.sides:
        for run in runs[side]:
            if "failed" in run:
                print(f"\n{side} failed: {run['failed']}")
                continue
            for concurrency, result in run["by_concurrency"].items():
                for figures in (result, result["jobs_with_ordinary"]):
                    if figures["jobs_failed"]:
                        print(f"\n{side}, {concurrency} workers: {figures['jobs_failed']} jobs failed:")
                        print("\n".join(f"  {failure}" for failure in figures["failures"]))
    write_results(RESULTS, args, load=load, portal_job_records=records, rows=rows, runs=runs)


if __name__ == "__main__":
    main()
