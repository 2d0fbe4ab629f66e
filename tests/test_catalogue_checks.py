import dataclasses

from django.core.management import call_command

from dashboards import registry
from dashboards.checks import check_dashboards
from dashboards.hosting.loader import Hosted, discover
from dashkit.spec import MultiChoice


def ids(messages):
    return [m.id for m in messages]


def test_the_shipped_catalogue_passes_the_checks():
    assert check_dashboards(discover(["dashboards.catalogue"]).discovered) == []
    call_command("check", "--fail-level", "WARNING")


def stock(**changes) -> Hosted:
    hosted = registry.catalogue().by_slug["stocktoday"]
    return dataclasses.replace(hosted, dashboard=dataclasses.replace(hosted.dashboard, **changes))


def test_it_reports_a_duplicate_slug():
    messages = check_dashboards([stock(), stock(title="Stock Twin")])
    assert ids(messages) == ["dashboards.E001"]
    assert "'stocktoday'" in messages[0].msg


def test_it_reports_a_slug_that_is_not_url_safe():
    messages = check_dashboards([stock(slug="Stock Today!")])
    assert ids(messages) == ["dashboards.E002"]


def test_it_reports_a_parameter_without_an_input_component():
    extra = MultiChoice(name="sectors", label="Sectors", choices=("tech",), default=["tech"])
    params = registry.get("stocktoday").params
    messages = check_dashboards([stock(params=(*params, extra))])
    assert ids(messages) == ["dashboards.E003"]
    assert "'sectors'" in messages[0].msg


def test_it_reports_a_trace_type_plotly_js_does_not_have():
    messages = check_dashboards([stock(traces=("scatter", "scater"))])
    assert ids(messages) == ["dashboards.E005"]
    assert messages[0].msg == "Dashboard 'stocktoday' declares trace types plotly.js does not have: scater."


def test_discovery_finds_every_module_of_the_catalogue():
    catalogue = discover(["dashboards.catalogue"])
    assert "stocktoday" in catalogue.by_slug
    assert catalogue.without_dashboard == []
