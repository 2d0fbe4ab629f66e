from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("dashboards/<slug:slug>/", views.dashboard_page, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
]
