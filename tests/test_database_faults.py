"""A database that stops answering: bounded waits, a 503 that says so, a process
that stays live, and recovery by itself. On a PostgreSQL cluster of the test's
own, frozen with SIGSTOP (the machine's own is never touched)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager

import pytest
import requests
from django.db import connection
from django.test import Client

from dashboards.models import Report
from tests.sites import (
    ONCE_WITH_SERVICES,
    TIMEOUT,
    OwnPostgres,
    prepared,
    save_report,
    signed_in,
    site,
    site_env,
)


@pytest.fixture(scope="module")
def instance():
    database = OwnPostgres()
    database.start()
    try:
        env = prepared(
            site_env(database_url=database.url, DATABASE_TIMEOUT="1", DATABASE_CONNECT_TIMEOUT="2")
        )
        with site(env) as process:
            yield database, process.base
    finally:
        database.stop()


@ONCE_WITH_SERVICES
def test_with_the_database_frozen_requests_get_a_503_and_the_process_stays_live(instance):
    database, base = instance
    sales = signed_in(base, "sales")
    assert save_report(sales, base, "Before the freeze").status_code == 302
    database.freeze()
    try:
        # More requests than the instance has threads (WEB_THREADS=4): none may wait unbounded.
        with ThreadPoolExecutor(max_workers=8) as pool:
            saves = [pool.submit(save_report, sales, base, f"During {n}") for n in range(8)]
            live = requests.get(f"{base}/livez", timeout=2)
            answers = [future.result() for future in saves]
        ready = requests.get(f"{base}/readyz", timeout=TIMEOUT)
        page = sales.get(f"{base}/reports/", headers={"Accept": "text/html"}, timeout=TIMEOUT)
    finally:
        database.thaw()

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert [answer.status_code for answer in answers] == [503] * 8
    assert answers[0].text == "The database is not answering right now. Try again in 15 seconds.\n"
    assert answers[0].headers["Retry-After"] == "15"
    assert (ready.status_code, ready.json()["database"]) == (503, "error: OperationalError")
    assert page.status_code == 503
    assert "The database is not answering right now. Nothing you saved is lost." in page.text
    assert '<meta http-equiv="refresh" content="15">' in page.text


@ONCE_WITH_SERVICES
def test_after_the_thaw_everything_recovers_by_itself(instance):
    database, base = instance
    sales = signed_in(base, "sales")
    database.freeze()
    try:
        assert save_report(sales, base, "Lost").status_code == 503
    finally:
        database.thaw()
    assert requests.get(f"{base}/readyz", timeout=TIMEOUT).status_code == 200
    assert save_report(sales, base, "After the thaw").status_code == 302
    listed = sales.get(f"{base}/reports/", timeout=TIMEOUT).text
    assert "After the thaw" in listed
    assert "Lost" not in listed


@ONCE_WITH_SERVICES
def test_after_a_database_restart_no_request_fails(instance):
    database, base = instance
    sales = signed_in(base, "sales")
    # Every request thread of the instance now keeps a connection open.
    assert [save_report(sales, base, f"Before {n}").status_code for n in range(8)] == [302] * 8
    database.restart()
    assert [save_report(sales, base, f"After {n}").status_code for n in range(8)] == [302] * 8


@pytest.fixture
def short_database_waits():
    """This test's connections give up on a lock after a fraction of a second."""
    options = connection.settings_dict["OPTIONS"]
    before = dict(options)
    if connection.vendor == "postgresql":
        options["options"] = "-c statement_timeout=300"
    else:
        options["timeout"] = 0.3
    connection.close()
    yield
    options.clear()
    options.update(before)
    connection.close()


@contextmanager
def reports_locked_by_another_session():
    with closing(connection.get_new_connection(connection.get_connection_params())) as other:
        cursor = other.cursor()
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE dashboards_report IN ACCESS EXCLUSIVE MODE")
        else:
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.rollback()


@pytest.mark.django_db(transaction=True)
def test_a_save_that_cannot_get_its_lock_in_time_is_a_503_and_saves_nothing(cast, short_database_waits):
    browser = Client(raise_request_exception=False)
    browser.force_login(cast["sales"])
    with reports_locked_by_another_session():
        response = browser.post(
            "/dashboards/stocktoday/reports/",
            {"name": "Blocked", "visibility": "private", "params": "{}"},
            HTTP_ACCEPT="text/html",
        )
    assert response.status_code == 503
    assert "The database is not answering right now." in response.content.decode()
    assert not Report.objects.filter(name="Blocked").exists()
