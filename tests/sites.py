"""Servers of a test's own, for what only separate processes show: a Redis and a
PostgreSQL cluster the test may stop or freeze, instances of the site started
with the Procfile's web command, and haproxy with docs/deploy/haproxy.cfg.

The machine's own PostgreSQL and Redis are never stopped or reconfigured.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.common import BENCH_PASSWORD, free_port, portal_env, prepare_portal, procfile_web, server

ROOT = Path(__file__).resolve().parent.parent
# Each site test starts several processes (about 20 s): once per `make test`, in
# the run against the real services.
ONCE_WITH_SERVICES = pytest.mark.skipif(
    os.environ.get("REQUIRE_SERVICES") != "1",
    reason="starts its own servers: runs once, in the PostgreSQL + Redis run (make test-services)",
)
TIMEOUT = 20  # seconds: an answer later than this counts as no answer


class OwnRedis:
    def __init__(self, directory: Path):
        self.port, self.directory, self.process = free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class OwnPostgres:
    """A cluster made with initdb on a port of its own. PostgreSQL refuses to run
    as root, so on the project machines it runs as the `postgres` user."""

    def __init__(self):
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="dashengine-pg-"))
        self.data = self.directory / "data"
        self.frozen: list[int] = []

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def restart(self) -> None:
        log = str(self.directory / "log")
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-l", log, "-m", "fast", "-w", "restart")

    def freeze(self) -> None:
        """SIGSTOP the server and every process of it: a frozen machine, as the
        network sees it, the kernel still accepting connections."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        self.frozen = [postmaster, *map(int, children)]
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.frozen:
            os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def stop(self) -> None:
        self.thaw()
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package")
    return str(found)


def site_env(*, database_url: str, redis_url: str = "", **extra: str) -> dict[str, str]:
    """Production settings (debug off) with the demo users, over plain HTTP."""
    cache = tempfile.mkdtemp(prefix="dashengine-cache-")
    return portal_env(DATABASE_URL=database_url, REDIS_URL=redis_url, CACHE_DIR=cache, **extra)


def prepared(env: dict[str, str]) -> dict[str, str]:
    prepare_portal(env)
    return env


@contextmanager
def site(env: dict[str, str], *, workers: int = 1, port: int | None = None):
    """One instance of the Procfile's web command (on `port`, else a free one); yields
    its process, with its base URL as `.base`."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    args = [arg.replace("0.0.0.0:", "127.0.0.1:") for arg in procfile_web(port, workers)]
    with server(args, env=env, ready_url=f"{base}/livez") as (process, _):
        process.base = base
        yield process


@contextmanager
def haproxy(instance_a: str, instance_b: str):
    """haproxy with the configuration of docs/deploy/haproxy.cfg; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with _haproxy(instance_a, instance_b, LISTEN=f"127.0.0.1:{port}"):
        wait_until(lambda: requests.get(f"{base}/livez", timeout=2).ok)
        yield base


@dataclass(frozen=True)
class Balancer:
    https: str  # where browsers go
    http: str  # the plain-HTTP listener beside it
    certificate: str  # what a client verifies https with


@contextmanager
def haproxy_tls(instance_a: str, instance_b: str, *, certificate: Path):
    """haproxy with docs/deploy/haproxy.cfg ending TLS, as in production, with a
    certificate for `localhost` (`self_signed_certificate`)."""
    https_port, http_port = free_port(), free_port()
    balancer = Balancer(
        https=f"https://localhost:{https_port}",
        http=f"http://localhost:{http_port}",
        certificate=str(certificate),
    )
    with _haproxy(
        instance_a,
        instance_b,
        LISTEN=f"127.0.0.1:{http_port}",
        LISTEN_TLS=f"127.0.0.1:{https_port}",
        TLS_CERT=str(certificate),
    ):
        wait_until(lambda: requests.get(f"{balancer.https}/livez", timeout=2, verify=balancer.certificate).ok)
        yield balancer


@contextmanager
def _haproxy(instance_a: str, instance_b: str, **listen: str):
    env = {
        **os.environ,
        **listen,
        "SITE_HOST": "localhost",
        "INSTANCE_A": instance_a.removeprefix("http://"),
        "INSTANCE_B": instance_b.removeprefix("http://"),
    }
    process = subprocess.Popen(
        ["haproxy", "-db", "-f", str(ROOT / "docs" / "deploy" / "haproxy.cfg")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def self_signed_certificate(directory: Path) -> Path:
    """A certificate for `localhost` and its key in one PEM file, as haproxy takes them;
    a client that trusts this file trusts the certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    path = directory / "localhost.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def wait_until(condition, *, seconds: float = TIMEOUT) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.2)


def signed_in(base: str, username: str, *, verify: str | bool = True) -> requests.Session:
    """A browser's session after the login form. Its cookies hold for every
    instance: cookies belong to the host, whatever the port. Over https, `verify`
    is the certificate to trust; the form is sent with its Referer, as browsers
    do, which Django's CSRF check requires on https."""
    browser = _Browser(verify)
    page = browser.get(f"{base}/accounts/login/", timeout=TIMEOUT).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    browser.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": BENCH_PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=TIMEOUT,
    )
    assert "sessionid" in browser.cookies, f"{username} could not sign in"
    return browser


class _Browser(requests.Session):
    """A session that verifies https with `verify` on every request: requests lets
    REQUESTS_CA_BUNDLE win over a session's own `verify`."""

    def __init__(self, verify: str | bool):
        super().__init__()
        self.verify = verify

    def request(self, *args, **kwargs) -> requests.Response:
        kwargs.setdefault("verify", self.verify)
        return super().request(*args, **kwargs)


def save_report(browser: requests.Session, base: str, name: str) -> requests.Response:
    params = {"tickers": ["IBM", "MSFT"], "start": "2010-01-04", "end": "2012-12-31"}
    return browser.post(
        f"{base}/dashboards/stocktoday/reports/",
        data={"name": name, "visibility": "private", "params": json.dumps(params)},
        headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
