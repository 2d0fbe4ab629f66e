"""WSGI entry point, for a WSGI server other than the Procfile's (which serves
`asgi.py`): each request runs with room on the frame stack, as there (`frame_room.py`)."""

import os

from django.core.wsgi import get_wsgi_application

from dashengine_site.frame_room import WithRoom

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashengine_site.settings")
application = WithRoom(get_wsgi_application())
