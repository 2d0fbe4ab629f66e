"""CSV export of 1,000,000 rows through the portal against DataFrame.to_csv, in one run.

    .venv/bin/python bench/export.py [--repeat 3]

Starts the portal with its Procfile web command (one worker) and the synthetic
`bigtable` dashboard, downloads `/dashboards/bigtable/export.csv` as a browser
would (with curl), and samples the worker's resident memory every 20 ms. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalogue.bigtable import ROWS, table  # noqa: E402
from bench.common import (  # noqa: E402
    Session,
    free_port,
    portal_env,
    prepare_portal,
    procfile_web,
    rss_kib,
    server,
    worker_pids,
)


class PeakRss(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss_kib(pid), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)


def download(session: Session, path: str) -> tuple[int, int, float]:
    """Fetch with curl, as a browser would save it: (bytes, data rows, seconds)."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
        started = time.monotonic()
        subprocess.run(
            ["curl", "-sf", "-o", out.name, "-H", f"Cookie: {session.cookie_header()}", session.base + path],
            check=True,
        )
        seconds = time.monotonic() - started
        data = Path(out.name).read_bytes()
    return len(data), data.count(b"\n") - 1, seconds


def to_csv_seconds() -> float:
    frame = table()
    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
        started = time.monotonic()
        frame.to_csv(out.name, index=False)
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = portal_env(
            Path(tmp) / "bench.sqlite3", DASHBOARD_PACKAGES="dashboards.catalogue,bench.catalogue"
        )
        prepare_portal(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server(procfile_web(port, 1), env=env, ready_url=f"{base}/healthz") as (process, _):
            session = Session(base, "admin")
            [worker] = worker_pids(process.pid)
            download(session, "/dashboards/bigtable/export.csv?regions=north")  # load the table once
            portal, baseline, growth = [], [], []
            for _ in range(args.repeat):
                before = rss_kib(worker)
                sampler = PeakRss(worker)
                sampler.start()
                size, rows, seconds = download(session, "/dashboards/bigtable/export.csv")
                sampler.running = False
                sampler.join()
                assert rows == ROWS, rows
                portal.append(seconds)
                growth.append((sampler.peak - before) / 1024)
                baseline.append(to_csv_seconds())
    p, b, g = statistics.median(portal), statistics.median(baseline), statistics.median(growth)
    print(f"| what | median of {args.repeat} |")
    print("|---|---|")
    print(f"| rows | {ROWS:,} ({size / 1e6:.1f} MB of CSV) |")
    print(f"| `DataFrame.to_csv` to a file | {b:.2f} s, {ROWS / b:,.0f} rows/s |")
    print(
        f"| `GET /dashboards/bigtable/export.csv` (streamed, read to the end) | {p:.2f} s, {ROWS / p:,.0f} rows/s |"
    )
    print(f"| portal / to_csv rate | {b / p:.2f}× |")
    print(f"| worker memory growth during the export (peak RSS − RSS before) | {g:.1f} MB |")


if __name__ == "__main__":
    main()
