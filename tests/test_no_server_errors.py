"""Requests the portal cannot serve get a 4xx answer, never a 500."""

from __future__ import annotations

import logging

import pytest
from channels.testing import WebsocketCommunicator

from dashboards.models import Dashboard, Report
from dashengine_site.asgi import application
from tests.test_asgi import run_async
from tests.test_compat import alice, compat  # noqa: F401  (fixtures)

NO_DATA = b"This dashboard has no data to download."


def test_exporting_a_dashboard_without_data_is_a_404_with_a_plain_message(alice):  # noqa: F811
    # `context` is a plain Dash app: no declared data function.
    response = alice.get("/dashboards/context/export.csv")
    assert (response.status_code, response.content) == (404, NO_DATA)
    assert response["Content-Type"].startswith("text/plain")


def test_exporting_a_report_of_a_dashboard_without_data_is_a_404_with_a_plain_message(alice, cast):  # noqa: F811
    report = Report.objects.create(
        owner=cast["alice"], dashboard=Dashboard.objects.get(slug="context"), name="No data", params={}
    )
    response = alice.get(f"/reports/{report.pk}/export.csv")
    assert (response.status_code, response.content) == (404, NO_DATA)


async def handshake(path: str) -> int | None:
    """The close code the client gets (None if the socket stays open)."""
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    if connected:
        message = await communicator.receive_output(timeout=5)
        code = message.get("code") if message["type"] == "websocket.close" else None
        await communicator.disconnect()
    return code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/anything/", "/dpd/ws/channel", "/ws/dashboards/stocktoday/nope/"])
def test_a_websocket_to_an_unknown_path_is_closed_with_4404_and_one_info_line(path, caplog):
    with caplog.at_level(logging.INFO):
        assert run_async(handshake(path)) == 4404
    [record] = [r for r in caplog.records if "Websocket refused" in r.getMessage()]
    assert (record.levelno, record.getMessage()) == (
        logging.INFO,
        f"Websocket refused: no route for {path!r}",
    )
    assert record.exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
