"""1,000 due scheduled reports sent by two processes at once: time, memory, exactly once.

    .venv/bin/python bench/schedules.py --schedules 1000 --reports 100 --senders 2
    .venv/bin/python bench/schedules.py --schedules 1000 --reports 100 --senders 2 --via celery

A fresh database (PostgreSQL with --database, e.g. postgres://postgres@127.0.0.1:5432/bench_schedules,
which is dropped and made again; else SQLite) gets the demo users, `--reports` Stock Today
reports with different tickers and dates, and `--schedules` schedules spread over them,
each to one recipient, all due now. Then the senders start at once, against a real SMTP
server in this process (aiosmtpd):

- `--via command` (the default): `--senders` copies of `manage.py send_due_reports`, as
  cron jobs on as many machines would run it; done when they have all exited.
- `--via celery`: `--senders` Celery workers, each the Procfile's `worker:` command with
  `--concurrency 1` (its time limits as the Procfile sets them), and one Procfile `beat:`
  asking for a run every `--check-seconds` (REPORTS_CHECK_SECONDS), all on a
  redis-server of the bench's own on a free port; done when the database holds a
  delivery for every schedule and none is pending.

Measured: wall time from the senders' start until every delivery is sent, e-mails
received (and any delivery e-mailed twice), how the deliveries ended, and each sender's
peak memory (its own, its pool process's and its Chromium's, which draws the charts).

There is no plain-Dash side: plain Dash has no scheduled reports.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PYTHON,
    ROOT,
    free_port,
    portal_env,
    prepare_portal,
    process_tree,
    procfile,
)
from tests.sites import OwnRedis  # noqa: E402

# What a worker's run logs (dashboards.deliveries.summary).
SUMMARY = re.compile(
    r"Scheduled reports: (\d+) due, (\d+) sent, (\d+) skipped, (\d+) to retry, (\d+) failed\."
)
SETUP = """
import datetime as dt, random
from django.contrib.auth import get_user_model
from django.utils import timezone
from dashboards import registry
from dashboards.models import Report, ReportSchedule
from dashboards.services import report_save, schedule_save
random.seed(7)
dashboard = registry.get("stocktoday")
tickers = [p for p in dashboard.params if p.name == "tickers"][0].choices
admin = get_user_model().objects.get(username="admin")
from dashboards.selectors import people_who_can_open
people = list(people_who_can_open(dashboard=Report._meta.get_field("dashboard").related_model.objects.get(slug="stocktoday")).exclude(email=""))
reports = []
for i in range(REPORTS):
    year = 2008 + i % 8
    reports.append(report_save(owner=admin, dashboard=dashboard, name=f"Report {i}",
        params={"tickers": random.sample(tickers, 2), "start": f"{year}-01-02", "end": f"{year}-06-30"},
        visibility="everyone"))
for i in range(SCHEDULES):
    schedule_save(report=reports[i % REPORTS], owner=admin, frequency="daily", time=dt.time(8, 0),
        time_zone="UTC", include_owner=False, users=[people[i % len(people)]])
ReportSchedule.objects.update(next_due_at=timezone.now() - dt.timedelta(minutes=1))
print(ReportSchedule.objects.count(), Report.objects.count())
"""


class Inbox:
    def __init__(self):
        self.count = 0
        self.per_message: collections.Counter = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        delivery = re.search(rb"^X-Dash-Engine-Delivery: (\d+)", envelope.content, re.M)
        key = delivery[1] if delivery else envelope.content
        with self.lock:
            self.count += 1
            self.per_message[key] += 1
        return "250 OK"


def peak_watch(pid: int, peaks: dict, stop: threading.Event) -> None:
    """The highest sums of memory over the process and every process under it (its pool
    process, Chromium's): resident (RSS, each shared page counted in every process that
    maps it) and proportional (PSS, a shared page divided among them: what the sender
    adds to the machine)."""
    while not stop.is_set():
        rss = pss = 0
        for p in process_tree(pid):
            with contextlib.suppress(OSError, TypeError):
                rss += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text())[1])
                pss += int(re.search(r"Pss:\s+(\d+)", Path(f"/proc/{p}/smaps_rollup").read_text())[1])
        rss_peak, pss_peak = peaks.get(pid, (0, 0))
        peaks[pid] = (max(rss_peak, rss), max(pss_peak, pss))
        stop.wait(0.2)


def watched(pids: list[int]):
    """Start watching the peak memory of each of `pids`; returns (peaks, stop)."""
    peaks: dict[int, tuple[int, int]] = {}
    stop = threading.Event()
    for pid in pids:
        threading.Thread(target=peak_watch, args=(pid, peaks, stop), daemon=True).start()
    return peaks, stop


def peaks_mib(peaks: dict, pids: list[int]) -> dict[str, list[int]]:
    return {
        "peak_rss_mib_per_sender": [round(peaks.get(pid, (0, 0))[0] / 1024) for pid in pids],
        "peak_pss_mib_per_sender": [round(peaks.get(pid, (0, 0))[1] / 1024) for pid in pids],
    }


def delivery_counts(database: str, folder: Path) -> dict[str, int]:
    """How many deliveries the database holds, by status."""
    query = "SELECT status, count(*) FROM dashboards_delivery GROUP BY status"
    if database:
        import psycopg

        with psycopg.connect(database.replace("postgres://", "postgresql://", 1)) as connection:
            rows = connection.execute(query).fetchall()
    else:
        with contextlib.closing(sqlite3.connect(folder / "db.sqlite3", timeout=30)) as connection:
            rows = connection.execute(query).fetchall()
    return dict(rows)


def send_by_command(args, env: dict[str, str], folder: Path) -> dict:
    """`--senders` copies of `manage.py send_due_reports`, started at once; done when all exit."""
    started = time.monotonic()
    senders = [
        subprocess.Popen(
            [PYTHON, "manage.py", "send_due_reports"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(args.senders)
    ]
    peaks, stop = watched([p.pid for p in senders])
    outputs = [process.communicate()[0].strip() for process in senders]
    elapsed = time.monotonic() - started
    stop.set()
    return {
        "seconds": elapsed,
        **peaks_mib(peaks, [p.pid for p in senders]),
        "sender_summaries": outputs,
    }


def send_by_celery(args, env: dict[str, str], folder: Path) -> dict:
    """`--senders` Celery workers of one process each and one beat, started at once on a
    Redis of the bench's own; done when every schedule has its delivery and none is pending."""
    redis_server = OwnRedis(folder)
    redis_server.start()
    env = {
        **env,
        "REDIS_URL": redis_server.url,
        "REPORTS_CHECK_SECONDS": str(args.check_seconds),
        # The venv's .pth may name another checkout: this one comes first.
        "PYTHONPATH": str(ROOT),
    }
    commands = [
        procfile("worker", JOB_CONCURRENCY="1") + ["-n", f"sender{n}@%h"] for n in range(1, args.senders + 1)
    ]
    beat = procfile("beat")
    beat[beat.index("--schedule") + 1] = str(folder / "celerybeat-schedule")
    logs = [folder / f"sender{n}.log" for n in range(1, args.senders + 1)] + [folder / "beat.log"]
    processes: list[subprocess.Popen] = []
    try:
        started = time.monotonic()
        for command, log in zip([*commands, beat], logs, strict=True):
            with log.open("w") as out:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        workers = processes[:-1]
        peaks, stop = watched([p.pid for p in workers])
        deadline, told = started + args.timeout, started
        while True:
            counts = delivery_counts(args.database, folder)
            if sum(counts.values()) >= args.schedules and not counts.get("pending"):
                break
            for process, log in zip(processes, logs, strict=True):
                if process.poll() is not None:
                    raise SystemExit(f"{log.name} ended:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"not done in {args.timeout} s: {counts}")
            if time.monotonic() - told > 30:
                told = time.monotonic()
                print(f"{told - started:.0f} s: {counts}", file=sys.stderr, flush=True)
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        stop.set()
    finally:
        stopped(processes)
        redis_server.stop()
    runs = []
    for log in logs[:-1]:
        text = log.read_text(errors="replace")
        done = [[int(n) for n in numbers] for numbers in SUMMARY.findall(text)]
        totals = [sum(column) for column in zip(*done, strict=True)] or [0] * 5
        runs.append(
            {
                "runs": len(re.findall(r"Task dashengine\.send_due_reports\[[^]]+\] succeeded", text)),
                **dict(zip(("due", "sent", "skipped", "retry", "failed"), totals, strict=True)),
                "runs_dropped": text.count("Discarding revoked task: dashengine.send_due_reports"),
                "time_limit_lines": len(re.findall(r"TimeLimitExceeded|Hard time limit", text)),
                "worker_lost_lines": text.count("WorkerLostError"),
            }
        )
    beat_sent = logs[-1].read_text(errors="replace").count("Sending due task send-due-reports")
    return {
        "seconds": elapsed,
        **peaks_mib(peaks, [p.pid for p in workers]),
        "sender_runs": runs,
        "beat_runs_asked": beat_sent,
        "logs": str(folder),
    }


def stopped(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each at once (a worker's warm shutdown), then SIGKILL to what is left of
    them: their process groups and whatever they started (Chromium has a session of its own)."""
    left = [pid for process in processes for pid in process_tree(process.pid)[1:]]
    for process in processes:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 60
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--via", choices=("command", "celery"), default="command", help="who sends")
    parser.add_argument(
        "--check-seconds", type=float, default=1.0, help="--via celery: seconds between the beat's runs"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="--via celery: seconds to wait for the last delivery"
    )
    parser.add_argument(
        "--database", default="", help="a PostgreSQL URL (dropped and made again); default SQLite"
    )
    args = parser.parse_args()

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    folder = Path(tempfile.mkdtemp(prefix="bench-schedules-"))
    extra = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "0",
        "SITE_URL": "https://dash.example.com",
        "CACHE_DIR": str(folder / "cache"),
    }
    if args.database:
        name = args.database.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        env = portal_env(None, DATABASE_URL=args.database, **extra)
    else:
        env = portal_env(folder / "db.sqlite3", **extra)
    prepare_portal(env)
    setup = SETUP.replace("REPORTS", str(args.reports)).replace("SCHEDULES", str(args.schedules))
    made = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if made.returncode:
        raise SystemExit(made.stderr[-3000:])
    print("schedules, reports:", made.stdout.strip().splitlines()[-1])

    sent = (send_by_celery if args.via == "celery" else send_by_command)(args, env, folder)
    time.sleep(0.5)
    smtp.stop()
    twice = sum(1 for n in inbox.per_message.values() if n > 1)
    elapsed = sent.pop("seconds")
    result = {
        "via": args.via,
        "schedules": args.schedules,
        "reports": args.reports,
        "senders": args.senders,
        "database": "postgresql" if args.database else "sqlite",
        "seconds": round(elapsed, 1),
        "emails": inbox.count,
        "emails_per_second": round(inbox.count / elapsed, 1),
        "duplicates": twice,
        "deliveries": delivery_counts(args.database, folder),
        **sent,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"schedules-{args.via}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
