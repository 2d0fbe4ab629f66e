"""Scheduled reports: when each is due, who gets it, and the e-mail they get.

`send_due_reports(now=...)` is the whole cycle, run every minute by Celery beat
(`dashboards.jobs`) or by `manage.py send_due_reports` (cron, `make run`). It is
safe to run on any number of processes at once:

1. claim: in one transaction, each due schedule (locked, skipped by whoever else holds
   it) gets one `Delivery` row per recipient for its due time, unique on (schedule,
   due time, recipient), and its next due time moves on;
2. send: each pending delivery (locked the same way) is checked again for its
   recipient — the dashboard open to them and the report visible to them *now* — then
   mailed, skipped with the reason, or retried with back-off and failed at last.

A missed run (the site was down) sends each schedule once, not once per due time missed.
"""

from __future__ import annotations

import atexit
import calendar
import datetime as dt
import functools
import io
import logging
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from dashboards import registry, snapshots
from dashboards.access import can_view
from dashboards.exports import business_csv_chunks, frame_period
from dashboards.filenames import export_filename
from dashboards.mail import mail_configured
from dashboards.models import Alert, Delivery, Report, ReportSchedule
from dashboards.services import available_time_zones
from dashkit import formats, spec

logger = logging.getLogger(__name__)

RETRIES = 3  # sends tried before a delivery fails
BACKOFF = dt.timedelta(minutes=2)  # doubled at each retry
UNSUBSCRIBE_SALT = "dashboards.deliveries.unsubscribe"
Frequency = ReportSchedule.Frequency


# -- the clock --------------------------------------------------------------------------


def next_due(
    *,
    frequency: str,
    time: dt.time,
    time_zone: str,
    after: dt.datetime,
    weekday: int | None = None,
    day_of_month: int | None = None,
) -> dt.datetime:
    """The first due time strictly after `after`, in UTC.

    Due times are wall-clock times in `time_zone`. A time that does not exist on a
    spring-forward day is sent at the same distance past the change (02:30 → 03:30);
    one that happens twice on a fall-back day is sent at its first occurrence.
    """
    zone = ZoneInfo(time_zone)
    day = after.astimezone(zone).date()
    for offset in range(0, 370):
        candidate = day + dt.timedelta(days=offset)
        if not _is_due_day(candidate, frequency=frequency, weekday=weekday, day_of_month=day_of_month):
            continue
        # fold=0 is Python's reading of both edges above; the round trip through UTC
        # turns a time that does not exist into the real one after the change.
        due = dt.datetime.combine(candidate, time, tzinfo=zone).astimezone(dt.UTC)
        if due > after:
            return due
    raise ValueError(f"no due day within a year for {frequency!r}")


def _is_due_day(day: dt.date, *, frequency: str, weekday: int | None, day_of_month: int | None) -> bool:
    if frequency == Frequency.DAILY:
        return True
    if frequency == Frequency.WEEKDAYS:
        return day.weekday() < 5
    if frequency == Frequency.WEEKLY:
        return day.weekday() == weekday
    if frequency == Frequency.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(day_of_month or 1, last)
    raise ValueError(f"unknown frequency {frequency!r}")


def schedule_next_due(schedule: ReportSchedule, *, after: dt.datetime) -> dt.datetime:
    """The first time after `after` that the schedule is due for any of its recipients."""
    return min(_next_due_in(schedule, zone, after=after) for zone in schedule_zones(schedule))


def _next_due_in(schedule: ReportSchedule, zone: str, *, after: dt.datetime) -> dt.datetime:
    return next_due(
        frequency=schedule.frequency,
        time=schedule.time,
        time_zone=zone,
        after=after,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
    )


def zone_of(user: AbstractBaseUser) -> str:
    """A person's own time zone: their browser's (kept as they use the site), else the site's."""
    zone = getattr(user, "time_zone", "")
    return zone if zone in available_time_zones() else settings.TIME_ZONE


def schedule_zones(schedule: ReportSchedule) -> set[str]:
    if schedule.time_zone != ReportSchedule.RECIPIENTS_ZONE:
        return {schedule.time_zone}
    return {zone_of(user) for user in recipients(schedule)} or {settings.TIME_ZONE}


def _latest_due(schedule: ReportSchedule, zone: str, *, since: dt.datetime, now: dt.datetime):
    """The last due time in `zone` from `since` to `now` (one e-mail however many were
    missed while the site was down), or None."""
    due = _next_due_in(schedule, zone, after=since - dt.timedelta(microseconds=1))
    if due > now:
        return None
    while (later := _next_due_in(schedule, zone, after=due)) <= now:
        due = later
    return due


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe(schedule: ReportSchedule) -> str:
    """When, in words: "every Monday at 08:00, Europe/Paris time"."""
    when = {
        Frequency.DAILY: "every day",
        Frequency.WEEKDAYS: "every weekday",
        Frequency.WEEKLY: f"every {WEEKDAYS[schedule.weekday or 0]}",
        Frequency.MONTHLY: f"on day {schedule.day_of_month} of every month",
    }[schedule.frequency]
    if schedule.time_zone == ReportSchedule.RECIPIENTS_ZONE:
        return f"{when} at {schedule.time:%H:%M}, in each recipient's own time zone"
    return f"{when} at {schedule.time:%H:%M}, {schedule.time_zone} time"


def describe_recipients(schedule: ReportSchedule) -> str:
    names = ["me"] if schedule.include_owner else []
    names += [user.get_username() for user in schedule.users.all()]
    names += [f"the {group.name} group" for group in schedule.groups.all()]
    return ", ".join(names)


def describe_zones(schedule: ReportSchedule, *, shown: int = 5) -> str:
    """Where the recipients are, for a schedule sent in each one's own time zone:
    "alice Europe/Paris, sales America/New_York and 3 more"; "" otherwise."""
    if schedule.time_zone != ReportSchedule.RECIPIENTS_ZONE:
        return ""
    people = recipients(schedule)
    text = ", ".join(f"{user.get_username()} {zone_of(user)}" for user in people[:shown])
    return f"{text} and {len(people) - shown} more" if len(people) > shown else text


# -- who gets it ------------------------------------------------------------------------


def recipients(schedule: ReportSchedule) -> list[AbstractBaseUser]:
    """Everyone the schedule names, once each, without those who unsubscribed. A group's
    deactivated members are not recipients; a person named is, to be skipped with the reason."""
    named = Q(pk__in=schedule.users.values("pk")) | Q(groups__in=schedule.groups.all(), is_active=True)
    if schedule.include_owner:
        named |= Q(pk=schedule.owner_id)
    people = get_user_model().objects.filter(named).exclude(pk__in=schedule.opted_out.values("pk"))
    return list(people.distinct().order_by("pk"))


def refusal(report: Report, user: AbstractBaseUser) -> str:
    """Why `user` may not get `report` now ("" when they may): the same checks as opening it."""
    if report.deleted is not None:
        return "the report is in its owner's trash"
    if not user.is_active:
        return "their account is deactivated"
    if not user.email:
        return "they have no e-mail address"
    dashboard = registry.get(report.dashboard.slug)
    if dashboard is None or not report.dashboard.available:
        return "the dashboard is no longer available"
    if not can_view(user=user, dashboard=dashboard):
        return "they can no longer open the dashboard"
    from dashboards.selectors import report_get_for_user  # it imports this module's neighbours

    try:
        report_get_for_user(user=user, pk=report.pk)
    except (Http404, PermissionDenied):
        return "the report is not shared with them"
    return ""


# -- claim and send ---------------------------------------------------------------------


def deliveries_claim(*, now: dt.datetime) -> int:
    """One pending delivery per recipient of every schedule due by `now`; returns how many.
    A schedule a transaction at a time: senders started together share the work."""
    claimed = 0
    while True:
        with transaction.atomic():
            schedule = _take(
                ReportSchedule.objects.filter(
                    next_due_at__lte=now, paused=False, report__deleted__isnull=True
                ).order_by("next_due_at", "pk")
            )
            if schedule is None:
                return claimed
            claimed += _claim(schedule, now=now)
            schedule.next_due_at = schedule_next_due(schedule, after=now)
            schedule.save(update_fields=["next_due_at"])


def _take(queryset):
    """The first row of `queryset` that no other sender holds, locked until the transaction
    ends (on SQLite, which has no row locks, its one writer at a time does the same). Only
    the row itself: its joined rows stay free for senders working on their neighbours."""
    return queryset.select_for_update(skip_locked=True, of=("self",)).first()


def _claim(schedule: ReportSchedule, *, now: dt.datetime) -> int:
    """The deliveries of the schedule's due time: one per recipient; sent in each one's
    own time zone, one per recipient whose wall-clock time came between it and `now`."""
    if schedule.time_zone != ReportSchedule.RECIPIENTS_ZONE:
        return _deliveries(schedule, dict.fromkeys(recipients(schedule), schedule.next_due_at))
    due = {
        user: _latest_due(schedule, zone_of(user), since=schedule.next_due_at, now=now)
        for user in recipients(schedule)
    }
    return _deliveries(schedule, {user: at for user, at in due.items() if at is not None})


def claim_now(schedule: ReportSchedule, *, now: dt.datetime) -> int:
    """A delivery for every recipient, due `now` ("Send now")."""
    return _deliveries(schedule, dict.fromkeys(recipients(schedule), now))


def _deliveries(schedule: ReportSchedule, due: dict[AbstractBaseUser, dt.datetime]) -> int:
    rows = [
        Delivery(schedule=schedule, due_at=at, recipient=user, next_attempt_at=at) for user, at in due.items()
    ]
    # Another process that claimed the same due time already holds these rows.
    return len(Delivery.objects.bulk_create(rows, ignore_conflicts=True))


def deliveries_send(*, now: dt.datetime, schedule: ReportSchedule | None = None) -> dict[str, int]:
    """Send every pending delivery whose time has come (of `schedule` only, if given);
    returns counts by outcome."""
    counts = {"sent": 0, "skipped": 0, "retry": 0, "failed": 0}
    drawn: dict[tuple, Rendered] = {}  # each due time's data and charts, drawn once
    while True:
        with transaction.atomic():
            delivery = _take(
                Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                .filter(**({"schedule": schedule} if schedule is not None else {}))
                .select_related(
                    "schedule__report__dashboard",
                    "schedule__report__owner",
                    "alert__report__dashboard",
                    "recipient",
                )
                .order_by("next_attempt_at", "pk")
            )
            if delivery is None:
                return counts
            counts[_send_one(delivery, now=now, drawn=drawn)] += 1


def _send_one(delivery: Delivery, *, now: dt.datetime, drawn: dict) -> str:
    report = delivery.report
    why = refusal(report, delivery.recipient)
    if not why and not (mail_configured() or settings.DEBUG):
        why = "the site has no e-mail server (EMAIL_HOST)"
    if why:
        _end(delivery, Delivery.Status.SKIPPED, f"Skipped: {why}.")
        return "skipped"
    try:
        if delivery.alert is not None:
            alert_email(delivery).send()
        else:
            key = (report.pk, report.updated, delivery.due_at)
            if key not in drawn:
                drawn[key] = render(report)
            report_email(delivery, rendered=drawn[key]).send()
    except Exception as error:  # noqa: BLE001 - any failure of data, drawing or mail: retried, then reported
        delivery.attempts += 1
        reason = f"{type(error).__name__}: {error}"[:300]
        logger.warning("Could not send %s (try %d): %s", delivery, delivery.attempts, reason)
        if delivery.attempts >= RETRIES:
            _end(
                delivery,
                Delivery.Status.FAILED,
                f"Failed after {RETRIES} tries: {reason}",
                fields=["attempts"],
            )
            return "failed"
        delivery.next_attempt_at = now + BACKOFF * 2 ** (delivery.attempts - 1)
        delivery.reason = f"Try {delivery.attempts} failed: {reason}"[:300]
        delivery.save(update_fields=["attempts", "next_attempt_at", "reason"])
        return "retry"
    delivery.attempts += 1
    delivery.sent_at = timezone.now()
    _end(delivery, Delivery.Status.SENT, "", fields=["attempts", "sent_at"])
    return "sent"


def _end(delivery: Delivery, status: str, reason: str, *, fields: list[str] = ()) -> None:
    delivery.status, delivery.reason = status, reason
    delivery.save(update_fields=["status", "reason", *fields])


def send_due_reports(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Schedules due and alerts that crossed become deliveries; then every delivery due is sent."""
    now = now or timezone.now()
    claimed = deliveries_claim(now=now) + alerts_check(now=now)
    return {"claimed": claimed, **deliveries_send(now=now)}


def summary(counts: dict[str, int]) -> str:
    """What a run of `send_due_reports` did, in a line for the log."""
    return (
        "Scheduled reports: {claimed} due, {sent} sent, {skipped} skipped, "
        "{retry} to retry, {failed} failed.".format(**counts)
    )


# -- alerts -----------------------------------------------------------------------------


def alerts_check(*, now: dt.datetime) -> int:
    """Check every alert due by `now`, one per transaction; a crossing becomes a delivery.
    Returns how many crossed."""
    crossed = 0
    while True:
        with transaction.atomic():
            alert = _take(
                Alert.objects.filter(next_check_at__lte=now, paused=False, report__deleted__isnull=True)
                .select_related("report__dashboard", "owner")
                .order_by("next_check_at", "pk")
            )
            if alert is None:
                return crossed
            crossed += _check(alert, now=now)


def alert_value(alert: Alert) -> float:
    report = alert.report
    dashboard = registry.get(report.dashboard.slug)
    params = dashboard.clean(report.params or {}) if dashboard.has_params else {}
    return float(dashboard.key_figures(params)[alert.figure])


def _check(alert: Alert, *, now: dt.datetime) -> int:
    alert.next_check_at = now + dt.timedelta(minutes=alert.every_minutes)
    try:
        value = alert_value(alert)
    except Exception:  # noqa: BLE001 - a data source down: checked again next time
        logger.exception("Could not check %s", alert)
        alert.save(update_fields=["next_check_at"])
        return 0
    if alert.condition == Alert.Condition.CHANGE and alert.baseline is None:
        alert.baseline = value  # the first check sets what a change is measured from
    holds = condition_holds(alert, value)
    crossed = holds and not alert.holding
    if crossed:
        Delivery.objects.get_or_create(
            alert=alert,
            due_at=now,
            recipient=alert.owner,
            defaults={"value": value, "reference": alert.baseline, "next_attempt_at": now},
        )
        if alert.condition == Alert.Condition.CHANGE:
            alert.baseline, holds = value, False  # the next change is measured from here
    alert.holding, alert.last_value, alert.last_checked_at = holds, value, now
    alert.save(update_fields=["next_check_at", "holding", "last_value", "baseline", "last_checked_at"])
    return int(crossed)


def condition_holds(alert: Alert, value: float) -> bool:
    if alert.condition == Alert.Condition.ABOVE:
        return value > alert.threshold
    if alert.condition == Alert.Condition.BELOW:
        return value < alert.threshold
    if not alert.baseline:
        return False  # no change can be measured from zero
    return abs(value - alert.baseline) / abs(alert.baseline) * 100 >= alert.threshold


def alerts_recheck_soon(*, dashboard: str) -> None:
    """New data (a live point) for `dashboard`: its alerts are checked at the next run."""
    Alert.objects.filter(report__dashboard__slug=dashboard, paused=False).update(next_check_at=timezone.now())


def alert_email(delivery: Delivery) -> EmailMultiAlternatives:
    alert, recipient = delivery.alert, delivery.recipient
    report = alert.report
    dashboard = registry.get(report.dashboard.slug)
    site = settings.SITE_URL.rstrip("/")
    stop_url = site + reverse("unsubscribe", args=[unsubscribe_token(alert=alert, user=recipient)])
    if alert.condition == Alert.Condition.CHANGE:
        what = f"changed by more than {alert.threshold:g}% (from {delivery.reference:g})"
    else:
        what = f"{alert.get_condition_display().replace('goes', 'went')} {alert.threshold:g}"
    context = {
        "alert": alert,
        "report": report,
        "dashboard": dashboard,
        "value": f"{delivery.value:g}",
        "what": what,
        "report_url": site + reverse("report", args=[report.pk]),
        "stop_url": stop_url,
        "checked_at": delivery.due_at,
    }
    message = EmailMultiAlternatives(
        subject=f"Alert: {alert.figure} is {delivery.value:g}, {what} — {report.name}",
        body=render_to_string("dashboards/email/alert.txt", context),
        to=[recipient.email],
        headers={
            "X-Dash-Engine-Delivery": str(delivery.pk),
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    return message


# -- the e-mail -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """What every recipient of one due time gets alike."""

    params: dict[str, Any]
    data_period: tuple[dt.date, dt.date] | None
    period: str
    choices: list[tuple[str, str]]
    figures: list[tuple[str, str]]  # the view's key figures, as the dashboard declares them
    csv: bytes
    rows: int
    charts: list[tuple[str, bytes]]
    charts_note: str


def report_email(delivery: Delivery, *, rendered: Rendered) -> EmailMultiAlternatives:
    schedule, recipient = delivery.schedule, delivery.recipient
    report = schedule.report
    dashboard = registry.get(report.dashboard.slug)
    site = settings.SITE_URL.rstrip("/")
    report_url = site + reverse("report", args=[report.pk])
    unsubscribe_url = site + reverse(
        "unsubscribe", args=[unsubscribe_token(schedule=schedule, user=recipient)]
    )
    subject = f"{report.name}: {dashboard.title}" + (f", {rendered.period}" if rendered.period else "")
    context = {
        "report": report,
        "dashboard": dashboard,
        "rendered": rendered,
        "report_url": report_url,
        "unsubscribe_url": unsubscribe_url,
        "schedule": schedule,
        "schedule_when": describe(schedule),
        "images": [(title, f"chart{i}") for i, (title, _) in enumerate(rendered.charts)],
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("dashboards/email/report.txt", context),
        to=[recipient.email],
        headers={
            # Which delivery this is, for whoever traces a complaint to the log.
            "X-Dash-Engine-Delivery": str(delivery.pk),
            # One-click unsubscribe from the mail program (RFC 8058).
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("dashboards/email/report.html", context), "text/html")
    message.mixed_subtype = "related"
    from email.mime.image import MIMEImage

    for (title, png), (_, cid) in zip(rendered.charts, context["images"], strict=True):
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{cid}>")
        image.add_header("Content-Disposition", "inline", filename=f"{slugify(title) or 'chart'}.png")
        message.attach(image)
    if rendered.csv:
        name = export_filename(
            dashboard=dashboard,
            params=rendered.params,
            today=delivery.due_at.date(),
            report_name=report.name,
            report_id=report.pk,
            period=rendered.data_period,
        )
        if len(rendered.csv) > settings.REPORT_MAIL_ZIP_BYTES:
            message.attach(name.removesuffix(".csv") + ".zip", _zipped(name, rendered.csv), "application/zip")
        else:
            message.attach(name, rendered.csv, "text/csv")
    return message


def render(report: Report) -> Rendered:
    """The report's data and charts: what every recipient of one due time gets alike."""
    dashboard = registry.get(report.dashboard.slug)
    params = dashboard.clean(report.params or {}) if dashboard.has_params else {}
    csv_bytes, rows, period = b"", 0, None
    if dashboard.has_data:
        frame = dashboard.data(params)
        rows = len(frame)
        # The CSV people open, as the report's Download CSV gives it: business names, rounded.
        columns = formats.columns_for(dashboard.columns, params)
        csv_bytes = "".join(business_csv_chunks(frame, columns)).encode()
        period = frame_period(frame)
        limit = settings.REPORT_MAIL_MAX_BYTES
        if len(csv_bytes) > limit and len(_zipped("data.csv", csv_bytes)) > limit:
            csv_bytes = b""  # too big to mail: the e-mail links to the report's export
    charts, note = draw_charts(dashboard, params, page=report.page)
    return Rendered(
        params=params,
        data_period=period,
        period=dashboard.period_words(params),
        choices=choices_text(dashboard, params),
        figures=figures_text(dashboard, params),
        csv=csv_bytes,
        rows=rows,
        charts=charts,
        charts_note=note,
    )


def draw_charts(
    dashboard: spec.Dashboard, params: dict[str, Any], *, page: str = ""
) -> tuple[list[tuple[str, bytes]], str]:
    """PNGs of the view's charts, and a note when there are none: plotly's own static
    export (kaleido, driving the machine's headless Chromium; its plotly.js is plotly's
    own file and MathJax is off, so nothing is fetched from another host). A dashboard
    whose charts exist only in the browser (a plain Dash app dropped in) and that has no
    parameters is drawn as it opens (on `page`, for a Dash Pages app)."""
    if dashboard.charts is None:
        if dashboard.has_params:  # drawn as it opens, it would not show the report's choices
            return [], "This dashboard's charts are drawn in your browser: open the report to see them."
        return _app_charts(dashboard, page=page)
    import plotly.io as pio

    images = []
    try:
        _start_chart_server()
        for title, figure in dashboard.charts(params).items():
            figure = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
            # The portal's charts follow the page's theme; an e-mail is read on white. Set on
            # the plain dict: plotly's own update_layout validates the whole template each time.
            figure["layout"] = {**figure.get("layout", {}), **_email_layout(title, figure)}
            with warnings.catch_warnings():
                # plotly hands kaleido its own plotly.js path; the server already uses it.
                warnings.filterwarnings("ignore", "The kopts argument is ignored", UserWarning)
                images.append(
                    (title, pio.to_image(figure, format="png", width=900, height=480, validate=False))
                )
    except Exception:  # noqa: BLE001 - no Chromium, a figure that does not draw: the rest is still worth sending
        logger.exception("Could not draw the charts of %s", dashboard.slug)
        return [], "The charts could not be drawn for this e-mail: open the report to see them."
    return images, ""


def _app_charts(dashboard: spec.Dashboard, *, page: str) -> tuple[list[tuple[str, bytes]], str]:
    try:
        charts = snapshots.app_charts(registry.module(dashboard.slug), path=page)
    except snapshots.SnapshotError:
        logger.exception("Could not draw the charts of %s", dashboard.slug)
        return [], "The charts could not be drawn for this e-mail: open the report to see them."
    if not charts:
        return [], "This dashboard shows no charts as it opens: open the report to see it."
    return charts, ""


_chart_server_started = False


def _email_layout(title: str, figure: dict) -> dict:
    layout = figure.get("layout", {})
    heading = layout.get("title")
    heading = heading.get("text") if isinstance(heading, dict) else heading
    return {
        "template": _white_template(),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {**layout.get("font", {}), "color": "#1f2937"},
        "title": {
            **(layout.get("title") if isinstance(layout.get("title"), dict) else {}),
            "text": heading or title,
        },
    }


@functools.cache
def _white_template() -> dict:
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def _start_chart_server() -> None:
    # One Chromium per process for all the charts it draws (one per call is ~1 s each).
    global _chart_server_started
    if not _chart_server_started:
        import kaleido

        kaleido.start_sync_server(silence_warnings=True, mathjax=False)
        atexit.register(kaleido.stop_sync_server, silence_warnings=True)
        _chart_server_started = True


def figures_text(dashboard: spec.Dashboard, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The view's key figures in words: [("conversion A (%)", "3.125")]."""
    if dashboard.key_figures is None:
        return []
    try:
        figures = dashboard.key_figures(params)
    except Exception:  # noqa: BLE001 - the charts and the data are still worth sending
        logger.exception("Could not work out the key figures of %s", dashboard.slug)
        return []
    return [(name, f"{value:,.6g}") for name, value in figures.items()]


def choices_text(dashboard: spec.Dashboard, params: dict[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for param in dashboard.params:
        value = params[param.name]
        if isinstance(param, spec.Period):
            if value == param.custom:
                continue  # the dates say it
            value = dict(param.labels).get(value, value)
        elif isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        elif isinstance(value, dt.date):
            value = f"{value:%-d %b %Y}"
        shown.append((param.label or param.name, str(value)))
    return shown


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


# -- unsubscribe ------------------------------------------------------------------------


def unsubscribe_token(
    *, user: AbstractBaseUser, schedule: ReportSchedule | None = None, alert: Alert | None = None
) -> str:
    # Without a time stamp: the link in an old e-mail keeps working.
    data = {"s": schedule.pk} if schedule is not None else {"a": alert.pk}
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({**data, "u": user.pk}, compress=True)


def unsubscribe_read(token: str) -> tuple[ReportSchedule | Alert, AbstractBaseUser] | None:
    """The schedule (or alert) and person a signed link names; None for a forged or stale link."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        if "a" in data:
            subject = Alert.objects.select_related("report").get(pk=data["a"])
        else:
            subject = ReportSchedule.objects.select_related("report").get(pk=data["s"])
        user = get_user_model().objects.get(pk=data["u"])
    except (
        signing.BadSignature,
        KeyError,
        TypeError,
        ReportSchedule.DoesNotExist,
        Alert.DoesNotExist,
        get_user_model().DoesNotExist,
    ):
        return None
    return subject, user
