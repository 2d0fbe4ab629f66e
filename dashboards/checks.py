"""System checks for the dashboard catalogue, run by every manage.py command."""

from __future__ import annotations

import re
from collections import Counter

from django.core.checks import Error, Warning, register

from dashboards import registry
from dashboards.spec import Dashboard, component_ids

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_dashboards(dashboards: list[Dashboard]) -> list[Error]:
    errors = []
    counts = Counter(d.slug for d in dashboards)
    for slug, count in sorted(counts.items()):
        if count > 1:
            errors.append(
                Error(
                    f"Dashboard slug {slug!r} is declared {count} times.",
                    id="dashboards.E001",
                    hint="Give each dashboard module its own slug.",
                )
            )
    for dashboard in dashboards:
        if not SLUG_RE.match(dashboard.slug):
            errors.append(
                Error(
                    f"Dashboard slug {dashboard.slug!r} is not URL-safe.",
                    id="dashboards.E002",
                    hint="Use lower-case letters, digits and single hyphens.",
                )
            )
        ids = component_ids(dashboard.build_layout())
        for param in dashboard.params:
            if param.name not in ids:
                errors.append(
                    Error(
                        f"Dashboard {dashboard.slug!r}: parameter {param.name!r} has no input "
                        f"component with id {param.name!r} in the layout.",
                        id="dashboards.E003",
                    )
                )
    return errors


@register()
def catalogue_check(app_configs=None, **kwargs):
    catalogue = registry.catalogue()
    messages = check_dashboards(catalogue.discovered)
    messages += [
        Warning(f"Catalogue module {name} declares no `dashboard`.", id="dashboards.W001")
        for name in catalogue.without_dashboard
    ]
    return messages
