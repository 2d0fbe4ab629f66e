"""Every request runs with room on CPython's frame stack (dashengine_site/frame_room.py):
a loop of small calls costs no memory mapping, whatever depth it runs at."""

import asyncio
import io
import resource
import sys
from concurrent.futures import ThreadPoolExecutor

from channels.testing import HttpCommunicator

from dashengine_site.asgi import http_application
from dashengine_site.frame_room import WithRoom, call_with_room

CALLS = 1000


def small() -> int:
    # Unbound locals make its frame larger than one step of `at_depth`, so that some
    # depth of the sweep puts it across a chunk's edge whatever frames lie below.
    if False:
        a = b = c = d = e = f = g = h = i = j = k = l = m = n = o = p = q = r = s = t = None  # noqa: F841, E741
    return 1


def loop() -> None:
    # As a figure's deep copy or a DataFrame's accessors do: many calls one frame deeper.
    for _ in range(CALLS):
        small()


def at_depth(depth: int, func) -> None:
    if depth:
        return at_depth(depth - 1, func)
    return func()


def page_faults(call) -> int:
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    call()
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before


def worst_page_faults(run) -> int:
    """The most page faults one loop made, over enough depths to cross chunk edges."""
    return max(page_faults(lambda depth=depth: run(depth)) for depth in range(250))


def test_a_loop_at_a_chunk_edge_maps_memory_on_every_call_without_room():
    # What the room is for: at some depth each call opens (and faults in) a new chunk.
    assert worst_page_faults(lambda depth: at_depth(depth, loop)) >= CALLS


def test_a_loop_called_with_room_maps_no_memory_at_any_depth():
    assert worst_page_faults(lambda depth: call_with_room(at_depth, depth, loop)) < 50


def test_call_with_room_passes_the_arguments_and_the_answer():
    assert call_with_room(divmod, 17, 5) == (3, 2)


def test_every_request_through_the_asgi_bridge_runs_with_room():
    seen = []

    def wsgi_app(environ, start_response):
        frame, codes = sys._getframe(), set()
        while frame is not None:
            codes.add(frame.f_code)
            frame = frame.f_back
        seen.append(call_with_room.__code__ in codes)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    communicator = HttpCommunicator(http_application(wsgi_app), "GET", "/anything")
    with ThreadPoolExecutor(max_workers=1) as pool:  # the browser tests keep a loop in this thread
        response = pool.submit(asyncio.run, communicator.get_response()).result()
    assert (response["status"], response["body"], seen) == (200, b"ok", [True])


def test_every_request_through_the_wsgi_entry_point_runs_with_room():
    from django.core.handlers.wsgi import WSGIHandler

    from dashengine_site.wsgi import application

    assert isinstance(application, WithRoom) and isinstance(application.app, WSGIHandler)
    answer = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/livez",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }
    body = b"".join(application(environ, lambda status, headers: answer.append(status)))
    assert (answer, body) == (["200 OK"], b'{"status": "ok"}')
