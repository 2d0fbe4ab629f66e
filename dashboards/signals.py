"""Invalidate cached permission decisions whenever their inputs change."""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver

from dashboards.access import access_changed
from dashboards.models import Dashboard, DashboardGrant


@receiver([post_save, post_delete], sender=DashboardGrant)
@receiver([post_save, post_delete], sender=Dashboard)
def _access_inputs_changed(**kwargs):
    access_changed()


@receiver(m2m_changed, sender=get_user_model().groups.through)
def _group_membership_changed(**kwargs):
    access_changed()


def sync_after_migrate(sender, **kwargs):
    from dashboards.services import dashboards_sync

    dashboards_sync()


def connect_post_migrate(app_config):
    post_migrate.connect(sync_after_migrate, sender=app_config)
