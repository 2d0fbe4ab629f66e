import dataclasses
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from dashboards import registry
from dashboards.catalogue.stocktoday import dashboard as stocktoday_spec
from dashboards.models import AccessRequest, AuditEvent, Dashboard, Favourite
from dashboards.services import dashboards_sync, grant_add, grant_remove
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
    assert shown_cards(sales_client.get("/", {"q": "ticker"})) == {"others": ["stocktoday"]}
    assert shown_cards(sales_client.get("/", {"q": "STOCK today"})) == {"others": ["stocktoday"]}
    response = sales_client.get("/", {"q": "no such words"})
    assert response.status_code == 200
    assert shown_cards(response) == {}
    assert "None of your dashboards match “<span" in response.content.decode()


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


AUTH_TABLES = re.compile(r'FROM "(django_session|accounts_user)"')


def gallery_queries(count, monkeypatch, client, cast) -> int:
    monkeypatch.setattr(registry, "_catalogue", synthetic_catalogue(count))
    dashboards_sync()
    sales_group = Group.objects.get(name="Sales")
    for row in Dashboard.objects.filter(slug__startswith="synthetic-"):
        grant_add(dashboard=row, group=sales_group)
        grant_add(dashboard=row, user=cast["sales"])
    client.force_login(cast["sales"])
    client.get("/")  # warm the process-wide state, as any first request does
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert response.content.decode().count('class="card') >= count
    # Every request reads the session and the user: they are not the gallery's queries.
    return len([q for q in queries.captured_queries if not AUTH_TABLES.search(q["sql"])])


def test_its_query_count_does_not_grow_with_dashboards_or_grants(monkeypatch, client, cast):
    with_5 = gallery_queries(5, monkeypatch, client, cast)
    with_50 = gallery_queries(50, monkeypatch, client, cast)
    assert with_5 == with_50
    # The permission decision, favourites, recent views, dashboards to ask for, saved reports.
    assert with_50 <= 5


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


# ---- Shelves, search, favourites and "More dashboards" -------------------------------

SHELF_OR_CARD = re.compile(
    r'<section class="shelf[^"]*" id="(?P<shelf>[\w-]+)"[^>]*?(?P<shelf_hidden> hidden)?>'
    r'|<li class="card-item" id="(?:card|more)-(?P<slug>[\w-]+)"(?P<hidden> hidden)?>'
)


def shown_cards(response) -> dict[str, list[str]]:
    """The slugs a user sees, shelf by shelf, in page order (hidden ones left out)."""
    assert response.status_code == 200
    shelves: dict[str, list[str]] = {}
    shelf, shelf_hidden = "", False
    for match in SHELF_OR_CARD.finditer(response.content.decode()):
        if match["shelf"]:
            shelf, shelf_hidden = match["shelf"], bool(match["shelf_hidden"])
        elif not match["hidden"] and not shelf_hidden:
            shelves.setdefault(shelf, []).append(match["slug"])
    return shelves


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def list_for_everyone(*slugs: str) -> None:
    Dashboard.objects.filter(slug__in=slugs).update(discoverable=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_a_typo_still_finds_the_dashboard_without_script(sales_client):
    assert shown_cards(sales_client.get("/", {"q": "stok"})) == {"others": ["stocktoday"]}
    assert shown_cards(sales_client.get("/", {"q": "stcok tday"})) == {"others": ["stocktoday"]}
    assert "1 dashboard found" in sales_client.get("/", {"q": "stok"}).content.decode()
    # Cards the search leaves out are on the page, hidden, for search as you type.
    html = sales_client.get("/", {"q": "weather"}).content.decode()
    assert '<li class="card-item" id="card-stocktoday" hidden>' in html
    assert "0 dashboards found" in html


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("stok", True),  # a letter missing
        ("stcok", True),  # two letters swapped
        ("stack", True),  # one wrong
        ("S&P", True),  # punctuation, as typed
        ("tickers aapl", True),  # every word somewhere
        ("stk", False),  # three letters: no typo forgiven
        ("stock weather", False),  # every word must match
        ("weather", False),  # nothing close enough
    ],
)
def test_search_matching_forgives_a_typo_in_longer_words(query, found):
    from dashboards.selectors import search_matches, search_text

    assert search_matches(text=search_text(stocktoday_spec), query=query) is found


def test_a_star_adds_and_removes_a_favourite_and_goes_back_to_the_card(sales_client, sales):
    response = sales_client.post("/dashboards/stocktoday/favourite/", {"starred": "1", "next": "/?q=stock"})
    assert response.status_code == 302
    assert response["Location"] == "/?q=stock#card-stocktoday"
    assert list(Favourite.objects.filter(user=sales).values_list("dashboard__slug", flat=True)) == [
        "stocktoday"
    ]
    assert 'aria-pressed="true"' in sales_client.get("/").content.decode()

    sales_client.post("/dashboards/stocktoday/favourite/", {"starred": "1"})  # a second click: still one
    assert Favourite.objects.filter(user=sales).count() == 1

    response = sales_client.post(
        "/dashboards/stocktoday/favourite/", {"starred": "0"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"starred": False}
    assert not Favourite.objects.filter(user=sales).exists()


def test_a_star_goes_back_only_to_a_page_of_this_site(sales_client):
    for elsewhere in ("https://example.com/", "//example.com/", "javascript:alert(1)"):
        response = sales_client.post("/dashboards/stocktoday/favourite/", {"starred": "1", "next": elsewhere})
        assert response["Location"] == "/#card-stocktoday"


@pytest.mark.parametrize("listed", [False, True])
def test_a_dashboard_the_user_cannot_open_cannot_be_starred(client, marketing, listed):
    if listed:
        list_for_everyone("stocktoday")
    client.force_login(marketing)
    response = client.post(
        "/dashboards/stocktoday/favourite/", {"starred": "1"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 404
    assert not Favourite.objects.exists()


@pytest.mark.parametrize("value", ["", "yes", "2", "1 "])
def test_a_star_with_no_clear_state_is_a_400(sales_client, value):
    response = sales_client.post("/dashboards/stocktoday/favourite/", {"starred": value})
    assert response.status_code == 400
    assert response.content == b"starred must be 0 or 1."
    assert not Favourite.objects.exists()


def test_a_star_needs_the_csrf_token(sales):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)
    assert client.post("/dashboards/stocktoday/favourite/", {"starred": "1"}).status_code == 403
    assert not Favourite.objects.exists()


def test_favourites_come_first_then_the_last_few_viewed_then_the_rest(admin_client, superuser):
    admin_client.post("/dashboards/funnel/favourite/", {"starred": "1"})
    for slug in ("publicapi", "stocktoday", "abtest", "funnel", "timeseries", "stocktoday"):
        assert admin_client.get(f"/dashboards/{slug}/").status_code == 200  # recorded as a view
    shelves = shown_cards(admin_client.get("/"))
    assert shelves == {
        "favourites": ["funnel"],
        "recent": ["stocktoday", "timeseries", "abtest"],  # most recent first, once each, three
        "others": ["publicapi"],
    }
    html = admin_client.get("/").content.decode()
    assert (
        html.index(">Favourites</h2>")
        < html.index(">Recently viewed</h2>")
        < html.index(">Other dashboards</h2>")
    )


def test_recently_viewed_leaves_out_dashboards_the_user_may_no_longer_open(client_for, cast):
    client = client_for("funnel")  # alice: Stock Today and the funnel
    client.get("/dashboards/stocktoday/")
    client.get("/dashboards/funnel/")
    assert shown_cards(client.get("/"))["recent"] == ["funnel", "stocktoday"]
    grant_remove(dashboard=Dashboard.objects.get(slug="funnel"), user=cast["alice"])
    assert shown_cards(client.get("/")) == {"recent": ["stocktoday"]}


def test_more_dashboards_lists_only_listed_dashboards_the_user_cannot_open(sales_client):
    list_for_everyone("stocktoday", "funnel", "abtest")  # sales opens Stock Today already
    shelves = shown_cards(sales_client.get("/"))
    assert shelves == {"others": ["stocktoday"], "more": ["funnel", "abtest"]}  # Marketing, then Product
    html = sales_client.get("/").content.decode()
    assert "Business Metrics" not in html and "Exchange Rates" not in html  # not listed
    assert html.count('name="reason"') == 2


def test_the_search_also_finds_dashboards_to_ask_for(sales_client):
    list_for_everyone("funnel", "abtest")
    assert shown_cards(sales_client.get("/", {"q": "funel"})) == {"more": ["funnel"]}


def test_superusers_have_nothing_to_ask_for(admin_client):
    list_for_everyone("stocktoday", "funnel")
    assert "more" not in shown_cards(admin_client.get("/"))


def test_a_request_with_a_reason_is_stored_and_shown_as_requested(sales_client, sales):
    list_for_everyone("funnel")
    reason = "I plan the spring campaign\r\nwith the marketing team."
    response = sales_client.post("/dashboards/funnel/request-access/", {"reason": reason, "next": "/#more"})
    assert response.status_code == 302
    assert response["Location"] == "/#more"
    request = AccessRequest.objects.get(user=sales, dashboard__slug="funnel")
    assert (request.status, request.reason) == (
        "pending",
        "I plan the spring campaign\nwith the marketing team.",
    )
    html = sales_client.get("/").content.decode()
    more = html.split('id="more"')[1]
    day = date_format(timezone.localtime(request.created), "j M Y")
    assert f">{day}</time></span></p>" in more and "Requested on <time" in more
    assert 'name="reason"' not in more  # asked already: no second form
    assert "Access to Marketing Funnel requested." in html


def test_a_reason_of_500_characters_counts_a_line_break_as_one(sales_client, sales):
    list_for_everyone("funnel")
    reason = "x" * 249 + "\r\n" + "y" * 250  # as a browser sends a text box of 500 characters
    sales_client.post("/dashboards/funnel/request-access/", {"reason": reason})
    assert len(AccessRequest.objects.get(user=sales).reason) == 500


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("x" * 501, "Please keep the reason to 500 characters (it has 501)."),
        ("nul \x00 byte", "The reason can only contain ordinary text."),
        ("\x1b[31mred", "The reason can only contain ordinary text."),
    ],
)
def test_a_reason_too_long_or_not_plain_text_is_refused_with_the_form_again(sales_client, reason, message):
    list_for_everyone("funnel")
    response = sales_client.post("/dashboards/funnel/request-access/", {"reason": reason, "next": "/"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'role="alert">Your request was not sent. {message}</p>' in html
    assert 'aria-invalid="true"' in html and '<input type="hidden" name="next" value="/">' in html
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="access-requested").exists()


def test_a_hidden_dashboard_is_not_listed_and_cannot_be_starred(client, viewer):
    """Not listed for everyone: the gallery never shows it, and a star answers as for a
    dashboard that does not exist."""
    client.force_login(viewer)

    def star(slug: str) -> tuple[int, str]:
        response = client.post(f"/dashboards/{slug}/favourite/", {"starred": "1"})
        return response.status_code, without_tokens(response.content.decode().replace(slug, "SLUG"))

    assert star("stocktoday") == star("nosuchdashboard")
    assert star("stocktoday")[0] == 404
    assert not Favourite.objects.exists()
    assert "Stock Today" not in client.get("/").content.decode()


def test_whoever_has_a_hidden_dashboards_address_may_ask_for_it_with_a_reason(client, marketing):
    # A colleague shared the link: the refusal page names the dashboard anyway, and
    # offers the request rather than a dead end.
    client.force_login(marketing)
    response = client.get("/dashboards/stocktoday/")
    assert response.status_code == 403
    assert (
        '<textarea id="reason-stocktoday" name="reason" rows="3" maxlength="500"' in response.content.decode()
    )
    client.post("/dashboards/stocktoday/request-access/", {"reason": "Quarterly review"})
    assert "request for access was sent" in client.get("/dashboards/stocktoday/").content.decode()
    assert AccessRequest.objects.get(user=marketing).reason == "Quarterly review"
    assert client.post("/dashboards/nosuchdashboard/request-access/", {"reason": "x"}).status_code == 404


def test_seed_demo_lists_the_demo_dashboards_so_each_role_has_some_to_ask_for(
    settings, monkeypatch, client, db
):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-password-123"
    call_command("seed_demo")
    assert set(Dashboard.objects.filter(discoverable=True).values_list("slug", flat=True)) == {
        "stocktoday",
        "publicapi",
        "funnel",
        "abtest",
        "timeseries",
    }
    for username, more in [
        ("sales", ["timeseries", "abtest"]),
        ("marketing", ["stocktoday", "publicapi"]),
        ("viewer", ["stocktoday", "publicapi", "funnel", "timeseries", "abtest"]),
    ]:
        client.force_login(get_user_model().objects.get(username=username))
        assert sorted(shown_cards(client.get("/"))["more"]) == sorted(more), username


def test_an_admin_lists_a_dashboard_for_everyone_in_the_admin(admin_client):
    page = admin_client.get("/admin/dashboards/dashboard/")
    assert "discoverable" in page.content.decode()
    row = Dashboard.objects.get(slug="funnel")
    form = admin_client.get(f"/admin/dashboards/dashboard/{row.pk}/change/").content.decode()
    data = {"discoverable": "on"}
    for name, value in re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', form):
        data.setdefault(name, value)
    response = admin_client.post(f"/admin/dashboards/dashboard/{row.pk}/change/", data)
    assert response.status_code == 302
    assert Dashboard.objects.get(slug="funnel").discoverable is True
    assert AuditEvent.objects.filter(
        action="grant-changed", dashboard="funnel", params={"change": "listed", "to": "users without access"}
    ).exists()


def test_any_gallery_search_star_or_request_gets_an_answer_not_a_server_error(sales_client):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    list_for_everyone("funnel")
    typed = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=600)

    @settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(q=typed, category=st.text(max_size=20), starred=st.text(max_size=4), reason=typed, next_=typed)
    def check(q, category, starred, reason, next_):
        assert sales_client.get("/", {"q": q, "category": category, "tag": q}).status_code == 200
        star = sales_client.post("/dashboards/stocktoday/favourite/", {"starred": starred, "next": next_})
        assert star.status_code in (302, 400)
        asked = sales_client.post("/dashboards/funnel/request-access/", {"reason": reason, "next": next_})
        assert asked.status_code in (302, 400)

    check()
