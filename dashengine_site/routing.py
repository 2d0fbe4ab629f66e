# Websocket routes. Live dashboards add their consumers here; each consumer
# checks `dashboards.access.can_view` before it accepts a connection.
websocket_urlpatterns: list = []
