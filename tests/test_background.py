"""Dash's background callbacks in the portal: each app runs its own jobs, on the portal's
Celery worker or on diskcache, and a job's handles, results and context are its user's.

The Celery tests start a Redis and a `celery -A dashboards.worker worker` of their own
(once per module, in the PostgreSQL + Redis run); the diskcache ones run everywhere.
The requests are dash-renderer's: the page (its signed `endId`), the callback, then
polls with `cacheKey` and `job` until the answer.
"""

import base64
import json

import psutil
import pytest
import redis
from django.test import Client

from dashboards.hosting import background
from dashboards.models import Dashboard
from dashboards.services import grant_remove
from tests.conftest import make_user
from tests.jobs import (
    celery_worker,
    clicked,
    end_id,
    hosted_bg_apps,
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
    alice, bob = make_user("alice"), make_user("bob")
    client, other = Client(), Client()
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
def celery_apps(on_celery, people, monkeypatch):
    serve(monkeypatch, on_celery[2], *people[:2])
    return on_celery


@pytest.fixture
def worker(celery_apps):
    redis_server, worker, extra = celery_apps
    if worker.process is None:
        worker.start()
    return worker


@ONCE_WITH_SERVICES
def test_a_jobs_stored_context_holds_no_session_or_csrf_cookie(celery_apps, people):
    # No worker yet: the job's message waits in Redis's `celery` list, where we read it.
    redis_server, worker, _ = celery_apps
    assert worker.process is None
    _, _, client, _ = people
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
def test_two_apps_with_the_same_callback_each_run_their_own(worker, people):
    _, _, client, _ = people
    for slug, answer in (("twin-a", "A"), ("twin-b", "B")):
        got, _ = run_job(client, slug, clicked("go", 1, "out.children"))
        assert got["response"] == {"out": {"children": answer}}


@ONCE_WITH_SERVICES
def test_an_app_without_a_manager_runs_on_the_portals_celery_worker(worker, people):
    _, _, client, _ = people
    got, _ = run_job(client, "no-manager", clicked("go", 2, "out.children"))
    answer = got["response"]["out"]["children"]
    pool = {child.pid for child in psutil.Process(worker.process.pid).children()}
    assert answer.startswith("done 2 pid ") and int(answer.rsplit(" ", 1)[1]) in pool


@ONCE_WITH_SERVICES
def test_dashs_docs_example_runs_unchanged_on_the_portals_worker(worker, people):
    _, _, client, _ = people
    got, progress = run_job(client, "docs-example", DOCS)
    assert got["response"] == {"paragraph_id": {"children": "Clicked 1 times"}}
    # set_progress((str(i), "5")) once a second: the renderer's polls see it move.
    seen = [value["progress_bar.value"] for value in progress]
    assert seen == sorted(seen, key=int) and {"1", "2", "3", "4"} <= set(seen), seen
    assert {value["progress_bar.max"] for value in progress} == {"5"}


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
