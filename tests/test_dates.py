"""Date presets count back from the data's last day and never start before its first."""

import datetime as dt

import pytest

from dashboards.catalogue import funnel, stocktoday
from dashkit.dates import CUSTOM, DatePresets, preset_for, preset_range
from dashkit.spec import component_ids, standalone_app

D = dt.date


def presets(first: dt.date, last: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    names = ("last-7", "last-30", "last-90", "month", "year", "all")
    return {name: preset_range(name, first=first, last=last) for name in names}


def test_every_preset_of_stock_today_ends_on_the_datas_last_day_not_today():
    assert presets(D(2007, 1, 3), D(2016, 2, 29)) == {
        "last-7": (D(2016, 2, 23), D(2016, 2, 29)),
        "last-30": (D(2016, 1, 31), D(2016, 2, 29)),
        "last-90": (D(2015, 12, 2), D(2016, 2, 29)),
        "month": (D(2016, 2, 1), D(2016, 2, 29)),
        "year": (D(2016, 1, 1), D(2016, 2, 29)),
        "all": (D(2007, 1, 3), D(2016, 2, 29)),
    }


@pytest.mark.parametrize(
    ("last", "month_to_date"),
    [
        (D(2016, 3, 1), (D(2016, 3, 1), D(2016, 3, 1))),  # the first of a month: that day alone
        (D(2016, 2, 29), (D(2016, 2, 1), D(2016, 2, 29))),  # a leap day ends the month
        (D(2015, 12, 31), (D(2015, 12, 1), D(2015, 12, 31))),
    ],
)
def test_month_to_date_at_month_boundaries(last, month_to_date):
    assert preset_range("month", first=D(2007, 1, 3), last=last) == month_to_date


@pytest.mark.parametrize(
    ("last", "year_to_date"),
    [
        (D(2016, 1, 1), (D(2016, 1, 1), D(2016, 1, 1))),  # New Year's Day: that day alone
        (D(2015, 12, 31), (D(2015, 1, 1), D(2015, 12, 31))),  # the whole year
        (D(2016, 2, 1), (D(2016, 1, 1), D(2016, 2, 1))),
    ],
)
def test_year_to_date_at_year_boundaries(last, year_to_date):
    assert preset_range("year", first=D(2007, 1, 3), last=last) == year_to_date


def test_presets_never_start_before_the_datas_first_day():
    assert presets(D(2016, 2, 20), D(2016, 2, 29)) == {
        "last-7": (D(2016, 2, 23), D(2016, 2, 29)),
        "last-30": (D(2016, 2, 20), D(2016, 2, 29)),
        "last-90": (D(2016, 2, 20), D(2016, 2, 29)),
        "month": (D(2016, 2, 20), D(2016, 2, 29)),
        "year": (D(2016, 2, 20), D(2016, 2, 29)),
        "all": (D(2016, 2, 20), D(2016, 2, 29)),
    }


def test_all_covers_every_day_of_the_data_even_a_single_one():
    assert preset_range("all", first=D(2024, 1, 1), last=D(2025, 12, 31)) == (D(2024, 1, 1), D(2025, 12, 31))
    assert preset_range("all", first=D(2024, 5, 5), last=D(2024, 5, 5)) == (D(2024, 5, 5), D(2024, 5, 5))


def test_an_unknown_preset_and_data_that_ends_before_it_starts_are_refused():
    with pytest.raises(ValueError, match="'last-365' is not a date preset"):
        preset_range("last-365", first=D(2007, 1, 3), last=D(2016, 2, 29))
    with pytest.raises(ValueError, match="comes after its last day"):
        preset_range("all", first=D(2016, 3, 1), last=D(2016, 2, 29))
    with pytest.raises(ValueError, match="comes after its last day"):
        DatePresets(first=D(2016, 3, 1), last=D(2016, 2, 29))


@pytest.mark.parametrize(
    ("start", "end", "preset"),
    [
        (D(2016, 1, 31), D(2016, 2, 29), "last-30"),
        ("2015-12-02", "2016-02-29", "last-90"),  # as the date pickers send them
        ("2016-02-01T00:00:00", "2016-02-29T00:00:00", "month"),
        (D(2007, 1, 3), D(2016, 2, 29), "all"),
        ("2016-01-15", "2016-02-29", CUSTOM),  # a first day of one's own
        ("2016-01-31", "2016-02-28", CUSTOM),  # ends before the data's last day
        ("yesterday", "2016-02-29", CUSTOM),
        (None, "2016-02-29", CUSTOM),
    ],
)
def test_dates_show_the_preset_they_match_or_custom(start, end, preset):
    assert preset_for(start, end, first=D(2007, 1, 3), last=D(2016, 2, 29)) == preset


def test_when_presets_give_the_same_days_the_widest_name_is_shown():
    # 60 days of data: the last 90 days are all of it, and so is the year to date.
    assert preset_for(D(2016, 1, 1), D(2016, 2, 29), first=D(2016, 1, 1), last=D(2016, 2, 29)) == "all"
    # The data ends on New Year's Day: the month and the year to date are that one day.
    assert preset_for(D(2016, 1, 1), D(2016, 1, 1), first=D(2007, 1, 3), last=D(2016, 1, 1)) == "year"


def test_the_period_menu_lists_the_presets_and_shows_custom_without_offering_it():
    menu = stocktoday.DATE_PRESETS.control("2016-01-15", "2016-02-29").children[1]
    assert menu.id == "date-preset"
    assert menu.value == CUSTOM
    assert [(o["label"], o.get("disabled", False)) for o in menu.options] == [
        ("Last 7 days", False),
        ("Last 30 days", False),
        ("Last 90 days", False),
        ("Last 12 weeks", False),
        ("Last 12 months", False),
        ("Month to date", False),
        ("Previous month", False),
        ("Year to date", False),
        ("All dates", False),
        ("Custom", True),
    ]
    assert stocktoday.DATE_PRESETS.control(D(2007, 1, 3), D(2016, 2, 29)).children[1].value == "all"


@pytest.mark.parametrize("module", [stocktoday, funnel])
def test_every_catalogue_dashboard_with_a_date_range_offers_the_presets_wired_to_its_pickers(module):
    assert {"date-preset", "start", "end"} <= component_ids(module.dashboard.build_layout())
    assert (module.DATE_PRESETS.first, module.DATE_PRESETS.last) == (module.FIRST_DAY, module.LAST_DAY)
    wiring = standalone_app(module.dashboard).callback_map["..start.date...end.date...date-preset.value.."]
    assert [(i["id"], i["property"]) for i in wiring["inputs"]] == [
        ("date-preset", "value"),
        ("start", "date"),
        ("end", "date"),
    ]


def test_reset_puts_back_each_parameter_default_in_the_property_its_component_holds():
    assert stocktoday.dashboard.default_props == {
        "tickers": {"value": ["AAPL"]},
        "date-preset": {"value": "all"},
        "start": {"date": "2007-01-03"},
        "end": {"date": "2016-02-29"},
        "show": {"value": "change"},
    }
