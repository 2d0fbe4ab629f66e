"""Pages C: built like B, with a `pages/home.py` of its own."""

from .app import app  # noqa: F401
