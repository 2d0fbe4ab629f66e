"""Dash's background callbacks in the portal: each app runs its own jobs, on the portal's
Celery worker or on diskcache, and a job's handles, results and context are its user's.

The Celery tests start a Redis and a `celery -A dashboards.worker worker` of their own
(once per module, in the PostgreSQL + Redis run); the diskcache ones run everywhere.
The requests are dash-renderer's: the page (its signed `endId`), the callback, then
polls with `cacheKey` and `job` until the answer.
"""

import base64
import concurrent.futures
import json
import os
import signal
import time

import psutil
import pytest
import redis
from django.test import Client

from dashboards import jobs
from dashboards.hosting import background
from dashboards.hosting.loader import ERROR_MESSAGE, ERROR_NOTE
from dashboards.models import BackgroundJob, Dashboard
from dashboards.services import grant_add, grant_remove
from tests.conftest import make_user
from tests.dash_requests import portal_callback
from tests.jobs import (
    CeleryWorker,
    celery_worker,
    clicked,
    end_id,
    hosted_bg_apps,
    poll_body,
    poll_until_done,
    post,
    run_job,
    serve,
    start,
)
from tests.sites import ONCE_WITH_SERVICES

DOCS = clicked("button_id", 1, "paragraph_id.children")
CANCEL = clicked("stop", 1, "stop.id")


@pytest.fixture
def people(db):
    """alice and her browser, and bob's, who may open the same dashboards."""
    return cast()


@pytest.fixture
def committed_people(transactional_db):
    """`people`, committed: the worker, another process, records jobs beside them. Their
    requests are made on a thread of their own, as a server's are: the browser tests leave
    an event loop running in this one (committed data is seen from any thread)."""
    return cast(client_class=ThreadClient)


class ThreadClient(Client):
    _thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def request(self, **request):
        return self._thread.submit(super().request, **request).result()


def cast(client_class=Client):
    alice, bob = make_user("alice"), make_user("bob")
    client, other = client_class(), client_class()
    client.force_login(alice)
    other.force_login(bob)
    return alice, bob, client, other


# -- Celery (PostgreSQL + Redis run) ------------------------------------------------


@pytest.fixture(scope="module")
def on_celery(tmp_path_factory):
    """Redis of the module's own, `tests.bg_apps` loaded on it, a worker not started yet."""
    with (
        celery_worker(tmp_path_factory.mktemp("celery")) as (redis_server, worker),
        hosted_bg_apps(redis_url=redis_server.url) as extra,
    ):
        yield redis_server, worker, extra


@pytest.fixture
def celery_apps(on_celery, committed_people, monkeypatch):
    serve(monkeypatch, on_celery[2], *committed_people[:2])
    return on_celery


@pytest.fixture
def worker(celery_apps):
    redis_server, worker, extra = celery_apps
    if worker.process is None or worker.process.poll() is not None:  # none yet, or killed
        worker.start()
    return worker


def note(answer: dict) -> str:
    """The failure note a poll's answer shows in the page."""
    assert "sideUpdate" in answer, answer
    return answer["sideUpdate"][ERROR_NOTE]["children"]


def job_record(slug: str) -> tuple:
    """Alice's last job of `slug` (a worker may still record the jobs of earlier tests)."""
    job = BackgroundJob.objects.filter(dashboard=slug, username="alice").latest("queued_at")
    return job.username, job.state, job.error


def running_job(client, slug: str, seconds: int) -> tuple[str, dict, dict, int]:
    """A job of `slug`'s `run` started and polled until it reports the process running it:
    (endId, handles, body, pid)."""
    body = clicked("go", seconds, "out.children")
    eid, handles = start(client, slug, body)
    query = f"endId={eid}&cacheKey={handles['cacheKey']}&job={handles['job']}"
    for _ in range(300):
        answer = json.loads(post(client, slug, query, poll_body(body)).content or b"{}")
        if "progress" in answer:
            return eid, handles, body, int(answer["progress"]["pid.children"])
        time.sleep(0.1)
    raise AssertionError("the job did not start")


def next_poll(client, slug: str, body: dict, *, eid: str, handles: dict) -> dict:
    """The answer of the renderer's next poll, one poll interval (1 s) from now."""
    time.sleep(1.0)
    query = f"endId={eid}&cacheKey={handles['cacheKey']}&job={handles['job']}"
    response = post(client, slug, query, poll_body(body))
    assert response.status_code == 200, response.content
    return json.loads(response.content)


@ONCE_WITH_SERVICES
def test_a_jobs_stored_context_holds_no_session_or_csrf_cookie(celery_apps, committed_people):
    # No worker yet: the job's message waits in Redis's `celery` list, where we read it.
    redis_server, worker, _ = celery_apps
    assert worker.process is None
    _, _, client, _ = committed_people
    client.cookies["analytics"] = "an-apps-own-cookie"
    eid = end_id(client, "no-manager")  # and the CSRF cookie, as a browser has it
    response = client.post(
        f"/django_plotly_dash/app/no-manager/_dash-update-component?endId={eid}",
        json.dumps(clicked("go", 4, "out.children")),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 200, response.content
    [message] = redis.Redis.from_url(redis_server.url).lrange("celery", 0, -1)
    context = json.loads(base64.b64decode(json.loads(message)["body"]))[0][3]
    assert sorted(context["cookies"]) == ["analytics"]
    assert context["headers"]["Cookie"] == "analytics=an-apps-own-cookie"
    assert not [name for name in context["headers"] if "csrf" in name.lower()]


@ONCE_WITH_SERVICES
def test_two_apps_with_the_same_callback_each_run_their_own(worker, committed_people):
    _, _, client, _ = committed_people
    for slug, answer in (("twin-a", "A"), ("twin-b", "B")):
        got, _ = run_job(client, slug, clicked("go", 1, "out.children"))
        assert got["response"] == {"out": {"children": answer}}


@ONCE_WITH_SERVICES
def test_an_app_without_a_manager_runs_on_the_portals_celery_worker(worker, committed_people):
    _, _, client, _ = committed_people
    got, _ = run_job(client, "no-manager", clicked("go", 2, "out.children"))
    answer = got["response"]["out"]["children"]
    pool = {child.pid for child in psutil.Process(worker.process.pid).children()}
    assert answer.startswith("done 2 pid ") and int(answer.rsplit(" ", 1)[1]) in pool


@ONCE_WITH_SERVICES
def test_dashs_docs_example_runs_unchanged_on_the_portals_worker(worker, committed_people):
    _, _, client, _ = committed_people
    got, progress = run_job(client, "docs-example", DOCS)
    assert got["response"] == {"paragraph_id": {"children": "Clicked 1 times"}}
    # set_progress((str(i), "5")) once a second: the renderer's polls see it move.
    seen = [value["progress_bar.value"] for value in progress]
    assert seen == sorted(seen, key=int) and {"1", "2", "3", "4"} <= set(seen), seen
    assert {value["progress_bar.max"] for value in progress} == {"5"}


@ONCE_WITH_SERVICES
def test_a_worker_process_killed_mid_job_gives_the_failure_note_at_the_next_poll(worker, committed_people):
    alice, _, client, _ = committed_people
    eid, handles, body, pid = running_job(client, "slow", 30)
    assert pid in {child.pid for child in psutil.Process(worker.process.pid).children()}
    os.kill(pid, signal.SIGKILL)
    assert note(next_poll(client, "slow", body, eid=eid, handles=handles)) == jobs.LOST
    # Recorded by whoever learnt it first: the page's poll, or the worker's pool.
    username, state, error = job_record("slow")
    assert (username, state) == ("alice", "lost")
    assert error == jobs.LOST or error.startswith(
        "WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL)"
    )


@ONCE_WITH_SERVICES
def test_a_whole_worker_killed_mid_job_gives_the_failure_note_within_the_poll_interval(
    worker, committed_people
):
    _, _, client, _ = committed_people
    eid, handles, body, pid = running_job(client, "slow", 30)
    os.kill(worker.process.pid, signal.SIGKILL)
    # Nothing is left to mark the job failed: its key lapses before the next poll.
    assert note(next_poll(client, "slow", body, eid=eid, handles=handles)) == jobs.LOST
    psutil.wait_procs([psutil.Process(pid)], timeout=10)


@ONCE_WITH_SERVICES
def test_an_error_in_a_job_shows_the_note_and_is_recorded_with_its_message(worker, committed_people):
    _, _, client, _ = committed_people
    got, _ = run_job(client, "slow", clicked("fail", 1, "failed.children"))
    assert note(got) == ERROR_MESSAGE
    assert job_record("slow") == ("alice", "failed", "no sales recorded for this period")


@ONCE_WITH_SERVICES
def test_jobs_are_recorded_from_queued_to_finished_with_their_worker(worker, committed_people):
    _, _, client, _ = committed_people
    got, _ = run_job(client, "slow", clicked("go", 1, "out.children"))
    assert got["response"]["out"]["children"].startswith("slept 1 s in ")
    job = BackgroundJob.objects.filter(dashboard="slow", username="alice").latest("queued_at")
    assert (job.username, job.state, job.error) == ("alice", "finished", "")
    assert job.worker == f"test{os.getpid()}@{os.uname().nodename}"
    assert job.queued_at <= job.started_at <= job.ended_at


@ONCE_WITH_SERVICES
def test_four_ten_second_jobs_on_two_workers_leave_other_callbacks_answered_meanwhile(
    worker, committed_people
):
    alice, bob, client, other = committed_people
    for user in (alice, bob):
        grant_add(dashboard=Dashboard.objects.get(slug="funnel"), user=user)
    started = [start(browser, "slow", clicked("go", 10, "out.children")) for browser in (client, other) * 2]
    # While they run (two at a time) another dashboard's callbacks are answered by
    # this web process: the jobs are not in it.
    for browser in (client, other) * 5:
        answer = portal_callback(browser, "funnel")
        assert [trace["type"] for trace in answer["funnel"]["figure"]["data"]] == ["bar", "bar"]
    body = clicked("go", 10, "out.children")
    for browser, (eid, handles) in zip((client, other) * 2, started, strict=True):
        query = f"endId={eid}&cacheKey={handles['cacheKey']}&job={handles['job']}"
        assert "response" not in json.loads(post(browser, "slow", query, poll_body(body)).content or b"{}")
    answers = [
        json.loads(poll_until_done(browser, "slow", body, eid=eid, handles=handles)[0].content)
        for browser, (eid, handles) in zip((client, other) * 2, started, strict=True)
    ]
    pids = {int(answer["response"]["out"]["children"].rsplit(" ", 1)[1]) for answer in answers}
    assert len(pids) <= 2 and pids <= {c.pid for c in psutil.Process(worker.process.pid).children()}
    assert os.getpid() not in pids


@pytest.fixture
def worker_with_limits(celery_apps, settings):
    """The module's worker replaced by one with a soft time limit of 2 s and a hard one of 4 s."""
    redis_server, worker, _ = celery_apps
    if worker.process is not None and worker.process.poll() is None:
        worker.stop()
    settings.JOB_SOFT_TIME_LIMIT, settings.JOB_TIME_LIMIT = 2, 4
    limited = CeleryWorker(
        redis_url=redis_server.url,
        log=worker.log.with_name("limited.log"),
        env={"JOB_SOFT_TIME_LIMIT": "2", "JOB_TIME_LIMIT": "4"},
    )
    limited.start()
    yield limited
    limited.stop()


@ONCE_WITH_SERVICES
def test_a_job_over_its_time_limit_is_stopped_and_reported(worker_with_limits, committed_people):
    _, _, client, _ = committed_people
    got, _ = run_job(client, "slow", clicked("go", 30, "out.children"))
    assert note(got) == "This job ran longer than its limit of 2 seconds and was stopped."
    assert job_record("slow") == ("alice", "failed", "SoftTimeLimitExceeded()")


@ONCE_WITH_SERVICES
def test_redis_down_answers_busy_and_the_site_still_serves(celery_apps, worker, committed_people):
    alice, _, client, _ = committed_people
    grant_add(dashboard=Dashboard.objects.get(slug="stocktoday"), user=alice)
    redis_server = psutil.Process(celery_apps[0].process.pid)
    body = clicked("go", 1, "out.children")
    eid = end_id(client, "slow")
    redis_server.suspend()
    try:
        # Dash answers the start with handles; the first poll tells the page.
        first = post(client, "slow", f"endId={eid}", body)
        assert first.status_code == 200, first.content
        handles = json.loads(first.content)
        assert note(next_poll(client, "slow", body, eid=eid, handles=handles)) == jobs.BUSY
        # The next one is refused at once, without waiting for Redis again.
        eid, again = start(client, "slow", body)
        assert note(next_poll(client, "slow", body, eid=eid, handles=again)) == jobs.BUSY
        page = client.get("/dashboards/stocktoday/")
        assert (page.status_code, page.context["dashboard"].slug) == (200, "stocktoday")
    finally:
        redis_server.resume()
        jobs.breaker.answered()
    got, _ = run_job(client, "slow", body)
    assert got["response"]["out"]["children"].startswith("slept 1 s in ")
    # Alice's only job is the one after the thaw. (A start refused while Redis was frozen
    # may still reach it: the kernel kept the bytes. That job runs, unrecorded for her,
    # and its answer is never read.)
    assert list(BackgroundJob.objects.filter(username="alice").values_list("state", flat=True)) == [
        "finished"
    ]


# -- diskcache (every run) ------------------------------------------------------------


@pytest.fixture
def on_diskcache(people, monkeypatch, settings, tmp_path):
    settings.BACKGROUND_DIR = tmp_path / "background"
    with hosted_bg_apps(redis_url="") as extra:
        serve(monkeypatch, extra, *people[:2])
        yield extra


def test_an_app_without_a_manager_runs_on_diskcache_under_the_background_folder(
    on_diskcache, people, settings
):
    from dash import DiskcacheManager

    [manager] = background.managers_of(on_diskcache.by_slug["no-manager"].app)
    assert isinstance(manager, DiskcacheManager)
    assert manager.handle.directory == str(settings.BACKGROUND_DIR)
    _, _, client, _ = people
    got, _ = run_job(client, "no-manager", clicked("go", 9, "out.children"))
    assert got["response"]["out"]["children"].startswith("done 9 pid ")


def test_another_user_polling_or_cancelling_a_job_is_refused_with_403(on_diskcache, people):
    _, _, client, other = people
    body = clicked("go", 3, "out.children")
    eid, handles = start(client, "no-manager", body)
    query = f"endId={eid}&cacheKey={handles['cacheKey']}&job={handles['job']}"
    for response in (
        post(other, "no-manager", query, body),
        post(other, "no-manager", f"endId={eid}&cancelJob={handles['job']}", CANCEL),
    ):
        assert (response.status_code, response.content) == (403, background.NOT_YOURS.encode())
    # Neither read nor stopped it: its user still gets the answer.
    response, _ = poll_until_done(client, "no-manager", body, eid=eid, handles=handles)
    assert json.loads(response.content)["response"]["out"]["children"].startswith("done 3 pid ")


def test_a_revoked_grant_is_refused_at_the_next_poll(on_diskcache, people):
    alice, _, client, _ = people
    body = clicked("go", 5, "out.children")
    eid, handles = start(client, "no-manager", body)
    grant_remove(dashboard=Dashboard.objects.get(slug="no-manager"), user=alice)
    response, _ = poll_until_done(client, "no-manager", body, eid=eid, handles=handles)
    assert (response.status_code, response.content) == (403, b"You do not have access to this dashboard.")


def test_a_handle_of_another_dashboard_is_refused(on_diskcache, people):
    _, _, client, _ = people
    body = clicked("go", 6, "out.children")
    eid, handles = start(client, "no-manager", body)
    other_eid, _ = start(client, "disk", clicked("go", 1, "out.children"))
    for query in (
        f"endId={eid}&cacheKey={handles['cacheKey']}&job={handles['job']}",  # all of no-manager's
        f"endId={other_eid}&cacheKey={handles['cacheKey']}&job={handles['job']}",  # disk's page
    ):
        response = post(client, "disk", query, body)
        assert (response.status_code, response.content) == (403, background.NOT_YOURS.encode())


def test_the_same_inputs_give_each_user_their_own_result(on_diskcache, people):
    _, _, client, other = people
    body = clicked("go", 7, "out.children")
    _, mine = start(client, "no-manager", body)
    _, theirs = start(other, "no-manager", body)
    assert mine["cacheKey"].split("~")[0] != theirs["cacheKey"].split("~")[0]


def test_a_diskcache_job_whose_process_is_killed_gives_the_failure_note(on_diskcache, people):
    _, _, client, _ = people
    eid, handles, body, pid = running_job(client, "slow", 30)
    os.kill(pid, signal.SIGKILL)
    assert note(next_poll(client, "slow", body, eid=eid, handles=handles)) == jobs.LOST
    assert job_record("slow") == ("alice", "lost", jobs.LOST)


def test_diskcache_jobs_are_recorded_by_the_poll_that_reads_their_answer(on_diskcache, people):
    _, _, client, _ = people
    run_job(client, "slow", clicked("go", 1, "out.children"))
    assert job_record("slow") == ("alice", "finished", "")
    got, _ = run_job(client, "slow", clicked("fail", 1, "failed.children"))
    assert note(got) == ERROR_MESSAGE
    assert job_record("slow") == ("alice", "failed", "no sales recorded for this period")


def test_jobs_are_counted_per_dashboard_and_state_in_metrics(on_diskcache, people, settings):
    _, _, client, _ = people
    run_job(client, "slow", clicked("go", 1, "out.children"))
    run_job(client, "slow", clicked("fail", 1, "failed.children"))
    run_job(client, "no-manager", clicked("go", 1, "out.children"))
    settings.METRICS_TOKEN = "a-scrapers-token"
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer a-scrapers-token").content.decode()
    assert [line for line in text.splitlines() if line.startswith("dashengine_background_jobs{")] == [
        'dashengine_background_jobs{dashboard="no-manager",state="finished"} 1.0',
        'dashengine_background_jobs{dashboard="slow",state="failed"} 1.0',
        'dashengine_background_jobs{dashboard="slow",state="finished"} 1.0',
    ]


def test_the_last_failures_show_in_the_admin_with_dashboard_user_and_error(on_diskcache, people):
    _, _, client, _ = people
    run_job(client, "slow", clicked("fail", 1, "failed.children"))
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    page = admin.get("/admin/dashboards/backgroundjob/?state__exact=failed")
    assert page.status_code == 200
    [job] = page.context["cl"].result_list
    assert (job.dashboard, job.username, job.state, job.error) == (
        "slow",
        "alice",
        "failed",
        "no sales recorded for this period",
    )
    assert b"no sales recorded for this period" in page.content
    assert admin.get(f"/admin/dashboards/backgroundjob/{job.pk}/delete/").status_code == 403


def test_a_cache_by_answer_is_given_to_everyone_who_may_open_the_dashboard(on_diskcache, people):
    _, _, client, other = people
    body = clicked("go", 4, "out.children")
    eid, handles = start(client, "cached", body)
    assert handles["progressDefault"] == {"bar.value": "0"}
    first = json.loads(poll_until_done(client, "cached", body, eid=eid, handles=handles)[0].content)
    answer = first["response"]["out"]["children"]
    assert answer.startswith("answer 4 computed as ")
    # Bob's first poll gets the same answer: computed once, for the dashboard.
    again, _ = run_job(other, "cached", body)
    assert again["response"]["out"]["children"] == answer


@pytest.mark.parametrize(
    ("redis_url", "problem"),
    [
        (
            "redis://127.0.0.1:6379/15",
            "its Celery app publishes to redis://127.0.0.1:6399/3, not to REDIS_URL, where the worker listens",
        ),
        ("", "the site has no REDIS_URL, so no worker runs them"),
    ],
)
def test_a_check_names_an_app_whose_celery_app_the_worker_does_not_serve(redis_url, problem):
    from dashboards.checks import check_dashboards

    with hosted_bg_apps(redis_url=redis_url) as extra:
        warnings = [m for m in check_dashboards(list(extra.by_slug.values())) if m.id == "dashboards.W005"]
    assert [m.msg for m in warnings] == [
        f"Dashboard 'elsewhere' has background callbacks on a Celery app of its own, but {problem}."
    ]
