"""The documented deployment, with production settings, through a frozen service
and a killed process: two instances of the Procfile's web command behind haproxy
with docs/deploy/haproxy.cfg ending TLS, on a PostgreSQL cluster and a Redis of
the test's own (frozen with SIGSTOP; the machine's own are never touched)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from bench.common import BENCH_PASSWORD, free_port, procfile_web, worker_pids
from dashengine_site.views import DATABASE_UNAVAILABLE_TEXT, database_unavailable_page
from tests.sites import (
    ONCE_WITH_SERVICES,
    ROOT,
    TIMEOUT,
    OwnPostgres,
    OwnRedis,
    haproxy_tls,
    prepared,
    self_signed_certificate,
    signed_in,
    site,
    site_env,
    wait_until,
)

# What haproxy's health check and the instances promise (issue 20): /readyz within 0.5 s.
READY_WITHIN = 0.5
# An instance's own address: what haproxy sets on every request it passes on.
PROXIED_HTTPS = {"X-Forwarded-Proto": "https"}


def test_haproxy_answers_the_apps_own_page_while_no_instance_is_ready():
    """docs/deploy/503.html and the line for scripts in haproxy.cfg are what an instance
    answers for a database that does not answer (dashengine_site.views.server_error)."""
    deploy = ROOT / "docs" / "deploy"
    assert (deploy / "503.html").read_text() == database_unavailable_page(), (
        "docs/deploy/503.html differs from the app's 503 page: write it again with "
        "dashengine_site.views.database_unavailable_page()"
    )
    config = (deploy / "haproxy.cfg").read_text()
    returned = re.findall(r"^\s*http-request return status 503 (.*)$", config, flags=re.MULTILINE)
    assert len(returned) == 2
    page, text = returned
    assert "file 503.html hdr Retry-After 15 hdr Cache-Control no-store" in page
    escaped = DATABASE_UNAVAILABLE_TEXT.replace("\n", "\\n")
    assert f'string "{escaped}" hdr Retry-After 15 hdr Cache-Control no-store' in text


def production_env(**services: str) -> dict[str, str]:
    """The instances' production defaults: TLS redirect, Secure cookies and HSTS on."""
    env = site_env(**services)
    for name in ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_COOKIES", "DJANGO_HSTS_SECONDS"):
        env.pop(name)
    return env


class Deployment:
    def __init__(self, env, database, redis_server, a, b, balancer):
        self.env, self.database, self.redis = env, database, redis_server
        self.a, self.b, self.balancer = a, b, balancer

    def browser(self, username: str) -> requests.Session:
        return signed_in(self.balancer.https, username, verify=self.balancer.certificate)

    @contextmanager
    def redis_frozen(self):
        """SIGSTOP: connections open, nothing answered, as a stalled Redis behaves."""
        os.kill(self.redis.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.redis.process.pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def deployment():
    scratch = Path(tempfile.mkdtemp(prefix="dashengine-deploy-"))
    database = OwnPostgres()
    database.start()
    own_redis = OwnRedis(scratch)
    own_redis.start()
    try:
        env = prepared(production_env(database_url=database.url, redis_url=own_redis.url))
        with ExitStack() as stack:
            a = stack.enter_context(site(env))
            b = stack.enter_context(site(env))
            certificate = self_signed_certificate(scratch)
            balancer = stack.enter_context(haproxy_tls(a.base, b.base, certificate=certificate))
            yield Deployment(env, database, own_redis, a.base, b.base, balancer)
    finally:
        if own_redis.process.poll() is None:
            own_redis.stop()
        database.stop()


def timed_get(url: str, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.get(url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    return response, time.monotonic() - started


@ONCE_WITH_SERVICES
def test_health_checks_over_plain_http_are_answered_not_redirected(deployment):
    # Production defaults: any other page over plain HTTP goes to https.
    page = requests.get(f"{deployment.a}/accounts/login/", allow_redirects=False, timeout=TIMEOUT)
    assert (page.status_code, page.headers["Location"]) == (
        301,
        "https://127.0.0.1:" + deployment.a.split(":")[-1] + "/accounts/login/",
    )
    for base in (deployment.a, deployment.b):
        for path in ("/readyz", "/healthz"):
            ready = requests.get(f"{base}{path}", allow_redirects=False, timeout=TIMEOUT)
            assert (ready.status_code, ready.json()) == (
                200,
                {"status": "ok", "database": "ok", "cache": "ok"},
            )
        live = requests.get(f"{base}/livez", allow_redirects=False, timeout=TIMEOUT)
        assert (live.status_code, live.json()) == (200, {"status": "ok"})


@ONCE_WITH_SERVICES
def test_through_haproxy_pages_are_served_over_https_with_secure_cookies_and_hsts(deployment):
    browser = deployment.browser("sales")
    assert all(cookie.secure for cookie in browser.cookies if cookie.name in ("sessionid", "csrftoken"))
    gallery = browser.get(f"{deployment.balancer.https}/", allow_redirects=False, timeout=TIMEOUT)
    assert gallery.status_code == 200
    assert 'class="nav-user-name">sales<' in gallery.text
    assert gallery.headers["Strict-Transport-Security"].startswith("max-age=2592000")
    # Plain HTTP is sent to https, whatever X-Forwarded-Proto the client claims:
    # haproxy sets the header, it never passes a client's on.
    plain = requests.get(
        f"{deployment.balancer.http}/", headers=PROXIED_HTTPS, allow_redirects=False, timeout=TIMEOUT
    )
    assert (plain.status_code, plain.headers["Location"]) == (301, f"https://{deployment.balancer.http[7:]}/")


@ONCE_WITH_SERVICES
def test_readyz_answers_within_half_a_second_with_redis_frozen(deployment):
    with deployment.redis_frozen():
        answers = [timed_get(f"{base}/readyz") for _ in range(5) for base in (deployment.a, deployment.b)]
    for response, seconds in answers:
        assert seconds < READY_WITHIN
        assert (response.status_code, response.json()) == (
            200,
            {"status": "ok", "database": "ok", "cache": "error: no answer within 0.2 s"},
        )


def login(base: str) -> int:
    """The login form sent as a browser behind haproxy would (as if over https): a
    password hashed in one of the instance's request threads."""
    form = requests.get(f"{base}/accounts/login/", headers=PROXIED_HTTPS, timeout=TIMEOUT)
    csrf = re.search(r"csrftoken=([^;]+)", form.headers["Set-Cookie"])[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    signed = requests.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "sales", "password": BENCH_PASSWORD},
        headers={
            **PROXIED_HTTPS,
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"https://{base[7:]}/accounts/login/",
        },
        allow_redirects=False,
        timeout=60,
    )
    return signed.status_code


@ONCE_WITH_SERVICES
def test_readyz_answers_within_half_a_second_with_16_logins_in_flight(deployment):
    answers = []
    with ThreadPoolExecutor(max_workers=16) as pool:
        logins = [pool.submit(login, deployment.a) for _ in range(16)]
        time.sleep(0.3)  # every request thread of the instance now hashes a password
        while not all(future.done() for future in logins):
            answers.append(timed_get(f"{deployment.a}/readyz"))
            time.sleep(0.1)
    assert [future.result() for future in logins] == [302] * 16
    assert [response.status_code for response, _ in answers] == [200] * len(answers)
    assert max(seconds for _, seconds in answers) < READY_WITHIN
    assert len(answers) >= 3, "the logins were over before readiness was asked"


@ONCE_WITH_SERVICES
def test_through_haproxy_a_signed_in_user_is_served_through_a_10_s_redis_freeze(deployment):
    browser = deployment.browser("sales")
    paths = ["/", "/dashboards/stocktoday/", "/django_plotly_dash/app/stocktoday/_dash-layout"]
    answers: list[tuple[int, float]] = []
    stop = threading.Event()

    def visit() -> None:
        while not stop.is_set():
            for path in paths:
                started = time.monotonic()
                response = browser.get(
                    f"{deployment.balancer.https}{path}", allow_redirects=False, timeout=30
                )
                answers.append((response.status_code, time.monotonic() - started))

    with deployment.redis_frozen():
        visitor = threading.Thread(target=visit)
        visitor.start()
        time.sleep(10)
        stop.set()
        visitor.join()
    statuses = [status for status, _ in answers]
    assert statuses == [200] * len(statuses)
    assert len(statuses) >= len(paths)


@ONCE_WITH_SERVICES
def test_a_database_outage_gives_the_apps_own_retrying_page_through_haproxy(deployment):
    browser = deployment.browser("sales")
    https = deployment.balancer.https
    html = {"Accept": "text/html"}
    page = database_unavailable_page()
    deployment.database.freeze()
    try:
        started = time.monotonic()
        # First the instances answer for themselves, then haproxy, once it has taken both out.
        answers = []
        while time.monotonic() - started < 6:
            answers.append(
                browser.get(f"{https}/reports/", headers=html, allow_redirects=False, timeout=TIMEOUT)
            )
            time.sleep(0.05)
        ready = [timed_get(f"{base}/readyz") for base in (deployment.a, deployment.b)]
        # /livez through haproxy reaches no instance: haproxy has taken both out.
        wait_until(lambda: browser.get(f"{https}/livez", timeout=TIMEOUT).status_code == 503)
        scripted = browser.get(f"{https}/reports/", headers={"Accept": "application/json"}, timeout=TIMEOUT)
    finally:
        deployment.database.thaw()
    # Back by itself (the tests after this one need it).
    wait_until(lambda: browser.get(f"{https}/reports/", timeout=TIMEOUT).status_code == 200)

    assert [answer.status_code for answer in answers] == [503] * len(answers)
    assert all(answer.text == page for answer in answers)
    assert all(answer.headers["Retry-After"] == "15" for answer in answers)
    assert '<meta http-equiv="refresh" content="15">' in page
    assert (scripted.status_code, scripted.text) == (503, DATABASE_UNAVAILABLE_TEXT)
    for response, seconds in ready:
        assert seconds < READY_WITHIN
        assert (response.status_code, response.json()) == (
            503,
            {"status": "error", "database": "error: OperationalError", "cache": "ok"},
        )
    assert scripted.headers["Retry-After"] == "15"


def running(pid: int) -> bool:
    """Alive, not a zombie left for a parent that does not reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@ONCE_WITH_SERVICES
def test_a_killed_master_takes_its_workers_with_it_and_the_procfile_command_starts_again(deployment):
    port = free_port()
    with site(deployment.env, workers=2, port=port) as master:
        workers = worker_pids(master.pid)
        assert len(workers) == 2
        os.kill(master.pid, signal.SIGKILL)
        killed = time.monotonic()
        try:
            wait_until(lambda: not any(running(pid) for pid in workers))
            gone = time.monotonic() - killed
        finally:
            for pid in filter(running, workers):  # orphans left by a failure, not by the test
                os.kill(pid, signal.SIGKILL)
    assert gone < 5
    with site(deployment.env, workers=2, port=port) as again:
        live = requests.get(f"{again.base}/livez", timeout=TIMEOUT)
        assert (live.status_code, live.json()) == (200, {"status": "ok"})


def connections_per_worker(port: int, workers: list[int]) -> dict[int, int]:
    """How many established connections to `port` each worker holds (from /proc)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                established.add(f"socket:[{fields[9]}]")
    return {
        pid: sum(os.readlink(f"/proc/{pid}/fd/{fd}") in established for fd in os.listdir(f"/proc/{pid}/fd"))
        for pid in workers
    }


@ONCE_WITH_SERVICES
def test_keep_alive_connections_opened_at_once_are_spread_over_the_workers(deployment):
    with site(deployment.env, workers=2) as master:
        port = int(master.base.rsplit(":", 1)[1])
        browsers = [http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT) for _ in range(16)]
        try:
            for browser in browsers:
                browser.request("GET", "/livez")
                assert browser.getresponse().read() == b'{"status": "ok"}'
            held = connections_per_worker(port, worker_pids(master.pid))
        finally:
            for browser in browsers:
                browser.close()
    # Each worker has its own socket; the kernel hashes connections over them (16 all
    # on one of 2: one chance in 32,768).
    assert sum(held.values()) == 16
    assert min(held.values()) > 0


@ONCE_WITH_SERVICES
def test_a_second_server_on_a_port_in_use_is_refused(deployment):
    with site(deployment.env) as first:
        port = int(first.base.rsplit(":", 1)[1])
        command = [arg.replace("0.0.0.0:", "127.0.0.1:") for arg in procfile_web(port, 1)]
        second = subprocess.run(
            command, env=deployment.env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert requests.get(f"{first.base}/livez", timeout=TIMEOUT).ok
    assert second.returncode == 1
    assert f"Connection in use: 127.0.0.1:{port}" in second.stdout + second.stderr
