import dataclasses

from django.core.management import call_command

from dashboards.catalogue.stocktoday import dashboard as stocktoday
from dashboards.checks import check_dashboards
from dashboards.registry import discover
from dashboards.spec import MultiChoice


def ids(messages):
    return [m.id for m in messages]


def test_the_shipped_catalogue_passes_the_checks():
    assert check_dashboards(discover(["dashboards.catalogue"]).discovered) == []
    call_command("check", "--fail-level", "WARNING")


def test_it_reports_a_duplicate_slug():
    twin = dataclasses.replace(stocktoday, title="Stock Twin")
    messages = check_dashboards([stocktoday, twin])
    assert ids(messages) == ["dashboards.E001"]
    assert "'stocktoday'" in messages[0].msg


def test_it_reports_a_slug_that_is_not_url_safe():
    messages = check_dashboards([dataclasses.replace(stocktoday, slug="Stock Today!")])
    assert ids(messages) == ["dashboards.E002"]


def test_it_reports_a_parameter_without_an_input_component():
    extra = MultiChoice(name="sectors", label="Sectors", choices=("tech",), default=["tech"])
    messages = check_dashboards([dataclasses.replace(stocktoday, params=(*stocktoday.params, extra))])
    assert ids(messages) == ["dashboards.E003"]
    assert "'sectors'" in messages[0].msg


def test_discovery_finds_every_module_of_the_catalogue():
    catalogue = discover(["dashboards.catalogue"])
    assert "stocktoday" in catalogue.by_slug
    assert catalogue.without_dashboard == []
