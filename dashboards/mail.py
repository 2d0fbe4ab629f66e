"""E-mails about access requests and shared reports, sent only when the site has an e-mail server (`EMAIL_HOST`).

A mail that cannot be sent is logged and dropped: the decision it tells of is
already made, and the requester still sees it on their next visit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail

from dashboards.models import AccessRequest, Report

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(settings.EMAIL_HOST)


def _send(*, subject: str, body: str, to: Sequence[str]) -> int:
    if not mail_configured() or not to:
        return 0
    try:
        return send_mail(subject, body, None, list(to))
    except Exception:  # noqa: BLE001 - any transport failure; the page must not fail for it
        log.warning("Could not send the e-mail %r to %d recipient(s)", subject, len(to), exc_info=True)
        return 0


def _who(user) -> str:
    name = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return f"{name} ({user.get_username()})" if name else user.get_username()


def mail_new_request(*, access_request: AccessRequest, to: Sequence[str], review_url: str) -> int:
    """Tells the admins who decide requests that one is waiting."""
    dashboard = access_request.dashboard.title
    lines = [f"{_who(access_request.user)} asks for access to {dashboard}."]
    if access_request.reason:
        lines += ["", "Their reason:", access_request.reason]
    lines += ["", f"Approve or deny it here: {review_url}"]
    return _send(subject=f"Access request: {dashboard}", body="\n".join(lines), to=to)


def mail_decision(*, access_request: AccessRequest, dashboard_url: str) -> int:
    """Tells the requester what was decided, with the admin's note."""
    email = access_request.user.email
    dashboard = access_request.dashboard.title
    if access_request.status == AccessRequest.Status.APPROVED:
        subject = f"You now have access to {dashboard}"
        lines = [f"Your request for access to {dashboard} was approved."]
        if dashboard_url:
            lines += ["", f"Open it: {dashboard_url}"]
    else:
        subject = f"Your request for access to {dashboard}"
        lines = [f"Your request for access to {dashboard} was declined."]
    if access_request.note:
        lines += ["", "Note from the administrator:", access_request.note]
    return _send(subject=subject, body="\n".join(lines), to=[email] if email else [])


def mail_report_shared(*, report: Report, shared_by: str, report_url: str, to: Sequence[str]) -> int:
    """Tells the people a report was just shared with (one message each: no one sees the
    others' addresses)."""
    dashboard = report.dashboard.title
    subject = f"{shared_by} shared “{report.name}” with you"
    body = "\n".join(
        [
            f"{shared_by} shared the report “{report.name}” on {dashboard} with you.",
            "",
            f"Open it: {report_url}",
            "",
            "You will also find it under “Shared with you” on your Reports page.",
        ]
    )
    return sum(_send(subject=subject, body=body, to=[address]) for address in to)
