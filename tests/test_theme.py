"""Light, dark or the device's theme: stored per user, rendered on <html>, followed by the admin."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import PASSWORD


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode())[0]


def theme_script(response) -> str:
    return re.search(r'<script src="/static/portal/theme\.js"[^>]*>', response.content.decode())[0]


def test_a_chosen_theme_is_stored_and_a_new_login_sees_it(sales_client, sales):
    response = sales_client.post("/accounts/theme/", {"theme": "light", "next": "/reports/"})

    assert response.status_code == 302
    assert response["Location"] == "/reports/"
    sales.refresh_from_db()
    assert sales.theme == "light"
    later = Client()
    assert later.post("/accounts/login/", {"username": "sales", "password": PASSWORD}).status_code == 302
    page = later.get("/")
    assert html_tag(page) == '<html lang="en" data-theme="light">'
    assert 'value="light" aria-pressed="true"' in page.content.decode()


def test_the_page_the_user_is_on_sees_the_new_theme_at_once(sales_client):
    sales_client.get("/")  # the user is now in the cache of signed-in users

    sales_client.post("/accounts/theme/", {"theme": "dark"})

    assert html_tag(sales_client.get("/reports/")) == '<html lang="en" data-theme="dark">'


def test_a_script_that_saves_the_theme_gets_json(sales_client, sales):
    response = sales_client.post(
        "/accounts/theme/", {"theme": "dark"}, headers={"accept": "application/json"}
    )

    assert response.status_code == 200
    assert response.json() == {"theme": "dark"}
    sales.refresh_from_db()
    assert sales.theme == "dark"


@pytest.mark.parametrize("value", ["", "blue", "LIGHT", "auto", "light ", "dark\x00"])
def test_a_bad_theme_is_a_400_and_changes_nothing(sales_client, sales, value):
    sales.theme = "dark"
    sales.save()

    response = sales_client.post("/accounts/theme/", {"theme": value})

    assert response.status_code == 400
    assert response.content.decode() == "Choose Light, Dark or Same as my device."
    sales.refresh_from_db()
    assert sales.theme == "dark"


def test_a_missing_theme_is_a_400(sales_client):
    assert sales_client.post("/accounts/theme/", {}).status_code == 400


def test_anonymous_visitors_cannot_set_a_theme(client, cast):
    response = client.post("/accounts/theme/", {"theme": "light"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/theme/"


def test_the_theme_is_not_changed_by_a_get(sales_client):
    assert sales_client.get("/accounts/theme/?theme=light").status_code == 405


def test_saving_the_theme_needs_the_csrf_token(sales, cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)

    response = client.post("/accounts/theme/", {"theme": "light"})

    assert response.status_code == 403
    sales.refresh_from_db()
    assert sales.theme == "system"


@pytest.mark.parametrize("next_url", ["https://elsewhere.example/", "//elsewhere.example/", "gallery", ""])
def test_the_form_goes_back_only_to_a_page_of_this_site(sales_client, next_url):
    response = sales_client.post("/accounts/theme/", {"theme": "light", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_same_as_my_device_leaves_the_choice_to_the_script_in_the_head(sales_client):
    page = sales_client.get("/")

    assert html_tag(page) == '<html lang="en">'
    head = page.content.decode().split("</head>")[0]
    assert theme_script(page) in head
    assert 'data-choice="system"' in theme_script(page)
    assert 'data-url="/accounts/theme/"' in theme_script(page)


def test_the_login_page_follows_the_device(client, cast):
    page = client.get("/accounts/login/")

    assert html_tag(page) == '<html lang="en">'
    assert theme_script(page) == '<script src="/static/portal/theme.js" data-choice="system">'


def test_the_admin_follows_the_stored_theme_instead_of_its_own(client, superuser):
    superuser.theme = "light"
    superuser.save()
    client.force_login(superuser)

    page = client.get("/admin/")

    text = page.content.decode()
    assert (
        '<script src="/static/portal/theme.js" data-admin data-choice="light" data-url="/accounts/theme/">'
        in text
    )
    # Django's own script would apply the choice kept in the browser instead.
    assert "admin/js/theme.js" not in text
    assert "admin/css/dark_mode.css" in text


def test_the_admin_login_page_follows_the_device_and_has_no_theme_button(client, cast):
    text = client.get("/admin/login/").content.decode()

    assert '<script src="/static/portal/theme.js" data-admin data-choice="system">' in text
    assert "theme-toggle" not in text
