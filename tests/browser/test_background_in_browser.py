"""Dash's docs example of background callbacks, its Celery branch unchanged, driven in
Chromium through the portal, its jobs run by a real Celery worker of this module's own.

The worker (`celery -A dashboards.worker worker`, as the Procfile's `worker:` line) runs
with one process: a job that Cancel did not stop would hold it, so the next job finishing
shows the worker was freed. The portal is Django's threaded live server, in this
process, so the catalogue with `tests.bg_apps` added applies to its requests.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.conftest import make_user
from tests.jobs import CeleryWorker, hosted_bg_apps, serve
from tests.sites import ONCE_WITH_SERVICES, OwnRedis

pytestmark = pytest.mark.browser

SLUG = "docs-example"
WAIT = 30_000  # ms: for the job's ~6 s and a slow machine; never a measured duration
SCREENSHOT = "/tmp/bg-running.png"

# Installed in the app's frame before a click: every value the progress bar takes and
# every text the paragraph shows, in order, however briefly.
RECORD = """() => {
    const seen = window.__seen = {progress: [], paragraph: []};
    const note = (list, value) => { if (value !== null && value !== list.at(-1)) list.push(value); };
    const look = () => {
        note(seen.progress, document.getElementById("progress_bar")?.getAttribute("value") ?? null);
        note(seen.paragraph, document.getElementById("paragraph_id")?.textContent ?? null);
    };
    look();
    new MutationObserver(look).observe(document.body, {
        subtree: true, childList: true, characterData: true, attributes: true,
    });
}"""
# The distinct progress values above 0 seen so far (Dash's set_progress(("0".."5", "5"))).
MOVED = "n => new Set(window.__seen.progress.filter(v => Number(v) > 0)).size >= n"


@pytest.fixture(scope="module")
def on_celery(tmp_path_factory):
    """A Redis of the module's own, `tests.bg_apps` loaded on it, and a worker of one
    process on it, started once."""
    directory = tmp_path_factory.mktemp("celery")
    redis_server = OwnRedis(directory)
    redis_server.start()
    worker = CeleryWorker(redis_url=redis_server.url, log=directory / "worker.log", concurrency=1)
    try:
        with hosted_bg_apps(redis_url=redis_server.url) as extra:
            worker.start()
            yield worker, extra
    finally:
        if worker.process is not None and worker.process.poll() is None:
            worker.stop()
        redis_server.stop()


@pytest.fixture
def docs_example(on_celery, transactional_db, live_server, monkeypatch, browser):
    """The docs example granted to alice, open in a 1366x768 tab signed in as her, drawn
    and recording; yields (page, the app's frame, the worker, the tab's problems)."""
    worker, extra = on_celery
    serve(monkeypatch, extra, make_user("alice"))
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    signed_in(context, live_server.url, "alice")
    page = context.new_page()
    page.set_default_timeout(WAIT)
    problems = watch(page)
    page.goto(f"{live_server.url}/dashboards/{SLUG}/")
    page.frame_locator("#dash-app").locator("html[data-frame='ready']").wait_for(state="attached")
    frame = next(f for f in page.frames if f"/django_plotly_dash/app/{SLUG}/" in f.url)
    frame.evaluate(RECORD)
    yield page, frame, worker, problems
    context.close()


def watch(page) -> list[str]:
    """Console errors, page errors, failed requests and error answers of this tab."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "requestfailed",
        lambda r: problems.append(f"failed: {r.url}") if r.failure != "net::ERR_ABORTED" else None,
    )
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    return problems


def seen(frame) -> dict[str, list[str]]:
    return frame.evaluate("() => window.__seen")


def worker_log_since(worker, offset: int) -> str:
    return worker.log.read_text()[offset:]


@ONCE_WITH_SERVICES
def test_dashs_docs_example_shows_progress_and_disables_run_while_the_job_runs(docs_example):
    page, frame, _, problems = docs_example
    run, cancel = frame.locator("#button_id"), frame.locator("#cancel_button_id")
    paragraph = frame.locator("#paragraph_id")
    expect(paragraph).to_have_text("Button not clicked")
    expect(run).to_be_enabled()

    run.click()
    expect(run).to_be_disabled(timeout=WAIT)
    expect(cancel).to_be_enabled()
    # The worker's set_progress reaches the page through the renderer's polls.
    frame.wait_for_function(MOVED, arg=2, timeout=WAIT)
    expect(run).to_be_disabled()
    expect(frame.locator("#progress_bar")).to_be_visible()
    page.screenshot(path=SCREENSHOT)

    expect(paragraph).to_have_text("Clicked 1 times", timeout=WAIT)
    expect(paragraph).to_be_visible()
    expect(run).to_be_enabled()
    expect(cancel).to_be_disabled()
    expect(frame.locator("#progress_bar")).to_be_hidden()

    progress = [int(value) for value in seen(frame)["progress"]]
    assert progress == sorted(progress) and len(set(progress) - {0}) >= 2, progress
    assert frame.locator("#progress_bar").get_attribute("max") == "5"
    assert seen(frame)["paragraph"] == ["Button not clicked", "Clicked 1 times"]
    assert problems == []


@ONCE_WITH_SERVICES
def test_cancel_stops_the_job_and_the_worker_is_free_again(docs_example):
    _, frame, worker, problems = docs_example
    run, cancel = frame.locator("#button_id"), frame.locator("#cancel_button_id")
    paragraph = frame.locator("#paragraph_id")
    log_start = len(worker.log.read_text())

    run.click()
    expect(run).to_be_disabled(timeout=WAIT)
    frame.wait_for_function(MOVED, arg=1, timeout=WAIT)  # the worker has the job
    cancel.click()
    expect(run).to_be_enabled(timeout=WAIT)
    expect(cancel).to_be_disabled()
    # The worker was told to stop the job: its process is terminated (and replaced).
    stopped = expect_in_log(frame, worker, log_start, r"Terminating ([0-9a-f-]+) \((?:15|Signals\.SIGTERM)\)")

    # The second job, on a worker of one process, finishes: the first no longer holds it.
    # Its ~6 s also take the page past when the first job would have answered.
    run.click()
    expect(run).to_be_disabled(timeout=WAIT)
    expect(paragraph).to_have_text("Clicked 2 times", timeout=WAIT)
    expect(run).to_be_enabled()
    expect(cancel).to_be_disabled()

    # The first job never answered, on the page or on the worker.
    assert seen(frame)["paragraph"] == ["Button not clicked", "Clicked 2 times"]
    log = worker_log_since(worker, log_start)
    succeeded = re.findall(r"Task \S+\[([0-9a-f-]+)\] succeeded", log)
    assert len(succeeded) == 1 and succeeded != [stopped], log[-3000:]
    assert problems == []


def expect_in_log(frame, worker, offset: int, pattern: str) -> str:
    """Wait (in the browser's time, WAIT at most) until the worker's log says `pattern`;
    returns its first group."""
    found = re.compile(pattern)
    for _ in range(WAIT // 250):
        if match := found.search(worker_log_since(worker, offset)):
            return match[1]
        frame.wait_for_timeout(250)
    raise AssertionError(f"not in the worker's log: {pattern}\n{worker_log_since(worker, offset)[-3000:]}")
