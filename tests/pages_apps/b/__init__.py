"""Pages B: a Dash Pages app built in a module of its package, with a secret page."""

from .app import app  # noqa: F401
