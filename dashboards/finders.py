from django_plotly_dash.finders import DashComponentFinder as _DashComponentFinder


class DashComponentFinder(_DashComponentFinder):
    """Dash's bundles (React, dash-renderer, dcc, plotly.js) as static files.

    WhiteNoise lists the finders with `ignore_patterns=None`, which the
    django-plotly-dash finder cannot add to its own list.
    """

    def list(self, ignore_patterns):
        return super().list(ignore_patterns or [])
