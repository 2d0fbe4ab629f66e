import datetime as dt

from dashboards.catalogue import stocktoday


def test_the_bundled_data_covers_five_tickers_and_nine_years():
    prices = stocktoday.prices()
    assert sorted(prices["stock"].unique()) == list(stocktoday.TICKERS)
    assert prices["date"].min().date() == stocktoday.FIRST_DAY
    assert prices["date"].max().date() == stocktoday.LAST_DAY


def test_the_data_function_filters_tickers_and_dates():
    params = {"tickers": ["IBM", "MSFT"], "start": dt.date(2015, 1, 1), "end": dt.date(2015, 1, 31)}
    frame = stocktoday.data(params)
    assert list(frame.columns) == ["date", "stock", "value", "change"]
    assert set(frame["stock"]) == {"IBM", "MSFT"}
    assert frame["date"].min().date() >= params["start"]
    assert frame["date"].max().date() <= params["end"]
    assert len(frame) == 2 * 20  # 20 trading days in January 2015


def test_the_figures_have_one_line_per_ticker():
    params = stocktoday.dashboard.clean({"tickers": ["AAPL", "SBUX", "GSPC"]})
    prices, changes = stocktoday.figures(stocktoday.data(params), params["tickers"])
    assert [t.name for t in prices.data] == ["AAPL", "SBUX", "GSPC"]
    assert [t.name for t in changes.data] == ["AAPL", "SBUX", "GSPC"]
    assert prices.layout.title.text == "Stock Prices"
    assert changes.layout.title.text == "Daily Change"


def test_the_summary_gives_last_price_and_change_over_the_range():
    params = {"tickers": ["AAPL"], "start": dt.date(2016, 2, 1), "end": dt.date(2016, 2, 29)}
    frame = stocktoday.data(params)
    [stat] = stocktoday.summary(frame, ["AAPL"])
    text = str(stat.to_plotly_json())
    first, last = frame["value"].iloc[0], frame["value"].iloc[-1]
    assert f"last {last:,.2f}" in text
    assert f"{(last / first - 1) * 100:+.1f}% over range" in text
