"""Exchange Rates against a real local HTTP server: good, slow, failing and malformed answers."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dashboards.catalogue import publicapi
from dashkit.sources import ProcessCache, age_text
from dashkit.spec import data_dir
from tests.dash_requests import portal_callback, portal_callback_response

SNAPSHOT = json.loads((data_dir() / publicapi.SNAPSHOT).read_text())


def good_answer() -> dict:
    """What the API answers: the snapshot's shape, with recognisably different values."""
    rates = {day: {c: round(v * 1.5, 4) for c, v in row.items()} for day, row in SNAPSHOT["rates"].items()}
    return {**SNAPSHOT, "rates": rates}


class FakeRatesApi(BaseHTTPRequestHandler):
    """Answers as the server's `mode` says: good, slow, error, malformed, wrong shape, missing."""

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        mode = server.mode
        if mode == "slow":
            time.sleep(server.slow_seconds)
            mode = "good"
        if mode == "error":
            self.send_response(503)
            self.end_headers()
            return
        if mode == "missing":
            self.send_response(404)
            self.end_headers()
            return
        body = {
            "good": lambda: json.dumps(good_answer()),
            "malformed": lambda: '{"rates": {"2025-01-02": ',
            "wrong shape": lambda: json.dumps({"base": "EUR", "rates": {"2025-01-02": {"USD": "high"}}}),
        }[mode]().encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def api(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRatesApi)
    server.mode, server.requests, server.slow_seconds = "good", [], 1.0
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EXCHANGE_RATES_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.EXCHANGE_RATES_TIMEOUT = 0.3
    settings.EXCHANGE_RATES_RETRIES = 2
    settings.EXCHANGE_RATES_BACKOFF = 0.01
    settings.EXCHANGE_RATES_TTL = 3600
    yield server
    server.shutdown()
    server.server_close()


DEFAULTS = publicapi.dashboard.defaults()


def test_offline_by_default_it_reads_the_snapshot_and_says_so(settings):
    settings.EXCHANGE_RATES_URL = ""
    fetched = publicapi.fetch()
    assert fetched.origin == "snapshot" and fetched.notice == ""
    frame = publicapi.frame_from(fetched.payload, DEFAULTS)
    assert frame["date"].max() == dt.datetime(2025, 12, 31)
    warning, note = publicapi.status(fetched, frame)
    assert warning == "" and note.startswith("Offline snapshot, rates up to 2025-12-31")


def test_rates_are_rebased_on_the_chosen_currency():
    payload = {
        "base": "EUR",
        "rates": {"2025-01-02": {"USD": 1.25, "GBP": 0.8}, "2025-01-03": {"USD": 1.0, "GBP": 0.8}},
    }
    frame = publicapi.frame_from(payload, {"base": "USD", "symbols": ["EUR", "GBP", "USD"], "period": "1M"})
    by = frame.set_index(["currency", "date"])
    assert by.loc[("EUR", dt.datetime(2025, 1, 2)), "rate"] == pytest.approx(0.8)  # 1 / 1.25
    assert by.loc[("GBP", dt.datetime(2025, 1, 2)), "rate"] == pytest.approx(0.64)  # 0.8 / 1.25
    assert by.loc[("EUR", dt.datetime(2025, 1, 3)), "change_pct"] == pytest.approx(25.0)
    assert sorted(frame["currency"].unique()) == ["EUR", "GBP"]  # the base is left out


def test_the_period_keeps_the_days_before_the_latest_rate():
    three_months = publicapi.frame_from(SNAPSHOT, {**DEFAULTS, "period": "3M"})
    year = publicapi.frame_from(SNAPSHOT, {**DEFAULTS, "period": "1Y"})
    assert three_months["date"].min() >= dt.datetime(2025, 9, 30)
    assert year["date"].min() == dt.datetime(2025, 1, 2)


def test_a_good_answer_is_used_and_cached_for_the_ttl(api):
    first = publicapi.fetch()
    second = publicapi.fetch()
    assert (first.origin, second.origin) == ("live", "cache")
    assert len(api.requests) == 1
    assert api.requests[0].startswith("/") and "from=EUR" in api.requests[0]
    assert first.payload["rates"]["2025-12-31"]["USD"] == good_answer()["rates"]["2025-12-31"]["USD"]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("slow", "no answer within 0.3 s"),
        ("error", "HTTP 503"),
        ("malformed", "unreadable answer"),
        ("wrong shape", "unreadable answer"),
    ],
)
def test_when_the_api_fails_the_last_good_data_is_shown_with_its_age(api, settings, mode, reason):
    publicapi.fetch()  # a good answer, now cached
    settings.EXCHANGE_RATES_TTL = 0  # and stale at once
    api.mode = mode
    fetched = publicapi.fetch()
    assert fetched.origin == "last good"
    assert fetched.payload["rates"]["2025-12-31"]["USD"] == good_answer()["rates"]["2025-12-31"]["USD"]
    assert reason in fetched.notice
    assert "showing data fetched just now" in fetched.notice
    assert len(api.requests) == 1 + 3  # the first answer, then three attempts


def test_with_no_good_answer_ever_the_snapshot_is_shown_with_a_notice(api):
    api.mode = "error"
    fetched = publicapi.fetch()
    assert fetched.origin == "snapshot"
    assert fetched.notice == (
        "The exchange-rate service is not answering (HTTP 503); showing the offline snapshot of 2025-12-31."
    )


def test_a_client_error_is_not_retried(api):
    api.mode = "missing"
    assert "HTTP 404" in publicapi.fetch().notice
    assert len(api.requests) == 1


def test_after_a_failed_round_the_api_is_left_alone_for_a_while(api):
    api.mode = "error"
    publicapi.fetch()
    publicapi.fetch()
    assert len(api.requests) == 3  # one round of three attempts, not two


def test_the_standalone_run_caches_in_the_process():
    cache = ProcessCache()
    cache.set("k", 1, 60)
    cache.set("gone", 1, -1)
    assert (cache.get("k"), cache.get("gone", "missing")) == (1, "missing")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "just now"), (600, "10 minutes ago"), (7200, "2 hours ago"), (3 * 86400, "3 days ago")],
)
def test_ages_read_as_words(seconds, text):
    assert age_text(seconds) == text


def test_the_dashboard_shows_live_rates_and_where_they_came_from(api, client_for):
    answer = portal_callback(client_for("publicapi"), "publicapi")
    assert [t["name"] for t in answer["rates-chart"]["figure"]["data"]] == ["CHF", "GBP", "JPY", "USD"]
    assert answer["source-warning"]["children"] == ""
    assert answer["source-note"]["children"].startswith(f"Live from http://127.0.0.1:{api.server_address[1]}")
    assert "fetched just now" in answer["source-note"]["children"]
    assert answer["message"]["children"] == ""


@pytest.mark.parametrize("mode", ["slow", "error", "malformed"])
def test_the_dashboard_shows_a_notice_not_a_traceback_when_the_api_fails(api, client_for, mode):
    api.mode = mode
    answer = portal_callback(client_for("publicapi"), "publicapi")
    assert "not answering" in answer["source-warning"]["children"]
    assert "offline snapshot of 2025-12-31" in answer["source-warning"]["children"]
    assert len(answer["rates-chart"]["figure"]["data"]) == 4
    table = json.dumps(answer["rates-table"]["children"])
    assert "USD" in table and "per 1 EUR" in table


def test_picking_only_the_base_currency_is_explained(client_for):
    answer = portal_callback(
        client_for("publicapi"), "publicapi", **{"base.value": "USD", "symbols.value": ["USD"]}
    )
    assert answer["message"]["children"] == "Currencies: pick a currency other than USD"
    assert set(answer) == {"message"}  # the chart and the table keep the last good result


def test_an_unknown_currency_gets_400_naming_the_parameter(client_for):
    response = portal_callback_response(client_for("publicapi"), "publicapi", **{"symbols.value": ["XXX"]})
    assert response.status_code == 400
    assert b"symbols" in response.content


def test_the_csv_holds_the_rates_on_screen(client_for):
    response = client_for("publicapi").get(
        "/dashboards/publicapi/export.csv?base=GBP&symbols=USD&symbols=EUR&period=1M"
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "Date,Base,Currency,Rate (per 1 GBP),Change since start (%)"
    assert {line.split(",")[2] for line in lines[1:]} == {"EUR", "USD"}


def test_a_chosen_currency_that_is_the_base_is_named_as_left_out(api, client_for):
    answer = portal_callback(
        client_for("publicapi"), "publicapi", **{"base.value": "USD", "symbols.value": ["USD", "GBP", "JPY"]}
    )
    assert [t["name"] for t in answer["rates-chart"]["figure"]["data"]] == ["GBP", "JPY"]
    assert answer["source-note"]["children"].startswith(
        "USD is the base, so it is not drawn (1 USD is always 1 USD). Live from"
    )
