import re

from django.urls import reverse


def test_it_embeds_the_dash_app_with_a_way_back(sales_client):
    response = sales_client.get("/dashboards/stocktoday/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dash-app"' in html
    assert re.search(r'src="/django_plotly_dash/app/stocktoday/initial/[\w.~-]+/"', html)
    assert f'href="{reverse("gallery")}"' in html
    assert "Stock Today" in html


def test_it_sends_anonymous_users_to_login_with_next(client, db):
    response = client.get("/dashboards/stocktoday/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/dashboards/stocktoday/"


def test_it_answers_an_unknown_slug_with_the_styled_404(sales_client):
    response = sales_client.get("/dashboards/no-such-board/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Dash Engine" in html  # the site's own page, not Django's plain one
    assert reverse("gallery") in html


def test_it_refuses_other_methods(sales_client):
    assert sales_client.post("/dashboards/stocktoday/").status_code == 405


def test_the_full_description_is_one_hover_tap_or_tab_away(sales_client):
    html = sales_client.get("/dashboards/stocktoday/").content.decode()
    description = (
        "Daily prices and day-to-day changes of AAPL, the S&amp;P 500, IBM, MSFT and SBUX from 2007 to 2016."
    )
    assert f'<p class="dashboard-desc" tabindex="0" title="{description}">{description}</p>' in html
