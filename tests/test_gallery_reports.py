"""The gallery's search finds saved reports too: by name or dashboard, only those the
user may open."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dashboards.models import Dashboard, Report


@pytest.fixture
def reports(cast):
    stock = Dashboard.objects.get(slug="stocktoday")
    params = {"tickers": ["IBM"], "start": "2010-01-04", "end": "2016-02-29"}
    mine = Report.objects.create(owner=cast["sales"], dashboard=stock, name="Quarterly tech", params=params)
    shared = Report.objects.create(
        owner=cast["alice"], dashboard=stock, name="Board pack", params=params, visibility="everyone"
    )
    private = Report.objects.create(
        owner=cast["alice"], dashboard=stock, name="Alice only tech", params=params
    )
    return mine, shared, private


def shown_reports(html: str) -> list[str]:
    section = re.search(r'<section class="shelf" id="gallery-reports"([^>]*)>(.*?)</section>', html, re.S)
    if not section or "hidden" in section.group(1):
        return []
    return re.findall(
        r'<li class="report-hit"[^>]*(?<!hidden)>\s*<a href="/reports/\d+/">(.*?)</a>', section.group(2)
    )


def test_a_search_finds_reports_by_name_with_a_typo_forgiven(cast, reports):
    client = Client()
    client.force_login(cast["sales"])
    assert shown_reports(client.get("/?q=quartely").content.decode()) == ["Quarterly tech"]
    assert shown_reports(client.get("/?q=board").content.decode()) == ["Board pack"]


def test_a_search_finds_reports_by_their_dashboard_and_never_anothers_private_one(cast, reports):
    client = Client()
    client.force_login(cast["sales"])
    html = client.get("/?q=stock").content.decode()
    assert sorted(shown_reports(html)) == ["Board pack", "Quarterly tech"]
    assert "Alice only tech" not in html
    assert "shared by alice" in html


def test_no_search_lists_no_reports(cast, reports):
    client = Client()
    client.force_login(cast["sales"])
    assert shown_reports(client.get("/").content.decode()) == []


def test_a_user_who_cannot_open_the_dashboard_finds_none_of_its_reports(cast, reports):
    client = Client()
    client.force_login(cast["marketing"])
    assert "Board pack" not in client.get("/?q=board").content.decode()
