import dataclasses

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import registry
from dashboards.access import VERSION_KEY
from dashboards.catalogue.stocktoday import dashboard as stocktoday_spec
from dashboards.models import Dashboard
from dashboards.services import dashboards_sync, grant_add
from tests.conftest import catalogue_of


def test_it_sends_anonymous_users_to_login_with_next(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_it_shows_the_stock_today_card(sales_client):
    response = sales_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Analytics Simplified" in html
    assert "App Gallery" in html
    assert "Stock Today" in html
    assert reverse("dashboard", args=["stocktoday"]) in html
    assert "Explore" in html


def test_it_filters_by_category(sales_client):
    assert "Stock Today" in sales_client.get("/", {"category": "Finance"}).content.decode()
    assert "Stock Today" not in sales_client.get("/", {"category": "Nothing"}).content.decode()


def test_it_searches_titles_descriptions_and_features(sales_client):
    assert "Stock Today" in sales_client.get("/", {"q": "ticker"}).content.decode()
    assert "Stock Today" in sales_client.get("/", {"q": "STOCK today"}).content.decode()
    response = sales_client.get("/", {"q": "no such words"})
    assert response.status_code == 200
    assert "Stock Today" not in response.content.decode()


def test_it_hides_everything_from_inactive_users(client, inactive):
    client.force_login(inactive)
    response = client.get("/")
    # Django's auth backend refuses inactive users: they are anonymous again.
    assert response.status_code == 302


def test_it_shows_only_the_dashboards_a_user_may_open(client, marketing):
    client.force_login(marketing)
    html = client.get("/").content.decode()
    assert "Stock Today" not in html


def synthetic_catalogue(count: int):
    dashboards = [
        dataclasses.replace(
            stocktoday_spec, slug=f"synthetic-{i}", title=f"Synthetic {i}", category=f"Cat {i % 7}"
        )
        for i in range(count)
    ]
    return catalogue_of(*dashboards)


def gallery_queries(count, monkeypatch, client, cast) -> int:
    monkeypatch.setattr(registry, "_catalogue", synthetic_catalogue(count))
    dashboards_sync()
    sales_group = Group.objects.get(name="Sales")
    for row in Dashboard.objects.filter(slug__startswith="synthetic-"):
        grant_add(dashboard=row, group=sales_group)
        grant_add(dashboard=row, user=cast["sales"])
    client.force_login(cast["sales"])
    client.get("/")  # warm the process-wide state, as any first request does
    cache.delete(VERSION_KEY)  # but not the permission decision: it is part of what is counted
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert response.content.decode().count('class="card') >= count
    return len(queries)


def test_its_query_count_does_not_grow_with_dashboards_or_grants(monkeypatch, client, cast):
    with_5 = gallery_queries(5, monkeypatch, client, cast)
    with_50 = gallery_queries(50, monkeypatch, client, cast)
    assert with_5 == with_50
    assert with_50 <= 3  # session (without Redis), user, the permission decision


def test_a_tag_link_narrows_the_gallery_and_can_be_cleared(client_for):
    client = client_for("timeseries")
    page = client.get("/?tag=live").content.decode()
    assert "Business Metrics" in page and "Stock Today" not in page
    assert 'href="/?tag=live"' in page  # the card's tag is a link
    assert 'class="chip chip-tag" href="/?"' in page  # the active tag, and its way back
    assert "Stock Today" in client.get("/?tag=stocks").content.decode()


def test_only_live_dashboards_carry_the_live_badge(client_for):
    client = client_for("timeseries")
    page = client.get("/").content.decode()
    assert page.count("badge-live") == 1
    assert "badge-live" not in client.get("/?tag=stocks").content.decode()
