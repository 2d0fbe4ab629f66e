import pandas as pd
import pytest

from dashboards.catalogue import timeseries
from tests.dash_requests import portal_callback, portal_callback_response

DEFAULTS = timeseries.dashboard.defaults()


def params(**changes):
    return timeseries.dashboard.clean({**DEFAULTS, **changes})


def test_the_generated_history_covers_three_years_of_every_series_and_is_the_same_each_time():
    history = timeseries.history()
    assert set(history["series"]) == set(timeseries.SERIES)
    assert history["date"].min().date() == timeseries.FIRST_DAY
    assert history["date"].max().date() == timeseries.LAST_DAY
    assert len(history) == 3 * 1096  # 2024 is a leap year
    timeseries.history.cache_clear()
    pd.testing.assert_frame_equal(history, timeseries.history())


def test_the_history_has_a_weekly_cycle_and_grows_from_year_to_year():
    signups = timeseries.history().query("series == 'signups'").set_index("date")["value"]
    weekend = signups[signups.index.day_of_week >= 5].mean()
    weekday = signups[signups.index.day_of_week < 5].mean()
    assert weekend < 0.85 * weekday
    yearly = signups.groupby(signups.index.year).mean()
    assert yearly[2023] < yearly[2024] < yearly[2025]


@pytest.mark.parametrize(("resample", "rows"), [("day", 1096), ("week", 156), ("month", 36)])
def test_resampling_gives_one_row_per_whole_period(resample, rows):
    frame = timeseries.data(params(resample=resample))
    assert len(frame) == rows
    assert list(frame.columns) == [
        "date",
        "series",
        "value",
        "rolling_mean",
        "zscore",
        "anomaly",
        "value_year_before",
    ]


def test_weeks_and_months_add_up_counts_and_average_levels():
    daily = timeseries.history().set_index("date")
    month = timeseries.data(params(resample="month", series="signups")).set_index("date")
    january = daily.loc["2024-01", :].query("series == 'signups'")["value"]
    assert month.loc["2024-01-01", "value"] == pytest.approx(january.sum())
    users = timeseries.data(params(resample="month", series="active_users")).set_index("date")
    january = daily.loc["2024-01", :].query("series == 'active_users'")["value"]
    assert users.loc["2024-01-01", "value"] == pytest.approx(january.mean())


def test_the_rolling_z_score_flags_a_point_far_from_the_previous_window():
    values = [100.0, 102, 98, 101, 99, 100, 250, 101]
    frame = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=8), "series": "signups", "value": values}
    )
    original = timeseries.history
    timeseries.history = lambda: frame
    try:
        out = timeseries.data(params(window=4, threshold=3.0, resample="day"))
    finally:
        timeseries.history = original
    assert out["anomaly"].tolist() == [False] * 6 + [True, False]
    previous = pd.Series(values[2:6])
    assert out["zscore"].iloc[6] == pytest.approx((250 - previous.mean()) / previous.std(), abs=0.01)


def test_the_year_before_lines_up_with_the_same_weekday_a_year_earlier():
    frame = timeseries.data(params(resample="day")).set_index("date")
    day = pd.Timestamp("2025-06-10")
    assert frame.loc[day, "value_year_before"] == frame.loc[day - pd.Timedelta(days=364), "value"]


def test_the_chart_shows_the_series_its_mean_the_year_before_and_anomalies(client_for):
    answer = portal_callback(client_for("timeseries"), "timeseries")
    names = [trace["name"] for trace in answer["series-chart"]["figure"]["data"]]
    assert names == ["A year before", "Sign-ups", "28-day mean", "Anomaly"]
    anomalies = answer["series-chart"]["figure"]["data"][3]
    assert len(anomalies["x"]) == int(timeseries.data(params())["anomaly"].sum()) > 0
    assert answer["message"]["children"] == ""


def test_changing_the_metric_and_period_redraws_without_the_year_before(client_for):
    answer = portal_callback(
        client_for("timeseries"),
        "timeseries",
        **{"series.value": "revenue", "resample.value": "month", "window.value": 3, "yoy.value": "off"},
    )
    figure = answer["series-chart"]["figure"]
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Revenue", "3-month mean", "Anomaly"]
    assert len(figure["data"][0]["x"]) == 36
    assert figure["layout"]["title"]["text"] == "Revenue per month"


def test_an_emptied_window_box_is_explained_in_the_page(client_for):
    answer = portal_callback(client_for("timeseries"), "timeseries", **{"window.value": None})
    assert "window" in answer["message"]["children"]


def test_a_window_outside_the_spec_gets_400_naming_it(client_for):
    response = portal_callback_response(client_for("timeseries"), "timeseries", **{"window.value": 1000})
    assert response.status_code == 400
    assert b"window" in response.content


def test_the_live_feed_is_wired_in_the_browser_not_on_the_server(client_for):
    client = client_for("timeseries")
    dependencies = client.get("/django_plotly_dash/app/timeseries/_dash-dependencies").json()
    live = [d for d in dependencies if "live" in d["output"]]
    assert live and all(d.get("clientside_function") for d in live)
    assert "/ws/dashboards/timeseries/live/" in timeseries.LIVE_CONNECT_JS


def test_the_csv_is_the_resampled_series_on_screen(client_for):
    response = client_for("timeseries").get(
        "/dashboards/timeseries/export.csv?series=revenue&resample=week&window=4&threshold=2.5&yoy=on"
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == (
        "Week from,Metric,Revenue (USD),4-week mean (USD),Standard deviations from the recent mean,"
        "Unusual,A year before (USD)"
    )
    assert len(text.splitlines()) == 1 + 156


def test_the_raw_csv_keeps_the_data_functions_column_names(client_for):
    response = client_for("timeseries").get(
        "/dashboards/timeseries/export-raw.csv?series=revenue&resample=week&window=4&threshold=2.5&yoy=on"
    )
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == "date,series,value,rolling_mean,zscore,anomaly,value_year_before"
    assert len(text.splitlines()) == 1 + 156


def test_a_user_without_a_grant_cannot_open_it(viewer, client):
    client.force_login(viewer)
    assert client.get("/dashboards/timeseries/").status_code == 403


def test_the_gallery_marks_it_live(client_for):
    page = client_for("timeseries").get("/").content.decode()
    assert "Business Metrics" in page
    assert 'class="badge badge-live"' in page
