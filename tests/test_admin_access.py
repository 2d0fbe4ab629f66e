"""The admin built for this portal: who can open what (users × dashboards), deciding a request
with the requester's context (by a grant or by adding them to a group), audit entries named
for what happened, the portal's models first and internals kept to superusers."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from dashboards import registry
from dashboards.access import can_view
from dashboards.models import AccessRequest, AuditEvent, Dashboard, DashboardGrant
from tests.conftest import make_user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(superuser):
    return login(superuser)


@pytest.fixture
def access_staff(cast):
    """A staff member (not a superuser) given every permission of the portal's and
    Django's user models, as a team's admin usually is."""
    staff = cast["staff"]
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["dashboards", "accounts", "auth", "axes"])
    )
    return staff


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def grid_cells(html: str) -> dict[str, list[str]]:
    """The grid as {username: [cell text per dashboard column]}, with the header row under ""."""
    table = html.split('id="access-grid"')[1].split("</table>")[0]
    header = [text_of(th) for th in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, re.S)]
    rows = {"": header}
    for row in re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", table, re.S):
        username = re.search(r'class="grid-user"><a [^>]*>([^<]+)</a>', row)[1]
        rows[username] = [text_of(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return rows


# ---- Who can open what ---------------------------------------------------------------


def test_the_grid_shows_who_can_open_what_and_through_which_group_or_grant(admin_client, cast):
    response = admin_client.get("/admin/access/")
    assert response.status_code == 200
    cells = grid_cells(response.content.decode())
    titles = [d.title for d in Dashboard.objects.filter(available=True).order_by("title", "slug")]
    assert cells[""] == ["User", *titles]
    stock = titles.index("Stock Today")
    none = ["— no access"] * len(titles)
    assert cells["sales"] == none[:stock] + ["Sales"] + none[stock + 1 :]
    assert cells["alice"] == none[:stock] + ["own grant"] + none[stock + 1 :]
    assert cells["marketing"] == none
    assert cells["viewer"] == none
    assert cells["staff"] == none
    assert cells["admin"] == ["superuser"] * len(titles)
    assert "gone" not in cells  # inactive: opens nothing


def test_the_grid_says_open_to_all_and_lists_every_way_in(admin_client, cast, stocktoday):
    Dashboard.objects.filter(pk=stocktoday.pk).update(open_to_all=True)
    DashboardGrant.objects.create(dashboard=stocktoday, user=cast["sales"])
    cells = grid_cells(admin_client.get("/admin/access/").content.decode())
    stock = cells[""].index("Stock Today open to all") - 1
    assert cells["sales"][stock] == "all users, own grant, Sales"
    assert cells["viewer"][stock] == "all users"


def test_the_grid_agrees_with_the_permission_function_for_every_cell(admin_client, cast, stocktoday):
    Group.objects.create(name="Analysts")
    DashboardGrant.objects.create(
        dashboard=Dashboard.objects.get(slug="funnel"), group=Group.objects.get(name="Marketing")
    )
    cells = grid_cells(admin_client.get("/admin/access/").content.decode())
    rows = list(Dashboard.objects.filter(available=True).order_by("title", "slug"))
    for username, row in cells.items():
        if not username:
            continue
        user = type(cast["sales"]).objects.get(username=username)
        for dashboard, cell in zip(rows, row, strict=True):
            assert (cell != "— no access") == can_view(user=user, dashboard=registry.get(dashboard.slug)), (
                username,
                dashboard.slug,
            )


def test_the_grid_filters_by_group(admin_client, cast):
    sales = Group.objects.get(name="Sales")
    html = admin_client.get(f"/admin/access/?group={sales.pk}").content.decode()
    assert list(grid_cells(html)) == ["", "sales"]  # "gone" is in Sales but inactive
    assert "1 user in Sales × " in text_of(html)
    response = admin_client.get("/admin/access/?group=not-a-group")
    assert response.status_code == 400
    assert "There is no such group; showing no one." in unescape(response.content.decode())


def test_the_grid_is_for_admins_who_may_see_users_and_dashboards(cast, access_staff):
    assert login(cast["sales"]).get("/admin/access/").status_code == 302  # to the admin's login
    bare = make_user("bare-staff", is_staff=True)
    assert login(bare).get("/admin/access/").status_code == 403
    assert login(access_staff).get("/admin/access/").status_code == 200


# ---- Deciding a request -----------------------------------------------------------------


@pytest.fixture
def asked(cast, stocktoday):
    return AccessRequest.objects.create(
        user=cast["marketing"], dashboard=stocktoday, reason="For the Q3 plan"
    )


def test_the_request_page_shows_the_requesters_context(admin_client, cast, asked, stocktoday):
    funnel = Dashboard.objects.get(slug="funnel")
    DashboardGrant.objects.create(dashboard=funnel, group=Group.objects.get(name="Marketing"))
    AccessRequest.objects.create(
        user=cast["marketing"], dashboard=stocktoday, status="denied", note="Not this quarter"
    )
    html = admin_client.get(f"/admin/dashboards/accessrequest/{asked.pk}/change/").content.decode()
    fields = {
        text_of(label): text_of(value)
        for label, value in re.findall(
            r'<div class="flex-container[^"]*">\s*<label>(.*?)</label>\s*<div class="readonly">(.*?)</div>',
            html,
            re.S,
        )
    }
    assert fields["Their groups:"] == "Marketing"
    assert fields["What they can open now:"] == "Marketing Funnel (Marketing)"
    assert fields["Their earlier requests for it:"].startswith("Denied on ")
    assert fields["Their earlier requests for it:"].endswith(": “Not this quarter”")
    choices = [
        text_of(c) for c in re.findall(r'<label for="id_give_access_by_\d+">(.*?)</label>', html, re.S)
    ]
    assert choices == ["A grant of Stock Today to marketing alone", "Adding marketing to the group Sales"]


def test_approving_by_adding_to_a_group_lets_the_requester_open_the_dashboard(
    admin_client, cast, asked, stocktoday
):
    marketing = cast["marketing"]
    sales = Group.objects.get(name="Sales")
    requester = login(marketing)
    assert requester.get("/dashboards/stocktoday/").status_code == 403
    response = admin_client.post(
        f"/admin/dashboards/accessrequest/{asked.pk}/change/",
        {"note": "Welcome to Sales", "give_access_by": f"group:{sales.pk}", "_approve": "Approve"},
        follow=True,
    )
    assert (
        "Approved: marketing is now in the group Sales and can open Stock Today." in response.content.decode()
    )
    assert requester.get("/dashboards/stocktoday/").status_code == 200
    assert set(marketing.groups.values_list("name", flat=True)) == {"Marketing", "Sales"}
    assert not DashboardGrant.objects.filter(user=marketing).exists()  # the group, not a grant
    asked.refresh_from_db()
    assert asked.status == "approved"
    assert AuditEvent.objects.filter(
        action="request-approved", username="admin", params__by="group:Sales", params__requester="marketing"
    ).exists()
    assert AuditEvent.objects.filter(
        action="group-member-added", username="admin", params={"group": "Sales", "member": "marketing"}
    ).exists()


def test_approving_by_a_grant_alone_is_still_the_default(admin_client, cast, asked):
    admin_client.post(
        f"/admin/dashboards/accessrequest/{asked.pk}/change/", {"note": "", "_approve": "Approve"}
    )
    assert DashboardGrant.objects.filter(user=cast["marketing"], dashboard=asked.dashboard).exists()
    assert list(cast["marketing"].groups.values_list("name", flat=True)) == ["Marketing"]


def test_a_group_that_cannot_open_the_dashboard_is_not_a_way_to_approve(admin_client, cast, asked):
    viewers = Group.objects.create(name="Viewers")
    response = admin_client.post(
        f"/admin/dashboards/accessrequest/{asked.pk}/change/",
        {"note": "", "give_access_by": f"group:{viewers.pk}", "_approve": "Approve"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice." in response.content.decode()
    asked.refresh_from_db()
    assert asked.status == "pending"
    assert not cast["marketing"].groups.filter(name="Viewers").exists()


def test_a_denied_request_is_shown_as_such_to_the_requester(admin_client, cast, asked, stocktoday):
    admin_client.post(
        f"/admin/dashboards/accessrequest/{asked.pk}/change/",
        {"note": "Ask your manager first", "_deny": "Deny"},
    )
    requester = login(cast["marketing"])
    requester.get("/")  # the one-time message of the decision
    response = requester.get("/dashboards/stocktoday/")
    assert response.status_code == 403
    declined = text_of(response.content.decode().split('id="request-declined"')[1].split("</div>")[0])
    assert re.fullmatch(
        r'role="status"> Your request of \d+ \w{3} \d{4} was declined on \d+ \w{3} \d{4}\. '
        r"Note from the administrator: “Ask your manager first”",
        declined,
    )
    assert ">Ask again<" in response.content.decode()
    Dashboard.objects.filter(pk=stocktoday.pk).update(discoverable=True)
    gallery = requester.get("/").content.decode()
    assert re.search(r'id="declined-stocktoday">Your last request was declined on <time', gallery)
    assert AuditEvent.objects.filter(action="request-denied", username="admin").exists()


# ---- The audit trail, the admin home, the user page ------------------------------------


def test_audit_entries_are_named_for_what_happened(admin_client, cast, asked):
    requester = login(cast["viewer"])
    requester.get("/dashboards/stocktoday/")  # a page refused
    admin_client.post(f"/admin/dashboards/accessrequest/{asked.pk}/change/", {"note": "", "_deny": "Deny"})
    html = admin_client.get("/admin/dashboards/auditevent/").content.decode()
    actions = [text_of(td) for td in re.findall(r'<td class="field-action">(.*?)</td>', html)]
    # Newest first; before them, the cast's grants ("Admin changed who can open a dashboard").
    assert actions[:2] == ["Admin denied an access request", "Opened a page without access"]


def test_the_admin_home_puts_the_portal_first_and_internals_for_superusers_only(admin_client, access_staff):
    def sections(client):
        html = client.get("/admin/").content.decode().split('id="content-main"')[1]
        return re.findall(r"<caption>\s*<a [^>]*>([^<]+)</a>", html)

    def models(client):
        html = client.get("/admin/").content.decode().split('id="content-main"')[1]
        return [text_of(m) for m in re.findall(r'<th scope="row" id="[^"]+">(.*?)</th>', html, re.S)]

    assert sections(admin_client)[:3] == ["Dashboards", "Accounts", "Authentication and Authorization"]
    assert "Axes" in sections(admin_client)
    assert models(admin_client)[:3] == [
        "Access requests",
        "Who can open what (users × dashboards)",
        "Dashboards",
    ]
    staff = login(access_staff)
    assert sections(staff) == ["Dashboards", "Accounts", "Authentication and Authorization"]
    assert "Background jobs" not in models(staff)
    assert staff.get("/admin/axes/accessattempt/").status_code == 403
    assert staff.get("/admin/dashboards/backgroundjob/").status_code == 403
    assert admin_client.get("/admin/axes/accessattempt/").status_code == 200


def test_the_user_page_has_no_password_hash_and_model_permissions_only_where_they_mean_something(
    admin_client, cast, access_staff
):
    sales = cast["sales"]
    html = admin_client.get(f"/admin/accounts/user/{sales.pk}/change/").content.decode()
    for detail in ("algorithm", "salt", "hash", "iterations", "md5"):
        assert detail not in html.lower().split('id="content-main"')[1].split("</form>")[0], detail
    assert "With a password." in html and ">Set a new password</a>" in html
    assert 'name="user_permissions"' not in html  # sales is not staff: nothing to permit
    assert 'name="is_superuser"' in html
    assert "Stock Today (Sales)" in html
    html = admin_client.get(f"/admin/accounts/user/{cast['staff'].pk}/change/").content.decode()
    assert 'name="user_permissions"' in html  # a superuser setting up a staff user
    html = login(access_staff).get(f"/admin/accounts/user/{sales.pk}/change/").content.decode()
    assert 'name="user_permissions"' not in html and 'name="is_superuser"' not in html
    assert 'name="groups"' in html


def test_a_non_superuser_cannot_make_anyone_superuser(cast, access_staff):
    viewer = cast["viewer"]
    response = login(access_staff).post(
        f"/admin/accounts/user/{viewer.pk}/change/",
        {
            "username": "viewer",
            "first_name": "",
            "last_name": "",
            "email": "viewer@example.com",
            "is_active": "on",
            "is_superuser": "on",
            "last_login_0": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "provideridentity_set-TOTAL_FORMS": "0",
            "provideridentity_set-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (200, 302)
    viewer.refresh_from_db()
    assert not viewer.is_superuser


def test_each_grant_delete_box_is_labelled_with_what_it_removes(admin_client, stocktoday):
    html = admin_client.get(f"/admin/dashboards/dashboard/{stocktoday.pk}/change/").content.decode()
    boxes = re.findall(r'<input type="checkbox" name="grants[^"]*-DELETE"[^>]*>', html)
    labels = sorted(re.search(r'aria-label="([^"]+)"', box)[1] for box in boxes)
    assert labels == ["Remove the grant to the group Sales", "Remove the grant to the user alice"]
