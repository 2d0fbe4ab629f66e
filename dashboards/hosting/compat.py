"""django-plotly-dash patches dash and plotly for the whole process when it is
imported: `dash._callback.register_callback` (its own dispatch, without
`dash.ctx`, background callbacks or `allow_duplicate`) and plotly's JSON
encoder. The portal serves real Dash apps, so both go back to the originals.

Also: `dash.get_asset_url()` and `dash.get_relative_path()` read a module-wide
config that is the last app built; here each reads the app serving the request.
"""

from __future__ import annotations

import dash._callback
import dash._get_app
import dash._get_paths
import plotly.io.json

_register_callback = dash._callback.register_callback
_to_json_plotly = plotly.io.json.to_json_plotly

import django_plotly_dash  # noqa: E402, F401  (applies its patches)
import django_plotly_dash._callback  # noqa: E402, F401

dash._callback.register_callback = _register_callback
plotly.io.json.to_json_plotly = _to_json_plotly


class _ServingAppConfig:
    """`dash._get_paths.CONFIG`, resolved to the config of the app serving the request."""

    def __init__(self, fallback):
        self._fallback = fallback

    def _config(self):
        try:
            return dash._get_app.app_context.get().config
        except LookupError:
            return self._fallback

    def __getattr__(self, name):
        return getattr(self._config(), name)

    def __getitem__(self, name):
        return self._config()[name]

    def get(self, name, default=None):
        return self._config().get(name, default)


def install_serving_app_config(fallback) -> None:
    if not isinstance(dash._get_paths.CONFIG, _ServingAppConfig):
        dash._get_paths.CONFIG = _ServingAppConfig(fallback)
