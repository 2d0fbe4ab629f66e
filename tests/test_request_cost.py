"""What a signed-in request costs the database, and that rights are never served stale."""

import re

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

LAYOUT = "/django_plotly_dash/app/stocktoday/_dash-layout"


def test_a_dash_request_reads_the_session_the_user_and_the_grants_from_the_database(sales_client):
    assert sales_client.get(LAYOUT).status_code == 200  # warm: the catalogue synced once
    with CaptureQueriesContext(connection) as queries:
        assert sales_client.get(LAYOUT).status_code == 200
    tables = [re.search(r'FROM "(\w+)"', query["sql"])[1] for query in queries.captured_queries]
    assert tables == ["django_session", "accounts_user", "dashboards_dashboard"]


def test_deactivating_a_user_refuses_their_very_next_request(sales_client, sales):
    assert sales_client.get(LAYOUT).status_code == 200
    sales.is_active = False
    sales.save()
    assert sales_client.get(LAYOUT).status_code == 401


def test_a_password_change_signs_out_the_users_other_sessions(sales_client, sales):
    assert sales_client.get(LAYOUT).status_code == 200
    sales.set_password("a-brand-new-password-42")
    sales.save()
    assert sales_client.get(LAYOUT).status_code == 401


def test_a_deleted_user_is_signed_out(sales_client, sales):
    assert sales_client.get(LAYOUT).status_code == 200
    sales.delete()
    assert sales_client.get(LAYOUT).status_code == 401


def test_logging_out_ends_the_session_everywhere_it_was_stored(sales):
    client = Client()
    client.force_login(sales)
    assert client.get(LAYOUT).status_code == 200
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert thief.get(LAYOUT).status_code == 401
