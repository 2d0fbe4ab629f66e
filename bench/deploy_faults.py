"""What a frozen service and a killed master cost the documented deployment, measured.

    .venv/bin/python bench/deploy_faults.py

The deployment of tests/test_deployment_faults.py: two instances of the Procfile's
web command (1 worker each, production settings: TLS redirect, Secure cookies,
HSTS) behind haproxy with docs/deploy/haproxy.cfg ending TLS, on a PostgreSQL
cluster and a Redis of the run's own. Measured from the client, each a median and
a maximum where it is a series:

- `/readyz` on each instance with Redis frozen (SIGSTOP), 40 checks;
- `/readyz` on one instance while 16 logins (PBKDF2) are sent to it at once;
- a 10 s Redis freeze under 4 signed-in visitors through haproxy (gallery,
  dashboard page, app layout, in turn): pages, non-200 answers, slowest;
- an 8 s PostgreSQL freeze under one visitor through haproxy: answers (all 503?),
  slowest, when haproxy first answered for the instances, serving again after the thaw;
- kill -9 of a master with 2 workers, 3 times: until its workers are gone, and
  whether the Procfile command starts again on the same port.

Writes bench/results/deploy_faults.json. Not a test (tests/test_deployment_faults.py is).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashengine_site.settings")

from bench.common import free_port, worker_pids, write_results  # noqa: E402
from tests.sites import (  # noqa: E402
    TIMEOUT,
    OwnPostgres,
    OwnRedis,
    haproxy_tls,
    prepared,
    self_signed_certificate,
    signed_in,
    site,
    wait_until,
)
from tests.test_deployment_faults import login, production_env, running, timed_get  # noqa: E402


def summary(seconds: list[float]) -> dict:
    return {
        "n": len(seconds),
        "median_s": round(statistics.median(seconds), 3),
        "max_s": round(max(seconds), 3),
    }


def frozen(pid: int):
    os.kill(pid, signal.SIGSTOP)
    return lambda: os.kill(pid, signal.SIGCONT)


def readyz_redis_frozen(a: str, b: str, redis_pid: int) -> dict:
    thaw = frozen(redis_pid)
    try:
        answers = [timed_get(f"{base}/readyz") for _ in range(20) for base in (a, b)]
    finally:
        thaw()
    return {**summary([s for _, s in answers]), "statuses": sorted({r.status_code for r, _ in answers})}


def readyz_logins(a: str) -> dict:
    answers = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        logins = [pool.submit(login, a) for _ in range(16)]
        time.sleep(0.3)
        while not all(future.done() for future in logins):
            answers.append(timed_get(f"{a}/readyz"))
            time.sleep(0.1)
    return {
        **summary([s for _, s in answers]),
        "statuses": sorted({r.status_code for r, _ in answers}),
        "logins_s": round(time.monotonic() - started, 2),
    }


def pages_through_redis_freeze(https: str, certificate: str, redis_pid: int) -> dict:
    paths = ["/", "/dashboards/stocktoday/", "/django_plotly_dash/app/stocktoday/_dash-layout"]
    browsers = [signed_in(https, name, verify=certificate) for name in ("sales", "analyst", "admin", "sales")]
    answers: list[tuple[int, float]] = []
    stop = threading.Event()

    def visit(browser) -> None:
        while not stop.is_set():
            for path in paths:
                started = time.monotonic()
                status = browser.get(f"{https}{path}", allow_redirects=False, timeout=60).status_code
                answers.append((status, time.monotonic() - started))

    thaw = frozen(redis_pid)
    try:
        visitors = [threading.Thread(target=visit, args=(browser,)) for browser in browsers]
        for visitor in visitors:
            visitor.start()
        time.sleep(10)
        stop.set()
        for visitor in visitors:
            visitor.join()
    finally:
        thaw()
    statuses = Counter(status for status, _ in answers)
    return {
        **summary([s for _, s in answers]),
        "statuses": dict(statuses),
        "non_200": len(answers) - statuses[200],
    }


def pages_through_database_freeze(https: str, certificate: str, database: OwnPostgres) -> dict:
    browser = signed_in(https, "sales", verify=certificate)
    answers = []
    database.freeze()
    started = time.monotonic()
    try:
        while time.monotonic() - started < 8:
            sent = time.monotonic()
            response = browser.get(f"{https}/reports/", headers={"Accept": "text/html"}, timeout=TIMEOUT)
            # haproxy's copy of the page carries none of Django's security headers.
            by_haproxy = "X-Frame-Options" not in response.headers
            answers.append((response.status_code, time.monotonic() - sent, sent - started, by_haproxy))
            time.sleep(0.05)
    finally:
        database.thaw()
    thawed = time.monotonic()
    wait_until(lambda: browser.get(f"{https}/reports/", timeout=TIMEOUT).status_code == 200)
    first_by_haproxy = next((at for _, _, at, by in answers if by), None)
    return {
        **summary([s for _, s, _, _ in answers]),
        "statuses": sorted({status for status, *_ in answers}),
        "by_instances": sum(not by for *_, by in answers),
        "haproxy_answers_from_s": round(first_by_haproxy, 2) if first_by_haproxy is not None else None,
        "serving_again_after_thaw_s": round(time.monotonic() - thawed, 2),
    }


def master_killed(env: dict[str, str]) -> dict:
    gone, restarted = [], []
    for _ in range(3):
        port = free_port()
        with site(env, workers=2, port=port) as master:
            workers = worker_pids(master.pid)
            os.kill(master.pid, signal.SIGKILL)
            killed = time.monotonic()
            try:
                while any(running(pid) for pid in workers) and time.monotonic() - killed < 30:
                    time.sleep(0.02)
                gone.append(time.monotonic() - killed)
            finally:
                for pid in filter(running, workers):
                    os.kill(pid, signal.SIGKILL)
        with site(env, workers=2, port=port) as again:
            restarted.append(requests.get(f"{again.base}/livez", timeout=TIMEOUT).ok)
    return {**summary(gone), "restarted_on_the_same_port": restarted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args = parser.parse_args()
    import django

    django.setup()
    scratch = Path(tempfile.mkdtemp(prefix="dashengine-deploy-bench-"))
    database, own_redis = OwnPostgres(), OwnRedis(scratch)
    database.start()
    own_redis.start()
    results = {}
    try:
        env = prepared(production_env(database_url=database.url, redis_url=own_redis.url))
        with ExitStack() as stack:
            a, b = stack.enter_context(site(env)), stack.enter_context(site(env))
            balancer = stack.enter_context(
                haproxy_tls(a.base, b.base, certificate=self_signed_certificate(scratch))
            )
            pid = own_redis.process.pid
            results["readyz_redis_frozen"] = readyz_redis_frozen(a.base, b.base, pid)
            print("readyz, Redis frozen:", results["readyz_redis_frozen"], flush=True)
            results["readyz_16_logins"] = readyz_logins(a.base)
            print("readyz, 16 logins:", results["readyz_16_logins"], flush=True)
            results["redis_freeze_10s"] = pages_through_redis_freeze(
                balancer.https, balancer.certificate, pid
            )
            print("pages, 10 s Redis freeze:", results["redis_freeze_10s"], flush=True)
            results["database_freeze_8s"] = pages_through_database_freeze(
                balancer.https, balancer.certificate, database
            )
            print("pages, 8 s database freeze:", results["database_freeze_8s"], flush=True)
        results["master_kill_9"] = master_killed(env)
        print("kill -9 of the master:", results["master_kill_9"], flush=True)
    finally:
        own_redis.stop()
        database.stop()
    write_results(ROOT / "bench" / "results" / "deploy_faults.json", args, **results)


if __name__ == "__main__":
    main()
