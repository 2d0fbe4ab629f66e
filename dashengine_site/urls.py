from django.contrib import admin
from django.urls import include, path
from django_plotly_dash import urls as dpd_urls

# django-plotly-dash's routes, less `add_stateless_apps`: it writes rows for
# any caller and the portal registers its apps itself.
dash_patterns = [p for p in dpd_urls.urlpatterns if p.name != "add_stateless_apps"]

urlpatterns = [
    path("", include("dashboards.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("django_plotly_dash/", include((dash_patterns, "the_django_plotly_dash"))),
]
