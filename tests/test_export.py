"""CSV export: exactly the data behind the view, streamed, safe to open in a spreadsheet."""

import io
import json

import pandas as pd
import pytest
from django.test import Client

from dashboards.catalogue.stocktoday import dashboard as stocktoday
from dashboards.exports import csv_chunks
from dashboards.models import AuditEvent, Report


def read_csv(response) -> pd.DataFrame:
    body = b"".join(response.streaming_content)
    return pd.read_csv(io.BytesIO(body), parse_dates=["date"])


def expected(params) -> pd.DataFrame:
    return stocktoday.data(stocktoday.clean(params))


def test_the_raw_export_is_the_data_function_output_for_the_url_parameters(sales_client):
    response = sales_client.get(
        "/dashboards/stocktoday/export-raw.csv?tickers=IBM&tickers=MSFT&start=2015-01-01"
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    name = "stock-today-ibm-msft-2015-01-01-to-2016-02-29-raw.csv"
    assert response["Content-Disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    frame = read_csv(response)
    pd.testing.assert_frame_equal(frame, expected({"tickers": ["IBM", "MSFT"], "start": "2015-01-01"}))
    event = AuditEvent.objects.get(action="export")
    assert event.row_count == len(frame)
    assert event.params["tickers"] == ["IBM", "MSFT"]


def test_the_raw_export_of_a_report_equals_the_data_function_for_its_parameters(sales_client, sales):
    params = {"tickers": ["AAPL", "SBUX"], "start": "2012-03-01", "end": "2013-03-01"}
    sales_client.post(
        "/dashboards/stocktoday/reports/",
        {"name": "r", "visibility": "private", "params": json.dumps(params)},
    )
    report = Report.objects.get(owner=sales)
    response = sales_client.get(f"/reports/{report.pk}/export-raw.csv")
    assert response.status_code == 200
    pd.testing.assert_frame_equal(read_csv(response), expected(params))


@pytest.mark.parametrize("query", ["tickers=GOOG", "colour=red", "start=soon", "end=2030-01-01"])
def test_bad_export_parameters_get_400_naming_the_parameter(sales_client, query):
    response = sales_client.get(f"/dashboards/stocktoday/export.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert query.split("=")[0] in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_exports_refuse_in_plain_text_never_a_login_page(client, cast):
    assert client.get("/dashboards/stocktoday/export.csv").status_code == 401
    client.force_login(cast["marketing"])
    response = client.get("/dashboards/stocktoday/export.csv")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert client.get("/dashboards/nope/export.csv").status_code == 404
    assert Client().get("/reports/1/export.csv").status_code == 401


def test_another_users_private_report_does_not_export(cast):
    owner = Client()
    owner.force_login(cast["sales"])
    owner.post("/dashboards/stocktoday/reports/", {"name": "r", "visibility": "private", "params": "{}"})
    other = Client()
    other.force_login(cast["alice"])
    response = other.get(f"/reports/{Report.objects.get().pk}/export.csv")
    assert response.status_code == 403
    assert response.content.decode() == "This report isn’t shared with you."
    assert other.get("/reports/999999/export.csv").status_code == 404


def test_cells_that_look_like_formulas_are_neutralised():
    frame = pd.DataFrame(
        {"name": ["=HYPERLINK(1)", "+1", "-2", "@x", "plain", None], "n": [1, -2, 3, 4, 5, 6]}
    )
    text = "".join(csv_chunks(frame, chunk_rows=4))
    assert text.splitlines() == ["name,n", "'=HYPERLINK(1),1", "'+1,-2", "'-2,3", "'@x,4", "plain,5", ",6"]


def test_large_frames_are_written_a_chunk_at_a_time():
    frame = pd.DataFrame({"i": range(10)})
    chunks = list(csv_chunks(frame, chunk_rows=3))
    assert len(chunks) == 1 + 4  # header and four chunks
    assert pd.read_csv(io.StringIO("".join(chunks)))["i"].tolist() == list(range(10))
