"""Websocket routes. Each consumer checks `dashboards.access.can_view` before it accepts."""

import logging

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from dashboards.consumers import LiveConsumer

logger = logging.getLogger(__name__)

NO_SUCH_PATH = 4404  # close code: the websocket counterpart of a 404


class UnknownPath(AsyncWebsocketConsumer):
    """Any other path. Channels' router raises for a path it has no route for: a
    500 and a traceback in the log for every probe. A refusal is an answer, not a fault."""

    async def connect(self):
        logger.info("Websocket refused: no route for %r", self.scope.get("path", ""))
        # Accepted first: a close before the handshake reaches the client as a bare
        # HTTP 403, without the code that says why.
        await self.accept()
        await self.close(code=NO_SUCH_PATH)


websocket_urlpatterns = [
    path("ws/dashboards/<slug:slug>/live/", LiveConsumer.as_asgi()),
    # Last: whatever the routes above do not match.
    re_path(r"", UnknownPath.as_asgi()),
]
