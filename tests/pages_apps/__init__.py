"""Catalogue modules that would share Dash's process-wide state: Dash Pages apps
(two at `/`, one with a secret page) and a module using `dash.hooks`."""
