"""Shared by the benchmarks: start servers, log in, watch memory. Not a test."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.cookiejar
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_PASSWORD = "bench-password-0123"
SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_env(database: Path | None = None, **extra: str) -> dict[str, str]:
    """Production settings (debug off) over plain HTTP, with the demo users' password;
    a SQLite file `database`, or what `extra` sets (DATABASE_URL, REDIS_URL, ...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_URL"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_HSTS_SECONDS="0",
        DEMO_PASSWORD=BENCH_PASSWORD,
        WHITENOISE_USE_FINDERS="1",
    )
    if database is not None:
        env["DATABASE_URL"] = f"sqlite:///{database}"
    env.update(extra)
    return env


def prepare_portal(env: dict[str, str]) -> None:
    """A fresh database with the demo users and grants."""
    for args in (["migrate", "--no-input", "-v0"], ["seed_demo", "--force"]):
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def procfile_web(port: int, workers: int) -> list[str]:
    """The Procfile's web command, with its variables filled in."""
    return procfile("web", PORT=str(port), WEB_CONCURRENCY=str(workers))


def procfile(name: str, **values: str) -> list[str]:
    """The Procfile's `name:` command, its variables filled in from `values` (else their
    defaults), its program the virtualenv's."""
    line = next(row for row in (ROOT / "Procfile").read_text().splitlines() if row.startswith(f"{name}:"))
    line = line.removeprefix(f"{name}:").strip()
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m[1], m[2]), line)
    args = shlex.split(line)
    args[0] = str(Path(PYTHON).parent / args[0])
    return args


@contextmanager
def server(args: list[str], *, env: dict[str, str], ready_url: str, timeout: float = 60):
    """Start a server process, wait until `ready_url` answers, stop it afterwards.

    Yields (process, seconds it took to answer its first request).
    """
    started = time.monotonic()
    # The log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server stops
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    try:
        while True:
            try:
                urllib.request.urlopen(ready_url, timeout=2).read()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(log_tail(process)) from None
                if time.monotonic() - started > timeout:
                    raise TimeoutError(ready_url) from None
                time.sleep(0.05)
        yield process, time.monotonic() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def log_tail(process: subprocess.Popen, chars: int = 3000) -> str:
    """The end of what a server started by `server()` has printed."""
    process.log.flush()
    process.log.seek(0)
    return process.log.read().decode(errors="replace")[-chars:]


def process_tree(pid: int) -> list[int]:
    """`pid` and every process under it. The children of each of its threads: a process
    started from another thread than the main one (kaleido's Chromium) is listed only there."""
    kids = []
    for thread in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # a thread or process that ended meanwhile
            kids += [int(c) for c in (thread / "children").read_text().split()]
    return [pid, *[p for kid in kids for p in process_tree(kid)]]


def rss_kib(pid: int) -> int:
    """Resident memory of a process (KiB)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status)[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def context_switches(pid: int) -> int:
    """Context switches (voluntary or not) the live threads of a process have made so far."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            total += sum(int(n) for n in re.findall(r"ctxt_switches:\s+(\d+)", status.read_text()))
    return total


def worker_pids(master: int) -> list[int]:
    return [p for p in process_tree(master) if p != master]


class Session:
    """A logged-in browser session, with urllib."""

    def __init__(self, base: str, username: str, password: str = BENCH_PASSWORD):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        html = self.opener.open(f"{base}/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        request = urllib.request.Request(
            f"{base}/accounts/login/", data=data.encode(), headers={"Referer": f"{base}/accounts/login/"}
        )
        self.opener.open(request).read()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def get(self, path: str) -> bytes:
        return self.opener.open(self.base + path).read()


def write_results(path: Path, args, **fields) -> None:
    """A benchmark's results as JSON, with when and how it ran."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "settings": vars(args)}
    path.write_text(json.dumps({**stamp, **fields}, indent=2) + "\n")
    print(f"\nWritten to {path.relative_to(ROOT)}")


def alternating_runs(sides: tuple[str, ...], repeat: int, measure) -> dict[str, list[dict]]:
    """`measure(side)` for every side, `repeat` times, the order reversed on every
    repeat; a side that fails is recorded as failed, so it cannot hide the other."""
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for round_ in range(repeat):
        for side in sides if round_ % 2 == 0 else tuple(reversed(sides)):
            print(f"repeat {round_ + 1}/{repeat}: {side}", file=sys.stderr, flush=True)
            try:
                runs[side].append(measure(side))
            except Exception as error:  # noqa: BLE001 (one failing side must not hide the other)
                print(f"  {side} failed: {error!r}"[:2000], file=sys.stderr, flush=True)
                runs[side].append({"failed": repr(error)[:2000]})
    return runs


def add_redis_option(parser) -> None:
    parser.add_argument(
        "--redis",
        choices=("auto", "yes", "no"),
        default="auto",
        help="portal cache and sessions in Redis db 13 (auto: when Redis answers)",
    )
