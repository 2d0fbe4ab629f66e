"""Websocket routes. Each consumer checks `dashboards.access.can_view` before it accepts."""

from django.urls import path

from dashboards.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/dashboards/<slug:slug>/live/", LiveConsumer.as_asgi()),
]
