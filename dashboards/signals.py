"""The catalogue's rows follow its modules after every migrate."""

from django.db.models.signals import post_migrate


def sync_after_migrate(sender, **kwargs):
    from dashboards.services import dashboards_sync

    dashboards_sync()


def connect_post_migrate(app_config):
    post_migrate.connect(sync_after_migrate, sender=app_config)
