"""Plain-text refusals for data endpoints (Dash routes, CSV downloads).

Never a login page or an HTML error: dash-renderer, or a download link, would
take it for data.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dashboards import registry
from dashboards.access import can_view
from dashkit.spec import Dashboard


def plain_text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def viewable_dashboard(
    request: HttpRequest, slug: str, *, sign_in: str
) -> tuple[Dashboard, None] | tuple[None, HttpResponse]:
    """The dashboard `slug` if the user may view it, else the refusal to answer with."""
    # Signed in first: an anonymous caller learns nothing, not even which slugs exist.
    if not request.user.is_authenticated:
        return None, plain_text(401, sign_in)
    dashboard = registry.get(slug)
    if dashboard is None:
        return None, plain_text(404, "No such dashboard.")
    if not can_view(user=request.user, dashboard=dashboard):
        return None, plain_text(403, "You do not have access to this dashboard.")
    return dashboard, None
