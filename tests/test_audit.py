from dashboards.models import AuditEvent
from tests.test_callbacks import post_callback, stock_callback


def test_opening_a_dashboard_records_a_view_with_user_and_address(sales_client):
    sales_client.get("/dashboards/stocktoday/", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="view")
    assert (event.username, event.dashboard, event.ip) == ("sales", "stocktoday", "10.1.2.3")


def test_callbacks_are_not_logged_one_row_each(sales_client):
    body = stock_callback(sales_client)
    before = AuditEvent.objects.count()
    for _ in range(3):
        assert post_callback(sales_client, body).status_code == 200
    assert AuditEvent.objects.count() == before
