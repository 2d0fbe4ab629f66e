from django.contrib import admin
from django.urls import include, path
from django_plotly_dash import urls as dpd_urls

# Only django-plotly-dash's routes for apps defined in code (`app-...`): the
# database-instance routes and `add_stateless_apps` (which writes rows for any
# caller) are not part of the portal.
dash_patterns = [p for p in dpd_urls.urlpatterns if p.name.startswith("app-")]

urlpatterns = [
    path("", include("dashboards.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("django_plotly_dash/", include((dash_patterns, "the_django_plotly_dash"))),
]
