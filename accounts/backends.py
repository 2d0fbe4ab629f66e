"""The user behind each request, read from the cache instead of the database.

Every request of a signed-in user loads that user (Django's `get_user`); for
Dash's small answers that query was a third of the portal's time per request.
The entry is dropped whenever the user is saved or deleted (password, active
flag, staff status...), so a change applies from the very next request; the
timeout only bounds changes made behind the ORM's back (`QuerySet.update`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

USER_CACHE_SECONDS = 300


def user_cache_key(user_id) -> str:
    return f"auth:user:{user_id}"


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)  # None for an unknown or inactive user
            if user is not None:
                cache.set(key, user, USER_CACHE_SECONDS)
        return user if user is not None and self.user_can_authenticate(user) else None


def forget_user(sender, instance, **kwargs) -> None:
    key = user_cache_key(instance.pk)
    cache.delete(key)
    # Again once the change is committed: a request between the two read the old row
    # and may have cached it.
    transaction.on_commit(lambda: cache.delete(key))


def connect_signals() -> None:
    """Called in AppConfig.ready: every process that saves users must drop their entries."""
    post_save.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.forget_user.save")
    post_delete.connect(forget_user, sender=get_user_model(), dispatch_uid="accounts.forget_user.delete")
