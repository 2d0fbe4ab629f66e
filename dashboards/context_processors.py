"""What every page of a signed-in user may carry about access requests.

Runs when a page is rendered, so Dash routes, CSV downloads and the like never
spend anything on it: a cache read per page, a query only when a decision waits.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from dashboards.models import AccessRequest
from dashboards.selectors import (
    can_review_access_requests,
    pending_access_request_count,
    shared_news_count_for_user,
)
from dashboards.services import access_request_decisions_take


def _decision_message(access_request: AccessRequest) -> str:
    dashboard = access_request.dashboard
    if access_request.status == AccessRequest.Status.APPROVED:
        text = format_html(
            'Your request was approved: you can now open <a href="{}">{}</a>.',
            reverse("dashboard", args=[dashboard.slug]),
            dashboard.title,
        )
    else:
        text = format_html("Your request for access to {} was declined.", dashboard.title)
    if access_request.note:
        text = format_html("{} Note from the administrator: “{}”", text, access_request.note)
    return text


def access_requests(request: HttpRequest) -> dict:
    """Tells a requester of decisions once (a message on this page), and gives staff who
    decide requests `pending_access_requests`, the number waiting, computed only if shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Without the messages middleware (a bare RequestFactory) nobody would see them: keep them.
    if hasattr(request, "_messages"):
        for decided in access_request_decisions_take(user=user):
            level = messages.SUCCESS if decided.status == AccessRequest.Status.APPROVED else messages.INFO
            messages.add_message(request, level, _decision_message(decided))
    if can_review_access_requests(user):
        return {"pending_access_requests": functools.cache(pending_access_request_count)}
    return {}


def shared_reports(request: HttpRequest) -> dict:
    """`shared_news`: how many reports were shared with the user that they have not opened
    (the Reports link's count), computed only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"shared_news": functools.cache(lambda: shared_news_count_for_user(user=user))}
