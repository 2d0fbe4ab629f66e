"""The live feed through a Redis outage, as pages and an operator see it, measured.

    .venv/bin/python bench/live_faults.py

The Procfile's web command (`--workers 2`, production settings over plain HTTP) on
a fresh database of the run's own in the machine's PostgreSQL and a Redis of the
run's own (cache and channel layer), with `--pages` Time Series pages open on the
live feed (websockets, signed in as `marketing`) before Redis fails. Measured from
the client, each a median and a maximum where it is a series:

- Redis stopped for `--stopped` seconds, in rounds: a new page connecting (until
  its first message), `manage.py publish_point` (exit code, seconds, what it
  printed), and until its point reached every open page, from the command's start
  and from its exit (negative: before it exited; most of the command's seconds are
  Python and Django starting);
- Redis started again: the first page connecting, then `--after` publishes, timed
  as above, and whether each was pushed (the command says when it was not): pages
  get pushes again once they have joined their groups again;
- the server's log over the outage and those publishes: lines, tracebacks, and the
  "Live feed:" lines (two per process: the outage starts, it ends);
- Redis frozen (SIGSTOP) for `--frozen` seconds: the same rounds as stopped; then,
  after the thaw, `--after` publishes as above, and the log of that phase.

A point counts as reached when an open page's reader, which receives all the time,
first sees its value. The load average before and after is recorded: on a busy
machine publish_point's seconds grow with it. Every wait is bounded (tests.sites.TIMEOUT, or 60 s for a
`publish_point`); only 127.0.0.1.

Writes bench/results/live_faults.json. Not a test (tests/test_live_faults.py is).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PYTHON, log_tail, write_results  # noqa: E402
from tests.sites import TIMEOUT, OwnRedis, prepared, signed_in, site, site_env  # noqa: E402

POSTGRES = "postgres://postgres@127.0.0.1:5432"
PUBLISH_TIMEOUT = 60  # seconds: before the fix a frozen Redis held publish_point 16.5 s
VALUES = itertools.count(1000)
# What publish_point names a point by (LivePoint.__str__), so that its sayings can be told apart.
POINT = re.compile(r"timeseries/signups \S+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "median_s": round(statistics.median(seconds), 3),
        "max_s": round(max(seconds), 3),
    }


class Feed:
    """An open page: a reader that receives all the time and notes when it first saw
    each value, so an arrival is timed whatever the client is doing meanwhile."""

    def __init__(self, socket):
        self.socket, self.seen, self.closed = socket, {}, None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                at = time.monotonic()
                for point in json.loads(message)["points"]:
                    self.seen.setdefault(point["value"], at)
        except websockets.ConnectionClosed as closed:
            self.closed = f"closed: {closed.rcvd.code if closed.rcvd else 'no close frame'}"
        self.closed = self.closed or "closed"

    async def close(self) -> None:
        await self.socket.close()
        await asyncio.wait_for(self.reader, TIMEOUT)


class Page:
    def __init__(self, base: str, sessionid: str):
        self.base, self.sessionid = base, sessionid
        self.url = f"ws://{base.removeprefix('http://')}/ws/dashboards/timeseries/live/?series=signups"

    async def connect(self) -> tuple[object, float | str]:
        """(socket, seconds until its first message), or (None, why it failed)."""
        started = time.monotonic()
        try:
            socket = await websockets.connect(
                self.url,
                additional_headers={"Cookie": f"sessionid={self.sessionid}"},
                origin=self.base,
                open_timeout=TIMEOUT,
            )
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            return None, f"{type(error).__name__}: {error}"[:120]
        try:
            await asyncio.wait_for(socket.recv(), TIMEOUT)
        except (TimeoutError, websockets.ConnectionClosed) as error:
            await socket.close()
            return None, f"no first message: {type(error).__name__}"
        return socket, time.monotonic() - started

    async def connect_once(self) -> float | str:
        socket, took = await self.connect()
        if socket is not None:
            await socket.close()
        return took


def publish_point(env: dict[str, str], value: int) -> dict:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [PYTHON, "manage.py", "publish_point", "signups", str(value)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=PUBLISH_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"exit": None, "s": PUBLISH_TIMEOUT, "said": f"no exit within {PUBLISH_TIMEOUT} s"}
    said = done.stdout.strip() or (done.stderr.strip().splitlines() or [""])[-1]
    return {"exit": done.returncode, "s": time.monotonic() - started, "said": said[-200:]}


async def reached(feeds: list[Feed], value: int, since: float) -> dict:
    """Seconds from `since` until each feed saw `value` (waiting at most TIMEOUT)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and not all(value in f.seen or f.closed for f in feeds):
        await asyncio.sleep(0.01)
    arrived = [f.seen[value] - since for f in feeds if value in f.seen]
    return {
        **summary(arrived),
        "missed": len(feeds) - len(arrived),
        "closed": sum(f.closed is not None for f in feeds),
    }


async def publish_and_reach(feeds: list[Feed], env: dict[str, str]) -> dict:
    """One publish_point, and until its point reached every open page, from the
    command's start (a push may arrive before the command has exited)."""
    value, started = next(VALUES), time.monotonic()
    done = await asyncio.to_thread(publish_point, env, value)
    arrival = await reached(feeds, value, started)
    return {
        **done,
        "pushed": done["exit"] == 0 and "did not answer" not in done["said"],
        "reach": arrival,
    }


async def rounds(page: Page, feeds: list[Feed], env: dict[str, str], seconds: float) -> dict:
    """While the fault lasts: a page connects, a point is published, it reaches the pages."""
    connects, publishes = [], []
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        connects.append(await page.connect_once())
        publishes.append(await publish_and_reach(feeds, env))
        print(f"  connect {connects[-1]}; publish {publishes[-1]}", flush=True)
        await asyncio.sleep(1)
    return {
        "connects": {
            **summary([c for c in connects if isinstance(c, float)]),
            "each_s": [round(c, 3) if isinstance(c, float) else c for c in connects],
            "refused": [c for c in connects if not isinstance(c, float)],
        },
        **publishes_report(publishes),
    }


async def publishes_after(feeds: list[Feed], env: dict[str, str], count: int) -> dict:
    """Publishes once Redis answers again: pushed, or read from the database."""
    publishes, since = [], time.monotonic()
    for _ in range(count):
        publishes.append({"at_s": round(time.monotonic() - since, 1), **await publish_and_reach(feeds, env)})
        print(f"  {publishes[-1]}", flush=True)
        await asyncio.sleep(0.3)
    return {
        **publishes_report(publishes),
        "first_pushed_at_s": next((p["at_s"] for p in publishes if p["pushed"]), None),
    }


def publishes_report(publishes: list[dict]) -> dict:
    reaches = [p["reach"] for p in publishes]
    return {
        "publish_point": {
            **summary([p["s"] for p in publishes]),
            "exits": [p["exit"] for p in publishes],
            "pushed": [p["pushed"] for p in publishes],
            "said": sorted({POINT.sub("<point>", p["said"]) for p in publishes}),
        },
        "reach_all_pages_from_command_start": {
            **summary([r["max_s"] for r in reaches if r["n"]]),
            "missed": sum(r["missed"] for r in reaches),
            "closed": max((r["closed"] for r in reaches), default=0),
        },
        # Negative: every page had the point before the command had exited.
        "reach_all_pages_after_command_exit": summary(
            [r["max_s"] - p["s"] for p, r in zip(publishes, reaches, strict=True) if r["n"]]
        ),
    }


def log_since(instance, lines_before: int) -> tuple[dict, int]:
    lines = log_tail(instance, chars=10**9).splitlines()
    new = lines[lines_before:]
    return {
        "lines": len(new),
        "tracebacks": sum("Traceback" in line for line in new),
        "live_feed": [line[:200] for line in new if "Live feed:" in line],
        "cache": [line[:200] for line in new if "The cache's Redis" in line],
        "other": [line[:120] for line in new if "Live feed:" not in line and "The cache's Redis" not in line],
    }, len(lines)


async def measure(args, instance, env: dict[str, str], redis: OwnRedis) -> dict:
    browser = signed_in(instance.base, "marketing")
    page = Page(instance.base, browser.cookies["sessionid"])
    feeds = []
    for _ in range(args.pages):
        socket, took = await page.connect()
        if socket is None:
            raise RuntimeError(f"a page could not open its feed before any fault: {took}")
        feeds.append(Feed(socket))
    results = {}
    log_lines = len(log_tail(instance, chars=10**9).splitlines())
    try:
        print(f"Redis stopped for {args.stopped:g} s", flush=True)
        await asyncio.to_thread(redis.stop)
        stopped = await rounds(page, feeds, env, args.stopped)
        await asyncio.to_thread(redis.start)
        print("Redis started again", flush=True)
        first = await page.connect_once()
        stopped["first_connect_after_restart"] = round(first, 3) if isinstance(first, float) else first
        print(f"  first connect {stopped['first_connect_after_restart']}", flush=True)
        stopped["after_restart"] = await publishes_after(feeds, env, args.after)
        stopped["log"], log_lines = log_since(instance, log_lines)
        print(f"  log {stopped['log']}", flush=True)
        results["redis_stopped"] = stopped

        print(f"Redis frozen for {args.frozen:g} s", flush=True)
        os.kill(redis.process.pid, signal.SIGSTOP)
        try:
            frozen = await rounds(page, feeds, env, args.frozen)
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)
        print("Redis thawed", flush=True)
        frozen["after_thaw"] = await publishes_after(feeds, env, args.after)
        frozen["log"], log_lines = log_since(instance, log_lines)
        print(f"  log {frozen['log']}", flush=True)
        results["redis_frozen"] = frozen
    finally:
        for feed in feeds:
            await feed.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="workers of the Procfile command")
    parser.add_argument("--pages", type=int, default=20, help="pages open through the faults")
    parser.add_argument("--stopped", type=float, default=22, help="seconds Redis is stopped")
    parser.add_argument("--frozen", type=float, default=10, help="seconds Redis is frozen")
    parser.add_argument("--after", type=int, default=12, help="publishes after each fault")
    args = parser.parse_args()
    load_before = os.getloadavg()
    redis = OwnRedis(Path(tempfile.mkdtemp(prefix="dashengine-live-bench-")))
    redis.start()
    name = f"dashengine_live_bench_{os.getpid()}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        env = prepared(site_env(database_url=f"{POSTGRES}/{name}", redis_url=redis.url))
        with site(env, workers=args.workers) as instance:
            results = asyncio.run(measure(args, instance, env, redis))
    finally:
        if redis.process.poll() is None:
            os.kill(redis.process.pid, signal.SIGCONT)
            redis.stop()
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    # The machine's other work shows in publish_point's seconds (a Python start each).
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    write_results(ROOT / "bench" / "results" / "live_faults.json", args, **results)


if __name__ == "__main__":
    main()
