"""Serve one catalogue module as plain Dash, alone: `python tests/plain_dash.py MODULE PORT`.

Imports neither Django nor django_plotly_dash: this is the reference the
portal is compared with.
"""

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

module_name, port = sys.argv[1], int(sys.argv[2])
app = importlib.import_module(module_name).app
app.run(host="127.0.0.1", port=port, debug=False)
