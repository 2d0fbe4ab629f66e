"""Static files for Dash's own bundles (React, dash-renderer, dcc, plotly.js)."""

from __future__ import annotations

import os
from pathlib import Path

import dash
import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.utils import get_files
from django.core.files.storage import FileSystemStorage
from django_plotly_dash.finders import DashComponentFinder as _DashComponentFinder

# Versioned, so that every file below it can be cached for a year: an upgrade
# of dash or plotly changes the path. Async chunks that a bundle loads relative
# to its own address fall under it too.
BUNDLE_ROOT = f"dash-bundles/{dash.__version__}-{plotly.__version__}"
BUNDLE_DIRS = {
    "dash": (Path(dash.__file__).resolve().parent, ("dcc", "html", "dash_table", "deps", "dash-renderer")),
    "plotly": (Path(plotly.__file__).resolve().parent, ("package_data",)),
}


class DashBundleFinder(BaseFinder):
    """`dash-bundles/<versions>/<package>/<dir>/<file>` from the installed packages."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        prefix = BUNDLE_ROOT + "/"
        if not path.startswith(prefix):
            return [] if find_all else None
        package, _, rest = path[len(prefix) :].partition("/")
        root, dirs = BUNDLE_DIRS.get(package, (None, ()))
        found = None
        first = rest.split("/", 1)[0]
        if root is not None and first in dirs:
            candidate = (root / rest).resolve()
            allowed = candidate.is_relative_to(root / first) and candidate.suffix not in {".py", ".pyc"}
            if allowed and candidate.is_file():
                found = str(candidate)
        if find_all:
            return [found] if found else []
        return found

    def list(self, ignore_patterns):
        for package, (root, dirs) in BUNDLE_DIRS.items():
            for name in dirs:
                storage = FileSystemStorage(location=root / name)
                storage.prefix = f"{BUNDLE_ROOT}/{package}/{name}"
                if os.path.isdir(storage.location):
                    yield from (
                        (p, storage) for p in get_files(storage, [*(ignore_patterns or []), "*.py", "*.pyc"])
                    )


class DashComponentFinder(_DashComponentFinder):
    """django-plotly-dash's finder, for the redirects of its own views.

    WhiteNoise lists the finders with `ignore_patterns=None`, which the
    django-plotly-dash finder cannot add to its own list.
    """

    def list(self, ignore_patterns):
        return super().list(ignore_patterns or [])
