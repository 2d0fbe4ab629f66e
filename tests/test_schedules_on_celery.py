"""Scheduled reports on real Celery: two `beat:` processes ask at once, every second, two
`worker:` processes run what they ask for, and each recipient still gets one e-mail per
schedule and due time.

The test starts a Redis of its own, the Procfile's `worker:` twice and its `beat:` twice
(on the test's PostgreSQL database, so only in the PostgreSQL + Redis run), with
REPORTS_CHECK_SECONDS=1 for the beats. The e-mails go to a real SMTP server in this
process (aiosmtpd, test_schedules' `inbox`); the workers draw the charts with Chromium.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from dashboards import registry
from dashboards.deliveries import next_due
from dashboards.models import Delivery, Report, ReportSchedule
from dashboards.services import report_save, schedule_save
from tests.jobs import CeleryBeat, CeleryProcess, CeleryWorker, stop_all
from tests.sites import ONCE_WITH_SERVICES, OwnRedis
from tests.test_schedules import inbox  # noqa: F401 - the fixture

CHECK_SECONDS = 1
DEADLINE = 120  # seconds the polls below wait at most: a bound on a hang, not a measure
TASK = "dashengine.send_due_reports"
SUMMARY = re.compile(
    r"Scheduled reports: (\d+) due, (\d+) sent, (\d+) skipped, (\d+) to retry, (\d+) failed\."
)
# name, start, end: three of alice's Stock Today reports, each scheduled to her and sales.
REPORTS = [
    ("Q1 2015 tech", "2015-01-02", "2015-03-31"),
    ("Q2 2015 tech", "2015-04-01", "2015-06-30"),
    ("Autumn 2014", "2014-09-01", "2014-11-28"),
]


@pytest.fixture
def due_schedules(cast):
    """The three schedules, every day at a time 12 hours away, each made due at its own
    time a few minutes ago; returns them and their next due time after this one."""
    alice, sales = cast["alice"], cast["sales"]
    now = timezone.now().replace(second=0, microsecond=0)
    at = (now + dt.timedelta(hours=12)).time()
    schedules = []
    for minutes, (name, start, end) in enumerate(REPORTS, start=1):
        report = report_save(
            owner=alice,
            dashboard=registry.get("stocktoday"),
            name=name,
            params={"tickers": ["AAPL", "IBM"], "start": start, "end": end},
            visibility=Report.Visibility.EVERYONE,
        )
        schedule = schedule_save(
            report=report, owner=alice, frequency="daily", time=at, time_zone="UTC", users=[sales]
        )
        ReportSchedule.objects.filter(pk=schedule.pk).update(next_due_at=now - dt.timedelta(minutes=minutes))
        schedule.refresh_from_db()
        schedules.append(schedule)
    return schedules, next_due(frequency="daily", time=at, time_zone="UTC", after=now)


@pytest.fixture
def two_beats_two_workers(due_schedules, inbox, settings, tmp_path):  # noqa: F811 - the fixture
    """A Redis of the test's own, two workers of one process each and two beats asking for
    a run every CHECK_SECONDS, all started together; yields (workers, beats). Every
    process, and whatever it started, is stopped afterwards, whatever happened."""
    redis_server = OwnRedis(tmp_path)
    env = {
        "DASHBOARD_PACKAGES": "dashboards.catalogue",
        "REPORTS_CHECK_SECONDS": str(CHECK_SECONDS),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(settings.EMAIL_PORT),  # the `inbox` server's
        "EMAIL_USE_TLS": "0",
        "SITE_URL": settings.SITE_URL,
    }
    with contextlib.ExitStack() as stack:
        redis_server.start()
        stack.callback(redis_server.stop)
        common = {"redis_url": redis_server.url, "env": env}
        workers = [
            CeleryWorker(concurrency=1, name=f"reports{n}", log=tmp_path / f"worker-{n}.log", **common)
            for n in (1, 2)
        ]
        beats = [CeleryBeat(log=tmp_path / f"beat-{n}.log", **common) for n in (1, 2)]
        started: list[CeleryProcess] = []
        stack.callback(stop_all, started)  # all at once, before Redis
        for process in (*workers, *beats):
            process.launch()
            started.append(process)
        for process in started:
            process.wait_ready()
        yield workers, beats


def wait_for(what: str, ready) -> None:
    deadline = time.monotonic() + DEADLINE
    while not ready():
        assert time.monotonic() < deadline, f"not done within {DEADLINE} s: {what}"
        time.sleep(0.2)


def runs(workers: list[CeleryWorker], state: str) -> set[str]:
    """Ids of the report runs the workers logged as `state` (received, succeeded)."""
    pattern = re.compile(rf"Task {re.escape(TASK)}\[([0-9a-f-]+)\] {state}")
    return {run for worker in workers for run in pattern.findall(worker.log.read_text())}


@ONCE_WITH_SERVICES
@pytest.mark.django_db(transaction=True)
def test_two_beats_and_two_workers_send_one_email_per_schedule_due_time_and_recipient(
    due_schedules,
    two_beats_two_workers,
    inbox,  # noqa: F811 - the fixture
):
    schedules, then = due_schedules
    workers, beats = two_beats_two_workers
    wait_for(
        "every delivery sent or given up",
        lambda: Delivery.objects.count() == 6 and not Delivery.objects.filter(status="pending").exists(),
    )
    # Then two more runs, taken by the workers after the last send, find nothing to send.
    before = runs(workers, "received")
    wait_for("two more runs", lambda: len(runs(workers, "succeeded") - before) >= 2)
    for beat in beats:  # both beats asked all along
        assert f"Sending due task send-due-reports ({TASK})" in beat.log.read_text()
    # The workers' runs say what they did: 6 due, 6 sent between them.
    done = [
        [int(n) for n in numbers] for worker in workers for numbers in SUMMARY.findall(worker.log.read_text())
    ]
    assert [sum(column) for column in zip(*done, strict=True)] == [6, 6, 0, 0, 0]

    expected = [
        (name, schedule.next_due_at, username, "sent", 1)
        for schedule, (name, _, _) in zip(schedules, REPORTS, strict=True)
        for username in ("alice", "sales")
    ]
    deliveries = Delivery.objects.select_related("schedule__report", "recipient").order_by("pk")
    assert sorted(
        (d.schedule.report.name, d.due_at, d.recipient.username, d.status, d.attempts) for d in deliveries
    ) == sorted(expected)
    # One e-mail for each delivery, to its recipient, with its report's subject.
    subjects = {
        "Q1 2015 tech": "Q1 2015 tech: Stock Today, 2 Jan 2015 to 31 Mar 2015",
        "Q2 2015 tech": "Q2 2015 tech: Stock Today, 1 Apr 2015 to 30 Jun 2015",
        "Autumn 2014": "Autumn 2014: Stock Today, 1 Sep 2014 to 28 Nov 2014",
    }
    received = collections.Counter(
        (rcpt, message["Subject"], int(message["X-Dash-Engine-Delivery"])) for rcpt, message in inbox.messages
    )
    assert received == collections.Counter(
        {
            (f"{d.recipient.username}@example.com", subjects[d.schedule.report.name], d.pk): 1
            for d in deliveries
        }
    )
    # Each schedule moved on to its next time, once.
    assert sorted(ReportSchedule.objects.values_list("next_due_at", flat=True)) == [then] * 3
