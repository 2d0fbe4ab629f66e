"""Prometheus metrics: what is counted, who may read it, and the sum over gunicorn's workers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from bench.common import free_port, log_tail, portal_env, procfile_web, server, worker_pids
from dashboards.models import Dashboard, Report
from dashboards.services import grant_add
from dashengine_site import gunicorn_conf
from dashengine_site.metrics import FileBasedCache
from tests.test_callbacks import post_callback, stock_callback
from tests.test_live import run, socket
from tests.test_reports import save

# A scrape reads the background jobs from the database.
pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-metrics-token-0123456789-abcdefghij"
ANSWERS = "django_http_responses_total_by_status_view_method_total"
LATENCY_COUNT = "django_http_requests_latency_seconds_by_view_method_count"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the exposition text; 0 for a series not yet written."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


@pytest.fixture
def scrape(settings):
    """Reads /metrics as the scraper does, with the token."""
    settings.METRICS_TOKEN = TOKEN

    def read() -> str:
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return response.content.decode()

    return read


# --- What is counted -------------------------------------------------------------------


def test_a_gallery_request_counts_once_for_its_route_and_status(scrape, sales_client):
    before = scrape()
    assert sales_client.get("/").status_code == 200
    after = scrape()
    labels = {"view": "gallery", "method": "GET"}
    assert (
        sample(after, ANSWERS, status="200", **labels) - sample(before, ANSWERS, status="200", **labels) == 1
    )
    assert sample(after, LATENCY_COUNT, **labels) - sample(before, LATENCY_COUNT, **labels) == 1


def test_a_callback_counts_for_its_dashboard_and_answer_status(scrape, sales_client):
    good = stock_callback(sales_client)
    bad = stock_callback(sales_client, **{"start.date": "1999-01-01"})
    before = scrape()
    assert post_callback(sales_client, good).status_code == 200
    assert post_callback(sales_client, good).status_code == 200
    assert post_callback(sales_client, bad).status_code == 400
    after = scrape()

    def counted(status: str) -> float:
        name, labels = "dashengine_callbacks_total", {"dashboard": "stocktoday", "status": status}
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert (counted("200"), counted("400")) == (2, 1)


def test_a_callback_to_a_slug_that_is_no_dashboard_writes_no_series(scrape, sales_client):
    response = sales_client.post(
        "/django_plotly_dash/app/no-such-dashboard/_dash-update-component",
        "{}",
        content_type="application/json",
    )
    assert response.status_code == 404
    assert "no-such-dashboard" not in scrape()


def test_exports_of_a_view_and_of_a_report_count_for_their_dashboard(scrape, sales_client, sales, cast):
    save(sales_client)
    report = Report.objects.get(owner=sales)
    marketing = Client()
    marketing.force_login(cast["marketing"])
    name, labels = "dashengine_csv_exports_total", {"dashboard": "stocktoday"}
    before = sample(scrape(), name, **labels)
    assert sales_client.get("/dashboards/stocktoday/export.csv?tickers=IBM").status_code == 200
    assert sales_client.get(f"/reports/{report.pk}/export.csv").status_code == 200
    assert marketing.get("/dashboards/stocktoday/export.csv").status_code == 403  # refused: not an export
    assert sample(scrape(), name, **labels) - before == 2


@pytest.fixture
def alice_on_timeseries(cast):
    grant_add(dashboard=Dashboard.objects.get(slug="timeseries"), user=cast["alice"])
    return cast["alice"]


def open_feeds() -> float:
    return sample(generate_latest(REGISTRY).decode(), "dashengine_live_websockets", dashboard="timeseries")


@pytest.mark.django_db(transaction=True)
def test_an_open_live_feed_counts_until_it_closes(alice_on_timeseries, cast):
    feed, refused = socket(alice_on_timeseries), socket(cast["viewer"])

    async def scenario():
        before = open_feeds()
        assert (await feed.connect())[0]
        await feed.receive_json_from(timeout=5)
        while_open = open_feeds()
        assert (await refused.connect()) == (False, 4403)
        await refused.disconnect()
        after_refusal = open_feeds()
        await feed.disconnect()
        return while_open - before, after_refusal - before, open_feeds() - before

    assert run(scenario) == (1, 1, 0)


def cache_counts(backend: str) -> list[float]:
    """Gets, hits and misses of a cache backend."""
    text = generate_latest(REGISTRY).decode()
    names = ("django_cache_get_total", "django_cache_get_hits_total", "django_cache_get_misses_total")
    return [sample(text, name, backend=backend) for name in names]


def test_the_sites_cache_counts_its_hits_and_misses(settings):
    backend = "redis" if settings.CACHES["default"]["BACKEND"].endswith("RedisCache") else "filebased"
    before = cache_counts(backend)
    cache.set("metrics-probe", 0)
    assert cache.get("metrics-probe") == 0
    assert cache.get("metrics-never-set") is None
    assert [a - b for a, b in zip(cache_counts(backend), before, strict=True)] == [2, 1, 1]


def test_the_file_cache_reads_back_an_empty_value_as_a_hit(tmp_path):
    file_cache = FileBasedCache(str(tmp_path), {})
    before = cache_counts("filebased")
    file_cache.set("nothing-granted", frozenset())
    assert file_cache.get("nothing-granted") == frozenset()  # not the default, nor a second query
    assert file_cache.get("never-set", "default") == "default"
    assert [a - b for a, b in zip(cache_counts("filebased"), before, strict=True)] == [2, 1, 1]


# --- Who may read it -------------------------------------------------------------------


def test_with_neither_setting_nobody_reads_metrics_and_sees_an_ordinary_404(client):
    response = client.get("/metrics")  # the test client's address is 127.0.0.1
    assert response.status_code == 404
    assert response.content == client.get("/no-such-page").content
    assert b"django_http" not in response.content
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_without_the_token_the_answer_is_404_without_metrics(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics")
    assert response.status_code == 404
    assert b"# HELP" not in response.content and b"django_http" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"Bearer{TOKEN}", "Bearer é"],
)
def test_a_wrong_token_is_refused(client, settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 404
    assert b"django_http" not in response.content


def test_the_right_token_gets_the_text_format_and_no_cookie(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE django_http_responses_total_by_status_view_method_total counter" in response.content
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert "no-store" in response["Cache-Control"]
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


def test_a_plain_http_scrape_is_answered_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics").status_code == 404
    assert client.get("/accounts/login/").status_code == 301  # every other address still is


@pytest.mark.parametrize(
    "allowed,address",
    [
        (["10.1.2.3"], "10.1.2.3"),
        (["192.168.0.9", "10.1.0.0/16"], "10.1.2.3"),
        (["10.1.0.0/16"], "::ffff:10.1.2.3"),  # an IPv4 client on a dual-stack socket
        (["fd00::/8"], "fd00::5"),
    ],
)
def test_an_allowed_address_or_network_reads_metrics_without_a_token(client, settings, allowed, address):
    settings.METRICS_ALLOWED_ADDRESSES = allowed
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 200
    assert b"django_http" in response.content


@pytest.mark.parametrize("address", ["10.2.0.1", "127.0.0.1", "fd00::5"])
def test_another_address_is_refused(client, settings, address):
    settings.METRICS_ALLOWED_ADDRESSES = ["10.1.0.0/16"]
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 404
    assert b"django_http" not in response.content


def test_a_setting_that_is_not_an_address_stops_the_site_from_starting():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_ENV_FILE="/nonexistent",
        DJANGO_DEBUG="1",
        DJANGO_SETTINGS_MODULE="dashengine_site.settings",
        METRICS_ALLOWED_ADDRESSES="10.0.0.0/8,scraper.internal",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "METRICS_ALLOWED_ADDRESSES: 'scraper.internal' is not an IP address or network." in result.stderr


# --- gunicorn's workers ----------------------------------------------------------------


def test_each_server_counts_in_a_fresh_folder_of_its_own_removed_when_it_stops():
    with mock.patch.dict(os.environ):
        os.environ.pop(gunicorn_conf.VARIABLE, None)
        gunicorn_conf.metrics_folder_prepare()
        first = os.environ.pop(gunicorn_conf.VARIABLE)
        gunicorn_conf.metrics_folder_prepare()
        second = os.environ[gunicorn_conf.VARIABLE]
        try:
            assert first != second
            assert os.listdir(second) == []
        finally:
            gunicorn_conf.on_exit(None)
            shutil.rmtree(first, ignore_errors=True)
    assert not Path(second).exists()


def per_worker(folder: Path, name: str, **labels: str) -> list[float]:
    """The value of one series in each worker's own file."""
    values = []
    for counters in sorted(folder.glob("counter_*.db")):
        with tempfile.TemporaryDirectory() as alone:
            shutil.copy(counters, alone)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=alone)
            values.append(sample(generate_latest(registry).decode(), name, **labels))
    return values


def test_a_scrape_reports_the_sum_over_gunicorns_workers(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"from an earlier run")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = portal_env(
        tmp_path / "portal.sqlite3",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )
    labels = {"status": "404", "view": "<unnamed view>", "method": "GET"}

    def miss(_) -> int:
        try:
            urllib.request.urlopen(f"{base}/no-such-page", timeout=10)
        except urllib.error.HTTPError as error:
            return error.code
        return 200

    with server(procfile_web(port, 2), env=env, ready_url=f"{base}/livez") as (process, _):
        assert len(worker_pids(process.pid)) == 2
        assert not (folder / "counter_999999.db").exists()
        sent, counts, deadline = 0, [], time.monotonic() + 60
        # Until each worker has answered some: the second may still be starting, and which
        # one takes a connection is the kernel's choice.
        with ThreadPoolExecutor(max_workers=8) as pool:
            while not (len(counts) == 2 and all(counts)) and time.monotonic() < deadline:
                assert set(pool.map(miss, range(40))) == {404}
                sent += 40
                counts = per_worker(folder, ANSWERS, **labels)
        assert len(counts) == 2 and all(counts), (counts, log_tail(process))
        request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        scrapes = [
            sample(urllib.request.urlopen(request).read().decode(), ANSWERS, **labels) for _ in range(6)
        ]
    assert scrapes == [sent] * 6
    assert sum(counts) == sent
