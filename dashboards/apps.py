from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"

    def ready(self):
        from dashboards import checks, integration  # noqa: F401  (registers the checks)

        # Every worker builds its Dash apps once, before its first request.
        integration.build_apps()
