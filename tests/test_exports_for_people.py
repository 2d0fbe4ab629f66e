"""Downloads for people: a CSV with business column names and rounded values, the raw CSV
for analysts, an Excel workbook with formatted columns, a PDF and a PNG of the view with its
filters and period; each named for the data's period; each behind the same permission."""

import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboards.catalogue import stocktoday, timeseries
from dashboards.models import AuditEvent, Report

VIEW = "tickers=AAPL&tickers=GSPC&start=2016-02-01&end=2016-02-29"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def disposition(name: str) -> str:
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"


def test_the_csv_has_business_column_names_and_rounded_values(sales_client):
    response = sales_client.get(f"/dashboards/stocktoday/export.csv?{VIEW}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == disposition(
        "stock-today-aapl-gspc-2016-02-01-to-2016-02-29.csv"
    )
    lines = body(response).decode().splitlines()
    assert lines[0] == (
        "Date,Ticker,Close (USD; S&P 500 in points),Change on the day (USD; S&P 500 in points),"
        "Change on the day (%),Change since start (%)"
    )
    assert lines[1] == "2016-02-01,AAPL,95.91,-0.91,-0.93,0.0"
    assert lines[2] == "2016-02-02,AAPL,93.97,-1.94,-2.02,-2.0"  # not 93.970098, -0.020222
    assert lines[21] == "2016-02-01,S&P 500,1939.38,-0.86,-0.04,0.0"
    assert len(lines) == 1 + 2 * 20


def test_the_raw_csv_is_the_data_function_as_it_is(sales_client):
    response = sales_client.get(f"/dashboards/stocktoday/export-raw.csv?{VIEW}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition(
        "stock-today-aapl-gspc-2016-02-01-to-2016-02-29-raw.csv"
    )
    frame = pd.read_csv(io.BytesIO(body(response)), parse_dates=["date"])
    expected = stocktoday.data(
        stocktoday.dashboard.from_query(
            {"tickers": ["AAPL", "GSPC"], "start": ["2016-02-01"], "end": ["2016-02-29"]}
        )
    )
    pd.testing.assert_frame_equal(frame, expected)
    assert AuditEvent.objects.get(action="export").params["format"] == "raw"


def test_flags_and_means_read_as_words_and_whole_dollars(client_for):
    client = client_for("timeseries")
    response = client.get("/dashboards/timeseries/export.csv?series=revenue&resample=month")
    lines = body(response).decode().splitlines()
    assert lines[0] == (
        "Month from,Metric,Revenue (USD),28-month mean (USD),Standard deviations from the recent mean,"
        "Unusual,A year before (USD)"
    )
    assert lines[1].startswith("2023-01-01,Revenue,")
    first = timeseries.data(timeseries.dashboard.clean({"series": "revenue", "resample": "month"})).iloc[0]
    assert lines[1] == f"2023-01-01,Revenue,{first['value']:.1f},{first['rolling_mean']:.1f},,No,"


def test_a_file_without_dates_in_its_address_is_named_for_the_period_of_its_data(client_for):
    """Business Metrics has no date filter: its data ends on 2025-12-31, whatever today is."""
    client = client_for("timeseries")
    response = client.get("/dashboards/timeseries/export.csv?series=revenue")
    assert response["Content-Disposition"] == disposition(
        "business-metrics-revenue-day-2023-01-01-to-2025-12-31.csv"
    )


def test_a_reports_file_is_named_for_its_data_not_for_today(sales_client, sales):
    params = {"tickers": ["AAPL", "SBUX"], "start": "2012-03-01", "end": "2013-03-01"}
    sales_client.post(
        "/dashboards/stocktoday/reports/",
        {"name": "Tech pair", "visibility": "private", "params": json.dumps(params)},
    )
    report = Report.objects.get(owner=sales)
    response = sales_client.get(f"/reports/{report.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition(
        "stock-today-tech-pair-2012-03-01-to-2013-03-01.xlsx"
    )


def test_the_excel_workbook_has_formatted_columns_and_the_view_on_a_second_sheet(sales_client):
    response = sales_client.get(f"/dashboards/stocktoday/export.xlsx?{VIEW}&show=price")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == disposition(
        "stock-today-aapl-gspc-2016-02-01-to-2016-02-29.xlsx"
    )
    book = load_workbook(io.BytesIO(body(response)))
    assert book.sheetnames == ["Stock Today", "About"]
    data = book["Stock Today"]
    assert [cell.value for cell in data[1]] == [
        "Date",
        "Ticker",
        "Close (USD; S&P 500 in points)",
        "Change on the day (USD; S&P 500 in points)",
        "Change on the day (%)",
        "Change since start (%)",
    ]
    second = data[3]
    assert [cell.number_format for cell in second] == [
        "yyyy-mm-dd",
        "General",
        "#,##0.00",
        "#,##0.00",
        "0.00%",
        "0.0%",
    ]
    assert second[0].value.date().isoformat() == "2016-02-02"
    assert [cell.value for cell in second[1:]] == ["AAPL", 93.97, -1.94, -0.0202, -0.020]
    assert data.max_row == 1 + 2 * 20
    assert data.freeze_panes == "A2"
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Dashboard"] == "Stock Today"
    assert about["Tickers"] == "AAPL, S&P 500"
    assert about["Show"] == "Price"
    # These days are the data's month to date, as the period menu says: the rule, then the days.
    assert about["Period"] == "Month to date (2016-02-01 to 2016-02-29)"
    assert about["Exported"].endswith(" by sales from Dash Engine")


def test_the_pdf_prints_the_filters_and_the_period_above_the_charts(sales_client):
    response = sales_client.get(f"/dashboards/stocktoday/export.pdf?{VIEW}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == disposition(
        "stock-today-aapl-gspc-2016-02-01-to-2016-02-29.pdf"
    )
    assert response["Cache-Control"] == "private, no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Stock Today" in text
    assert "Tickers AAPL, S&P 500" in text
    assert "Show % change since start" in text
    assert "Period Month to date (2016-02-01 to 2016-02-29)" in text
    assert "Change since 2016-02-01" in text  # the first chart's title
    assert "Daily moves: share of trading days" in text
    event = AuditEvent.objects.get(action="export")
    assert event.params["format"] == "pdf"


def test_the_png_is_an_image_of_the_whole_view(sales_client):
    response = sales_client.get(f"/dashboards/stocktoday/export.png?{VIEW}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    png = response.content
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 1120 and height > 2 * 440  # the header and both charts


@pytest.mark.parametrize("path", ["export.xlsx", "export.pdf", "export.png", "export-raw.csv"])
def test_every_download_asks_the_one_permission_function(client, cast, path):
    assert client.get(f"/dashboards/stocktoday/{path}").status_code == 401
    client.force_login(cast["marketing"])  # not granted Stock Today
    response = client.get(f"/dashboards/stocktoday/{path}")
    assert response.status_code == 403
    assert response.content.decode() == "You do not have access to this dashboard."
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("path", ["export.xlsx", "export.pdf", "export.png", "export-raw.csv"])
def test_another_users_private_report_downloads_in_no_form(cast, client, path):
    client.force_login(cast["sales"])
    client.post("/dashboards/stocktoday/reports/", {"name": "r", "visibility": "private", "params": "{}"})
    client.force_login(cast["alice"])
    response = client.get(f"/reports/{Report.objects.get().pk}/{path}")
    assert response.status_code == 403
    assert response.content.decode() == "This report isn’t shared with you."


@pytest.mark.parametrize("path", ["export.xlsx", "export.pdf"])
def test_bad_parameters_get_a_plain_400_and_no_file(sales_client, path):
    response = sales_client.get(f"/dashboards/stocktoday/{path}?tickers=GOOG")
    assert response.status_code == 400
    assert response.content.decode() == (
        "This download's choices cannot be used. Tickers: choose at least one of the listed options. "
        "(Parameter tickers.)"
    )
    assert not AuditEvent.objects.filter(action="export").exists()


def test_without_chromium_the_picture_downloads_say_why(sales_client, monkeypatch):
    monkeypatch.setenv("CHROMIUM_PATH", "")
    monkeypatch.setattr("shutil.which", lambda name: None)
    response = sales_client.get(f"/dashboards/stocktoday/export.png?{VIEW}")
    assert response.status_code == 503
    assert response.content.decode() == (
        "Image and PDF downloads need Chromium on the server; ask your administrator."
    )
