from django.contrib import admin
from django.urls import include, path

from dashboards.hosting.views import app_urlpatterns

urlpatterns = [
    path("", include("dashboards.urls")),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("django_plotly_dash/", include((app_urlpatterns(), "the_django_plotly_dash"))),
]
