import datetime as dt

import pytest

from dashboards.catalogue.stocktoday import dashboard
from dashkit.spec import ParamError


def test_it_fills_in_defaults():
    params = dashboard.clean({})
    assert params == {
        "tickers": ["AAPL"],
        "date-preset": "all",
        "start": dt.date(2007, 1, 3),
        "end": dt.date(2016, 2, 29),
        "show": "change",
    }


def test_it_accepts_iso_dates_and_datetimes_from_date_pickers():
    params = dashboard.clean({"tickers": ["IBM", "IBM", "MSFT"], "start": "2010-01-04T00:00:00"})
    assert params["tickers"] == ["IBM", "MSFT"]
    assert params["start"] == dt.date(2010, 1, 4)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ({"colour": "red"}, "colour"),
        ({"tickers": ["GOOG"]}, "tickers"),
        ({"tickers": []}, "tickers"),
        ({"tickers": 3}, "tickers"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2010-01-04garbage"}, "start"),
        ({"start": "2001-01-01"}, "start"),
        ({"end": 20100101}, "end"),
    ],
)
def test_it_names_the_parameter_it_refuses(raw, name):
    with pytest.raises(ParamError) as error:
        dashboard.clean(raw)
    assert error.value.name == name
