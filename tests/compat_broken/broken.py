"""Raises while it is imported."""

raise RuntimeError("this module is broken on purpose")
