from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("dashboards/<slug:slug>/", views.dashboard_page, name="dashboard"),
    path("dashboards/<slug:slug>/request-access/", views.request_access, name="request_access"),
    path("healthz", views.healthz, name="healthz"),
]
