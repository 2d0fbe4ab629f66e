import datetime as dt
import math

from dashboards.catalogue import stocktoday


def test_the_bundled_data_covers_five_tickers_and_nine_years():
    prices = stocktoday.prices()
    assert sorted(prices["stock"].unique()) == list(stocktoday.TICKERS)
    assert prices["date"].min().date() == stocktoday.FIRST_DAY
    assert prices["date"].max().date() == stocktoday.LAST_DAY


def test_the_data_function_filters_tickers_and_dates():
    params = {"tickers": ["IBM", "MSFT"], "start": dt.date(2015, 1, 1), "end": dt.date(2015, 1, 31)}
    frame = stocktoday.data(params)
    assert list(frame.columns) == ["date", "stock", "value", "change", "change_pct", "since_start"]
    assert set(frame["stock"]) == {"IBM", "MSFT"}
    assert frame["date"].min().date() >= params["start"]
    assert frame["date"].max().date() <= params["end"]
    assert len(frame) == 2 * 20  # 20 trading days in January 2015


def test_changes_are_computed_from_the_closes():
    params = {"tickers": ["AAPL"], "start": dt.date(2007, 1, 3), "end": dt.date(2007, 1, 5)}
    frame = stocktoday.data(params)
    assert frame["value"].round(2).tolist() == [11.09, 11.33, 11.25]
    # The first day of the data has no day before it.
    assert math.isnan(frame["change"].iloc[0]) and math.isnan(frame["change_pct"].iloc[0])
    assert frame["change"].iloc[1:].tolist() == [0.246075, -0.080703]
    assert frame["change_pct"].iloc[1:].tolist() == [0.022196, -0.007121]
    assert frame["since_start"].tolist() == [0.0, 0.022196, 0.014916]


def test_a_range_starting_later_indexes_to_its_own_first_day():
    params = {"tickers": ["IBM"], "start": dt.date(2015, 1, 2), "end": dt.date(2015, 1, 31)}
    frame = stocktoday.data(params)
    assert frame["since_start"].iloc[0] == 0.0
    assert not math.isnan(frame["change_pct"].iloc[0])  # the day before the range is known


def test_the_first_chart_shows_the_change_since_the_start_for_every_ticker():
    params = stocktoday.dashboard.clean({"tickers": ["AAPL", "SBUX", "GSPC"]})
    assert params["show"] == "change"
    since, moves = stocktoday.figures(stocktoday.data(params), params)
    assert [t.name for t in since.data] == ["AAPL", "SBUX", "S&P 500"]
    assert since.layout.title.text == "Change since 2007-01-03"
    assert since.layout.yaxis.tickformat == "+.1%"
    assert since.data[0].hovertemplate == "%{y:+.1%} (%{customdata:$,.2f})"
    assert since.data[2].hovertemplate == "%{y:+.1%} (%{customdata:,.0f} points)"


def test_the_price_view_puts_the_sp_500_on_an_axis_of_its_own():
    params = stocktoday.dashboard.clean({"tickers": ["AAPL", "GSPC"], "show": "price"})
    prices, _ = stocktoday.figures(stocktoday.data(params), params)
    assert prices.layout.title.text == "Closing price"
    assert [(t.name, t.yaxis) for t in prices.data] == [("AAPL", "y"), ("S&P 500", "y2")]
    assert prices.layout.yaxis.title.text == "Price (USD)"
    assert prices.layout.yaxis.tickformat == "$,.2f"
    assert prices.layout.yaxis2.title.text == "S&P 500 (points)"
    assert prices.layout.yaxis2.side == "right"
    assert prices.layout.yaxis2.tickformat == ",.0f"
    assert prices.data[0].hovertemplate == "%{y:$,.2f}"
    assert prices.data[1].hovertemplate == "%{y:,.0f} points"


def test_the_sp_500_alone_is_drawn_in_points_on_the_left():
    params = stocktoday.dashboard.clean({"tickers": ["GSPC"], "show": "price"})
    prices, _ = stocktoday.figures(stocktoday.data(params), params)
    assert prices.layout.yaxis.title.text == "S&P 500 (points)"
    assert [t.yaxis for t in prices.data] == ["y"]


def test_daily_moves_are_a_dozen_bars_per_ticker_not_thousands_of_points():
    params = stocktoday.dashboard.clean({"tickers": ["AAPL", "IBM"]})
    frame = stocktoday.data(params)
    _, moves = stocktoday.figures(frame, params)
    assert moves.layout.title.text == "Daily moves: share of trading days"
    assert [t.type for t in moves.data] == ["bar", "bar"]
    aapl = moves.data[0]
    assert [words for words, _ in aapl.customdata] == [
        "−5% or less",
        "−5% to −4%",
        "−4% to −3%",
        "−3% to −2%",
        "−2% to −1%",
        "−1% to 0%",
        "0% to +1%",
        "+1% to +2%",
        "+2% to +3%",
        "+3% to +4%",
        "+4% to +5%",
        "+5% or more",
    ]
    assert list(aapl.x) == [
        -0.055,
        -0.045,
        -0.035,
        -0.025,
        -0.015,
        -0.005,
        0.005,
        0.015,
        0.025,
        0.035,
        0.045,
        0.055,
    ]
    assert list(moves.layout.xaxis.ticktext) == [
        "−5%",
        "−4%",
        "−3%",
        "−2%",
        "−1%",
        "0%",
        "+1%",
        "+2%",
        "+3%",
        "+4%",
        "+5%",
    ]
    known = frame.loc[frame["stock"] == "AAPL", "change_pct"].dropna()
    assert sum(count for _, count in aapl.customdata) == len(known) == 2304  # every day but the first
    assert round(sum(aapl.y), 9) == 1.0
    assert moves.layout.yaxis.tickformat == ".0%"
    assert aapl.hovertemplate == "%{customdata[0]}: %{y:.0%} of days (%{customdata[1]:,})<extra>AAPL</extra>"


def test_the_summary_gives_last_price_and_change_since_the_start():
    params = {"tickers": ["AAPL", "GSPC"], "start": dt.date(2016, 2, 1), "end": dt.date(2016, 2, 29)}
    frame = stocktoday.data(params)
    aapl, sp500 = stocktoday.summary(frame, ["AAPL", "GSPC"])
    assert str(aapl.children[0].children) == "AAPL"
    assert aapl.children[1] == "$96.69 "
    assert aapl.children[2].children == "+0.8% since start"
    assert sp500.children[0].children == "S&P 500"
    assert sp500.children[1] == "1,932 points "
    assert sp500.children[2].children == "−0.4% since start"


def test_the_ticker_list_names_the_sp_500():
    layout = stocktoday.layout(stocktoday.dashboard.defaults())
    tickers = layout.children[0].children[0].children[1]
    assert tickers.options[1] == {"label": "S&P 500", "value": "GSPC"}
