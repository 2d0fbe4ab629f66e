import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator

from dashengine_site.asgi import application


@pytest.mark.django_db(transaction=True)
def test_the_asgi_application_serves_django_pages():
    communicator = HttpCommunicator(application, "GET", "/accounts/login/", headers=[(b"host", b"localhost")])
    response = async_to_sync(communicator.get_response)()
    assert response["status"] == 200
    assert b"csrfmiddlewaretoken" in response["body"]
