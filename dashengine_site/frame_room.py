"""Room on the interpreter's frame stack for each request.

CPython keeps Python frames in chunks of 16 KB and (before the fix of
python/cpython#142183 in 3.13 and 3.14 releases of 2026) frees a chunk as soon as
the frame that opened it returns. Code that calls small functions in a loop right
at a chunk's edge then maps and unmaps memory on every call. Whether an app's loop
sits on an edge depends on how deep the server's own frames are, not on the app:
Stock Today's callback, reached through Django's middleware, made about 240 `munmap`
calls a request, 3 ms of its 18, where plain Dash under gunicorn made about none.

`call_with_room` calls its function from a frame so large that CPython opens a
128 KB chunk for it, with about 70 KB left above it: a request's frames (Django's
middleware, the view, the app's callback, plotly and pandas below it) fit in that
chunk, far from its edge, whatever depth the call started at. It costs one chunk
per call, about 20 microseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Local variables of the frame: 8 bytes each. CPython gives a frame that needs more
# than 64 KB (with its 8 KB of minimum overhead) a chunk of 128 KB.
SLOTS = 7300


def _with_slots(slots: int) -> Callable[..., Any]:
    names = ", ".join(f"_{n}" for n in range(slots))
    # The names are never bound: being assigned somewhere makes them locals, which
    # size the frame; the dead branch costs nothing when it runs.
    source = "\n".join(
        [
            "def call_with_room(func, /, *args):",
            "    if False:",
            f"        {names} = ()",
            "    return func(*args)",
        ]
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{__name__}>", "exec"), namespace)
    return namespace["call_with_room"]


call_with_room: Callable[..., Any] = _with_slots(SLOTS)
call_with_room.__doc__ = "`func(*args)`, called from a frame that opens a roomy chunk of the frame stack."


class WithRoom:
    """A WSGI application whose every call runs with room (`call_with_room`)."""

    def __init__(self, app: Callable[..., Any]):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        return call_with_room(self.app, environ, start_response)
