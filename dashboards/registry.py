"""The dashboards defined in code: one module per dashboard in a catalogue package.

Discovery imports every module of the packages in `DASHBOARD_PACKAGES` once per
process and keeps the `dashboard` each one declares. Adding a dashboard is
adding a module; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

from dashboards.spec import Dashboard


@dataclass
class Catalogue:
    # Every declared dashboard in discovery order, duplicates included, so
    # that the system checks can report them.
    discovered: list[Dashboard] = field(default_factory=list)
    # Modules of a catalogue package that declare no `dashboard`.
    without_dashboard: list[str] = field(default_factory=list)
    by_slug: dict[str, Dashboard] = field(default_factory=dict)


_catalogue: Catalogue | None = None


def discover(packages: list[str]) -> Catalogue:
    catalogue = Catalogue()
    for package_name in packages:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.startswith("_") or info.ispkg:
                continue
            module = importlib.import_module(f"{package_name}.{info.name}")
            dashboard = getattr(module, "dashboard", None)
            if not isinstance(dashboard, Dashboard):
                catalogue.without_dashboard.append(module.__name__)
                continue
            catalogue.discovered.append(dashboard)
            catalogue.by_slug.setdefault(dashboard.slug, dashboard)
    return catalogue


def catalogue() -> Catalogue:
    """The process-wide catalogue, discovered on first use."""
    global _catalogue
    if _catalogue is None:
        from django.conf import settings

        _catalogue = discover(settings.DASHBOARD_PACKAGES)
    return _catalogue


def get(slug: str) -> Dashboard | None:
    return catalogue().by_slug.get(slug)


def all_dashboards() -> list[Dashboard]:
    return list(catalogue().by_slug.values())
