"""Grants, refusals, access requests and the cost of the permission decision."""

import dataclasses
import json

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.test import Client

from dashboards import registry
from dashboards.access import can_view
from dashboards.catalogue.stocktoday import dashboard as stock_spec
from dashboards.hosting.views import initial_token
from dashboards.models import AccessRequest, AuditEvent, Dashboard, DashboardGrant
from dashboards.services import dashboards_sync, grant_add, grant_remove
from tests.conftest import catalogue_of
from tests.dash_requests import layout_values
from tests.test_callbacks import APP, post_callback, stock_callback


def test_it_grants_by_group_by_user_and_to_everyone(cast, stocktoday):
    assert can_view(user=cast["sales"], dashboard=stock_spec)
    assert can_view(user=cast["alice"], dashboard=stock_spec)
    assert not can_view(user=cast["viewer"], dashboard=stock_spec)
    stocktoday.open_to_all = True
    stocktoday.save()
    viewer = type(cast["viewer"]).objects.get(username="viewer")  # a new request
    assert can_view(user=viewer, dashboard=stock_spec)


def test_superusers_see_everything_and_inactive_users_nothing(cast):
    assert can_view(user=cast["admin"], dashboard=stock_spec)
    assert not can_view(user=cast["gone"], dashboard=stock_spec)  # in Sales, but inactive
    assert not can_view(user=cast["staff"], dashboard=stock_spec)


def test_a_non_granted_user_gets_a_403_page_naming_the_dashboard(client, marketing):
    client.force_login(marketing)
    response = client.get("/dashboards/stocktoday/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Stock Today" in html
    assert "Request access" in html
    assert AuditEvent.objects.filter(
        action="access-denied", username="marketing", dashboard="stocktoday"
    ).exists()


def test_a_user_can_request_access_once_and_an_admin_approves_it(client, marketing, superuser):
    client.force_login(marketing)
    for _ in range(2):
        response = client.post("/dashboards/stocktoday/request-access/", follow=True)
    assert response.status_code == 403
    assert "request for access was sent" in response.content.decode()
    assert AccessRequest.objects.filter(user=marketing, status="pending").count() == 1
    assert AuditEvent.objects.filter(action="access-requested", username="marketing").count() == 1

    admin = Client()
    admin.force_login(superuser)
    pending = AccessRequest.objects.get(user=marketing)
    response = admin.post(
        "/admin/dashboards/accessrequest/",
        {"action": "approve", "_selected_action": [pending.pk]},
        follow=True,
    )
    assert "Approved 1 request" in response.content.decode()
    assert DashboardGrant.objects.filter(user=marketing, dashboard__slug="stocktoday").exists()
    assert client.get("/dashboards/stocktoday/").status_code == 200
    assert AuditEvent.objects.filter(action="grant-changed", username="admin").exists()


def test_revoking_a_grant_refuses_the_very_next_callback(sales_client, stocktoday):
    body = stock_callback(sales_client)
    assert post_callback(sales_client, body).status_code == 200
    grant_remove(dashboard=stocktoday, group=Group.objects.get(name="Sales"))
    response = post_callback(sales_client, body)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")


def test_a_grant_moved_by_update_refuses_the_very_next_callback(sales_client, stocktoday):
    """No signal runs for `QuerySet.update`: the decision is the database's."""
    body = stock_callback(sales_client)
    assert post_callback(sales_client, body).status_code == 200
    other = Dashboard.objects.exclude(pk=stocktoday.pk).first()
    DashboardGrant.objects.filter(dashboard=stocktoday).update(dashboard=other)
    response = post_callback(sales_client, body)
    assert response.status_code == 403
    assert response.content == b"You do not have access to this dashboard."


def test_a_dashboard_withdrawn_by_update_is_refused_at_the_next_request(sales_client, stocktoday):
    assert sales_client.get(APP + "_dash-layout").status_code == 200
    Dashboard.objects.filter(pk=stocktoday.pk).update(available=False)
    assert sales_client.get(APP + "_dash-layout").status_code == 403


def test_a_deactivation_by_update_ends_the_session_at_the_next_request(sales_client, sales):
    assert sales_client.get(APP + "_dash-layout").status_code == 200
    type(sales).objects.filter(pk=sales.pk).update(is_active=False)
    assert sales_client.get(APP + "_dash-layout").status_code == 401  # signed out
    assert sales_client.get("/")["Location"] == "/accounts/login/?next=/"


def test_a_group_membership_change_takes_effect_on_the_next_request(client, viewer):
    client.force_login(viewer)
    assert client.get(APP + "_dash-layout").status_code == 403
    viewer.groups.add(Group.objects.get(name="Sales"))
    assert client.get(APP + "_dash-layout").status_code == 200


def test_a_callback_meant_for_another_dashboard_is_refused(sales_client):
    body = stock_callback(sales_client)
    body["output"] = "..funnel-chart.figure..."
    response = post_callback(sales_client, body)
    assert response.status_code == 400
    assert b"no such callback" in response.content


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", json.dumps({"output": 3}).encode(), b"\xff\xfe"],
)
def test_malformed_callback_bodies_get_400(sales_client, raw):
    response = sales_client.post(APP + "_dash-update-component", raw, content_type="application/json")
    assert response.status_code == 400


def test_malformed_callback_inputs_get_400(sales_client):
    body = stock_callback(sales_client)
    body["inputs"] = [{"value": 1}]
    assert post_callback(sales_client, body).status_code == 400


def test_an_oversized_callback_gets_400(sales_client, settings):
    body = stock_callback(sales_client)
    body["padding"] = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert post_callback(sales_client, body).status_code == 400


def test_dashboards_from_code_appear_in_the_database_and_vanished_ones_keep_their_grants(
    monkeypatch, stocktoday, cast
):
    ghost = dataclasses.replace(stock_spec, slug="ghost", title="Ghost")
    catalogue = catalogue_of(stock_spec, ghost)
    monkeypatch.setattr(registry, "_catalogue", catalogue)
    dashboards_sync()
    ghost_row = Dashboard.objects.get(slug="ghost")
    assert ghost_row.available
    grant_add(dashboard=ghost_row, group=Group.objects.get(name="Sales"))

    monkeypatch.setattr(
        registry,
        "_catalogue",
        catalogue_of(stock_spec),
    )
    dashboards_sync()
    ghost_row.refresh_from_db()
    assert not ghost_row.available
    assert ghost_row.grants.count() == 1


def test_the_permission_decision_costs_one_query_per_request(sales, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    fresh = get_user_model().objects.get(pk=sales.pk)
    with django_assert_num_queries(1):
        assert can_view(user=fresh, dashboard=stock_spec)
    with django_assert_num_queries(0):  # the rest of the same request
        assert can_view(user=fresh, dashboard=stock_spec)


@pytest.mark.parametrize(
    "change",
    [
        {"output": ["..prices.figure.."]},
        {"inputs": [{"id": ["tickers"], "property": "value", "value": ["AAPL"]}]},
        {"inputs": []},
        {"outputs": [{"id": "prices", "property": "figure"}]},
    ],
)
def test_callbacks_that_do_not_match_the_dashboard_get_400(sales_client, change):
    body = {**stock_callback(sales_client), **change}
    assert post_callback(sales_client, body).status_code == 400


def test_a_deeply_nested_callback_body_gets_400(sales_client):
    raw = b"[" * 100_000
    response = sales_client.post(APP + "_dash-update-component", raw, content_type="application/json")
    assert response.status_code == 400


def _stock_token(values: dict) -> str:
    return initial_token(dashboard=stock_spec, params=stock_spec.clean(values))


@pytest.mark.parametrize(
    "token",
    [
        "not-arguments",
        signing.Signer(sep="~", salt="another purpose").sign_object({"tickers": ["IBM"]}),
        _stock_token({"tickers": ["IBM"]})[:-3] + "abc",  # its signature damaged
        # A view of another dashboard: tokens are bound to theirs.
        signing.Signer(sep="~", salt="dashboards.hosting.initial:funnel").sign_object({"tickers": ["IBM"]}),
    ],
)
def test_a_forged_initial_view_falls_back_to_the_defaults(sales_client, token):
    response = sales_client.get(APP + f"initial/{token}/_dash-layout")
    assert response.status_code == 200
    assert layout_values(json.loads(response.content))["tickers.value"] == ["AAPL"]


def test_a_view_token_minted_on_one_dashboard_opens_the_defaults_of_another(client_for):
    stock_view = _stock_token({"tickers": ["IBM"], "start": "2008-01-02", "end": "2008-02-01"})
    client = client_for("funnel")
    response = client.get(f"/django_plotly_dash/app/funnel/initial/{stock_view}/_dash-layout")
    funnel = registry.get("funnel")
    values = layout_values(json.loads(response.content))
    assert (values["start.date"], values["end.date"]) == (
        funnel.defaults()["start"].isoformat(),
        funnel.defaults()["end"].isoformat(),
    )
    assert "2008" not in response.content.decode()


def test_a_view_whose_values_no_longer_pass_the_parameter_checks_opens_the_defaults(sales_client):
    # Signed by the site, but out of range (say, made before the data changed).
    signer = signing.Signer(sep="~", salt="dashboards.hosting.initial:stocktoday")
    token = signer.sign_object({"tickers": ["IBM", "NOPE"], "start": "1999-01-01", "end": "2016-02-29"})
    values = layout_values(json.loads(sales_client.get(APP + f"initial/{token}/_dash-layout").content))
    assert (values["tickers.value"], values["start.date"]) == (["AAPL"], "2007-01-03")


def test_anonymous_callers_learn_nothing_about_which_dashboards_exist(client, db):
    assert client.get("/django_plotly_dash/app/no-such/_dash-layout").status_code == 401
    assert client.get("/dashboards/no-such/export.csv").status_code == 401


def test_a_running_process_does_not_mark_unknown_dashboards_unavailable(stocktoday):
    Dashboard.objects.create(slug="newer", title="From a newer release")
    dashboards_sync(mark_missing=False)
    assert Dashboard.objects.get(slug="newer").available
    dashboards_sync()  # after a migrate
    assert not Dashboard.objects.get(slug="newer").available
