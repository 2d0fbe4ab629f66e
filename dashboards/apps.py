from django.apps import AppConfig
from django.conf import settings

# Imported with the app registry, before django_plotly_dash patches dash.
from dashboards.hosting import compat  # noqa: F401


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self):
        from dashboards import checks, registry, signals  # noqa: F401  (registers checks and signals)
        from dashboards.memo import memo_store_install
        from dashkit.spec import use_data_dir

        use_data_dir(settings.DATA_DIR)
        memo_store_install()

        # Dashboards defined in code get their database row after every migrate.
        signals.connect_post_migrate(self)
        # Every worker loads its Dash apps once, before its first request.
        registry.catalogue()
