"""System checks for the dashboard catalogue, run by every manage.py command."""

from __future__ import annotations

import os
import re
from collections import Counter

from django.core.checks import Error, Warning, register

from dashboards import registry
from dashboards.hosting.bundles import full_plotly_js, remote_resources
from dashboards.hosting.loader import Hosted
from dashkit.spec import component_ids

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_dashboards(entries: list[Hosted]) -> list[Error | Warning]:
    messages: list[Error | Warning] = []
    counts = Counter(e.dashboard.slug for e in entries)
    for slug, count in sorted(counts.items()):
        if count > 1:
            messages.append(
                Error(
                    f"Dashboard slug {slug!r} is declared {count} times.",
                    id="dashboards.E001",
                    hint="Give each dashboard module its own slug.",
                )
            )
    for entry in entries:
        dashboard = entry.dashboard
        if not SLUG_RE.match(dashboard.slug):
            messages.append(
                Error(
                    f"Dashboard slug {dashboard.slug!r} is not URL-safe.",
                    id="dashboards.E002",
                    hint="Use lower-case letters, digits and single hyphens.",
                )
            )
        ids = component_ids(entry.app._layout_value())
        for param in dashboard.params:
            if param.name not in ids:
                messages.append(
                    Error(
                        f"Dashboard {dashboard.slug!r}: parameter {param.name!r} has no input "
                        f"component with id {param.name!r} in the layout.",
                        id="dashboards.E003",
                    )
                )
        unknown = sorted(set(dashboard.traces) - full_plotly_js().traces)
        if unknown:
            messages.append(
                Error(
                    f"Dashboard {dashboard.slug!r} declares trace types plotly.js does not have: "
                    f"{', '.join(unknown)}.",
                    id="dashboards.E005",
                    hint="Name them as a figure's traces do (`type`), or leave `traces` empty.",
                )
            )
        for url in remote_resources(entry.app):
            messages.append(
                Warning(
                    f"Dashboard {dashboard.slug!r} loads {url} from another host; the portal "
                    "does not serve it, so its page goes without it.",
                    id="dashboards.W002",
                    hint="Put the file in the app's assets/ folder instead.",
                )
            )
        messages += _background_checks(entry)
    return messages


def _background_checks(entry: Hosted) -> list[Warning]:
    """An app whose own Celery app publishes where the portal's worker does not listen:
    its background callbacks would wait forever."""
    from dash import CeleryManager
    from django.conf import settings

    from dashboards.hosting import background

    messages = []
    for manager in background.managers_of(entry.app):
        if not isinstance(manager, CeleryManager):
            continue
        conf = manager.handle.conf
        if not settings.REDIS_URL:
            problem = "the site has no REDIS_URL, so no worker runs them"
        elif conf.broker_url != settings.REDIS_URL:
            problem = (
                f"its Celery app publishes to {conf.broker_url}, not to REDIS_URL, where the worker listens"
            )
        elif conf.task_default_queue != "celery" or conf.task_routes:
            problem = "its Celery app sends them to a queue of its own; the worker reads the default queue"
        else:
            continue
        messages.append(
            Warning(
                f"Dashboard {entry.dashboard.slug!r} has background callbacks on a Celery app of its own, "
                f"but {problem}.",
                id="dashboards.W005",
                hint="Build it as Dash's docs do: Celery(__name__, broker=os.environ['REDIS_URL'], "
                "backend=os.environ['REDIS_URL']), or give the app no manager (the portal's is used).",
            )
        )
    return messages


@register()
def catalogue_check(app_configs=None, **kwargs):
    catalogue = registry.catalogue()
    messages = check_dashboards(catalogue.discovered)
    # A warning, not an error: one dashboard that does not load must not stop
    # `migrate`, `runserver` or the release step for all the others.
    messages += [
        Warning(
            f"Catalogue module {name} failed to load; the other dashboards are served.\n{trace}",
            id="dashboards.W004",
            hint="Fix the module, or remove it from the catalogue.",
        )
        for name, trace in catalogue.failed.items()
    ]
    messages += [
        Warning(f"Catalogue module {name} defines no Dash app and no `dashboard`.", id="dashboards.W001")
        for name in catalogue.without_dashboard
    ]
    return messages


@register(deploy=True)
def catalogue_loads_check(app_configs=None, **kwargs):
    """Before a deploy (`check --deploy`), a module that does not load is an error:
    shipping it would leave its dashboard out."""
    return [
        Error(
            f"Catalogue module {name} failed to load (its traceback: dashboards.W004).",
            id="dashboards.E004",
            hint="Fix the module, or remove it from the catalogue, before deploying.",
        )
        for name in registry.catalogue().failed
    ]


@register(deploy=True)
def forwarded_allow_ips_check(app_configs=None, **kwargs):
    """`FORWARDED_ALLOW_IPS=*` lets any client choose the address the audit trail and
    the login throttling see."""
    if "*" in os.environ.get("FORWARDED_ALLOW_IPS", ""):
        return [
            Warning(
                "FORWARDED_ALLOW_IPS trusts every peer (*): any client can set its own address.",
                hint="List the addresses or networks of your proxies instead.",
                id="dashboards.W003",
            )
        ]
    return []
