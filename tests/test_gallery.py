from django.urls import reverse


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
