"""Callbacks through the portal, and the same callback in the standalone run."""

import json

from django.test import Client

from tests.dash_requests import callback_body, layout_values, server_callbacks

APP = "/django_plotly_dash/app/stocktoday/"


def stock_callback(client, **overrides):
    [dependency] = server_callbacks(json.loads(client.get(APP + "_dash-dependencies").content))
    values = layout_values(json.loads(client.get(APP + "_dash-layout").content))
    values.update(overrides)
    return callback_body(dependency, values)


def post_callback(client, body, **extra):
    return client.post(
        APP + "_dash-update-component", json.dumps(body), content_type="application/json", **extra
    )


def test_a_callback_for_two_tickers_draws_two_lines(sales_client):
    body = stock_callback(sales_client, **{"tickers.value": ["AAPL", "IBM"]})
    response = post_callback(sales_client, body)
    assert response.status_code == 200
    answer = json.loads(response.content)["response"]
    assert [trace["name"] for trace in answer["prices"]["figure"]["data"]] == ["AAPL", "IBM"]
    assert len(answer["changes"]["figure"]["data"]) == 2
    assert answer["message"]["children"] == ""


def test_a_date_outside_the_data_gets_400_naming_the_parameter(sales_client):
    body = stock_callback(sales_client, **{"start.date": "1999-01-01"})
    response = post_callback(sales_client, body)
    assert response.status_code == 400
    assert b"start" in response.content


def test_a_range_that_ends_before_it_starts_keeps_the_charts_and_says_why_by_label(sales_client):
    body = stock_callback(sales_client, **{"start.date": "2012-01-03", "end.date": "2011-01-03"})
    answer = json.loads(post_callback(sales_client, body).content)["response"]
    assert answer["message"]["children"] == "From: must not be after “To”"
    # The charts and the summary keep the last good result: nothing else is sent.
    assert set(answer) == {"message"}


def test_a_callback_without_csrf_token_is_refused(sales):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales)
    body = stock_callback(client)
    assert post_callback(client, body).status_code == 403
    token = client.get(APP).cookies["csrftoken"].value
    assert post_callback(client, body, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_a_text_plain_callback_is_refused(sales_client):
    body = stock_callback(sales_client)
    response = sales_client.post(APP + "_dash-update-component", json.dumps(body), content_type="text/plain")
    assert response.status_code == 415


def test_an_anonymous_callback_is_refused(client, sales):
    client.force_login(sales)
    body = stock_callback(client)
    client.logout()
    response = post_callback(client, body)
    assert response.status_code == 401


def test_a_callback_runs_on_the_requests_own_thread_and_its_kept_event_loop():
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from dashboards import registry

    seen = []

    async def dispatch():
        seen.append((threading.get_ident(), asyncio.get_running_loop()))
        return "answer"

    def request_thread():
        run = registry.app("stocktoday").server.ensure_sync(dispatch)
        return (run(), run()), threading.get_ident()

    # A thread of its own, as a request's: the browser tests keep an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        answers, request = pool.submit(request_thread).result()
    assert answers == ("answer", "answer")
    (thread, loop), again = seen
    assert (thread, loop) == again and thread == request
