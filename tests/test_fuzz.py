"""Bad input never breaks a request: every input surface of every dashboard, fuzzed.

Hypothesis, derandomised and bounded so that the suite stays fast: the query
string of the dashboard page and of the CSV export, the report form, and the
values of every server callback of the catalogue and of the compatibility apps.
Any answer is fine but a 5xx.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards import registry
from tests.dash_requests import callback_body, layout_values, server_callbacks
from tests.test_compat import add_compat_apps, prefix

FUZZ = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NUMBERS = st.integers() | st.integers(min_value=-(10**400), max_value=10**400) | st.floats()
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
CATALOGUE = ["stocktoday", "funnel", "abtest", "timeseries", "publicapi"]


@pytest.fixture
def everything(monkeypatch, client, cast):
    """A client that may open every catalogue dashboard and every compatibility app."""
    add_compat_apps(monkeypatch, cast["admin"])
    client.force_login(cast["admin"])
    return client


def query_pairs(slug: str):
    names = [p.name for p in registry.get(slug).params] + ["x", ""]
    return st.lists(st.tuples(st.sampled_from(names), st.text(max_size=30)), max_size=6)


@pytest.mark.parametrize("slug", CATALOGUE)
def test_any_query_string_gets_an_answer_not_a_server_error(everything, slug):
    @FUZZ
    @given(pairs=query_pairs(slug))
    def check(pairs):
        query = urlencode(pairs)
        for path in (f"/dashboards/{slug}/", f"/dashboards/{slug}/export.csv"):
            assert everything.get(f"{path}?{query}").status_code < 500, (path, query)

    check()


@pytest.mark.parametrize("slug", CATALOGUE)
def test_any_report_form_gets_an_answer_not_a_server_error(everything, slug):
    names = [p.name for p in registry.get(slug).params] + ["x"]
    params = st.dictionaries(st.sampled_from(names) | st.text(max_size=8), JSON_VALUES, max_size=4).map(
        lambda d: json.dumps(d)  # NaN and Infinity included, as a forged form would send them
    ) | st.text(max_size=40)

    @FUZZ
    @given(name=st.text(max_size=120), visibility=st.text(max_size=10) | st.just("private"), params=params)
    def check(name, visibility, params):
        form = {"name": name, "visibility": visibility, "params": params}
        response = everything.post(f"/dashboards/{slug}/reports/", form)
        assert response.status_code < 500, form

    check()


def callback_cases(client, slug: str) -> list[tuple[dict, dict]]:
    dependencies = server_callbacks(json.loads(client.get(prefix(slug) + "_dash-dependencies").content))
    values = layout_values(json.loads(client.get(prefix(slug) + "_dash-layout").content))
    cases = []
    for dependency in dependencies:
        if any(isinstance(i["id"], str) and i["id"].startswith("{") for i in dependency["inputs"]):
            continue  # pattern-matching callbacks: their shapes are fuzzed in test_compat
        cases.append((dependency, values))
    return cases


@pytest.mark.parametrize("slug", [*CATALOGUE, "context", "downloads", "libraries", "declared", "based"])
def test_any_callback_value_gets_an_answer_not_a_server_error(everything, slug):
    cases = callback_cases(everything, slug)
    assert cases, f"{slug} has no server callback with plain ids"

    @FUZZ
    @given(case=st.sampled_from(cases), data=st.data())
    def check(case, data):
        dependency, values = case
        body = callback_body(dependency, {k: values.get(k) for k in _keys(dependency)})
        for item in [*body["inputs"], *body["state"]]:
            item["value"] = data.draw(JSON_VALUES)
        response = everything.post(
            prefix(slug) + "_dash-update-component", json.dumps(body), content_type="application/json"
        )
        assert response.status_code < 500, (dependency["output"], body)

    check()


def _keys(dependency: dict) -> list[str]:
    return [f"{i['id']}.{i['property']}" for i in [*dependency["inputs"], *dependency["state"]]]
