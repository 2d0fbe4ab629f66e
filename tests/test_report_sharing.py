"""Sharing a report with named people and groups, telling them, and taking it back:
deletes ask first and go to a trash that is kept 30 days; a name already used asks."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dashboards.models import AuditEvent, Report, ReportNotice, ReportShare
from dashboards.services import grant_add, grant_remove
from tests.conftest import make_user

TECH_PAIR = {
    "tickers": ["IBM", "MSFT"],
    "date-preset": "custom",
    "start": "2010-01-04",
    "end": "2012-12-31",
    "show": "change",
}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def save(client, name="Tech pair", visibility="private", params=None, **extra):
    return client.post(
        "/dashboards/stocktoday/reports/",
        {"name": name, "visibility": visibility, "params": json.dumps(params or TECH_PAIR), **extra},
    )


def saved(client, **kwargs) -> Report:
    response = save(client, **kwargs)
    assert response.status_code == 302, response.content[:500]
    return Report.objects.get(owner_id=client.session["_auth_user_id"], name=kwargs.get("name", "Tech pair"))


@pytest.fixture
def owner(cast):
    sales = cast["sales"]
    sales.first_name, sales.last_name = "Sam", "Seller"
    sales.save()
    return sales


@pytest.fixture
def analysts(stocktoday):
    """The Analysts group, which may open Stock Today, and one analyst in it (not in Sales)."""
    group = Group.objects.create(name="Analysts")
    grant_add(dashboard=stocktoday, group=group)
    analyst = make_user("analyst", groups=("Analysts",))
    return group, analyst


@pytest.fixture
def mail_on(settings):
    settings.EMAIL_HOST = "smtp.example.com"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


# ---- Sharing with people and groups ---------------------------------------------


def test_sharing_with_a_person_tells_them_by_mail_and_in_the_portal(
    owner, cast, mail_on, mailoutbox, django_capture_on_commit_callbacks
):
    report = saved(login(owner))
    alice = cast["alice"]  # may open Stock Today
    with django_capture_on_commit_callbacks(execute=True):
        response = login(owner).post(
            f"/reports/{report.pk}/share/", {"visibility": "named", "user": alice.pk, "next": "/reports/"}
        )
    assert response.status_code == 302
    assert response["Location"] == "/reports/"
    assert list(ReportShare.objects.filter(report=report).values_list("user__username", flat=True)) == [
        "alice"
    ]
    [sent] = mailoutbox
    assert sent.to == ["alice@example.com"]
    assert sent.subject == "Sam Seller shared “Tech pair” with you"
    assert f"Open it: http://testserver/reports/{report.pk}/" in sent.body
    assert AuditEvent.objects.filter(
        action="report-shared", username="sales", params__with=["user:alice"]
    ).exists()

    reader = login(alice)
    html = reader.get("/reports/").content.decode()
    shared = html.split('<section class="shared-with-you"')[1].split("</section>")[0].split(">", 1)[1]
    assert text_of(shared) == (
        f"Shared with you Tech pair New Stock Today · shared by Sam Seller on {timezone.localdate():%-d %b %Y}"
    )
    assert 'id="nav-shared-news"' in html and '1<span class="visually-hidden"> new shared with you' in html
    gallery = reader.get("/").content.decode()
    assert "Shared with you:" in gallery and f'href="/reports/{report.pk}/">Tech pair</a>' in gallery
    # Opening it is seeing it: the notice stays in the list, no longer new.
    assert reader.get(f"/reports/{report.pk}/").status_code == 200
    html = reader.get("/reports/").content.decode()
    assert "badge-new" not in html and 'id="nav-shared-news"' not in html
    assert "Shared with you:" not in reader.get("/").content.decode()


def test_without_an_email_server_the_notice_is_enough(owner, cast, mailoutbox, settings):
    settings.EMAIL_HOST = ""
    report = saved(login(owner))
    login(owner).post(f"/reports/{report.pk}/share/", {"visibility": "named", "user": cast["alice"].pk})
    assert mailoutbox == []
    assert ReportNotice.objects.filter(user=cast["alice"], report=report, seen=False).exists()


def test_an_analyst_outside_sales_opens_a_report_shared_with_the_analysts(owner, analysts):
    group, analyst = analysts
    report = saved(login(owner))
    reader = login(analyst)
    assert reader.get(f"/reports/{report.pk}/").status_code == 403
    response = login(owner).post(f"/reports/{report.pk}/share/", {"visibility": "named", "group": group.pk})
    assert response.status_code == 302
    assert reader.get(f"/reports/{report.pk}/").status_code == 200
    assert ReportNotice.objects.filter(user=analyst, report=report).exists()  # told through the group
    assert '<td class="report-shared">Analysts</td>' in login(owner).get("/reports/").content.decode()


def test_the_share_page_offers_only_people_and_groups_who_can_open_the_dashboard(owner, cast, analysts):
    report = saved(login(owner))
    html = login(owner).get(f"/reports/{report.pk}/share/").content.decode()
    groups = re.findall(r'name="group" value="\d+"[^>]*> ([^<]+)</label>', html)
    people = re.findall(r'name="user" value="\d+"[^>]*> ([^<\n]+?)\s*</label>', html)
    assert groups == ["Analysts", "Sales"]
    # Superusers open everything; the owner, marketing, viewer, staff and the inactive do not appear.
    assert people == ["admin", "alice", "analyst"]


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("marketing", "Not shared: marketing can’t open Stock Today."),
        ("viewer", "Not shared: viewer can’t open Stock Today."),
    ],
)
def test_a_person_who_cannot_open_the_dashboard_is_refused_and_nothing_changes(
    owner, cast, who, message, mail_on, mailoutbox, django_capture_on_commit_callbacks
):
    report = saved(login(owner))
    with django_capture_on_commit_callbacks(execute=True):
        response = login(owner).post(
            f"/reports/{report.pk}/share/",
            {"visibility": "named", "user": [cast["alice"].pk, cast[who].pk]},
        )
    assert response.status_code == 400
    error = re.search(
        r'<p class="alert alert-error" id="share-error" role="alert">([^<]+)</p>', response.content.decode()
    )
    assert unescape(error[1]) == message + " Choose only people and groups who can open it."
    report.refresh_from_db()
    assert report.visibility == "private"
    assert not ReportShare.objects.exists() and not ReportNotice.objects.exists()
    assert mailoutbox == []


def test_a_group_that_cannot_open_the_dashboard_is_refused(owner, cast):
    report = saved(login(owner))
    marketing = Group.objects.get(name="Marketing")
    response = login(owner).post(
        f"/reports/{report.pk}/share/", {"visibility": "named", "group": marketing.pk}
    )
    assert response.status_code == 400
    assert "Not shared: the group Marketing can’t open Stock Today." in unescape(response.content.decode())
    assert not ReportShare.objects.exists()


@pytest.mark.parametrize(
    "form",
    [
        {"visibility": "named", "user": "abc"},
        {"visibility": "named", "user": "999999"},
        {"visibility": "named", "group": "999999"},
        {"visibility": "the-world"},
        {"visibility": "named"},  # no one chosen
    ],
)
def test_a_bad_share_form_gets_400_and_changes_nothing(owner, form):
    report = saved(login(owner), visibility="everyone")
    response = login(owner).post(f"/reports/{report.pk}/share/", form)
    assert response.status_code == 400
    assert 'id="share-error"' in response.content.decode()
    report.refresh_from_db()
    assert report.visibility == "everyone"


def test_only_the_owner_shares(owner, cast):
    report = saved(login(owner), visibility="everyone")
    alice = login(cast["alice"])
    assert alice.get(f"/reports/{report.pk}/share/").status_code == 404
    assert alice.post(f"/reports/{report.pk}/share/", {"visibility": "private"}).status_code == 404
    report.refresh_from_db()
    assert report.visibility == "everyone"


def test_a_recipient_who_loses_the_dashboard_loses_the_report(owner, cast, stocktoday):
    alice = cast["alice"]
    report = saved(login(owner))
    login(owner).post(f"/reports/{report.pk}/share/", {"visibility": "named", "user": alice.pk})
    reader = login(alice)
    assert reader.get(f"/reports/{report.pk}/").status_code == 200
    grant_remove(dashboard=stocktoday, user=alice)
    assert reader.get(f"/reports/{report.pk}/").status_code == 403
    assert reader.get(f"/reports/{report.pk}/export.csv").status_code == 403
    html = reader.get("/reports/").content.decode()
    assert "Tech pair" not in html and 'id="shared-with-you"' not in html
    # Given back, it is there again: the share was kept, only the dashboard was missing.
    grant_add(dashboard=stocktoday, user=alice)
    assert reader.get(f"/reports/{report.pk}/").status_code == 200


def test_a_member_who_leaves_the_group_loses_a_report_shared_with_it(owner, analysts):
    group, analyst = analysts
    report = saved(login(owner))
    login(owner).post(f"/reports/{report.pk}/share/", {"visibility": "named", "group": group.pk})
    analyst.groups.remove(group)
    assert login(analyst).get(f"/reports/{report.pk}/").status_code == 403


def test_saving_as_named_leads_to_the_share_page(owner):
    response = save(login(owner), visibility="named")
    report = Report.objects.get()
    assert response["Location"] == f"/reports/{report.pk}/share/"


def test_my_groups_of_before_become_the_owners_groups_by_name(owner, analysts):
    group, analyst = analysts
    owner.groups.add(group)
    report = saved(login(owner))
    Report.objects.filter(pk=report.pk).update(visibility="groups")
    from importlib import import_module

    migration = import_module("dashboards.migrations.0012_report_sharing_and_trash")
    migration.groups_to_named(apps, None)
    report.refresh_from_db()
    assert report.visibility == "named"
    assert sorted(ReportShare.objects.values_list("group__name", flat=True)) == ["Analysts", "Sales"]
    assert login(analyst).get(f"/reports/{report.pk}/").status_code == 200


# ---- Delete: asked first, then the trash, with undo -----------------------------


def test_delete_asks_first_naming_who_would_lose_the_report(owner, cast, analysts):
    group, _ = analysts
    report = saved(login(owner))
    login(owner).post(
        f"/reports/{report.pk}/share/", {"visibility": "named", "user": cast["alice"].pk, "group": group.pk}
    )
    response = login(owner).get(f"/reports/{report.pk}/delete/?next=/reports/")
    assert response.status_code == 200
    card = text_of(response.content.decode().split('id="confirm-delete"')[1].split("</section>")[0])
    assert card.startswith(
        "> Delete “Tech pair”? It is shared with alice, the group Analysts: they will no longer see it. "
        "It goes to your trash for 30 days, where you can restore it."
    )
    assert Report.objects.filter(pk=report.pk).exists()  # asking changes nothing


def test_a_deleted_report_goes_to_the_trash_and_undo_brings_it_back_shared_as_before(owner, cast):
    alice = cast["alice"]
    report = saved(login(owner))
    client = login(owner)
    client.post(f"/reports/{report.pk}/share/", {"visibility": "named", "user": alice.pk})
    response = client.post(f"/reports/{report.pk}/delete/", {"next": "/reports/"}, follow=True)
    html = response.content.decode()
    assert "Moved “Tech pair” to the trash." in html
    undo = re.search(
        r'<form method="post" action="(/reports/\d+/restore/)"[^>]*>.*?>Undo</button></form>', html
    )
    assert undo[1] == f"/reports/{report.pk}/restore/"
    assert not Report.objects.exists() and Report.with_trash.get().deleted is not None
    assert login(alice).get(f"/reports/{report.pk}/").status_code == 404
    assert "Tech pair" not in login(alice).get("/reports/").content.decode()
    assert "Trash (1)" in client.get("/reports/").content.decode()
    assert "Tech pair" in client.get("/reports/trash/").content.decode()

    response = client.post(undo[1], {"next": "/reports/"})
    assert response["Location"] == "/reports/"
    assert Report.objects.get().name == "Tech pair"
    assert login(alice).get(f"/reports/{report.pk}/").status_code == 200
    assert list(AuditEvent.objects.filter(username="sales").values_list("action", flat=True)[:2]) == [
        "report-restored",
        "report-deleted",
    ]


def test_a_restored_report_whose_name_was_used_again_comes_back_renamed(owner):
    client = login(owner)
    report = saved(client)
    client.post(f"/reports/{report.pk}/delete/")
    saved(client)  # a new "Tech pair": no question, the old one is in the trash
    response = client.post(f"/reports/{report.pk}/restore/", follow=True)
    assert "Restored “Tech pair” as “Tech pair (2)”" in unescape(response.content.decode())
    assert sorted(Report.objects.values_list("name", flat=True)) == ["Tech pair", "Tech pair (2)"]


def test_only_the_owner_deletes_or_restores(owner, cast):
    report = saved(login(owner), visibility="everyone")
    alice = login(cast["alice"])
    assert alice.get(f"/reports/{report.pk}/delete/").status_code == 404
    login(owner).post(f"/reports/{report.pk}/delete/")
    assert alice.post(f"/reports/{report.pk}/restore/").status_code == 404
    assert not Report.objects.exists()


def test_the_trash_keeps_reports_30_days_and_prune_trash_removes_older_ones(owner, capsys):
    client = login(owner)
    old, recent = saved(client, name="Old pair"), saved(client, name="Recent pair")
    for report in (old, recent):
        client.post(f"/reports/{report.pk}/delete/")
    Report.with_trash.filter(pk=old.pk).update(deleted=timezone.now() - timedelta(days=31))
    html = client.get("/reports/trash/").content.decode().split("<tbody>")[1]  # after the messages
    assert "Recent pair" in html and "Old pair" not in html
    assert client.post(f"/reports/{old.pk}/restore/").status_code == 404
    call_command("prune_trash")
    assert capsys.readouterr().out == "Deleted 1 report(s) from the trash (kept 30 days).\n"
    assert list(Report.with_trash.values_list("name", flat=True)) == ["Recent pair"]


# ---- Saving under a name already used asks ---------------------------------------


def test_saving_under_a_name_in_use_asks_and_save_as_new_keeps_both(owner):
    client = login(owner)
    first = saved(client)
    response = save(client, params={"tickers": ["SBUX"]})
    assert response.status_code == 409
    html = response.content.decode()
    assert "You already have a report called “Tech pair”" in html
    assert "Replace “Tech pair” with this view" in html
    assert re.search(r'id="new-name" name="name" value="Tech pair \(2\)"', html)
    assert Report.objects.get().params == TECH_PAIR  # nothing saved yet

    response = save(client, name="Tech pair (2)", params={"tickers": ["SBUX"]})
    assert response.status_code == 302
    assert sorted(Report.objects.values_list("name", flat=True)) == ["Tech pair", "Tech pair (2)"]
    first.refresh_from_db()
    assert first.params == TECH_PAIR


def test_replacing_a_report_shared_by_name_keeps_whom_it_is_shared_with(owner, cast):
    client = login(owner)
    report = saved(client)
    client.post(f"/reports/{report.pk}/share/", {"visibility": "named", "user": cast["alice"].pk})
    response = save(client, visibility="named", params={"tickers": ["SBUX"]}, replace="1")
    assert response["Location"] == f"/reports/{report.pk}/share/"
    assert Report.objects.get().params["tickers"] == ["SBUX"]
    assert ReportShare.objects.filter(report=report, user=cast["alice"]).exists()


def test_someone_elses_report_of_the_same_name_is_no_conflict(owner, cast):
    saved(login(owner), visibility="everyone")
    assert save(login(cast["alice"])).status_code == 302
    assert Report.objects.count() == 2
