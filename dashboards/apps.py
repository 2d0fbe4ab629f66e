from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self):
        from dashboards import checks, integration, signals  # noqa: F401  (registers checks and signals)

        # Dashboards defined in code get their database row after every migrate.
        signals.connect_post_migrate(self)
        # Every worker builds its Dash apps once, before its first request.
        integration.build_apps()
