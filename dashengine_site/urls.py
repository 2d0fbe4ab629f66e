from django.contrib import admin
from django.urls import include, path

from dashboards.hosting.views import app_urlpatterns
from dashengine_site import metrics, views

urlpatterns = [
    path("", include("dashboards.urls")),
    path("livez", views.livez, name="livez"),
    path("readyz", views.readyz, name="readyz"),
    # The single check of earlier versions, kept for load balancers that use it.
    path("healthz", views.readyz, name="healthz"),
    # Prometheus: only with the token or from an allowed address (dashengine_site.metrics).
    path("metrics", metrics.metrics_view, name="metrics"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("django_plotly_dash/", include((app_urlpatterns(), "the_django_plotly_dash"))),
]

handler500 = views.server_error
