"""1,000 due scheduled reports sent by two processes at once: time, memory, exactly once.

    .venv/bin/python bench/schedules.py --schedules 1000 --reports 100 --senders 2

A fresh database (PostgreSQL with --database, e.g. postgres://postgres@127.0.0.1:5432/bench_schedules,
which is dropped and made again; else SQLite) gets the demo users, `--reports` Stock Today
reports with different tickers and dates, and `--schedules` schedules spread over them,
each to one recipient, all due now. Then `--senders` copies of `manage.py
send_due_reports` start at once, as two cron jobs or two Celery workers would, against a
real SMTP server in this process (aiosmtpd). Measured: wall time until every delivery is
sent, e-mails received (and any recipient who got one twice), each sender's peak memory
(its own and its Chromium's, which draws the charts).

There is no plain-Dash side: plain Dash has no scheduled reports.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import contextlib

from bench.common import PYTHON, ROOT, free_port, portal_env, prepare_portal, process_tree  # noqa: E402

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
    """The highest sum of resident memory over the process and its children (Chromium)."""
    while not stop.is_set():
        total = 0
        for p in process_tree(pid):
            with contextlib.suppress(OSError, TypeError):
                total += int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text())[1])
        peaks[pid] = max(peaks.get(pid, 0), total)
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--senders", type=int, default=2)
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

    started = time.monotonic()
    senders = [
        subprocess.Popen(
            [PYTHON, "manage.py", "send_due_reports"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(args.senders)
    ]
    peaks: dict[int, int] = {}
    stop = threading.Event()
    watchers = [threading.Thread(target=peak_watch, args=(p.pid, peaks, stop), daemon=True) for p in senders]
    for watcher in watchers:
        watcher.start()
    outputs = [process.communicate()[0].strip() for process in senders]
    elapsed = time.monotonic() - started
    stop.set()
    time.sleep(0.5)
    smtp.stop()
    twice = sum(1 for n in inbox.per_message.values() if n > 1)
    result = {
        "schedules": args.schedules,
        "reports": args.reports,
        "senders": args.senders,
        "database": "postgresql" if args.database else "sqlite",
        "seconds": round(elapsed, 1),
        "emails": inbox.count,
        "emails_per_second": round(inbox.count / elapsed, 1),
        "duplicates": twice,
        "peak_rss_mib_per_sender": [round(peaks.get(p.pid, 0) / 1024) for p in senders],
        "sender_summaries": outputs,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "schedules.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
