"""Permalinks, saved reports, sharing and defaults, derived from the parameter spec."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from dashboards.models import AuditEvent, DefaultReport, Report
from tests.conftest import make_user
from tests.dash_requests import layout_values
from tests.test_callbacks import post_callback, stock_callback


def app_state(client, page_html: str) -> dict:
    """The values the embedded Dash app starts with, as its layout request returns them."""
    app_path = re.search(r'id="dash-app"[^>]*src="([^"]+)"', page_html)[1]
    return layout_values(json.loads(client.get(app_path + "_dash-layout").content))


def save(client, name="Tech pair", params=None, visibility="private"):
    params = params or {"tickers": ["IBM", "MSFT"], "start": "2010-01-04", "end": "2012-12-31"}
    return client.post(
        "/dashboards/stocktoday/reports/",
        {"name": name, "visibility": visibility, "params": json.dumps(params)},
    )


def login(cast, username) -> Client:
    client = Client()
    client.force_login(cast[username])
    return client


def test_a_permalink_opens_the_dashboard_in_that_state(sales_client):
    html = sales_client.get(
        "/dashboards/stocktoday/?tickers=AAPL&tickers=IBM&start=2010-01-04"
    ).content.decode()
    state = app_state(sales_client, html)
    assert state["tickers.value"] == ["AAPL", "IBM"]
    assert state["start.date"] == "2010-01-04"
    assert state["end.date"] == "2016-02-29"
    assert (
        "?tickers=AAPL&amp;tickers=IBM&amp;start=2010-01-04&amp;end=2016-02-29" in html
    )  # the copy-link value


@pytest.mark.parametrize(
    ("query", "dropped", "state"),
    [
        ("colour=red", "“colour” is not a setting of this dashboard", {}),
        ("tickers=GOOG", "Tickers: “GOOG” is not one of the options", {}),
        (
            "tickers=IBM&tickers=GOOG&start=2010-01-04",
            "Tickers: “GOOG” is not one of the options",
            {"tickers.value": ["IBM"], "start.date": "2010-01-04"},
        ),
        (
            "start=last-week",
            "From: “last-week” cannot be used (pick a day from 2007-01-03 to 2016-02-29)",
            {},
        ),
        (
            "end=1999-01-01&tickers=MSFT",
            "To: “1999-01-01” cannot be used (pick a day from 2007-01-03 to 2016-02-29)",
            {"tickers.value": ["MSFT"]},
        ),
        ("start=2015-01-01&end=2012-01-01", "From and To: “From” came after “To”", {}),
    ],
)
def test_a_link_with_bad_parts_opens_without_them_and_names_them(sales_client, query, dropped, state):
    response = sales_client.get(f"/dashboards/stocktoday/?{query}")
    html = response.content.decode()
    assert response.status_code == 200
    notice = re.search(
        r'<div class="view-notice view-notice-warn" id="dropped-notice" role="status">(.*?)</div>', html, re.S
    )
    assert notice, html
    parts = re.findall(r'<span class="dropped-part">(.*?)</span>', notice.group(1))
    assert [p.replace("&quot;", '"') for p in parts] == [f"{dropped}."]
    assert "Some of this link’s choices could not be used" in notice.group(1)
    # What opened: the good parts of the link, the defaults for the rest.
    defaults = {"tickers.value": ["AAPL"], "start.date": "2007-01-03", "end.date": "2016-02-29"}
    opened = app_state(sales_client, html)
    assert {k: opened[k] for k in defaults} == {**defaults, **state}


def test_a_link_naming_a_ticker_twice_opens_it_once_with_no_notice(sales_client):
    html = sales_client.get(
        "/dashboards/stocktoday/?tickers=AAPL&tickers=IBM&tickers=MSFT&tickers=SBUX&tickers=GSPC&tickers=AAPL"
    ).content.decode()
    assert "dropped-notice" not in html
    assert app_state(sales_client, html)["tickers.value"] == ["AAPL", "IBM", "MSFT", "SBUX", "GSPC"]


def test_a_bad_parameter_in_a_callback_gets_400(sales_client):
    body = stock_callback(sales_client, **{"tickers.value": ["AAPL", "GOOG"]})
    response = post_callback(sales_client, body)
    assert response.status_code == 400
    assert b"tickers" in response.content


def test_saving_a_report_stores_validated_parameters(sales_client, sales):
    response = save(sales_client)
    report = Report.objects.get(owner=sales)
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert report.name == "Tech pair"
    assert report.params == {
        "tickers": ["IBM", "MSFT"],
        "date-preset": "custom",  # dates of no named period
        "start": "2010-01-04",
        "end": "2012-12-31",
        "show": "change",
    }
    event = AuditEvent.objects.get(action="report-saved")
    assert event.params["tickers"] == ["IBM", "MSFT"]
    # Saving under the same name asks first (409: nothing saved), then replaces when told to.
    asked = save(sales_client, params={"tickers": ["SBUX"]})
    assert asked.status_code == 409
    assert "You already have a report called “Tech pair”" in asked.content.decode()
    assert Report.objects.get(owner=sales).params["tickers"] == ["IBM", "MSFT"]
    response = sales_client.post(
        "/dashboards/stocktoday/reports/",
        {
            "name": "Tech pair",
            "visibility": "private",
            "params": json.dumps({"tickers": ["SBUX"]}),
            "replace": "1",
        },
    )
    assert response["Location"] == f"/reports/{report.pk}/"
    assert Report.objects.get(owner=sales).params["tickers"] == ["SBUX"]


@pytest.mark.parametrize(
    "form",
    [
        {"name": "x", "visibility": "private", "params": json.dumps({"tickers": ["GOOG"]})},
        {"name": "x", "visibility": "private", "params": json.dumps({"colour": "red"})},
        {"name": "x", "visibility": "private", "params": json.dumps({"start": 12})},
        {"name": "x", "visibility": "private", "params": "{broken"},
        {"name": "x", "visibility": "private", "params": "[1]"},
        {"name": "", "visibility": "private", "params": "{}"},
        {"name": "x" * 101, "visibility": "private", "params": "{}"},
        {"name": "x", "visibility": "the-world", "params": "{}"},
        {"name": "nul\x00name", "visibility": "private", "params": "{}"},
        {"name": "x", "visibility": "private", "params": '{"\\ud800": 1}'},
        {"name": "x", "visibility": "private", "params": '{"tickers": ["IBM"], "start": NaN}'},
        {"name": "x", "visibility": "private", "params": '{"start": ' + "9" * 400 + "}"},
        {"name": "x", "visibility": "private", "params": "[" * 5000},
    ],
)
def test_a_bad_report_gets_400_and_stores_nothing(sales_client, form):
    response = sales_client.post("/dashboards/stocktoday/reports/", form)
    assert response.status_code == 400
    assert Report.objects.count() == 0
    assert not AuditEvent.objects.filter(action="report-saved").exists()


def test_a_report_opens_in_its_state(sales_client, sales):
    save(sales_client)
    report = Report.objects.get(owner=sales)
    response = sales_client.get(f"/reports/{report.pk}/")
    assert response.status_code == 200
    assert app_state(sales_client, response.content.decode())["tickers.value"] == ["IBM", "MSFT"]
    assert "Tech pair" in response.content.decode()


def test_who_may_open_a_report(cast):
    owner = login(cast, "sales")
    save(owner, name="private", visibility="private")
    save(owner, name="groups", visibility="named")
    share = owner.post(
        f"/reports/{Report.objects.get(name='groups').pk}/share/",
        {"visibility": "named", "group": Group.objects.get(name="Sales").pk},
    )
    assert share.status_code == 302
    save(owner, name="everyone", visibility="everyone")
    ids = {r.name: r.pk for r in Report.objects.all()}
    alice = login(cast, "alice")  # may open Stock Today, shares no group with sales
    # Not shared: a page that says so (report_refused.html), not the report.
    assert alice.get(f"/reports/{ids['private']}/").status_code == 403
    assert alice.get(f"/reports/{ids['groups']}/").status_code == 403
    assert alice.get(f"/reports/{ids['everyone']}/").status_code == 200
    colleague = Client()

    colleague.force_login(make_user("colleague", groups=("Sales",)))
    assert colleague.get(f"/reports/{ids['groups']}/").status_code == 200
    assert colleague.get(f"/reports/{ids['private']}/").status_code == 403
    # Shared with everyone who can open the dashboard: not with those who cannot.
    assert login(cast, "marketing").get(f"/reports/{ids['everyone']}/").status_code == 403
    assert alice.get("/reports/999999/").status_code == 404


def test_a_report_on_a_dashboard_the_owner_lost_access_to_is_refused(cast, stocktoday):

    from dashboards.services import grant_remove

    client = login(cast, "sales")
    save(client)
    report = Report.objects.get()
    grant_remove(dashboard=stocktoday, group=Group.objects.get(name="Sales"))
    assert client.get(f"/reports/{report.pk}/").status_code == 403
    assert client.get(f"/reports/{report.pk}/export.csv").status_code == 403
    assert "Tech pair" not in client.get("/reports/").content.decode()


def test_only_the_owner_renames_or_deletes(cast):
    owner = login(cast, "sales")
    save(owner, visibility="everyone")
    report = Report.objects.get()
    alice = login(cast, "alice")
    assert alice.post(f"/reports/{report.pk}/rename/", {"name": "mine now"}).status_code == 404
    assert alice.post(f"/reports/{report.pk}/delete/").status_code == 404
    assert Report.objects.get().name == "Tech pair"

    assert owner.post(f"/reports/{report.pk}/rename/", {"name": "Big tech"}).status_code == 302
    assert Report.objects.get().name == "Big tech"
    assert owner.post(f"/reports/{report.pk}/rename/", {"name": ""}).status_code == 400
    assert owner.post(f"/reports/{report.pk}/delete/").status_code == 302
    assert not Report.objects.exists()
    assert AuditEvent.objects.filter(action="report-deleted", username="sales").exists()


def test_my_default_report_opens_with_the_dashboard(sales_client, sales):
    save(sales_client)
    report = Report.objects.get()
    sales_client.post("/dashboards/stocktoday/default-report/", {"report": report.pk})
    assert DefaultReport.objects.filter(user=sales, report=report).exists()
    html = sales_client.get("/dashboards/stocktoday/").content.decode()
    assert app_state(sales_client, html)["tickers.value"] == ["IBM", "MSFT"]
    # An explicit permalink still wins.
    html = sales_client.get("/dashboards/stocktoday/?tickers=SBUX").content.decode()
    assert app_state(sales_client, html)["tickers.value"] == ["SBUX"]
    sales_client.post("/dashboards/stocktoday/default-report/", {})
    html = sales_client.get("/dashboards/stocktoday/").content.decode()
    assert app_state(sales_client, html)["tickers.value"] == ["AAPL"]


def test_a_forged_default_report_is_refused(cast):
    owner = login(cast, "sales")
    save(owner)
    report = Report.objects.get()
    alice = login(cast, "alice")
    assert alice.post("/dashboards/stocktoday/default-report/", {"report": report.pk}).status_code == 404
    assert alice.post("/dashboards/stocktoday/default-report/", {"report": "x"}).status_code == 404
    assert not DefaultReport.objects.exists()


def test_the_reports_page_lists_mine_and_shared_ones_by_dashboard(cast):
    save(login(cast, "sales"), name="Shared", visibility="everyone")
    alice = login(cast, "alice")
    save(alice, name="Mine")
    html = alice.get("/reports/").content.decode()
    assert "Stock Today" in html
    assert "Shared" in html and "Mine" in html


def test_a_report_saved_before_the_dashboard_changed_opens_what_still_fits_and_names_the_rest(
    sales_client, sales
):
    save(sales_client)
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(params={"tickers": ["DELISTED", "IBM"], "start": "2010-01-04"})
    response = sales_client.get(f"/reports/{report.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This report was saved before the dashboard changed" in html
    assert '<span class="dropped-part">Tickers: “DELISTED” is not one of the options.</span>' in html
    assert app_state(sales_client, html)["tickers.value"] == ["IBM"]
    assert sales_client.get(f"/reports/{report.pk}/export.csv").status_code == 400
    # As a default it is passed over: the dashboard opens with its own defaults.
    sales_client.post("/dashboards/stocktoday/default-report/", {"report": report.pk})
    html = sales_client.get("/dashboards/stocktoday/").content.decode()
    assert app_state(sales_client, html)["tickers.value"] == ["AAPL"]


@pytest.mark.django_db(transaction=True)
def test_ten_people_saving_at_once_all_succeed(cast):
    """SQLite included: WAL, a lock taken when the transaction starts, a busy timeout."""
    clients = [login(cast, "sales") for _ in range(10)]

    def save_many(index: int) -> list[int]:
        return [save(clients[index], name=f"r{index}-{n}").status_code for n in range(15)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = [status for batch in pool.map(save_many, range(10)) for status in batch]
    assert statuses == [302] * 150
    assert Report.objects.count() == 150
