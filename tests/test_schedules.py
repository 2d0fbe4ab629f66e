"""Scheduled reports: due times in the recipient's clock, one e-mail per due time and
recipient, permission checked at every send, and an unsubscribe link that works signed out.

The e-mails go to a real SMTP server started by the test (aiosmtpd); the charts are
drawn by plotly's own static export (kaleido, with the machine's headless Chromium).
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import socket
import struct
import threading
import zipfile
from email import policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from dashboards import deliveries, registry
from dashboards.deliveries import next_due, send_due_reports, unsubscribe_token
from dashboards.exports import business_csv_chunks
from dashboards.models import Alert, Dashboard, Delivery, Report, ReportSchedule
from dashboards.services import grant_remove, report_save, schedule_save
from dashkit import formats
from tests.conftest import make_user

UTC = dt.UTC
PARIS = "Europe/Paris"
PARAMS = {"tickers": ["AAPL", "IBM"], "start": "2015-01-02", "end": "2015-03-31"}


# -- the clock ---------------------------------------------------------------------------


def due(after: str, **rule) -> str:
    rule = {"time": dt.time(8, 0), "time_zone": PARIS, **rule}
    return next_due(after=dt.datetime.fromisoformat(after), **rule).isoformat()


def test_eight_oclock_in_paris_stays_eight_oclock_across_daylight_saving():
    # Winter: UTC+1; summer (from 29 March 2026): UTC+2.
    assert due("2026-03-27T12:00:00+00:00", frequency="daily") == "2026-03-28T07:00:00+00:00"
    assert due("2026-03-28T12:00:00+00:00", frequency="daily") == "2026-03-29T06:00:00+00:00"
    assert due("2026-10-24T12:00:00+00:00", frequency="daily") == "2026-10-25T07:00:00+00:00"


def test_a_time_that_does_not_exist_on_the_spring_forward_day_is_sent_just_after_the_change():
    # 02:30 on 29 March 2026 does not exist in Paris: sent at 03:30 local (01:30 UTC).
    assert (
        due("2026-03-28T12:00:00+00:00", frequency="daily", time=dt.time(2, 30))
        == "2026-03-29T01:30:00+00:00"
    )


def test_a_time_that_happens_twice_on_the_fall_back_day_is_sent_once_at_its_first():
    first = due("2026-10-24T12:00:00+00:00", frequency="daily", time=dt.time(2, 30))
    assert first == "2026-10-25T00:30:00+00:00"  # 02:30 CEST
    # The second 02:30 (CET, 01:30 UTC) is not a second due time: the next is a day later.
    assert due(first, frequency="daily", time=dt.time(2, 30)) == "2026-10-26T01:30:00+00:00"


def test_weekdays_skip_the_weekend_and_weekly_keeps_its_day():
    friday_after_eight = "2026-12-04T09:00:00+00:00"
    assert due(friday_after_eight, frequency="weekdays") == "2026-12-07T07:00:00+00:00"  # Monday
    assert due(friday_after_eight, frequency="weekly", weekday=2) == "2026-12-09T07:00:00+00:00"  # Wednesday


def test_the_31st_of_a_shorter_month_is_its_last_day():
    assert (
        due("2027-02-01T00:00:00+00:00", frequency="monthly", day_of_month=31) == "2027-02-28T07:00:00+00:00"
    )
    assert (
        due("2028-02-01T00:00:00+00:00", frequency="monthly", day_of_month=31) == "2028-02-29T07:00:00+00:00"
    )
    assert (
        due("2027-03-01T00:00:00+00:00", frequency="monthly", day_of_month=31) == "2027-03-31T06:00:00+00:00"
    )


def test_new_york_has_its_own_change_day():
    rule = {"frequency": "daily", "time_zone": "America/New_York"}
    assert due("2026-03-07T20:00:00+00:00", **rule) == "2026-03-08T12:00:00+00:00"  # EDT from 8 March
    assert due("2026-03-06T20:00:00+00:00", **rule) == "2026-03-07T13:00:00+00:00"  # EST


# -- sending ----------------------------------------------------------------------------


class Inbox:
    """What a real SMTP server received."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        for to in envelope.rcpt_tos:
            self.messages.append((to, message))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if rcpt == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(settings):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = "https://dash.example.com"
    yield handler
    controller.stop()


@pytest.fixture
def scheduled(cast):
    """alice's Stock Today report, shared with everyone who can open it, e-mailed every
    Monday at 08:00 Paris time to her, to sales and to the Sales group."""
    alice, sales = cast["alice"], cast["sales"]
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False):
        report = report_save(
            owner=alice,
            dashboard=registry.get("stocktoday"),
            name="Q1 2015 tech",
            params=PARAMS,
            visibility=Report.Visibility.EVERYONE,
        )
        schedule = schedule_save(
            report=report,
            owner=alice,
            frequency="weekly",
            weekday=0,
            time=dt.time(8, 0),
            time_zone=PARIS,
            users=[sales],
            groups=[Group.objects.get(name="Sales")],
        )
    return schedule


MONDAY_DUE = dt.datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_a_schedule_is_due_at_its_next_wall_clock_time(scheduled):
    assert scheduled.next_due_at == MONDAY_DUE


def test_the_email_holds_the_reports_charts_data_and_links(scheduled, inbox):
    with time_machine.travel(MONDAY_DUE + dt.timedelta(seconds=20), tick=False):
        counts = send_due_reports()
    assert counts == {"claimed": 2, "sent": 2, "skipped": 0, "retry": 0, "failed": 0}
    assert sorted(rcpt for rcpt, _ in inbox.messages) == ["alice@example.com", "sales@example.com"]
    [message] = inbox.to("sales@example.com")
    assert message["Subject"] == "Q1 2015 tech: Stock Today, 2 Jan 2015 to 31 Mar 2015"
    token = unsubscribe_token(schedule=scheduled, user=scheduled.users.get())
    assert message["List-Unsubscribe"].strip() == f"<https://dash.example.com/unsubscribe/{token}/>"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Open the report: https://dash.example.com/reports/{scheduled.report.pk}/" in text
    assert "Tickers: AAPL, IBM\nFrom: 2 Jan 2015\nTo: 31 Mar 2015\n" in text
    # The CSV, parsed, is exactly the report's data as its Download CSV gives it.
    [attachment] = [part for part in message.iter_attachments() if part.get_content_type() == "text/csv"]
    dashboard = registry.get("stocktoday")
    params = dashboard.clean(PARAMS)
    expected = "".join(
        business_csv_chunks(dashboard.data(params), formats.columns_for(dashboard.columns, params))
    )
    assert parsed(attachment.get_content()) == parsed(expected)
    assert len(parsed(expected)) == 1 + 2 * 61  # the header, 61 trading days of two tickers
    assert attachment.get_filename() == "stock-today-q1-2015-tech-2015-01-02-to-2015-03-31.csv"
    # Two PNG charts, 900 × 480, shown in the HTML body.
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert [png_size(part.get_content()) for part in images] == [(900, 480), (900, 480)]
    html = message.get_body(("html",)).get_content()
    assert html.count('src="cid:chart') == 2
    assert 'alt="Change since start"' in html and 'alt="Daily moves"' in html


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_each_due_time_is_sent_once_however_often_the_scheduler_runs(scheduled, inbox):
    with time_machine.travel(MONDAY_DUE + dt.timedelta(minutes=1), tick=False):
        send_due_reports()
        send_due_reports()
    with time_machine.travel(MONDAY_DUE + dt.timedelta(days=1), tick=False):
        assert send_due_reports()["claimed"] == 0
    assert len(inbox.messages) == 2
    scheduled.refresh_from_db()
    assert scheduled.next_due_at == MONDAY_DUE + dt.timedelta(days=7)


def test_a_revoked_grant_between_scheduling_and_sending_skips_that_recipient(scheduled, inbox):
    grant_remove(dashboard=Dashboard.objects.get(slug="stocktoday"), group=Group.objects.get(name="Sales"))
    with time_machine.travel(MONDAY_DUE, tick=False):
        assert send_due_reports()["skipped"] == 1
    assert [rcpt for rcpt, _ in inbox.messages] == ["alice@example.com"]
    skipped = Delivery.objects.get(recipient__username="sales")
    assert (skipped.status, skipped.reason) == ("skipped", "Skipped: they can no longer open the dashboard.")
    # The owner sees who was skipped and why.
    owner = Client()
    owner.force_login(scheduled.owner)
    page = owner.get(reverse("report_schedules", args=[scheduled.report.pk])).content.decode()
    assert "<td>sales</td><td>Skipped: they can no longer open the dashboard.</td>" in page
    assert "<td>alice</td><td>Sent</td>" in page


def test_a_report_no_longer_shared_is_skipped_for_the_others(scheduled, inbox):
    Report.objects.filter(pk=scheduled.report.pk).update(visibility=Report.Visibility.PRIVATE)
    with time_machine.travel(MONDAY_DUE, tick=False):
        send_due_reports()
    assert [rcpt for rcpt, _ in inbox.messages] == ["alice@example.com"]
    assert (
        Delivery.objects.get(recipient__username="sales").reason
        == "Skipped: the report is not shared with them."
    )


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_send_one_email_per_due_time_and_recipient(scheduled, inbox):
    barrier = threading.Barrier(2)
    results = []

    def scheduler():
        try:
            barrier.wait()
            with time_machine.travel(MONDAY_DUE, tick=False):
                results.append(send_due_reports())
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r["claimed"] for r in results) == 2 and sum(r["sent"] for r in results) == 2
    assert sorted(rcpt for rcpt, _ in inbox.messages) == ["alice@example.com", "sales@example.com"]


def test_a_failing_mail_server_is_retried_with_back_off_then_reported(scheduled, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", free_port(), False
    settings.EMAIL_TIMEOUT = 2
    with time_machine.travel(MONDAY_DUE, tick=False):
        assert send_due_reports()["retry"] == 2
    alice = Delivery.objects.get(recipient__username="alice")
    assert (alice.status, alice.attempts, alice.next_attempt_at) == (
        "pending",
        1,
        MONDAY_DUE + dt.timedelta(minutes=2),
    )
    assert alice.reason.startswith("Try 1 failed: ConnectionRefusedError")
    for minutes in (2, 6):
        with time_machine.travel(MONDAY_DUE + dt.timedelta(minutes=minutes), tick=False):
            send_due_reports()
    alice.refresh_from_db()
    assert (alice.status, alice.attempts) == ("failed", 3)
    assert alice.reason.startswith("Failed after 3 tries: ConnectionRefusedError")


def test_without_an_email_server_a_production_site_skips_and_says_why(scheduled, settings):
    settings.EMAIL_HOST, settings.DEBUG = "", False
    with time_machine.travel(MONDAY_DUE, tick=False):
        send_due_reports()
    assert set(Delivery.objects.values_list("reason", flat=True)) == {
        "Skipped: the site has no e-mail server (EMAIL_HOST)."
    }
    assert mail.outbox == []


def test_the_command_prints_the_emails_on_a_developers_machine(scheduled, settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.EMAIL_HOST, settings.DEBUG = "", True
    with time_machine.travel(MONDAY_DUE, tick=False):
        call_command("send_due_reports")
    out = capsys.readouterr().out
    assert "Subject: Q1 2015 tech: Stock Today, 2 Jan 2015 to 31 Mar 2015" in out
    assert "Scheduled reports: 2 due, 2 sent, 0 skipped, 0 to retry, 0 failed." in out


def test_a_big_csv_is_zipped(scheduled, inbox, settings):
    settings.REPORT_MAIL_ZIP_BYTES = 1000
    with time_machine.travel(MONDAY_DUE, tick=False):
        send_due_reports()
    [message] = inbox.to("alice@example.com")
    [attachment] = list(message.iter_attachments())[-1:]
    assert attachment.get_filename() == "stock-today-q1-2015-tech-2015-01-02-to-2015-03-31.zip"
    with zipfile.ZipFile(io.BytesIO(attachment.get_content())) as archive:
        assert archive.namelist() == ["stock-today-q1-2015-tech-2015-01-02-to-2015-03-31.csv"]


# -- unsubscribe and the owner's controls --------------------------------------------------


def test_the_unsubscribe_link_works_signed_out_and_stops_the_next_sends(scheduled, inbox, cast):
    url = reverse("unsubscribe", args=[unsubscribe_token(schedule=scheduled, user=cast["sales"])])
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(url)
    assert page.status_code == 200 and b"Stop sending it to me" in page.content
    assert not scheduled.opted_out.exists()  # a link scanner's GET changes nothing
    done = anonymous.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"You will not get these e-mails any more" in done.content
    with time_machine.travel(MONDAY_DUE, tick=False):
        send_due_reports()
    assert [rcpt for rcpt, _ in inbox.messages] == ["alice@example.com"]


def test_a_forged_unsubscribe_link_is_refused(scheduled, cast):
    token = unsubscribe_token(schedule=scheduled, user=cast["sales"])
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = Client().post(reverse("unsubscribe", args=[forged]))
    assert (response.status_code, response.content.decode()) == (400, deliveries_forged())
    assert not scheduled.opted_out.exists()


def deliveries_forged() -> str:
    from dashboards.schedule_views import FORGED

    return FORGED


def test_recipients_who_cannot_open_the_dashboard_are_refused_and_nothing_is_saved(cast, client):
    client.force_login(cast["alice"])
    report = report_save(
        owner=cast["alice"],
        dashboard=registry.get("stocktoday"),
        name="Mine",
        params=PARAMS,
        visibility=Report.Visibility.PRIVATE,
    )
    response = client.post(
        reverse("report_schedules", args=[report.pk]),
        {
            "frequency": "daily",
            "time": "07:30",
            "time_zone": PARIS,
            "include_owner": "on",
            "users": [cast["marketing"].pk],
        },
    )
    assert response.status_code == 400
    assert "These people cannot open Stock Today: marketing." in response.content.decode()
    assert not ReportSchedule.objects.exists()


def test_the_owner_pauses_resumes_sends_now_and_deletes(scheduled, inbox):
    owner = Client()
    owner.force_login(scheduled.owner)
    action = lambda name: owner.post(reverse("schedule_action", args=[scheduled.pk, name]))  # noqa: E731
    assert action("pause").status_code == 302
    with time_machine.travel(MONDAY_DUE, tick=False):
        assert send_due_reports()["claimed"] == 0
        owner.force_login(scheduled.owner)  # sessions last less than the days travelled
        action("resume")  # what was missed meanwhile is not made up for
    scheduled.refresh_from_db()
    assert not scheduled.paused and scheduled.next_due_at == MONDAY_DUE + dt.timedelta(days=7)
    sent = action("send")
    assert sent.status_code == 302, sent.content
    assert inbox.messages == []  # the web process only queues them: the scheduler sends
    send_due_reports()
    assert sorted(rcpt for rcpt, _ in inbox.messages) == ["alice@example.com", "sales@example.com"]
    action("delete")
    assert not ReportSchedule.objects.exists()


def test_only_the_owner_manages_a_schedule_and_only_viewers_of_the_report_see_its_page(scheduled, cast):
    for name in ("sales", "marketing", "viewer"):
        other = Client()
        other.force_login(cast[name])
        assert other.post(reverse("schedule_action", args=[scheduled.pk, "delete"])).status_code == 404
    viewer = Client()
    viewer.force_login(cast["viewer"])
    assert viewer.get(reverse("report_schedules", args=[scheduled.report.pk])).status_code == 404
    anonymous = Client().get(reverse("report_schedules", args=[scheduled.report.pk]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert ReportSchedule.objects.filter(pk=scheduled.pk).exists()


def test_a_user_without_an_email_address_is_skipped_with_the_reason(scheduled, inbox):
    nomail = make_user("nomail", groups=("Sales",))
    nomail.email = ""
    nomail.save()
    with time_machine.travel(MONDAY_DUE, tick=False):
        send_due_reports()
    assert (
        Delivery.objects.get(recipient__username="nomail").reason == "Skipped: they have no e-mail address."
    )


@pytest.fixture(autouse=True, scope="module")
def _chart_server_stopped_after_the_module():
    # Stopped here, not at interpreter exit, where its logging finds pytest's streams closed.
    yield
    import kaleido

    if deliveries._chart_server_started:
        kaleido.stop_sync_server(silence_warnings=True)
        deliveries._chart_server_started = False


# -- alerts -----------------------------------------------------------------------------------


@pytest.fixture
def funnel_alert(cast):
    """alice's alert: conversion A of her funnel report going above 5%."""
    from dashboards.services import alert_save, grant_add

    grant_add(dashboard=Dashboard.objects.get(slug="funnel"), user=cast["alice"])
    report = report_save(
        owner=cast["alice"],
        dashboard=registry.get("funnel"),
        name="All channels",
        params={},
        visibility="private",
    )
    with time_machine.travel(MONDAY_DUE, tick=False):
        return alert_save(
            report=report,
            owner=cast["alice"],
            figure="conversion A (%)",
            condition="above",
            threshold=99,
            every_minutes=60,
        )


def checked(alert, hours: int, value: float) -> dict:
    """The alert checked `hours` after it was set, its figure being `value` then."""
    from unittest import mock

    with (
        mock.patch.object(deliveries, "alert_value", return_value=value),
        time_machine.travel(MONDAY_DUE + dt.timedelta(hours=hours), tick=False),
    ):
        return send_due_reports()


def test_an_alert_is_sent_once_per_crossing_not_at_every_check(funnel_alert, inbox):
    assert (funnel_alert.holding, funnel_alert.next_check_at) == (False, MONDAY_DUE + dt.timedelta(hours=1))
    assert checked(funnel_alert, 1, 98.0)["claimed"] == 0  # below: nothing
    assert checked(funnel_alert, 2, 99.5)["sent"] == 1  # crosses: told
    assert checked(funnel_alert, 3, 99.7)["claimed"] == 0  # stays above: not told again
    assert checked(funnel_alert, 4, 98.9)["claimed"] == 0  # back below
    assert checked(funnel_alert, 5, 99.1)["sent"] == 1  # crosses again: told again
    subjects = [m["Subject"].strip() for _, m in inbox.messages]
    assert subjects == [
        "Alert: conversion A (%) is 99.5, went above 99 — All channels",
        "Alert: conversion A (%) is 99.1, went above 99 — All channels",
    ]
    assert [d.value for d in Delivery.objects.order_by("due_at")] == [99.5, 99.1]


def test_a_change_alert_measures_from_the_last_value_it_told(funnel_alert, inbox):
    funnel_alert.condition, funnel_alert.threshold, funnel_alert.baseline = "change", 10, 50.0
    funnel_alert.save()
    assert checked(funnel_alert, 1, 54.0)["claimed"] == 0  # +8%
    assert checked(funnel_alert, 2, 56.0)["sent"] == 1  # +12% from 50
    assert checked(funnel_alert, 3, 60.0)["claimed"] == 0  # +7% from 56
    assert checked(funnel_alert, 4, 49.0)["sent"] == 1  # −12.5% from 56
    assert [m["Subject"].strip() for _, m in inbox.messages][-1] == (
        "Alert: conversion A (%) is 49, changed by more than 10% (from 56) — All channels"
    )


def test_an_alert_whose_dashboard_was_revoked_is_skipped_and_logged(funnel_alert, inbox):
    grant_remove(dashboard=Dashboard.objects.get(slug="funnel"), user=funnel_alert.owner)
    assert checked(funnel_alert, 2, 99.5)["skipped"] == 1
    assert inbox.messages == []
    assert Delivery.objects.get().reason == "Skipped: they can no longer open the dashboard."


def test_a_real_figure_is_checked_and_new_live_data_makes_alerts_due_at_once(funnel_alert):
    from dashboards.catalogue import funnel
    from dashboards.deliveries import alert_value
    from dashboards.live import live_point_publish

    assert alert_value(funnel_alert) == funnel.key_figures(funnel.dashboard.clean({}))["conversion A (%)"]
    timeseries = Alert.objects.create(
        report=report_save(
            owner=funnel_alert.owner,
            dashboard=registry.get("timeseries"),
            name="Signups",
            params={},
            visibility="private",
        ),
        owner=funnel_alert.owner,
        figure="latest value",
        condition="above",
        threshold=1,
        next_check_at=MONDAY_DUE + dt.timedelta(days=1),
    )
    series = registry.get("timeseries").param("series").default
    live_point_publish(dashboard="timeseries", series=series, value=5)
    timeseries.refresh_from_db()
    funnel_alert.refresh_from_db()
    assert timeseries.next_check_at < MONDAY_DUE and funnel_alert.next_check_at > MONDAY_DUE


def test_the_alert_link_stops_it_signed_out(funnel_alert):
    url = reverse("unsubscribe", args=[unsubscribe_token(alert=funnel_alert, user=funnel_alert.owner)])
    done = Client().post(url)
    assert done.status_code == 200 and b"This alert is paused" in done.content
    funnel_alert.refresh_from_db()
    assert funnel_alert.paused


def test_an_alert_on_a_figure_the_dashboard_does_not_have_is_refused(cast, client):
    client.force_login(cast["alice"])
    report = report_save(
        owner=cast["alice"], dashboard=registry.get("stocktoday"), name="S", params={}, visibility="private"
    )
    response = client.post(
        reverse("alert_create", args=[report.pk]),
        {"figure": "anything", "condition": "above", "threshold": "1", "every_minutes": "60"},
    )
    assert response.status_code == 400
    assert "Choose one of this dashboard&#x27;s key figures." in response.content.decode()
    assert not Alert.objects.exists()


# -- each recipient's own time zone -----------------------------------------------------


@pytest.fixture
def everywhere(cast):
    """alice in Paris and sales in New York get alice's report every day at 08:00 where they are."""
    alice, sales = cast["alice"], cast["sales"]
    alice.time_zone, sales.time_zone = PARIS, "America/New_York"
    alice.save()
    sales.save()
    with time_machine.travel(dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC), tick=False):
        report = report_save(
            owner=alice,
            dashboard=registry.get("stocktoday"),
            name="Daily tech",
            params=PARAMS,
            visibility=Report.Visibility.EVERYONE,
        )
        return schedule_save(
            report=report,
            owner=alice,
            frequency="daily",
            time=dt.time(8, 0),
            time_zone=ReportSchedule.RECIPIENTS_ZONE,
            users=[sales],
        )


PARIS_EIGHT = dt.datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
NEW_YORK_EIGHT = dt.datetime(2026, 12, 2, 13, 0, tzinfo=UTC)


def test_each_recipient_gets_it_at_eight_in_their_own_time_zone(everywhere, inbox):
    assert everywhere.next_due_at == PARIS_EIGHT
    with time_machine.travel(PARIS_EIGHT, tick=False):
        send_due_reports()
    assert [rcpt for rcpt, _ in inbox.messages] == ["alice@example.com"]
    everywhere.refresh_from_db()
    assert everywhere.next_due_at == NEW_YORK_EIGHT
    with time_machine.travel(NEW_YORK_EIGHT, tick=False):
        send_due_reports()
    assert [rcpt for rcpt, _ in inbox.messages] == ["alice@example.com", "sales@example.com"]
    everywhere.refresh_from_db()
    assert everywhere.next_due_at == PARIS_EIGHT + dt.timedelta(days=1)
    assert sorted(Delivery.objects.values_list("recipient__username", "due_at")) == [
        ("alice", PARIS_EIGHT),
        ("sales", NEW_YORK_EIGHT),
    ]


def test_a_site_down_all_day_sends_each_recipient_one_email_for_their_latest_eight(everywhere, inbox):
    with time_machine.travel(NEW_YORK_EIGHT + dt.timedelta(days=2, hours=1), tick=False):
        send_due_reports()
    assert sorted(Delivery.objects.values_list("recipient__username", "due_at")) == [
        ("alice", PARIS_EIGHT + dt.timedelta(days=2)),
        ("sales", NEW_YORK_EIGHT + dt.timedelta(days=2)),
    ]
    assert len(inbox.messages) == 2


def test_a_recipient_whose_browser_moves_gets_the_next_one_at_eight_where_they_now_are(everywhere, cast):
    client = Client()
    client.force_login(cast["sales"])
    with time_machine.travel(dt.datetime(2026, 12, 1, 14, 30, tzinfo=UTC), tick=False):
        answer = client.post("/accounts/time-zone/", {"time_zone": "Asia/Tokyo"})
    assert (answer.status_code, answer.json()) == (200, {"time_zone": "Asia/Tokyo"})
    everywhere.refresh_from_db()
    # 08:00 in Tokyo on 2 December is 23:00 UTC on 1 December: sooner than Paris's 08:00.
    assert everywhere.next_due_at == dt.datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize("sent", ["Mars/Olympus", "", "Europe/Paris\x00", "x" * 500])
def test_a_time_zone_that_is_not_one_is_refused_and_nothing_changes(cast, sent):
    client = Client()
    client.force_login(cast["sales"])
    answer = client.post("/accounts/time-zone/", {"time_zone": sent})
    assert (answer.status_code, answer.content.decode()) == (
        400,
        "Send an IANA time zone name, such as Europe/Paris.",
    )
    cast["sales"].refresh_from_db()
    assert cast["sales"].time_zone == ""


def test_only_a_signed_in_post_keeps_a_time_zone(cast):
    assert (
        Client().post("/accounts/time-zone/", {"time_zone": PARIS})["Location"].startswith("/accounts/login/")
    )
    client = Client()
    client.force_login(cast["sales"])
    assert client.get("/accounts/time-zone/").status_code == 405


def test_the_page_sends_in_each_recipients_zone_by_default_and_says_where_they_are(everywhere):
    client = Client()
    client.force_login(everywhere.owner)
    page = client.get(reverse("report_schedules", args=[everywhere.report.pk])).content.decode()
    assert "Every day at 08:00, in each recipient&#x27;s own time zone</strong>, to me, sales." in page
    assert "Where they are: sales America/New_York, alice Europe/Paris." in page
    assert (
        "Next: 08:00 where each recipient is; the first goes out 2 Dec 2026, 08:00 your time (Europe/Paris)."
        in page
    )
    assert (
        '<option value="recipient" selected>Each recipient\'s own time zone (yours: Europe/Paris)</option>'
        in page
    )


def test_a_scheduled_email_lists_the_views_key_figures(funnel_alert, inbox):
    from dashboards.catalogue import funnel

    report = funnel_alert.report
    with time_machine.travel(MONDAY_DUE, tick=False):
        schedule = schedule_save(
            report=report, owner=report.owner, frequency="daily", time=dt.time(9, 0), time_zone=PARIS
        )
    with time_machine.travel(schedule.next_due_at, tick=False):
        send_due_reports()
    [message] = inbox.to("alice@example.com")
    figures = funnel.key_figures(registry.get("funnel").clean({}))
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    lines = "".join(f"  {name}: {value:,.6g}\n" for name, value in figures.items())
    assert f"Key figures\n{lines}" in text
    assert list(figures) == ["conversion A (%)", "conversion B (%)"]
    html = message.get_body(("html",)).get_content()
    name, value = next(iter(figures.items()))
    assert (
        f'font-weight: normal;">{name}</th><td style="padding: 2px 0; font-weight: bold;">{value:,.6g}</td>'
        in html
    )


# -- a plain Dash app dropped in: its default view, charts only ----------------------------


@pytest.fixture
def plain_app(monkeypatch, cast):
    """tests/plain_apps/regional_sales.py in the catalogue, open to alice."""
    from dashboards.services import grant_add
    from tests.conftest import with_catalogue_packages

    with_catalogue_packages(monkeypatch, "tests.plain_apps")
    grant_add(dashboard=Dashboard.objects.get(slug="regional-sales"), user=cast["alice"])
    return registry.get("regional-sales")


def test_a_plain_dash_app_is_saved_and_mailed_as_it_opens_with_its_charts_drawn(plain_app, cast, inbox):
    client = Client()
    client.force_login(cast["alice"])
    page = client.get("/dashboards/regional-sales/").content.decode()
    assert "this dashboard as it opens, to come back to or to have e-mailed on a schedule" in page
    saved = client.post(
        "/dashboards/regional-sales/reports/", {"name": "Regions", "visibility": "private", "params": "{}"}
    )
    report = Report.objects.get(name="Regions")
    assert (saved.status_code, saved["Location"], report.params) == (302, f"/reports/{report.pk}/", {})
    with time_machine.travel(MONDAY_DUE, tick=False):
        schedule = schedule_save(
            report=report, owner=cast["alice"], frequency="daily", time=dt.time(9, 0), time_zone=PARIS
        )
    with time_machine.travel(schedule.next_due_at, tick=False):
        assert send_due_reports()["sent"] == 1
    [message] = inbox.to("alice@example.com")
    assert message["Subject"] == "Regions: Regional sales"
    # The chart its callback draws, as Chromium drew it: the graph's own 400 px height.
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    width, height = png_size(image.get_content())
    assert height == 400 and width > 1000
    assert 'alt="Sales by region"' in message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "drawn in your browser" not in text and "could not be drawn" not in text
