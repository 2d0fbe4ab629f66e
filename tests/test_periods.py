"""Relative periods: a view, report or link that says "last 90 days" keeps saying it,
and its dates follow the data as new days arrive."""

import datetime as dt

import pytest

from dashboards.deliveries import choices_text
from dashkit.dates import DatePresets, preset_range
from dashkit.spec import Dashboard, Date, ParamError

D = dt.date


@pytest.fixture
def data_ends():
    """The data's last day, as a data source that grows would tell it."""
    return {"last": D(2025, 12, 31)}


@pytest.fixture
def board(data_ends):
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


def test_the_default_view_is_the_last_90_days_of_the_data(board):
    assert dates(board.clean({})) == ("last-90", D(2025, 10, 3), D(2025, 12, 31))


def test_a_report_saved_as_the_last_90_days_shows_the_new_last_90_days_once_new_data_arrives(
    board, data_ends
):
    saved = {"date-preset": "last-90", "start": "2025-10-03", "end": "2025-12-31"}
    assert dates(board.clean(saved)) == ("last-90", D(2025, 10, 3), D(2025, 12, 31))
    data_ends["last"] = D(2026, 3, 31)
    assert dates(board.clean(saved)) == ("last-90", D(2026, 1, 1), D(2026, 3, 31))


def test_custom_dates_stay_as_chosen_and_so_do_dates_saved_before_the_period_existed(board, data_ends):
    data_ends["last"] = D(2026, 3, 31)
    custom = {"date-preset": "custom", "start": "2024-02-01", "end": "2024-02-29"}
    assert dates(board.clean(custom)) == ("custom", D(2024, 2, 1), D(2024, 2, 29))
    older = {"start": "2024-02-01", "end": "2024-02-29"}
    assert dates(board.clean(older)) == ("custom", D(2024, 2, 1), D(2024, 2, 29))


def test_dates_without_a_rule_take_the_rule_the_menu_shows_for_them_but_an_explicit_custom_stays(
    board, data_ends
):
    older = {"start": "2025-10-03", "end": "2025-12-31"}  # the last 90 days, saved before periods
    assert dates(board.clean(older)) == ("last-90", D(2025, 10, 3), D(2025, 12, 31))
    chosen = {**older, "date-preset": "custom"}
    data_ends["last"] = D(2026, 3, 31)
    assert dates(board.clean(chosen)) == ("custom", D(2025, 10, 3), D(2025, 12, 31))


def test_a_link_keeps_the_rule_and_shows_its_dates_while_custom_links_stay_as_they_were(board):
    relative = board.clean({"date-preset": "previous-month"})
    assert board.to_query(relative) == [
        ("date-preset", "previous-month"),
        ("start", "2025-11-01"),
        ("end", "2025-11-30"),
    ]
    custom = board.clean({"start": "2024-02-01", "end": "2024-02-29"})
    assert board.to_query(custom) == [("start", "2024-02-01"), ("end", "2024-02-29")]
    assert board.from_query({"date-preset": ["last-30"], "start": ["2024-01-01"]})["start"] == D(2025, 12, 2)


def test_an_unknown_period_is_refused_with_the_choices(board):
    with pytest.raises(ParamError, match="'last-9' is not one of last-7, last-30"):
        board.clean({"date-preset": "last-9"})


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


def test_a_scheduled_email_names_the_rule_and_the_days_it_gives(board, data_ends):
    data_ends["last"] = D(2026, 3, 31)
    params = board.clean({"date-preset": "last-90"})
    assert board.period_words(params) == "Last 90 days (1 Jan 2026 to 31 Mar 2026)"
    assert choices_text(board, params) == [
        ("Period", "Last 90 days"),
        ("From", "1 Jan 2026"),
        ("To", "31 Mar 2026"),
    ]
    custom = board.clean({"start": "2024-02-01", "end": "2024-02-29"})
    assert board.period_words(custom) == "1 Feb 2024 to 29 Feb 2024"
    assert ("Period", "Custom") not in choices_text(board, custom)  # the dates say it


# ---- The catalogue's dashboards keep periods relative -------------------------------


@pytest.mark.django_db
def test_a_stock_today_link_with_a_period_opens_its_days_with_the_menu_showing_the_rule(sales_client):
    from tests.test_reports import app_state

    html = sales_client.get("/dashboards/stocktoday/?tickers=IBM&date-preset=last-90").content.decode()
    state = app_state(sales_client, html)
    # The data ends on 29 Feb 2016: its last 90 days start on 2 Dec 2015.
    assert (state["date-preset.value"], state["start.date"], state["end.date"]) == (
        "last-90",
        "2015-12-02",
        "2016-02-29",
    )
    assert "?tickers=IBM&amp;date-preset=last-90&amp;start=2015-12-02&amp;end=2016-02-29" in html


@pytest.mark.django_db
def test_a_report_saved_as_a_period_keeps_the_rule_and_the_list_shows_rule_and_days(sales_client, sales):
    from dashboards.models import Report
    from tests.test_reports import save

    save(sales_client, name="Last quarter", params={"tickers": ["IBM"], "date-preset": "previous-month"})
    report = Report.objects.get(owner=sales)
    assert report.params == {
        "tickers": ["IBM"],
        "date-preset": "previous-month",
        "start": "2016-01-01",
        "end": "2016-01-31",
        "show": "change",
    }
    listed = sales_client.get("/reports/").content.decode()
    assert '<td class="report-period">Previous month (1 Jan 2016 to 31 Jan 2016)</td>' in listed


@pytest.mark.django_db
def test_the_funnel_offers_the_same_periods_and_its_default_is_all_its_dates():
    from dashboards.catalogue import funnel

    params = funnel.dashboard.clean({"date-preset": "month"})
    assert (params["start"], params["end"]) == (D(2025, 12, 1), D(2025, 12, 31))
    assert funnel.dashboard.clean({})["date-preset"] == "all"
