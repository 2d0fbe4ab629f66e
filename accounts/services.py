"""Writes of the accounts app, as keyword-only functions."""

from __future__ import annotations

from accounts.models import User


def theme_set(*, user: User, theme: str) -> None:
    """Store the user's theme; `theme` must be one of `User.Theme`'s values."""
    if theme not in User.Theme.values:
        raise ValueError(f"unknown theme {theme!r}")
    user.theme = theme
    user.save(update_fields=["theme"])
