import datetime as dt
import math

import pandas as pd
import pytest

from dashboards.catalogue import funnel
from tests.dash_requests import portal_callback, portal_callback_response

STAGES = ["visits", "signups", "trials", "purchases"]


def params(**overrides):
    return funnel.dashboard.clean(overrides)


def test_the_generated_data_covers_every_day_channel_and_country():
    frame = funnel.daily()
    assert list(frame.columns) == ["date", "channel", "country", *STAGES]
    assert frame["date"].min().date() == dt.date(2024, 1, 1)
    assert frame["date"].max().date() == dt.date(2025, 12, 31)
    assert set(frame["channel"]) == set(funnel.CHANNELS)
    assert set(frame["country"]) == set(funnel.COUNTRIES)
    assert len(frame) == 731 * 5 * 6
    assert not frame.duplicated(["date", "channel", "country"]).any()


def test_each_stage_is_a_whole_number_no_larger_than_the_stage_before():
    frame = funnel.daily()
    for stage in STAGES:
        assert pd.api.types.is_integer_dtype(frame[stage])
    assert (frame["visits"] > 0).all()
    assert (frame["signups"] <= frame["visits"]).all()
    assert (frame["trials"] <= frame["signups"]).all()
    assert (frame["purchases"] <= frame["trials"]).all()


def test_the_generated_data_is_the_same_every_time():
    first = funnel.daily().copy()
    funnel.daily.cache_clear()
    assert funnel.daily().equals(first)
    assert funnel.data(params()).equals(funnel.data(params()))


def test_visits_are_lower_at_weekends_and_peak_in_november_and_december():
    frame = funnel.daily()
    weekend = frame["date"].dt.day_of_week >= 5
    per_day = frame.groupby("date")["visits"].sum()
    assert frame.loc[weekend, "visits"].mean() < 0.8 * frame.loc[~weekend, "visits"].mean()
    by_month = per_day.groupby(per_day.index.month).mean()
    assert set(by_month.nlargest(2).index) == {11, 12}
    by_year = per_day.groupby(per_day.index.year).sum()
    assert by_year[2025] > by_year[2024]


def test_conversion_differs_by_channel_and_country():
    frame = funnel.daily()
    by_channel = frame.groupby("channel")[STAGES].sum()
    rate = by_channel["purchases"] / by_channel["visits"]
    assert rate["Email"] > 2 * rate["Social"]
    by_country = frame.groupby("country")[STAGES].sum()
    rate = by_country["purchases"] / by_country["visits"]
    assert rate["US"] > rate["IN"]


def test_the_data_function_returns_both_segments_in_the_date_range():
    chosen = params(
        channel="Email", country="UK", compare_channel="Social", compare_country="BR",
        start="2025-03-01", end="2025-03-31",
    )  # fmt: skip
    frame = funnel.data(chosen)
    assert list(frame.columns) == ["segment", "date", "channel", "country", *STAGES]
    assert list(frame["segment"].unique()) == ["A", "B"]
    assert (frame["segment"] == "A").sum() == (frame["segment"] == "B").sum() == 31
    assert frame["date"].min().date() == dt.date(2025, 3, 1)
    assert frame["date"].max().date() == dt.date(2025, 3, 31)
    daily = funnel.daily()
    source = daily[(daily["channel"] == "Email") & (daily["country"] == "UK")]
    source = source[source["date"].between("2025-03-01", "2025-03-31")]
    a = frame[frame["segment"] == "A"]
    assert set(a["channel"]) == {"Email"} and set(a["country"]) == {"UK"}
    assert a["visits"].tolist() == source["visits"].tolist()
    assert set(frame.loc[frame["segment"] == "B", "channel"]) == {"Social"}


def test_all_sums_every_channel_and_country_per_day():
    frame = funnel.data(params(start="2024-06-01", end="2024-06-07"))
    a = frame[frame["segment"] == "A"]
    assert set(a["channel"]) == {"All"} and set(a["country"]) == {"All"}
    daily = funnel.daily()
    week = daily[daily["date"].between("2024-06-01", "2024-06-07")]
    assert a["purchases"].tolist() == week.groupby("date")["purchases"].sum().tolist()
    # The default segment B is paid search in every country.
    b = frame[frame["segment"] == "B"]
    paid = week[week["channel"] == "Paid search"].groupby("date")["visits"].sum()
    assert b["visits"].tolist() == paid.tolist()


def test_the_funnel_table_of_a_tiny_frame():
    frame = pd.DataFrame(
        {
            "visits": [600, 400],
            "signups": [60, 40],  # 100 of 1000
            "trials": [30, 20],  # 50 of 100
            "purchases": [5, 5],  # 10 of 50
        }
    )
    table = funnel.funnel_table(frame)
    assert list(table.columns) == ["stage", "count", "step_rate", "overall_rate", "drop_off", "drop_off_rate"]
    assert table["stage"].tolist() == ["Visits", "Sign-ups", "Trials", "Purchases"]
    assert table["count"].tolist() == [1000, 100, 50, 10]
    assert math.isnan(table["step_rate"][0]) and math.isnan(table["drop_off"][0])
    assert table["step_rate"][1:].tolist() == pytest.approx([0.1, 0.5, 0.2])
    assert table["overall_rate"].tolist() == pytest.approx([1.0, 0.1, 0.05, 0.01])
    assert table["drop_off"][1:].tolist() == [900, 50, 40]
    assert table["drop_off_rate"][1:].tolist() == pytest.approx([0.9, 0.5, 0.8])


def test_the_funnel_table_of_no_visits_has_no_rates():
    empty = pd.DataFrame({stage: [0] for stage in STAGES})
    table = funnel.funnel_table(empty)
    assert table["count"].tolist() == [0, 0, 0, 0]
    assert table["overall_rate"].isna().all()
    assert table["step_rate"].isna().all()


def test_the_summary_and_table_show_both_segments_and_the_difference():
    frame = pd.DataFrame({"visits": [1000], "signups": [100], "trials": [50], "purchases": [20]})
    other = pd.DataFrame({"visits": [2000], "signups": [100], "trials": [40], "purchases": [20]})
    tables = {"A": funnel.funnel_table(frame), "B": funnel.funnel_table(other)}
    labels = {"A": "Email · US", "B": "Social · all countries"}
    summary = str([stat.to_plotly_json() for stat in funnel.summary(tables, labels)])
    assert "1,000" in summary and "2.00%" in summary  # A: 20 of 1000
    assert "2,000" in summary and "1.00%" in summary  # B: 20 of 2000
    assert "+1.00 percentage points" in summary
    table = str(funnel.conversion_table(tables, labels).to_plotly_json())
    assert "A: Email · US" in table and "B: Social · all countries" in table
    assert "A − B: the difference in overall conversion, in percentage points." in table
    assert "'+1.00'" in table  # purchases: 2% - 1%
    assert "'+5.00'" in table  # sign-ups: 10% - 5%
    assert " pp" not in summary + table
    assert "900" in table and "90.0%" in table  # A's drop-off from visits to sign-ups


def test_the_default_callback_draws_two_funnels_and_a_table(client_for):
    client = client_for("funnel")
    answer = portal_callback(client, "funnel")
    traces = answer["funnel"]["figure"]["data"]
    # Bars of each step's share of visits, side by side per step, on a log scale: the
    # last step (0.4% of visits) is a bar, not a sliver.
    assert [trace["type"] for trace in traces] == ["bar", "bar"]
    assert [trace["orientation"] for trace in traces] == ["h", "h"]
    assert [trace["name"] for trace in traces] == ["A", "B"]
    layout = answer["funnel"]["figure"]["layout"]
    assert layout["barmode"] == "group"
    assert layout["xaxis"]["type"] == "log"
    assert layout["xaxis"]["tickformat"] == ".1%"
    assert layout["xaxis"]["title"]["text"] == "Share of visits (log scale)"
    whole = funnel.funnel_table(funnel.daily())
    assert traces[0]["x"] == whole["overall_rate"].tolist()
    assert traces[0]["y"] == ["Visits", "Sign-ups", "Trials", "Purchases"]
    assert traces[0]["text"] == ["9,628,151", "494,589 (5.1%)", "168,247 (34.0%)", "42,601 (25.3%)"]
    assert traces[0]["hovertemplate"] == (
        "%{y}: %{customdata[0]:,.0f}<br>%{customdata[1]:.1%} of the step before"
        "<br>%{x:.2%} of visits<extra>A: All channels · all countries</extra>"
    )
    assert answer["table"]["children"]["props"]["className"] == "de-table"
    assert [stat["props"]["id"] for stat in answer["summary"]["children"]] == [
        "summary-A",
        "summary-B",
        "summary-diff",
    ]
    assert answer["message"]["children"] == ""


def test_a_callback_with_other_segments_and_dates_follows_them(client_for):
    client = client_for("funnel")
    answer = portal_callback(
        client,
        "funnel",
        **{
            "channel.value": "Email",
            "country.value": "DE",
            "compare_channel.value": "Referral",
            "compare_country.value": "FR",
            "start.date": "2025-11-01",
            "end.date": "2025-11-30",
        },
    )
    traces = answer["funnel"]["figure"]["data"]
    assert [trace["hovertemplate"].split("<extra>")[1] for trace in traces] == [
        "A: Email · DE</extra>",
        "B: Referral · FR</extra>",
    ]
    daily = funnel.daily()
    november = daily[daily["date"].between("2025-11-01", "2025-11-30")]
    email_de = november[(november["channel"] == "Email") & (november["country"] == "DE")]
    counts = [int(email_de[stage].sum()) for stage in STAGES]
    assert [row[0] for row in traces[0]["customdata"]] == counts
    assert traces[0]["x"] == [count / counts[0] for count in counts]
    assert f"{int(email_de['visits'].sum()):,}" in str(answer["summary"]["children"])
    assert answer["message"]["children"] == ""


def test_a_range_that_ends_before_it_starts_keeps_the_charts_and_says_why_by_label(client_for):
    client = client_for("funnel")
    answer = portal_callback(client, "funnel", **{"start.date": "2025-06-01", "end.date": "2025-01-01"})
    assert answer["message"]["children"] == "From: must not be after “To”"
    assert set(answer) == {"message"}  # the funnel, table and summary keep the last good result


def test_an_unknown_channel_gets_400_naming_the_parameter(client_for):
    client = client_for("funnel")
    response = portal_callback_response(client, "funnel", **{"channel.value": "Television"})
    assert response.status_code == 400
    assert b"channel" in response.content


def test_a_date_outside_the_data_gets_400_naming_the_parameter(client_for):
    client = client_for("funnel")
    response = portal_callback_response(client, "funnel", **{"end.date": "2026-01-01"})
    assert response.status_code == 400
    assert b"end" in response.content


def test_a_user_without_a_grant_gets_403(client, viewer):
    client.force_login(viewer)
    assert client.get("/dashboards/funnel/").status_code == 403
