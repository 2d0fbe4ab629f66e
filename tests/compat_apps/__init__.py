"""Plain Dash apps, one per feature group, used only by the tests: each runs alone
(`python tests/compat_apps/<name>.py`) and in the portal, and must behave the same."""
