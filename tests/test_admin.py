"""The admin screens an admin uses to manage access."""

import pytest
from django.test import Client

from dashboards.models import AccessRequest, AuditEvent


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def test_the_dashboard_screen_answers_who_can_open_it(admin_client, stocktoday):
    html = admin_client.get(f"/admin/dashboards/dashboard/{stocktoday.pk}/change/").content.decode().lower()
    assert "who can open this dashboard" in html
    for name in ("sales", "alice", "admin"):
        assert name in html
    assert "grants to groups (roles)" in html
    assert "grants to single users" in html


def test_the_user_screen_answers_what_the_user_can_open(admin_client, cast):
    html = admin_client.get(f"/admin/accounts/user/{cast['sales'].pk}/change/").content.decode().lower()
    assert "dashboards this user can open" in html
    assert "stock today" in html
    html = admin_client.get(f"/admin/accounts/user/{cast['viewer'].pk}/change/").content.decode().lower()
    assert "stock today" not in html


def test_an_inline_grant_added_in_the_admin_takes_effect_and_is_audited(admin_client, cast, stocktoday):
    viewer = Client()
    viewer.force_login(cast["viewer"])
    assert viewer.get("/dashboards/stocktoday/").status_code == 403
    grants = list(stocktoday.grants.order_by("pk"))
    group_grants = [g for g in grants if g.group_id]
    user_grants = [g for g in grants if g.user_id]
    data = {
        "open_to_all": "",
        "grants-TOTAL_FORMS": str(len(group_grants)),
        "grants-INITIAL_FORMS": str(len(group_grants)),
        "grants-2-TOTAL_FORMS": str(len(user_grants) + 1),
        "grants-2-INITIAL_FORMS": str(len(user_grants)),
    }
    for i, g in enumerate(group_grants):
        data |= {
            f"grants-{i}-id": g.pk,
            f"grants-{i}-dashboard": stocktoday.pk,
            f"grants-{i}-group": g.group_id,
        }
    for i, g in enumerate(user_grants):
        data |= {
            f"grants-2-{i}-id": g.pk,
            f"grants-2-{i}-dashboard": stocktoday.pk,
            f"grants-2-{i}-user": g.user_id,
        }
    n = len(user_grants)
    data |= {f"grants-2-{n}-dashboard": stocktoday.pk, f"grants-2-{n}-user": cast["viewer"].pk}
    response = admin_client.post(f"/admin/dashboards/dashboard/{stocktoday.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert viewer.get("/dashboards/stocktoday/").status_code == 200
    assert AuditEvent.objects.filter(
        action="grant-changed", username="admin", params__to="user:viewer"
    ).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/dashboards/dashboard/",
        "/admin/dashboards/accessrequest/",
        "/admin/dashboards/auditevent/",
        "/admin/accounts/user/",
        "/admin/auth/group/",
    ],
)
def test_the_admin_lists_open(admin_client, cast, path):
    AccessRequest.objects.create(user=cast["viewer"], dashboard_id=1)
    AuditEvent.objects.create(action="view", dashboard="stocktoday", username="sales")
    assert admin_client.get(path).status_code == 200


def test_audit_events_cannot_be_changed_in_the_admin(admin_client, db):
    event = AuditEvent.objects.create(action="view", dashboard="stocktoday")
    assert admin_client.get("/admin/dashboards/auditevent/add/").status_code == 403
    response = admin_client.post(f"/admin/dashboards/auditevent/{event.pk}/change/", {"dashboard": "x"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.dashboard == "stocktoday"
