"""The one place that touches Dash's and django-plotly-dash's internals.

A catalogue module is a plain Dash app (or a `dashkit.Dashboard` declaration,
turned into one). The portal hosts that very `dash.Dash` object: its own Flask
routes answer every Dash request, so callbacks, `dash.ctx`, pattern-matching
ids, `Patch`, `set_props`, assets and component libraries behave exactly as in
`python app.py`. Django stands in front: the URLconf routes
`/django_plotly_dash/app/<slug>/...` to `views.serve`, which checks the
permission, then hands the request to the app's WSGI callable.

- `compat`: undoes django-plotly-dash's process-wide patches of dash and plotly.
- `loader`: imports each catalogue module on its own, keeps its `@dash.callback`s
  for its app, records the modules that fail.
- `bundles`: component libraries' files as versioned static files, and each
  page naming only its own dashboard's libraries.
- `views`: the guarded Django views in front of each app.
- `guard`: the callback guard (the body's shape against the callback's declaration).
- `isolation`: Dash's process-wide state (Pages registry, hooks) scoped to each app.
"""

from dashboards.hosting import compat  # noqa: F401  (first: before any app is built)
