from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.oidc_provider import idp

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    # What an administrator of the provider does, for the tests (a bearer token of their own).
    path("control/application", idp.control_application),
    path("control/users/<str:username>", idp.control_user),
    path("control/users/<str:username>/sessions", idp.control_end_sessions),
]
