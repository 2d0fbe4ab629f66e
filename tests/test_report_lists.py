"""The Reports menu stays small however many reports there are; the full list pages and searches."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboards.models import Dashboard, DefaultReport, Report
from dashboards.services import grant_add

PAGE = "/dashboards/stocktoday/"
MENU = "/reports/?dashboard=stocktoday&partial=menu"


def login(cast, username) -> Client:
    client = Client()
    client.force_login(cast[username])
    return client


def make_reports(owner, count, *, dashboard="stocktoday", visibility="private", prefix="Report"):
    """`count` reports named `{prefix} 0000`…, the higher the number the more recently updated."""
    board = Dashboard.objects.get(slug=dashboard)
    Report.objects.bulk_create(
        Report(owner=owner, dashboard=board, name=f"{prefix} {n:04d}", params={}, visibility=visibility)
        for n in range(count)
    )
    start = timezone.now() - timedelta(days=1)
    for n, pk in enumerate(
        Report.objects.filter(owner=owner, name__startswith=prefix)
        .order_by("name")
        .values_list("pk", flat=True)
    ):
        Report.objects.filter(pk=pk).update(updated=start + timedelta(minutes=n))


def menu_names(html: str) -> list[str]:
    return re.findall(r'<a class="report-open" href="/reports/\d+/">([^<]*)</a>', html)


def table_names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/reports/\d+/">([^<]*)</a></td>', html)


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def same_digits(html: str) -> str:
    return re.sub(r"\d+", "0", re.sub(r"/initial/[^/]+/", "/initial/x/", html))


class FormFields(HTMLParser):
    """The action, method and fields of the form with a given id."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.form, self.fields = form_id, False, {}, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside, self.form = True, attrs
        elif tag == "input" and self.inside:
            self.fields[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


# ---- The dashboard page's Reports menu ----------------------------------------


def test_the_menu_lists_ten_of_sixty_reports_shows_the_total_and_links_to_all(cast):
    make_reports(cast["sales"], 60)
    html = login(cast, "sales").get(PAGE).content.decode()
    assert menu_names(html) == [f"Report {n:04d}" for n in range(59, 49, -1)]  # the most recent first
    assert '<summary class="btn btn-small">Reports (60)</summary>' in html
    assert '<a class="menu-footer" href="/reports/?dashboard=stocktoday">All 60 reports →</a>' in html


def test_the_menu_puts_my_default_first_then_the_most_recently_updated(cast, sales):
    make_reports(sales, 12)
    oldest = Report.objects.get(name="Report 0000")
    DefaultReport.objects.create(user=sales, dashboard=oldest.dashboard, report=oldest)
    html = login(cast, "sales").get(PAGE).content.decode()
    assert menu_names(html) == ["Report 0000", *[f"Report {n:04d}" for n in range(11, 2, -1)]]


def test_the_menu_counts_only_reports_the_user_may_see(cast):
    make_reports(cast["sales"], 5, prefix="Private")
    make_reports(cast["sales"], 3, prefix="Shared", visibility="everyone")
    make_reports(cast["alice"], 2, prefix="Mine")
    html = login(cast, "alice").get(PAGE).content.decode()
    assert "Reports (5)" in html
    assert sorted(menu_names(html)) == ["Mine 0000", "Mine 0001", "Shared 0000", "Shared 0001", "Shared 0002"]


def test_the_dashboard_page_does_not_grow_with_the_number_of_reports(cast, sales):
    client = login(cast, "sales")
    make_reports(sales, 15)
    client.get(PAGE)  # the session and the user's rights, read once
    with CaptureQueriesContext(connection) as few_queries:
        few = without_tokens(client.get(PAGE).content.decode())
    make_reports(sales, 285, prefix="Latest")  # as long a name as "Report"
    with CaptureQueriesContext(connection) as many_queries:
        many = without_tokens(client.get(PAGE).content.decode())
    assert "Reports (15)" in few and "Reports (300)" in many
    assert len(menu_names(few)) == len(menu_names(many)) == 10
    assert len(few) > 10_000
    assert abs(len(many) - len(few)) < 100  # one report in the menu is some 900 characters
    # Only numbers differ: the totals, the reports' ids, the Dash app's start state.
    assert len(same_digits(many)) == len(same_digits(few))
    assert len(many_queries) == len(few_queries)


def test_a_dashboard_without_reports_says_how_to_save_one(sales_client):
    html = sales_client.get(PAGE).content.decode()
    assert '<summary class="btn btn-small">Reports</summary>' in html
    assert "No saved reports yet." in html
    assert 'id="report-search"' not in html  # nothing to search
    assert '<a class="menu-footer" href="/reports/">All my reports →</a>' in html


def test_the_menu_keeps_its_actions_for_the_reports_shown(cast, sales):
    make_reports(sales, 3)
    report = Report.objects.get(name="Report 0001")
    client = login(cast, "sales")
    html = client.get(f"/reports/{report.pk}/").content.decode()
    assert re.search(
        rf'"report-item is-current">\s*<a class="report-open" href="/reports/{report.pk}/">', html
    )
    assert html.count(">Make my default</button>") == 3
    assert html.count(">Rename</button>") == 3
    assert html.count(">Share</a>") == 3 and html.count(">Delete</a>") == 3
    response = client.post("/dashboards/stocktoday/default-report/", {"report": report.pk, "next": PAGE})
    assert response["Location"] == PAGE
    html = client.get(PAGE).content.decode()
    assert menu_names(html)[0] == "Report 0001"
    assert html.count(">Make my default</button>") == 2
    assert "Open with the dashboard’s own defaults" in html


# ---- Search in the menu ---------------------------------------------------------


def test_the_menu_search_finds_a_report_beyond_the_first_ten(cast, sales):
    make_reports(sales, 30)
    Report.objects.filter(name="Report 0000").update(name="Quarterly IBM")
    client = login(cast, "sales")
    assert "Quarterly IBM" not in client.get(PAGE).content.decode()
    response = client.get(MENU + "&q=QUARTERLY")
    assert response.status_code == 200
    html = response.content.decode()
    assert menu_names(html) == ["Quarterly IBM"]
    assert "1 report matches “QUARTERLY”." in html
    assert (
        '<a class="menu-footer" href="/reports/?dashboard=stocktoday&amp;q=QUARTERLY">All 1 matching report →</a>'
        in html
    )
    assert "<html" not in html  # the list alone, for the open menu


def test_the_menu_search_shows_at_most_ten_and_counts_every_match(cast, sales):
    make_reports(sales, 40)
    html = login(cast, "sales").get(MENU + "&q=report 00").content.decode()
    assert menu_names(html) == [f"Report {n:04d}" for n in range(39, 29, -1)]
    assert "40 reports match “report 00”; the first 10 are shown." in html


def test_the_menu_search_never_shows_a_report_the_user_may_not_see(cast):
    marketing = Group.objects.get(name="Marketing")
    grant_add(dashboard=Dashboard.objects.get(slug="funnel"), group=marketing)
    make_reports(cast["sales"], 1, prefix="Pair private")
    make_reports(cast["sales"], 1, prefix="Pair named", visibility="named")  # shared with no one yet
    make_reports(cast["sales"], 1, prefix="Pair shared", visibility="everyone")
    make_reports(cast["alice"], 1, prefix="Pair mine")
    make_reports(cast["marketing"], 1, prefix="Pair funnel", dashboard="funnel", visibility="everyone")
    alice = login(cast, "alice")  # may open Stock Today, not the Marketing Funnel; in no group
    html = alice.get(MENU + "&q=pair").content.decode()
    assert sorted(menu_names(html)) == ["Pair mine 0000", "Pair shared 0000"]
    assert "2 reports match “pair”." in html
    response = alice.get("/reports/?dashboard=funnel&partial=menu&q=pair")
    assert (response.status_code, response.content) == (404, b"No such dashboard among those you can open.")
    html = alice.get("/reports/?q=pair").content.decode()
    assert sorted(table_names(html)) == ["Pair mine 0000", "Pair shared 0000"]
    assert "Marketing Funnel" not in html


def test_the_menu_search_is_for_signed_in_users(client, cast):
    make_reports(cast["sales"], 1, visibility="everyone")
    response = client.get(MENU + "&q=report")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_menu_list_sends_its_forms_back_to_the_page_it_is_in(cast, sales):
    make_reports(sales, 1)
    client = login(cast, "sales")
    html = client.get(MENU + "&q=report&next=/dashboards/stocktoday/%3Ftickers%3DIBM").content.decode()
    assert html.count('name="next" value="/dashboards/stocktoday/?tickers=IBM"') == 2  # default, rename
    html = client.get(MENU + "&q=report&next=https://elsewhere.example/").content.decode()
    assert "elsewhere" not in html
    assert html.count('name="next" value="/dashboards/stocktoday/"') == 2  # default, rename
    # Share and Delete are pages of their own (the delete asks first), which come back here.
    assert html.count("?next=/dashboards/stocktoday/") == 2


def test_the_menu_search_works_without_javascript(cast, sales):
    make_reports(sales, 30)
    Report.objects.filter(name="Report 0000").update(name="Quarterly IBM")
    client = login(cast, "sales")
    page = client.get(PAGE).content.decode()
    form = FormFields("report-search")
    form.feed(page)
    assert (form.form["method"], form.form["action"]) == ("get", "/reports/")
    assert form.fields == {"dashboard": "stocktoday", "q": ""}
    html = client.get(form.form["action"], {**form.fields, "q": "quarterly"}).content.decode()
    assert table_names(html) == ["Quarterly IBM"]
    assert "1 report matching “quarterly” on Stock Today" in html


def test_the_search_script_is_a_static_file(sales_client, sales):
    make_reports(sales, 1)
    html = sales_client.get(PAGE).content.decode()
    assert re.search(r'<script src="/static/portal/report-search(\.[0-9a-f]+)?\.js" defer></script>', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # the policy allows no inline script


# ---- The full list -----------------------------------------------------------------


def test_the_full_list_shows_25_a_page_with_links_that_keep_the_filters(cast, sales):
    make_reports(sales, 60)
    make_reports(sales, 5, prefix="Other")
    client = login(cast, "sales")
    html = client.get("/reports/?dashboard=stocktoday&q=report").content.decode()
    assert table_names(html) == [f"Report {n:04d}" for n in range(25)]
    assert "1–25 of 60 reports matching “report” on Stock Today" in html
    assert "Page 1 of 3" in html
    assert '<a class="btn btn-small" rel="next" href="?dashboard=stocktoday&amp;q=report&amp;page=2">' in html
    assert 'rel="prev"' not in html
    html = client.get("/reports/?dashboard=stocktoday&q=report&page=3").content.decode()
    assert table_names(html) == [f"Report {n:04d}" for n in range(50, 60)]
    assert "51–60 of 60 reports" in html
    assert '<a class="btn btn-small" rel="prev" href="?dashboard=stocktoday&amp;q=report&amp;page=2">' in html
    assert 'rel="next"' not in html


def test_the_full_list_without_filters_pages_through_every_dashboard(cast, sales):
    grant_add(dashboard=Dashboard.objects.get(slug="funnel"), user=sales)
    make_reports(sales, 20)
    make_reports(sales, 20, dashboard="funnel", prefix="Funnel")
    html = login(cast, "sales").get("/reports/?page=2").content.decode()
    # By dashboard title: Marketing Funnel, then Stock Today.
    assert table_names(html) == [f"Report {n:04d}" for n in range(5, 20)]
    assert "26–40 of 40 reports" in html
    assert '<option value="funnel">Marketing Funnel</option>' in html


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("", 1),
        ("abc", 1),
        ("1.5", 1),
        ("0", 1),
        ("-3", 1),
        ("2", 2),
        ("3", 3),
        ("4", 3),
        ("999", 3),
        ("9" * 5000, 3),
    ],
)
def test_a_bad_page_number_shows_the_first_or_the_last_page(cast, sales, page, shown):
    make_reports(sales, 60)
    response = login(cast, "sales").get("/reports/", {"page": page})
    assert response.status_code == 200
    assert f"Page {shown} of 3" in response.content.decode()


def test_a_page_number_with_no_reports_shows_the_empty_list(sales_client):
    response = sales_client.get("/reports/?page=7&q=nothing")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No reports match" in html and 'class="pager"' not in html


@pytest.mark.parametrize("query", ["\x00", "%", "_", "x" * 500, "'; DROP TABLE x; --", "  "])
def test_odd_search_text_never_fails(cast, sales, query):
    make_reports(sales, 3)
    client = login(cast, "sales")
    response = client.get("/reports/", {"q": query})
    assert response.status_code == 200
    # A name holds no NUL: it is left out, and blank text is no search.
    everything = not query.replace("\x00", "").strip()
    assert table_names(response.content.decode()) == (
        ["Report 0000", "Report 0001", "Report 0002"] if everything else []
    )
    response = client.get("/reports/?dashboard=stocktoday&partial=menu", {"q": query})
    assert response.status_code == 200


def test_search_text_is_matched_literally_and_whatever_the_case(cast, sales):
    make_reports(sales, 2)
    Report.objects.filter(name="Report 0000").update(name="Growth 100% — Été")
    client = login(cast, "sales")
    assert table_names(client.get("/reports/", {"q": "100%"}).content.decode()) == ["Growth 100% — Été"]
    assert table_names(client.get("/reports/", {"q": "gROWTH"}).content.decode()) == ["Growth 100% — Été"]
    assert table_names(client.get("/reports/", {"q": "0_0"}).content.decode()) == []


def test_an_unknown_or_forbidden_dashboard_filter_answers_alike_and_reveals_nothing(cast):
    grant_add(dashboard=Dashboard.objects.get(slug="funnel"), group=Group.objects.get(name="Marketing"))
    make_reports(cast["marketing"], 3, dashboard="funnel", visibility="everyone")
    alice = login(cast, "alice")
    forbidden = alice.get("/reports/?dashboard=funnel")
    unknown = alice.get("/reports/?dashboard=nosuch")
    assert forbidden.status_code == unknown.status_code == 404
    assert without_tokens(forbidden.content.decode()).replace("funnel", "nosuch") == without_tokens(
        unknown.content.decode()
    )
    html = forbidden.content.decode()
    assert "None of the dashboards you can open is called “funnel”." in html
    assert "Marketing Funnel" not in html and "Report 0000" not in html
    assert alice.get("/reports/?dashboard=nosuch&partial=menu").status_code == 404
    assert alice.get("/reports/?partial=menu").status_code == 404  # the menu is always of one dashboard


def test_deleting_from_the_full_list_comes_back_to_the_same_page(cast, sales):
    make_reports(sales, 60)
    client = login(cast, "sales")
    html = client.get("/reports/?q=report&page=2").content.decode()
    assert 'name="next" value="/reports/?q=report&amp;page=2"' in html
    report = Report.objects.get(name="Report 0030")
    response = client.post(f"/reports/{report.pk}/delete/", {"next": "/reports/?q=report&page=2"})
    assert response["Location"] == "/reports/?q=report&page=2"
    assert Report.objects.count() == 59
