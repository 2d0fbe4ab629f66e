"""The dashboards defined in code: one module (or package) per dashboard in a catalogue package.

Discovery (`dashboards.hosting.loader`) imports every module of the packages in
`DASHBOARD_PACKAGES` once per process. Adding a dashboard is adding a module;
nothing else changes. A module that fails to load is kept out, with its
traceback, for the system checks and the admin.
"""

from __future__ import annotations

import dash

from dashboards.hosting.loader import Catalogue, discover
from dashkit.spec import Dashboard

_catalogue: Catalogue | None = None


def catalogue() -> Catalogue:
    """The process-wide catalogue, discovered on first use."""
    global _catalogue
    if _catalogue is None:
        from django.conf import settings

        _catalogue = discover(settings.DASHBOARD_PACKAGES)
    return _catalogue


def get(slug: str) -> Dashboard | None:
    hosted = catalogue().by_slug.get(slug)
    return hosted.dashboard if hosted else None


def app(slug: str) -> dash.Dash:
    return catalogue().by_slug[slug].app


def module(slug: str) -> str:
    """The catalogue module that defines the dashboard `slug`."""
    return catalogue().by_slug[slug].module


def all_dashboards() -> list[Dashboard]:
    return [hosted.dashboard for hosted in catalogue().by_slug.values()]
