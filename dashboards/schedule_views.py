"""Scheduled reports: set up, pause, send now and delete; unsubscribe from an e-mail."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dashboards import registry
from dashboards.deliveries import (
    WEEKDAYS,
    describe,
    describe_recipients,
    describe_zones,
    unsubscribe_read,
    zone_of,
)
from dashboards.models import Alert, Report, ReportSchedule
from dashboards.refusals import plain_text
from dashboards.selectors import (
    deliveries_of,
    groups_who_can_open,
    people_who_can_open,
    report_get_for_user,
    schedules_of,
)
from dashboards.services import (
    _figure_names,
    alert_pause,
    alert_save,
    available_time_zones,
    schedule_pause,
    schedule_save,
    schedule_send_now,
    schedule_unsubscribe,
)

FORGED = (
    "This unsubscribe link is not valid. Use the link in the most recent e-mail, or sign in to manage it."
)


def _whole_number(raw: str) -> int | None:
    try:
        return int(raw[:4])
    except ValueError:
        return None


def _choices(request: HttpRequest, report: Report, schedule: ReportSchedule | None) -> dict:
    current = schedule
    return {
        "report": report,
        "schedules": [_described(s) for s in schedules_of(report=report, owner=request.user)],
        "frequencies": ReportSchedule.Frequency.choices,
        "weekdays": list(enumerate(WEEKDAYS)),
        "days": range(1, 32),
        "time_zones": sorted(available_time_zones()),
        "recipients_zone": ReportSchedule.RECIPIENTS_ZONE,
        "user_zone": zone_of(request.user),
        "people": people_who_can_open(dashboard=report.dashboard).exclude(pk=request.user.pk),
        "groups": groups_who_can_open(dashboard=report.dashboard),
        "editing": current,
        "alerts": Alert.objects.filter(report=report, owner=request.user).order_by("created"),
        "figures": _figure_names(registry.get(report.dashboard.slug), report),
        "conditions": Alert.Condition.choices,
        "everies": Alert.Every.choices,
        "form": {
            "frequency": current.frequency if current else ReportSchedule.Frequency.WEEKLY,
            "weekday": current.weekday if current and current.weekday is not None else 0,
            "day_of_month": current.day_of_month if current and current.day_of_month else 1,
            "time": f"{current.time:%H:%M}" if current else "08:00",
            "time_zone": current.time_zone if current else ReportSchedule.RECIPIENTS_ZONE,
            "include_owner": current.include_owner if current else True,
            "users": {u.pk for u in current.users.all()} if current else set(),
            "groups": {g.pk for g in current.groups.all()} if current else set(),
        },
    }


def _described(schedule: ReportSchedule) -> tuple[ReportSchedule, list]:
    schedule.when, schedule.to = describe(schedule), describe_recipients(schedule)
    schedule.zones = describe_zones(schedule)
    return schedule, deliveries_of(schedule=schedule)


def _own_schedule(request: HttpRequest, pk: int) -> ReportSchedule:
    schedule = (
        ReportSchedule.objects.select_related("report__dashboard").filter(pk=pk, owner=request.user).first()
    )
    if schedule is None:
        raise Http404("No such schedule of yours.")
    report_get_for_user(user=request.user, pk=schedule.report_id)  # the report still theirs to see
    return schedule


@login_required
@require_http_methods(["GET", "POST"])
def report_schedules(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's schedules set up by this user, and the form for a new one (or `?edit=`)."""
    report = report_get_for_user(user=request.user, pk=pk)
    editing = None
    edit = request.GET.get("edit") or request.POST.get("schedule", "")
    if edit:
        editing = _own_schedule(request, _whole_number(edit) or 0)
        if editing.report_id != report.pk:
            raise Http404("No such schedule of this report.")
    context = _choices(request, report, editing)
    if request.method == "GET":
        return render(request, "dashboards/schedules.html", context)
    post = request.POST
    user_ids = [n for n in map(_whole_number, post.getlist("users")) if n is not None]
    group_ids = [n for n in map(_whole_number, post.getlist("groups")) if n is not None]
    try:
        time = dt.time.fromisoformat(post.get("time", "")[:8])
    except ValueError:
        time = None
    try:
        if time is None:
            raise ValidationError({"time": "Enter a time of day, such as 08:00."})
        schedule = schedule_save(
            report=report,
            owner=request.user,
            frequency=post.get("frequency", ""),
            time=time,
            time_zone=post.get("time_zone", "")[:64],
            weekday=_whole_number(post.get("weekday", "")),
            day_of_month=_whole_number(post.get("day_of_month", "")),
            include_owner=post.get("include_owner") == "on",
            users=list(get_user_model().objects.filter(pk__in=user_ids)),
            groups=list(Group.objects.filter(pk__in=group_ids)),
            schedule=editing,
        )
    except ValidationError as error:
        context["errors"] = {field: " ".join(texts) for field, texts in error.message_dict.items()}
        context["form"] = {
            **context["form"],
            **{k: post.get(k, "") for k in ("frequency", "time", "time_zone")},
            "weekday": _whole_number(post.get("weekday", "")),
            "day_of_month": _whole_number(post.get("day_of_month", "")),
            "include_owner": post.get("include_owner") == "on",
            "users": set(user_ids),
            "groups": set(group_ids),
        }
        return render(request, "dashboards/schedules.html", context, status=400)
    verb = "Changed" if editing else "Scheduled"
    zone = zone_of(request.user)
    when = schedule.next_due_at.astimezone(ZoneInfo(zone))
    messages.success(request, f"{verb}: the next e-mail goes out {when:%-d %b %Y at %H:%M} ({zone} time).")
    return redirect("report_schedules", pk=report.pk)


@login_required
@require_POST
def alert_create(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_get_for_user(user=request.user, pk=pk)
    try:
        threshold = float(request.POST.get("threshold", "").strip()[:40].replace(",", ""))
    except ValueError:
        threshold = math.nan
    try:
        alert = alert_save(
            report=report,
            owner=request.user,
            figure=request.POST.get("figure", "")[:100],
            condition=request.POST.get("condition", ""),
            threshold=threshold,
            every_minutes=_whole_number(request.POST.get("every_minutes", "")) or 0,
        )
    except ValidationError as error:
        context = _choices(request, report, None)
        context["alert_errors"] = {field: " ".join(texts) for field, texts in error.message_dict.items()}
        return render(request, "dashboards/schedules.html", context, status=400)
    now = f"It is {alert.last_value:g} now"
    if alert.holding:
        messages.success(request, f"Alert set. {now}, already past that: you hear when it crosses again.")
    else:
        messages.success(request, f"Alert set. {now}; you get an e-mail when it crosses.")
    return redirect("report_schedules", pk=report.pk)


@login_required
@require_POST
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    alert = Alert.objects.filter(pk=pk, owner=request.user).first()
    if alert is None:
        raise Http404("No such alert of yours.")
    report_get_for_user(user=request.user, pk=alert.report_id)
    if action in ("pause", "resume"):
        alert_pause(alert=alert, paused=action == "pause")
        messages.success(request, "Alert paused." if action == "pause" else "Alert resumed.")
    elif action == "delete":
        alert.delete()
        messages.success(request, "Alert deleted.")
    else:
        raise Http404("No such action.")
    return redirect("report_schedules", pk=alert.report_id)


@login_required
@require_POST
def schedule_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    schedule = _own_schedule(request, pk)
    report_pk = schedule.report_id
    if action in ("pause", "resume"):
        schedule_pause(schedule=schedule, paused=action == "pause")
        messages.success(
            request, "Paused: nothing is sent until you resume it." if action == "pause" else "Resumed."
        )
    elif action == "send":
        queued = schedule_send_now(schedule=schedule)
        messages.success(
            request,
            f"Sending to {queued} recipient{'s' if queued != 1 else ''} within a minute; "
            "reload this page to see each one in the list below.",
        )
    elif action == "delete":
        schedule.delete()
        messages.success(request, "Schedule deleted: nothing more is sent.")
    else:
        raise Http404("No such action.")
    return redirect("report_schedules", pk=report_pk)


@csrf_exempt  # the signed link is the permission; mail programs post without a token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """From the e-mail, signed in or not: a page with one button (mail programs post to it
    directly, RFC 8058); a GET alone changes nothing, so link scanners unsubscribe nobody."""
    found = unsubscribe_read(token)
    if found is None:
        return plain_text(400, FORGED)
    subject, user = found
    if isinstance(subject, Alert):  # an alert goes to its owner alone: stopping it pauses it
        if request.method == "POST":
            alert_pause(alert=subject, paused=True)
        context = {"alert": subject, "person": user, "done": subject.paused}
        return render(request, "dashboards/unsubscribe.html", context)
    if request.method == "POST":
        schedule_unsubscribe(schedule=subject, user=user)
    context = {
        "schedule": subject,
        "person": user,
        "when": describe(subject),
        "done": subject.opted_out.filter(pk=user.pk).exists(),
    }
    return render(request, "dashboards/unsubscribe.html", context)
