"""A team on several machines: two instances of the Procfile's web command
sharing PostgreSQL and Redis, behind haproxy with docs/deploy/haproxy.cfg.

The database is a fresh one on the machine's PostgreSQL; Redis is the test's own,
on a port of its own, so that it can be stopped and restarted.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
import redis
import requests
import websockets

from tests.sites import (
    ONCE_WITH_SERVICES,
    ROOT,
    TIMEOUT,
    OwnRedis,
    haproxy,
    prepared,
    save_report,
    signed_in,
    site,
    site_env,
    wait_until,
)
from tests.test_asgi import run_async

pytestmark = ONCE_WITH_SERVICES
SERVER = "postgres://postgres@127.0.0.1:5432"
METRICS_TOKEN = "team-test-metrics-token"


class Team:
    def __init__(self, env, a, b, balancer, redis_server):
        self.env, self.a, self.b, self.balancer, self.redis = env, a, b, balancer, redis_server

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout


@pytest.fixture(scope="module")
def team():
    name = f"dashengine_team_{os.getpid()}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    own_redis = OwnRedis(Path(tempfile.mkdtemp(prefix="dashengine-redis-")))
    own_redis.start()
    try:
        env = prepared(
            site_env(database_url=f"{SERVER}/{name}", redis_url=own_redis.url, METRICS_TOKEN=METRICS_TOKEN)
        )
        with ExitStack() as stack:
            a = stack.enter_context(site(env))
            b = stack.enter_context(site(env))
            balancer = stack.enter_context(haproxy(a.base, b.base))
            yield Team(env, a, b, balancer, own_redis)
    finally:
        if own_redis.process.poll() is None:
            own_redis.stop()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def signed_in_as(browser: requests.Session, base: str) -> str | None:
    """The username the gallery greets, or None when it asks to sign in."""
    response = browser.get(f"{base}/", allow_redirects=False, timeout=TIMEOUT)
    if response.status_code == 302:
        return None
    assert response.status_code == 200
    return re.search(r'<span class="nav-user-name">([^<]+)</span>', response.text)[1]


def test_a_session_started_on_one_instance_is_valid_on_the_other(team):
    browser = signed_in(team.a.base, "sales")
    assert signed_in_as(browser, team.b.base) == "sales"
    assert browser.get(f"{team.b.base}/dashboards/stocktoday/", timeout=TIMEOUT).status_code == 200


def test_a_report_saved_on_one_instance_is_listed_on_the_other(team):
    browser = signed_in(team.a.base, "sales")
    assert save_report(browser, team.a.base, "Saved on A").status_code == 302
    assert "Saved on A" in browser.get(f"{team.b.base}/reports/", timeout=TIMEOUT).text


def test_a_revoked_grant_is_refused_on_both_instances_at_the_next_request(team):
    browser = signed_in(team.a.base, "marketing")
    paths = ["/dashboards/funnel/"] + [
        f"/django_plotly_dash/app/funnel/{r}" for r in ("", "_dash-layout")
    ] * 3

    def statuses() -> list[int]:
        return [
            browser.get(base + path, timeout=TIMEOUT).status_code
            for base in (team.a.base, team.b.base)
            for path in paths
        ]

    assert statuses() == [200] * 14
    team.manage("grant_dashboard", "funnel", "--group", "Marketing", "--revoke")
    try:
        refused = statuses()
    finally:
        team.manage("grant_dashboard", "funnel", "--group", "Marketing")
    assert refused == [403] * 14


def test_a_live_feed_on_one_instance_idle_12_s_then_gets_a_point_published_elsewhere(team):
    browser = signed_in(team.a.base, "marketing")
    address = team.b.base.removeprefix("http://")

    async def watch() -> dict:
        async with websockets.connect(
            f"ws://{address}/ws/dashboards/timeseries/live/?series=signups",
            additional_headers={"Cookie": f"sessionid={browser.cookies['sessionid']}"},
            origin=team.b.base,
        ) as feed:
            backlog = json.loads(await asyncio.wait_for(feed.recv(), TIMEOUT))
            assert backlog["reset"] is True
            await asyncio.sleep(12)  # longer than any read timeout on the way
            await asyncio.to_thread(team.manage, "publish_point", "signups", "412.5")
            return json.loads(await asyncio.wait_for(feed.recv(), TIMEOUT))

    message = run_async(watch())
    assert message["reset"] is False
    assert [point["value"] for point in message["points"]] == [412.5]


def test_behind_the_balancer_a_killed_worker_costs_no_failed_answer(team):
    browser = signed_in(team.balancer, "sales")
    worker = int(Path(f"/proc/{team.a.pid}/task/{team.a.pid}/children").read_text().split()[0])

    def gallery(n: int) -> int:
        if n == 10:
            os.kill(worker, signal.SIGKILL)
        return browser.get(f"{team.balancer}/", timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(gallery, range(60)))
    assert statuses == [200] * 60
    # gunicorn starts a new worker; the instance serves again by itself.
    wait_until(lambda: requests.get(f"{team.a.base}/readyz", timeout=2).ok)


def test_a_redis_outage_and_restart_log_nobody_out_and_lose_no_save(team):
    browser = signed_in(team.balancer, "sales")
    team.redis.stop()
    try:
        assert [signed_in_as(browser, base) for base in (team.a.base, team.b.base)] == ["sales", "sales"]
        assert save_report(browser, team.b.base, "While Redis is down").status_code == 302
    finally:
        team.redis.start()  # empty: this Redis keeps nothing on disk
    assert [signed_in_as(browser, base) for base in (team.a.base, team.b.base)] == ["sales", "sales"]
    assert "While Redis is down" in browser.get(f"{team.a.base}/reports/", timeout=TIMEOUT).text


@contextmanager
def redis_frozen(team: Team):
    """SIGSTOP: connections open, nothing answered, as a stalled Redis behaves."""
    os.kill(team.redis.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(team.redis.process.pid, signal.SIGCONT)


FUNNEL = [
    "/dashboards/funnel/",
    "/django_plotly_dash/app/funnel/",
    "/django_plotly_dash/app/funnel/_dash-layout",
]


def test_a_revoke_made_while_redis_is_frozen_holds_on_both_instances_at_the_next_request(team):
    browser = signed_in(team.a.base, "marketing")

    def statuses(who: requests.Session) -> list[int]:
        return [
            who.get(base + path, timeout=TIMEOUT).status_code
            for base in (team.a.base, team.b.base)
            for path in FUNNEL
        ]

    assert statuses(browser) == [200] * 6
    try:
        with redis_frozen(team):
            team.manage("grant_dashboard", "funnel", "--group", "Marketing", "--revoke")
        refused, new_login = statuses(browser), statuses(signed_in(team.b.base, "marketing"))
    finally:
        team.manage("grant_dashboard", "funnel", "--group", "Marketing")
    assert refused == [403] * 6
    assert new_login == [403] * 6


@pytest.mark.parametrize(
    "deactivate",
    [
        "u = User.objects.get(username='viewer'); u.is_active = False; u.save()",
        "User.objects.filter(username='viewer').update(is_active=False)",
    ],
    ids=["save", "queryset-update"],
)
def test_a_deactivation_made_while_redis_is_frozen_signs_the_user_out_on_both_instances(team, deactivate):
    browser = signed_in(team.a.base, "viewer")
    assert [signed_in_as(browser, base) for base in (team.a.base, team.b.base)] == ["viewer", "viewer"]
    shell = "from accounts.models import User; "
    try:
        with redis_frozen(team):
            team.manage("shell", "-c", shell + deactivate)
        after = [signed_in_as(browser, base) for base in (team.a.base, team.b.base)]
    finally:
        team.manage("shell", "-c", shell + "User.objects.filter(username='viewer').update(is_active=True)")
    assert after == [None, None]


def test_a_logout_while_redis_pauses_writes_ends_the_session_on_both_instances(team):
    browser = signed_in(team.a.base, "sales")
    stolen = browser.cookies["sessionid"]
    redis.Redis.from_url(team.redis.url).execute_command("CLIENT", "PAUSE", "5000", "WRITE")
    browser.post(
        f"{team.a.base}/accounts/logout/",
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        timeout=TIMEOUT,
    )
    thief = requests.Session()
    thief.cookies.set("sessionid", stolen)
    assert [signed_in_as(thief, base) for base in (team.a.base, team.b.base)] == [None, None]
    export = thief.get(
        f"{team.b.base}/dashboards/stocktoday/export.csv", allow_redirects=False, timeout=TIMEOUT
    )
    assert export.status_code == 401
