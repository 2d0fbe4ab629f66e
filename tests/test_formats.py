"""The kit's formats: one declaration reads the same on an axis, in a tooltip, in a key
figure and in the exports; every catalogue dashboard draws with its declared formats."""

import datetime as dt
import math

import pandas as pd
import pytest

from dashboards.catalogue import abtest, funnel, publicapi, stocktoday, timeseries
from dashkit import formats


@pytest.mark.parametrize(
    ("fmt", "value", "text"),
    [
        (formats.money(), 25083.4, "$25,083"),
        (formats.money(), -1234.6, "−$1,235"),
        (formats.money(2), 96.6899, "$96.69"),
        (formats.money(0, currency="EUR", symbol="€"), 1500, "€1,500"),
        (formats.percent(1), 0.12345, "12.3%"),
        (formats.percent(1), -0.00001, "0.0%"),  # rounds to nothing: no sign
        (formats.percent(1, signed=True), 7.721, "+772.1%"),
        (formats.percent(2, points=True, signed=True), -3.1, "−3.10%"),
        (formats.number(), 9628151, "9,628,151"),
        (formats.number(2, signed=True), 0.79, "+0.79"),
        (formats.compact(), 9628151, "9.63M"),
        (formats.compact(), 25083, "25.1K"),
        (formats.compact(), 999, "999"),
        (formats.compact(), 1.5e9, "1.5B"),
        (formats.date(), pd.Timestamp("2025-12-31"), "2025-12-31"),
        (formats.flag(), True, "Yes"),
        (formats.flag(), False, "No"),
        (formats.text({"GSPC": "S&P 500"}), "GSPC", "S&P 500"),
        (formats.text({"GSPC": "S&P 500"}), "IBM", "IBM"),
        (formats.money(), math.nan, "—"),
        (formats.percent(), None, "—"),
    ],
)
def test_a_value_reads_as_people_write_it(fmt, value, text):
    assert fmt.text(value) == text


def test_money_on_a_chart_is_dollars_with_thousands_separators():
    money = formats.money()
    assert money.axis() == {"tickformat": "$,.0f", "hoverformat": "$,.0f"}
    assert money.hover() == "%{y:$,.0f}"
    assert money.hover("customdata") == "%{customdata:$,.0f}"
    assert money.excel() == '"$"#,##0;-"$"#,##0'


def test_another_currency_puts_its_symbol_in_front():
    euro = formats.money(2, currency="EUR", symbol="€")
    assert euro.axis() == {"tickformat": ",.2f", "hoverformat": ",.2f", "tickprefix": "€"}
    assert euro.hover() == "€%{y:,.2f}"


def test_percentages_carry_their_sign_on_the_axis():
    fractions = formats.percent(1)
    assert fractions.axis() == {"tickformat": ".1%", "hoverformat": ".1%"}
    assert fractions.hover("x") == "%{x:.1%}"
    assert fractions.excel() == "0.0%"
    points = formats.percent(2, points=True, signed=True)
    assert points.axis() == {"tickformat": "+,.2f", "hoverformat": "+,.2f", "ticksuffix": "%"}
    assert points.hover() == "%{y:+,.2f}%"
    assert points.excel() == "0.00%"


def test_compact_numbers_are_short_on_the_axis_and_whole_in_the_tooltip():
    assert formats.compact().axis() == {"tickformat": "~s", "hoverformat": ",.0f"}
    assert formats.compact().hover() == "%{y:,.0f}"


def test_dates_read_as_iso_days():
    assert formats.date().axis() == {"tickformat": "%b %Y", "hoverformat": "%Y-%m-%d"}
    assert formats.date().hover("x") == "%{x|%Y-%m-%d}"
    assert formats.date().excel() == "yyyy-mm-dd"


def test_the_business_frame_renames_rounds_and_words_the_columns():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-02"]),
            "rolling_mean": [100.15652299999999, 25083.5],
            "share": [0.123456, 0.5],
            "anomaly": [True, False],
            "note": ["a", "b"],
        }
    )
    columns = [
        formats.Column("date", "Date", formats.date()),
        formats.Column("rolling_mean", "28-day mean", formats.money()),
        formats.Column("share", "Share", formats.percent(1)),
        formats.Column("anomaly", "Unusual", formats.flag()),
    ]
    out = formats.business_frame(frame, columns)
    assert list(out.columns) == ["Date", "28-day mean (USD)", "Share (%)", "Unusual", "note"]
    assert out.to_dict("list") == {
        "Date": ["2025-01-01", "2025-01-02"],
        "28-day mean (USD)": [100.0, 25084.0],
        "Share (%)": [12.3, 50.0],
        "Unusual": ["Yes", "No"],
        "note": ["a", "b"],
    }


def test_a_period_reads_as_two_days_or_one():
    assert formats.period_text(dt.date(2024, 1, 1), dt.date(2025, 12, 31)) == "2024-01-01 to 2025-12-31"
    assert formats.period_text(dt.date(2025, 1, 1), dt.date(2025, 1, 1)) == "2025-01-01"
    assert formats.period_text(None, None) == ""


# -- the catalogue draws with its declared formats ---------------------------------------


def test_business_metrics_shows_revenue_in_dollars_everywhere():
    params = timeseries.dashboard.clean({"series": "revenue"})
    frame = timeseries.data(params)
    fig = timeseries.series_figure(frame, params)
    assert fig.layout.yaxis.tickformat == "$,.0f"
    assert fig.layout.yaxis.title.text == "Revenue"
    assert {trace.name: trace.hovertemplate for trace in fig.data[:3]} == {
        "A year before": "%{y:$,.0f}",
        "Revenue": "%{y:$,.0f}",
        "28-day mean": "%{y:$,.0f}",
    }
    latest = timeseries.summary(frame, params)[0]
    assert latest.children[1] == f"${frame['value'].iloc[-1]:,.0f} (2025-12-31)"
    assert latest.children[1] == "$29,546 (2025-12-31)"


def test_business_metrics_counts_sign_ups_as_whole_numbers():
    params = timeseries.dashboard.clean({"series": "signups"})
    frame = timeseries.data(params)
    fig = timeseries.series_figure(frame, params)
    assert fig.layout.yaxis.tickformat == ",.0f"
    assert timeseries.summary(frame, params)[0].children[1] == "913 sign-ups (2025-12-31)"
    assert timeseries.summary(frame, params)[1].children[1].children == "+36.8%"


def test_the_ab_test_chart_reads_in_percent():
    params = abtest.dashboard.clean({})
    fig = abtest.cumulative_figure(abtest.data(params), params["metric"])
    assert fig.layout.yaxis.tickformat == ".1%"
    assert [t.hovertemplate for t in fig.data if t.name in ("A", "B")] == ["%{y:.2%}", "%{y:.2%}"]


def test_exchange_rates_read_as_signed_percent_changes():
    params = publicapi.dashboard.clean({})
    fig = publicapi.change_figure(publicapi.data(params), params)
    assert fig.layout.yaxis.tickformat == "+,.2f"
    assert fig.layout.yaxis.ticksuffix == "%"
    assert fig.data[0].hovertemplate == "%{y:+,.2f}% (%{customdata:,.4f} per EUR)"


def test_the_funnel_table_reads_counts_and_rates():
    params = funnel.dashboard.clean({})
    table = str(funnel.view(params)[1].to_plotly_json())
    assert "9,628,151" in table and "5.1%" in table and "0.44%" in table and "+0.79" in table


def test_stock_today_declares_what_its_columns_are():
    assert [c.header for c in stocktoday.COLUMNS] == [
        "Date",
        "Ticker",
        "Close (USD; S&P 500 in points)",
        "Change on the day (USD; S&P 500 in points)",
        "Change on the day (%)",
        "Change since start (%)",
    ]
