"""The last filters a user had on a dashboard come back next visit: stored per user and
dashboard, only good values, below an explicit link or report, above "my default"."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from dashboards.models import Dashboard, DefaultReport, LastFilters, Report
from tests.test_reports import app_state

IBM = {"tickers": ["IBM"], "start": "2010-01-04", "end": "2016-02-29"}
# Checked and complete: with the Show choice's default, and dates of no named period.
IBM_KEPT = {**IBM, "show": "change", "date-preset": "custom"}


@pytest.fixture
def sales_client(sales) -> Client:
    client = Client()
    client.force_login(sales)
    return client


def keep(client, params, slug="stocktoday"):
    return client.post(
        f"/dashboards/{slug}/last-filters/", json.dumps({"params": params}), content_type="application/json"
    )


def opened(client, path="/dashboards/stocktoday/"):
    html = client.get(path).content.decode()
    state = app_state(client, html)
    return {"tickers": state["tickers.value"], "start": state["start.date"], "end": state["end.date"]}, html


def test_kept_filters_open_next_visit_with_a_notice_and_reset(sales_client, sales):
    assert keep(sales_client, IBM).json() == {"kept": True}
    assert LastFilters.objects.get(user=sales).params == IBM_KEPT
    state, html = opened(sales_client)
    assert state == IBM
    assert "Your filters from last time are back." in html
    assert 'id="notice-reset"' in html


def test_the_defaults_are_not_kept_and_clear_what_was(sales_client):
    keep(sales_client, IBM)
    # As the page sends them: the period menu says "All dates" for these dates.
    defaults = {"tickers": ["AAPL"], "date-preset": "all", "start": "2007-01-03", "end": "2016-02-29"}
    answer = keep(sales_client, defaults)
    assert answer.json() == {"kept": False}
    assert not LastFilters.objects.exists()
    assert "Your filters from last time" not in opened(sales_client)[1]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"params": {"tickers": ["GOOG"]}}, "Tickers: choose at least one of the listed options."),
        ({"params": {"start": "2015-01-01", "end": "2012-01-01"}}, "From: must not be after “To”."),
        ({"params": {"window": 3}}, "window: is not a parameter of this dashboard."),
        ({"params": "IBM"}, 'Send the filters as JSON: {"params": {...}}.'),
        ([], 'Send the filters as JSON: {"params": {...}}.'),
    ],
)
def test_bad_filters_get_400_in_plain_words_and_nothing_is_kept(sales_client, body, error):
    keep(sales_client, IBM)
    response = sales_client.post(
        "/dashboards/stocktoday/last-filters/", json.dumps(body), content_type="application/json"
    )
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert LastFilters.objects.get().params == IBM_KEPT


def test_a_dashboard_one_cannot_open_keeps_nothing(cast):
    client = Client()
    client.force_login(cast["viewer"])
    assert keep(client, IBM).status_code == 404
    assert not LastFilters.objects.exists()


def test_a_link_beats_the_last_filters_which_beat_my_default(sales_client, sales):
    report = Report.objects.create(
        owner=sales,
        dashboard=Dashboard.objects.get(slug="stocktoday"),
        name="Soft drinks",
        params={"tickers": ["SBUX"], "start": "2007-01-03", "end": "2016-02-29"},
    )
    DefaultReport.objects.create(user=sales, dashboard=report.dashboard, report=report)
    assert opened(sales_client)[0]["tickers"] == ["SBUX"]  # my default
    keep(sales_client, IBM)
    assert opened(sales_client)[0] == IBM  # last used
    link = "/dashboards/stocktoday/?tickers=MSFT&start=2007-01-03&end=2016-02-29"
    assert opened(sales_client, link)[0]["tickers"] == ["MSFT"]  # an explicit link
    assert opened(sales_client, f"/reports/{report.pk}/")[0]["tickers"] == ["SBUX"]  # a report
    # Going back to my default's values forgets the last filters.
    assert keep(sales_client, report.params).json() == {"kept": False}
    assert opened(sales_client)[0]["tickers"] == ["SBUX"]


def test_making_a_report_my_default_forgets_the_last_filters(sales_client, sales):
    keep(sales_client, IBM)
    report = Report.objects.create(
        owner=sales,
        dashboard=Dashboard.objects.get(slug="stocktoday"),
        name="Soft drinks",
        params={"tickers": ["SBUX"], "start": "2007-01-03", "end": "2016-02-29"},
    )
    sales_client.post("/dashboards/stocktoday/default-report/", {"report": report.pk})
    assert not LastFilters.objects.exists()
    assert opened(sales_client)[0]["tickers"] == ["SBUX"]


def test_filters_kept_before_the_dashboard_changed_are_passed_over(sales_client, sales):
    keep(sales_client, IBM)
    LastFilters.objects.update(params={"tickers": ["DELISTED"]})
    state, html = opened(sales_client)
    assert state["tickers"] == ["AAPL"]
    assert "Your filters from last time" not in html


def test_each_user_has_their_own(sales_client, cast):
    keep(sales_client, IBM)
    alice = Client()
    alice.force_login(cast["alice"])
    assert opened(alice)[0]["tickers"] == ["AAPL"]
