"""Relative periods: a view, report or link that says "last 90 days" keeps saying it,
and its dates follow the data as new days arrive."""

import datetime as dt

import pytest

from dashboards.deliveries import choices_text, period_text
from dashkit.dates import DatePresets, preset_range
from dashkit.spec import Dashboard, Date, ParamError

D = dt.date


@pytest.fixture
def data_ends():
    """The data's last day, as a data source that grows would tell it."""
    return {"last": D(2025, 12, 31)}


@pytest.fixture
def sales(data_ends):
    presets = DatePresets(first=D(2024, 1, 1), last=lambda: data_ends["last"])
    return Dashboard(
        slug="sales",
        title="Sales",
        description="",
        category="Sales",
        params=(
            presets.param(default="last-90"),
            Date(name="start", label="From", min=D(2024, 1, 1), max=D(2030, 12, 31), default=D(2024, 1, 1)),
            Date(name="end", label="To", min=D(2024, 1, 1), max=D(2030, 12, 31), default=D(2025, 12, 31)),
        ),
    )


def dates(params: dict) -> tuple:
    return params["date-preset"], params["start"], params["end"]


def test_the_default_view_is_the_last_90_days_of_the_data(sales):
    assert dates(sales.clean({})) == ("last-90", D(2025, 10, 3), D(2025, 12, 31))


def test_a_report_saved_as_the_last_90_days_shows_the_new_last_90_days_once_new_data_arrives(
    sales, data_ends
):
    saved = {"date-preset": "last-90", "start": "2025-10-03", "end": "2025-12-31"}
    assert dates(sales.clean(saved)) == ("last-90", D(2025, 10, 3), D(2025, 12, 31))
    data_ends["last"] = D(2026, 3, 31)
    assert dates(sales.clean(saved)) == ("last-90", D(2026, 1, 1), D(2026, 3, 31))


def test_custom_dates_stay_as_chosen_and_so_do_dates_saved_before_the_period_existed(sales, data_ends):
    data_ends["last"] = D(2026, 3, 31)
    custom = {"date-preset": "custom", "start": "2024-02-01", "end": "2024-02-29"}
    assert dates(sales.clean(custom)) == ("custom", D(2024, 2, 1), D(2024, 2, 29))
    older = {"start": "2024-02-01", "end": "2024-02-29"}
    assert dates(sales.clean(older)) == ("custom", D(2024, 2, 1), D(2024, 2, 29))


def test_a_link_keeps_the_rule_and_shows_its_dates_while_custom_links_stay_as_they_were(sales):
    relative = sales.clean({"date-preset": "previous-month"})
    assert sales.to_query(relative) == [
        ("date-preset", "previous-month"),
        ("start", "2025-11-01"),
        ("end", "2025-11-30"),
    ]
    custom = sales.clean({"start": "2024-02-01", "end": "2024-02-29"})
    assert sales.to_query(custom) == [("start", "2024-02-01"), ("end", "2024-02-29")]
    assert sales.from_query({"date-preset": ["last-30"], "start": ["2024-01-01"]})["start"] == D(2025, 12, 2)


def test_an_unknown_period_is_refused_with_the_choices(sales):
    with pytest.raises(ParamError, match="'last-9' is not one of last-7, last-30"):
        sales.clean({"date-preset": "last-9"})


@pytest.mark.parametrize(
    ("preset", "last", "expected"),
    [
        ("last-12-weeks", D(2025, 12, 31), (D(2025, 10, 9), D(2025, 12, 31))),
        ("last-12-months", D(2025, 12, 31), (D(2025, 1, 1), D(2025, 12, 31))),
        ("last-12-months", D(2028, 2, 29), (D(2027, 3, 1), D(2028, 2, 29))),  # a leap day
        ("previous-month", D(2025, 12, 31), (D(2025, 11, 1), D(2025, 11, 30))),
        ("previous-month", D(2025, 3, 1), (D(2025, 2, 1), D(2025, 2, 28))),
        ("previous-month", D(2024, 1, 15), (D(2024, 1, 1), D(2024, 1, 1))),  # before the data: its first day
    ],
)
def test_the_new_presets_count_from_the_datas_last_day(preset, last, expected):
    assert preset_range(preset, first=D(2024, 1, 1), last=last) == expected


def test_a_scheduled_email_names_the_rule_and_the_days_it_gives(sales, data_ends):
    data_ends["last"] = D(2026, 3, 31)
    params = sales.clean({"date-preset": "last-90"})
    assert period_text(sales, params) == "Last 90 days (1 Jan 2026 to 31 Mar 2026)"
    assert choices_text(sales, params) == [
        ("Period", "Last 90 days"),
        ("From", "1 Jan 2026"),
        ("To", "31 Mar 2026"),
    ]
    custom = sales.clean({"start": "2024-02-01", "end": "2024-02-29"})
    assert period_text(sales, custom) == "1 Feb 2024 to 29 Feb 2024"
