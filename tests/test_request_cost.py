"""What a signed-in request costs the database, and that the shortcuts never serve stale rights."""

from django.conf import settings
from django.test import Client

LAYOUT = "/django_plotly_dash/app/stocktoday/_dash-layout"


def test_a_dash_request_of_a_signed_in_user_makes_no_query_once_warm(sales_client, django_assert_num_queries):
    assert sales_client.get(LAYOUT).status_code == 200  # reads the session, the user and the grants once
    with django_assert_num_queries(0):
        assert sales_client.get(LAYOUT).status_code == 200


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
