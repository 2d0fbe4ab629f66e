"""Access requests from the admin's side: the count waiting, approve or deny on the
request's own page, and the requester told once (and by e-mail when there is e-mail)."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from dashboards.models import AccessRequest, DashboardGrant
from dashboards.services import access_request_create
from tests.conftest import make_user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def from_(user):
    """A request made by `user`, as the request-access view passes it on."""
    request = RequestFactory().get("/")
    request.user = user
    return request


def change_url(access_request) -> str:
    return f"/admin/dashboards/accessrequest/{access_request.pk}/change/"


@pytest.fixture
def asked(cast, stocktoday):
    """marketing asks for Stock Today."""
    return AccessRequest.objects.create(user=cast["marketing"], dashboard=stocktoday, reason="Q3 planning")


@pytest.fixture
def admin_client(cast):
    return login(cast["admin"])


@pytest.fixture
def reviewer(cast):
    """Staff who may decide requests through a permission, not as a superuser."""
    user = make_user("reviewer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="change_accessrequest"),
        Permission.objects.get(codename="view_accessrequest"),
    )
    return user


# Approve or deny on the request's page


def test_a_pending_requests_page_offers_approve_and_deny_with_a_note(admin_client, asked):
    html = admin_client.get(change_url(asked)).content.decode()
    assert '<input type="submit" name="_approve"' in html
    assert 'value="Approve: let marketing open Stock Today"' in html
    assert '<input type="submit" name="_deny" value="Deny">' in html
    assert 'name="note"' in html
    assert "Q3 planning" in html
    assert 'name="_save"' not in html  # only a decision changes a request


def test_approving_on_the_page_grants_the_dashboard_with_the_note(
    admin_client, asked, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(asked), {"note": "Welcome aboard", "_approve": "Approve"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/dashboards/accessrequest/?status__exact=pending"
    asked.refresh_from_db()
    assert (asked.status, asked.note, asked.decided_by, asked.seen) == (
        "approved",
        "Welcome aboard",
        cast["admin"],
        False,
    )
    assert DashboardGrant.objects.filter(user=cast["marketing"], dashboard__slug="stocktoday").exists()
    assert login(cast["marketing"]).get("/dashboards/stocktoday/").status_code == 200
    page = admin_client.get(response["Location"]).content.decode()
    assert "Approved: marketing can now open Stock Today. They will be told on their next visit." in page


def test_denying_on_the_page_grants_nothing(admin_client, asked, cast):
    response = admin_client.post(change_url(asked), {"note": "Ask your manager first", "_deny": "Deny"})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.note, asked.decided_by) == ("denied", "Ask your manager first", cast["admin"])
    assert not DashboardGrant.objects.filter(user=cast["marketing"]).exists()
    assert login(cast["marketing"]).get("/dashboards/stocktoday/").status_code == 403


def test_a_decided_request_cannot_be_decided_again(admin_client, asked, cast):
    admin_client.post(change_url(asked), {"_deny": "Deny"})
    html = admin_client.get(change_url(asked)).content.decode()
    assert 'name="_approve"' not in html
    assert "Back to the requests waiting" in html
    response = admin_client.post(change_url(asked), {"_approve": "Approve"}, follow=True)
    assert "This request was already denied." in response.content.decode()
    asked.refresh_from_db()
    assert asked.status == "denied"
    assert not DashboardGrant.objects.filter(user=cast["marketing"]).exists()


def test_staff_with_the_permission_decide_too(reviewer, asked, cast):
    response = login(reviewer).post(change_url(asked), {"_approve": "Approve"})
    assert response.status_code == 302
    assert DashboardGrant.objects.filter(user=cast["marketing"], dashboard__slug="stocktoday").exists()


def test_the_bulk_actions_approve_and_deny_only_pending_requests(admin_client, cast, stocktoday, asked):
    other = AccessRequest.objects.create(user=cast["viewer"], dashboard=stocktoday)
    response = admin_client.post(
        "/admin/dashboards/accessrequest/",
        {"action": "deny", "_selected_action": [asked.pk, other.pk]},
        follow=True,
    )
    assert "Denied 2 request(s)." in response.content.decode()
    response = admin_client.post(
        "/admin/dashboards/accessrequest/",
        {"action": "approve", "_selected_action": [asked.pk, other.pk]},
        follow=True,
    )
    assert "Approved 0 request(s)." in response.content.decode()
    assert set(AccessRequest.objects.values_list("status", flat=True)) == {"denied"}
    assert not DashboardGrant.objects.filter(user__in=[cast["viewer"], cast["marketing"]]).exists()


# The count waiting


def nav_count(html: str) -> str | None:
    marker = 'id="nav-pending-requests"'
    if marker not in html:
        return None
    return html.split(marker)[1].split(">", 1)[1].split("<", 1)[0]


def test_staff_who_decide_requests_see_the_count_waiting(asked, cast, stocktoday, reviewer):
    AccessRequest.objects.create(user=cast["viewer"], dashboard=stocktoday)
    AccessRequest.objects.create(user=cast["alice"], dashboard=stocktoday, status="approved")
    for user in (cast["admin"], reviewer):
        assert nav_count(login(user).get("/reports/").content.decode()) == "2"
    assert (
        '2<span class="visually-hidden"> access requests waiting</span>'
        in login(reviewer).get("/reports/").content.decode()
    )
    admin_index = login(cast["admin"]).get("/admin/").content.decode()
    assert "<strong>2 access requests</strong> waiting for a decision" in admin_index
    assert 'href="/admin/dashboards/accessrequest/?status__exact=pending"' in admin_index


def test_nobody_else_sees_the_count(asked, cast):
    # cast["staff"] is staff without the permission to decide requests.
    for name in ("staff", "sales", "marketing"):
        html = login(cast[name]).get("/reports/").content.decode()
        assert nav_count(html) is None
        assert "access request" not in html


def test_the_count_costs_one_query_then_none_until_a_request_changes(
    asked, cast, stocktoday, django_capture_on_commit_callbacks
):
    admin = login(cast["admin"])

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            html = admin.get("/reports/").content.decode()
        assert nav_count(html) is not None
        return sum('"dashboards_accessrequest"' in q["sql"] and "COUNT(" in q["sql"] for q in queries)

    assert count_queries() == 1
    assert count_queries() == 0
    with django_capture_on_commit_callbacks(execute=True):
        access_request_create(user=cast["viewer"], dashboard=stocktoday, request=from_(cast["viewer"]))
    assert count_queries() == 1
    assert nav_count(admin.get("/reports/").content.decode()) == "2"


# The requester is told once


def test_the_requester_is_told_of_an_approval_once(
    admin_client, asked, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(asked), {"note": "Welcome aboard", "_approve": "Approve"})
    requester = login(cast["marketing"])
    html = requester.get("/reports/").content.decode()
    assert (
        '<li class="message message-success">Your request was approved: you can now open '
        '<a href="/dashboards/stocktoday/">Stock Today</a>. Note from the administrator: “Welcome aboard”</li>'
    ) in html
    asked.refresh_from_db()
    assert asked.seen
    assert "Your request" not in requester.get("/reports/").content.decode()


def test_the_requester_is_told_of_a_denial_once(
    admin_client, asked, cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(asked), {"note": "<b>Not this quarter</b>", "_deny": "Deny"})
    requester = login(cast["marketing"])
    html = requester.get("/reports/").content.decode()
    assert (
        "Your request for access to Stock Today was declined. "
        "Note from the administrator: “&lt;b&gt;Not this quarter&lt;/b&gt;”"
    ) in html
    assert "declined" not in requester.get("/reports/").content.decode()
    assert "declined" not in login(cast["viewer"]).get("/reports/").content.decode()


def test_the_requester_is_told_even_when_the_cache_forgot(admin_client, asked, cast):
    # No on-commit callbacks here: the cache never hears of the decision, the database does.
    admin_client.post(change_url(asked), {"_approve": "Approve"})
    assert "Your request was approved" in login(cast["marketing"]).get("/reports/").content.decode()


# E-mail, when the site has an e-mail server


@pytest.fixture
def mail_on(settings):
    settings.EMAIL_HOST = "smtp.example.com"


def test_admins_who_decide_are_emailed_of_a_new_request(
    cast, stocktoday, reviewer, mail_on, mailoutbox, django_capture_on_commit_callbacks
):
    # mailoutbox after the database fixtures: setting up the database empties the outbox anew.
    with django_capture_on_commit_callbacks(execute=True):
        created = access_request_create(
            user=cast["marketing"],
            dashboard=stocktoday,
            request=from_(cast["marketing"]),
            reason="Q3 planning",
        )
    [sent] = mailoutbox
    assert sent.subject == "Access request: Stock Today"
    assert sorted(sent.to) == ["admin@example.com", "reviewer@example.com"]  # not the staff without it
    assert "marketing asks for access to Stock Today." in sent.body
    assert "Q3 planning" in sent.body
    assert f"http://testserver/admin/dashboards/accessrequest/{created.pk}/change/" in sent.body


def test_the_requester_is_emailed_the_decision_with_the_note(
    admin_client, asked, mail_on, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(asked), {"note": "Welcome aboard", "_approve": "Approve"})
    [sent] = mailoutbox
    assert sent.to == ["marketing@example.com"]
    assert sent.subject == "You now have access to Stock Today"
    assert "Welcome aboard" in sent.body
    assert "http://testserver/dashboards/stocktoday/" in sent.body
    message = admin_client.get(response["Location"]).content.decode()
    assert "They will be told on their next visit and by e-mail." in message


def test_without_an_email_server_nothing_is_sent_and_nothing_fails(
    settings, admin_client, cast, stocktoday, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_HOST = ""
    with django_capture_on_commit_callbacks(execute=True):
        created = access_request_create(
            user=cast["marketing"], dashboard=stocktoday, request=from_(cast["marketing"])
        )
        response = admin_client.post(change_url(created), {"_deny": "Deny"})
    assert response.status_code == 302
    assert mailoutbox == []


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


def test_a_mail_server_that_fails_does_not_stop_the_decision(
    mail_on, settings, admin_client, asked, cast, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(asked), {"_approve": "Approve"})
    assert response.status_code == 302
    assert DashboardGrant.objects.filter(user=cast["marketing"], dashboard__slug="stocktoday").exists()
    assert mail.outbox == []
    assert "Could not send the e-mail 'You now have access to Stock Today'" in caplog.text
