"""Business Metrics (time series) as a plain Dash app, from the same module the portal serves.

    python examples/timeseries.py            # http://127.0.0.1:8050
    gunicorn examples.timeseries:server      # the same app under gunicorn

No Django settings are needed. Never import django_plotly_dash here: it
patches dash for the whole process.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboards.catalogue.timeseries import dashboard  # noqa: E402
from dashkit.spec import standalone_app  # noqa: E402

app = standalone_app(dashboard)
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8050, debug="--debug" in sys.argv)
