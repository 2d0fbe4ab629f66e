from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dashboards.models import AuditEvent, BackgroundJob, DashboardGrant


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_grant_dashboard_grants_and_revokes_for_groups_users_and_everyone(cast, stocktoday):
    assert "Granted stocktoday to group Marketing" in run(
        "grant_dashboard", "stocktoday", "--group", "Marketing"
    )
    assert DashboardGrant.objects.filter(dashboard=stocktoday, group__name="Marketing").exists()
    run("grant_dashboard", "stocktoday", "--user", "viewer")
    assert DashboardGrant.objects.filter(dashboard=stocktoday, user__username="viewer").exists()
    run("grant_dashboard", "stocktoday", "--everyone")
    stocktoday.refresh_from_db()
    assert stocktoday.open_to_all

    run("grant_dashboard", "stocktoday", "--group", "Marketing", "--revoke")
    run("grant_dashboard", "stocktoday", "--user", "viewer", "--revoke")
    run("grant_dashboard", "stocktoday", "--everyone", "--revoke")
    stocktoday.refresh_from_db()
    assert not stocktoday.open_to_all
    assert not DashboardGrant.objects.filter(group__name="Marketing").exists()
    assert not DashboardGrant.objects.filter(user__username="viewer").exists()
    assert AuditEvent.objects.filter(action="grant-changed").count() >= 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--group", "Sales"], "No dashboard 'nope'"),
        (["stocktoday", "--group", "Nobody"], "No group 'Nobody'"),
        (["stocktoday", "--user", "nobody"], "No user 'nobody'"),
    ],
)
def test_grant_dashboard_refuses_unknown_names_and_changes_nothing(cast, args, message):
    before = list(DashboardGrant.objects.values_list("pk", flat=True))
    with pytest.raises(CommandError, match=message):
        run("grant_dashboard", *args)
    assert list(DashboardGrant.objects.values_list("pk", flat=True)) == before


def test_list_dashboards_prints_slug_title_availability_and_grants(cast):
    out = run("list_dashboards")
    line = next(line for line in out.splitlines() if line.startswith("stocktoday"))
    assert "Stock Today" in line
    assert "available" in line
    assert "group:Sales" in line
    assert "user:alice" in line


def test_prune_audit_deletes_only_old_events_and_ended_job_records(db):
    old = AuditEvent.objects.create(action="view", dashboard="stocktoday")
    AuditEvent.objects.filter(pk=old.pk).update(time=timezone.now() - timedelta(days=91))
    AuditEvent.objects.create(action="view", dashboard="stocktoday")
    old_job = BackgroundJob.objects.create(job_id="old", dashboard="stocktoday", state="finished")
    BackgroundJob.objects.filter(pk=old_job.pk).update(queued_at=timezone.now() - timedelta(days=91))
    BackgroundJob.objects.create(job_id="new", dashboard="stocktoday", state="finished")
    assert "Deleted 1 audit event(s) and 1 job record(s)" in run("prune_audit", "--older-than", "90d")
    assert AuditEvent.objects.count() == 1
    assert list(BackgroundJob.objects.values_list("job_id", flat=True)) == ["new"]
    with pytest.raises(CommandError):
        run("prune_audit", "--older-than", "ninety days")


def test_audit_events_are_append_only(db):
    event = AuditEvent.objects.create(action="view")
    event.dashboard = "changed"
    with pytest.raises(ValueError):
        event.save()


def test_revoking_a_grant_that_does_not_exist_says_so(cast):
    out = run("grant_dashboard", "stocktoday", "--group", "Marketing", "--revoke")
    assert "was not granted to group Marketing; nothing changed" in out
    assert not AuditEvent.objects.filter(params__to="group:Marketing").exists()
