"""Sharing without dead ends: a report's own link, a report that is not yours to open,
and CSV files named after what they hold."""

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from dashboards.catalogue import abtest, stocktoday
from dashboards.filenames import export_filename
from dashboards.models import AccessRequest, AuditEvent, Dashboard, Report

TECH_PAIR = {"tickers": ["IBM", "MSFT"], "start": "2010-01-04", "end": "2012-12-31"}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def save(client, name="Tech pair", visibility="private", params=None) -> Report:
    response = client.post(
        "/dashboards/stocktoday/reports/",
        {"name": name, "visibility": visibility, "params": json.dumps(params or TECH_PAIR)},
    )
    assert response.status_code == 302, response.content[:500]
    return Report.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))


@pytest.fixture
def owner(cast):
    sales = cast["sales"]
    sales.first_name, sales.last_name = "Sam", "Seller"
    sales.save()
    return sales


def attribute(html: str, element_id: str, name: str) -> str:
    tag = re.search(rf"<[^>]*\bid=\"{element_id}\"[^>]*>", html, re.S)[0]
    return unescape(re.search(rf'\b{name}="([^"]*)"', tag)[1])


# Copy link on a report


def test_on_a_report_copy_link_copies_the_reports_own_link(owner):
    report = save(login(owner))
    html = login(owner).get(f"/reports/{report.pk}/").content.decode()
    assert attribute(html, "permalink", "value") == f"http://testserver/reports/{report.pk}/"
    assert re.search(r'id="copy-link"[^>]*>Copy report link</button>', html)
    # The toolbar also knows the view's own link, for when the user changes the parameters.
    assert attribute(html, "dashboard-tools", "data-view-url") == (
        "http://testserver/dashboards/stocktoday/?tickers=IBM&tickers=MSFT&start=2010-01-04&end=2012-12-31&show=change"
    )
    assert attribute(html, "export-csv", "href") == f"/reports/{report.pk}/export.csv"


def test_on_a_plain_view_copy_link_copies_the_parameters(sales_client):
    html = sales_client.get("/dashboards/stocktoday/?tickers=AAPL&start=2015-01-02").content.decode()
    assert attribute(html, "permalink", "value") == (
        "http://testserver/dashboards/stocktoday/?tickers=AAPL&start=2015-01-02&end=2016-02-29&show=change"
    )
    assert re.search(r'id="copy-link"[^>]*>Copy link</button>', html)
    assert "data-report-url" not in html


# A report that is not shared with you


def test_a_report_not_shared_with_you_names_its_owner_and_nothing_else(owner, cast):
    report = save(login(owner))
    response = login(cast["alice"]).get(f"/reports/{report.pk}/")  # alice may open Stock Today
    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "dashboards/report_refused.html"
    html = response.content.decode()
    assert "This report isn’t shared with you" in html
    assert '<strong class="report-owner">Sam Seller</strong>' in html
    assert 'href="/dashboards/stocktoday/">Open Stock Today</a>' in html
    for secret in ("Tech pair", "IBM", "MSFT", "2010-01-04", "2012-12-31", 'id="dash-app"'):
        assert secret not in html
    assert AuditEvent.objects.filter(
        action="access-denied", username="alice", dashboard="stocktoday", params={"report": report.pk}
    ).exists()


def test_an_owner_without_a_full_name_is_named_by_username(cast):
    report = save(login(cast["sales"]))
    html = login(cast["alice"]).get(f"/reports/{report.pk}/").content.decode()
    assert '<strong class="report-owner">sales</strong>' in html


def test_without_the_dashboard_either_a_discoverable_one_is_offered_for_request(owner, cast, stocktoday):
    report = save(login(owner))
    Dashboard.objects.filter(pk=stocktoday.pk).update(discoverable=True)
    marketing = login(cast["marketing"])  # may not open Stock Today
    response = marketing.get(f"/reports/{report.pk}/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "you will also need access to Stock Today" in html
    # The request form (with its reason) is the dashboard's own page: linked, not repeated.
    assert 'href="/dashboards/stocktoday/">Request access to Stock Today</a>' in html
    assert "<form" not in html.split('id="report-refused"')[1].split("</section>")[0]

    AccessRequest.objects.create(user=cast["marketing"], dashboard=stocktoday)
    html = marketing.get(f"/reports/{report.pk}/").content.decode()
    assert "You asked for access to Stock Today. An administrator will look at your request." in html
    assert "Request access to" not in html


def test_without_the_dashboard_a_hidden_one_stays_unnamed(owner, cast):
    report = save(login(owner))
    html = login(cast["marketing"]).get(f"/reports/{report.pk}/").content.decode()
    assert "you will also need access to the dashboard it belongs to" in html
    assert "Stock Today" not in html
    assert "Request access" not in html
    assert "Sam Seller" in html


def test_a_report_shared_with_everyone_says_the_dashboard_is_what_is_missing(owner, cast, stocktoday):
    report = save(login(owner), visibility="everyone")
    Dashboard.objects.filter(pk=stocktoday.pk).update(discoverable=True)
    response = login(cast["marketing"]).get(f"/reports/{report.pk}/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "This report is on a dashboard you can’t open" in html
    assert "Sam Seller shared this report, but you don’t have access to Stock Today." in html


def test_an_unknown_report_is_still_a_404(cast):
    response = login(cast["alice"]).get("/reports/999999/")
    assert response.status_code == 404
    assert "dashboards/report_refused.html" not in [t.name for t in response.templates]


# CSV file names

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("dashboard", "params", "name"),
    [
        (stocktoday.dashboard, TECH_PAIR, "stock-today-ibm-msft-2010-01-04-to-2012-12-31.csv"),
        (
            stocktoday.dashboard,
            {"tickers": ["AAPL"], "start": "2012-05-01", "end": "2012-05-01"},
            "stock-today-aapl-2012-05-01.csv",
        ),
        # No dates among the parameters: the day of the download. Numbers tune a view, not name it.
        (abtest.dashboard, {}, "a-b-test-checkout-redesign-signups-2026-11-28.csv"),
    ],
)
def test_a_views_csv_is_named_after_the_dashboard_and_its_key_parameters(dashboard, params, name):
    assert export_filename(dashboard=dashboard, params=dashboard.clean(params), today=TODAY) == name


def test_the_export_of_a_view_sends_its_name_in_both_header_forms(sales_client):
    response = sales_client.get(
        "/dashboards/stocktoday/export.csv?tickers=AAPL&tickers=IBM&start=2010-01-04&end=2012-12-31"
    )
    name = "stock-today-aapl-ibm-2010-01-04-to-2012-12-31.csv"
    assert response["Content-Disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"


@pytest.mark.parametrize(
    ("report_name", "middle"),
    [
        ("Tech pair", "tech-pair"),
        ('Q3 "best" / worst', "q3-best-worst"),
        ("../../etc/passwd", "etc-passwd"),
        ("a\\b:c*?<>|;d", "a-bcd"),
        ("Ventes été — Zürich", "ventes-ete-zurich"),
        ("日本の株", None),  # nothing left in ASCII: named by the report's number
        ("quarterly review " * 6, "quarterly-review-quarterly-review-quarterly-review-quarterly-review"),
    ],
)
def test_a_reports_csv_is_named_after_the_report_safely(
    sales_client, sales, report_name, middle, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda: TODAY)
    report = save(sales_client, name=report_name[:100])
    response = sales_client.get(f"/reports/{report.pk}/export.csv")
    assert response.status_code == 200
    # The period of the report's data, not the day of the download (TODAY).
    name = f"stock-today-{middle or f'report-{report.pk}'}-2010-01-04-to-2012-12-31.csv"
    assert response["Content-Disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    assert re.fullmatch(r"[a-z0-9-]+\.csv", name)
    assert len(name) <= 130
