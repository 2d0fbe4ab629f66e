"""Background callbacks as dash-renderer drives them, and a Celery worker of the test's own.

`hosted_bg_apps` loads `tests.bg_apps` afresh for the settings of the moment (REDIS_URL
decides which manager an app gets, and Dash's docs example reads it from the
environment when it is imported), and puts every module back as it was afterwards.
`CeleryWorker` and `CeleryBeat` are the Procfile's `worker:` and `beat:` commands as
subprocesses, on a Redis of the test's own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.sites import OwnRedis

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).parent / "celery")
PACKAGE = "tests.bg_apps"
APP = "/django_plotly_dash/app/{}/"
UPDATE = "_dash-update-component"


@contextmanager
def hosted_bg_apps(*, redis_url: str):
    """`tests.bg_apps` loaded now, with REDIS_URL set to `redis_url` (unset when empty);
    yields that catalogue (`serve` puts it beside the shipped one for a test)."""
    from django.test import override_settings

    from dashboards.hosting import loader

    with pytest.MonkeyPatch.context() as patch, override_settings(REDIS_URL=redis_url):
        if redis_url:
            patch.setenv("REDIS_URL", redis_url)
        else:
            patch.delenv("REDIS_URL", raising=False)
        patch.setattr(
            loader, "_loaded", {k: v for k, v in loader._loaded.items() if not k.startswith(PACKAGE)}
        )
        for name in [name for name in sys.modules if name.startswith(f"{PACKAGE}.")]:
            patch.delitem(sys.modules, name)
        yield loader.discover([PACKAGE])


def serve(monkeypatch, extra, *users) -> None:
    """The shipped catalogue plus `extra` for this test, its dashboards granted to `users`."""
    from dashboards.models import Dashboard
    from dashboards.services import grant_add
    from tests.conftest import with_catalogue

    with_catalogue(monkeypatch, extra)
    for slug in extra.by_slug:
        for user in users:
            grant_add(dashboard=Dashboard.objects.get(slug=slug), user=user)


def worker_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    assert db["ENGINE"].endswith("postgresql"), "the worker shares the PostgreSQL test database"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class CeleryProcess:
    """A `celery -A dashboards.worker ...` command of the Procfile as a subprocess, on the
    test's database and Redis, with the catalogue plus `tests.bg_apps`, in a process group
    of its own. `stop` leaves nothing behind: neither its pool processes nor their Chromium
    (which kaleido starts in a session of its own)."""

    ready = ""  # what its log says once it serves

    def __init__(self, *, redis_url: str, log: Path, env: dict[str, str] | None = None):
        self.redis_url, self.log, self.env = redis_url, log, env or {}
        self.process: subprocess.Popen | None = None

    def arguments(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        env = {
            **os.environ,
            # The test's database, where the worker records the jobs it runs.
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": self.redis_url,
            "DASHBOARD_PACKAGES": f"dashboards.catalogue,{PACKAGE}",
            # The venv's .pth names the main checkout: this one comes first.
            "PYTHONPATH": str(ROOT),
            **self.env,
        }
        out = self.log.open("w")  # the child writes to it; closed here, it stays open there
        self.process = subprocess.Popen(
            [CELERY, "-A", "dashboards.worker", *self.arguments()],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while self.ready not in self.log.read_text():
            assert self.process.poll() is None and time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def stop(self) -> None:
        stop_all([self])


def stop_all(processes: list[CeleryProcess]) -> None:
    """SIGTERM to each of `processes` at once (a worker's warm shutdown), then SIGKILL to
    whatever is left of them: their process groups, and every process they had started."""
    import psutil

    left = []
    for each in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            left += psutil.Process(each.process.pid).children(recursive=True)
        each.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for each in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            each.process.wait(max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(each.process.pid, signal.SIGKILL)
        each.process.wait()
    for process in left:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(left, timeout=10)


class CeleryWorker(CeleryProcess):
    """The Procfile's `worker:`."""

    ready = "ready."

    def __init__(self, *, concurrency: int = 2, name: str = "", **kwargs):
        super().__init__(**kwargs)
        self.concurrency, self.name = concurrency, name or f"test{os.getpid()}"

    def arguments(self) -> list[str]:
        return (
            ["worker", "--pool", "prefork", "--concurrency", str(self.concurrency)]
            + ["--prefetch-multiplier", "1", "--without-gossip", "--without-mingle"]
            + ["-l", "INFO", "-n", f"{self.name}@%h"]
        )


class CeleryBeat(CeleryProcess):
    """The Procfile's `beat:`, its schedule file beside its log."""

    ready = "beat: Starting..."

    def arguments(self) -> list[str]:
        return ["beat", "--schedule", str(self.log.with_suffix(".schedule")), "-l", "INFO"]


@contextmanager
def celery_worker(directory: Path):
    """A Redis of the test's own and a worker on it; yields (redis, worker)."""
    redis_server = OwnRedis(directory)
    redis_server.start()
    worker = CeleryWorker(redis_url=redis_server.url, log=directory / "worker.log")
    try:
        yield redis_server, worker
    finally:
        if worker.process is not None:
            worker.stop()
        redis_server.stop()


# -- what dash-renderer does --------------------------------------------------------


def clicked(button: str, n: int, output: str) -> dict:
    """The body of a callback request: `button` clicked for the `n`th time."""
    component, prop = output.split(".")
    return {
        "output": output,
        "outputs": {"id": component, "property": prop},
        "inputs": [{"id": button, "property": "n_clicks", "value": n}],
        "changedPropIds": [f"{button}.n_clicks"],
    }


def end_id(client, slug: str) -> str:
    """The page load's signed id, from the page's config."""
    return re.search(r'"end_id":"([^"]+)"', client.get(APP.format(slug)).content.decode())[1]


def post(client, slug: str, query: str, body: dict):
    return client.post(
        f"{APP.format(slug)}{UPDATE}?{query}", json.dumps(body), content_type="application/json"
    )


def poll_body(body: dict) -> dict:
    # The renderer polls with the inputs' values left out.
    polled = json.loads(json.dumps(body))
    for item in polled["inputs"]:
        item["value"] = None
    return polled


def start(client, slug: str, body: dict) -> tuple[str, dict]:
    """Load the page and start the job: (endId, Dash's first answer with cacheKey and job)."""
    eid = end_id(client, slug)
    first = post(client, slug, f"endId={eid}", body)
    assert first.status_code == 200, first.content
    return eid, json.loads(first.content)


def poll_until_done(client, slug: str, body: dict, *, eid: str, handles: dict, seconds: float = 60):
    """Poll as the renderer does until the answer (or a refusal); returns
    (last response, the progress values seen)."""
    query = f"endId={eid}&cacheKey={handles['cacheKey']}&job={handles['job']}"
    progress, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = post(client, slug, query, poll_body(body))
        if response.status_code != 200:
            return response, progress
        answer = json.loads(response.content) if response.content else {}
        if "progress" in answer:
            progress.append(answer["progress"])
        if "response" in answer:
            return response, progress
        time.sleep(0.2)
    raise AssertionError(f"no answer in {seconds} s")


def run_job(client, slug: str, body: dict) -> tuple[dict, list]:
    """Start a job and poll it to its answer: (Dash's answer, the progress seen)."""
    eid, handles = start(client, slug, body)
    response, progress = poll_until_done(client, slug, body, eid=eid, handles=handles)
    assert response.status_code == 200, response.content
    return json.loads(response.content), progress
