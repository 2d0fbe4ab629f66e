import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.testing import HttpCommunicator

from dashengine_site.asgi import application


def run_async(coroutine):
    # In a thread of its own: the browser tests keep an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.django_db(transaction=True)
def test_the_asgi_application_serves_django_pages():
    communicator = HttpCommunicator(application, "GET", "/accounts/login/", headers=[(b"host", b"localhost")])
    response = run_async(communicator.get_response())
    assert response["status"] == 200
    assert b"csrfmiddlewaretoken" in response["body"]
