"""`manage.py startdashboard` writes a dashboard that works, is tested and shows in the gallery."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", "results", "*.pyc", ".env")


@pytest.fixture
def project(tmp_path):
    """A copy of the project to write into."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    return copy


def run(project: Path, *command: str) -> subprocess.CompletedProcess:
    # The copy runs on its own SQLite database and file cache, whatever this run uses.
    env = {**os.environ, "DATABASE_URL": "", "REDIS_URL": "", "REQUIRE_SERVICES": "", "CACHE_DIR": ""}
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)


def test_the_scaffold_passes_the_checks_and_its_tests_and_shows_for_grantees(project):
    made = run(
        project, sys.executable, "manage.py", "startdashboard", "sales_pipeline", "--title", "Sales pipeline"
    )
    assert made.returncode == 0, made.stderr
    for path in (
        "dashboards/catalogue/sales_pipeline.py",
        "examples/sales_pipeline.py",
        "tests/test_sales_pipeline.py",
    ):
        assert (project / path).is_file(), path
    assert "grant_dashboard sales-pipeline" in made.stdout

    lint = run(project, sys.executable, "-m", "ruff", "check", "dashboards/catalogue", "examples", "tests")
    assert lint.returncode == 0, lint.stdout
    check = run(project, sys.executable, "manage.py", "check", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr
    # Its own tests (including "shows in the gallery for its grantees only"), and
    # the standalone twin answering like the portal.
    tests = run(
        project,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_sales_pipeline.py",
        "tests/test_standalone.py",
        "-k",
        "sales_pipeline or sales-pipeline or every_dashboard",
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout and "skipped" not in tests.stdout


@pytest.mark.parametrize("name", ["Sales", "sales-pipeline", "1st", "sales__x", "_hidden"])
def test_a_name_that_is_not_a_module_name_is_refused(project, name):
    with pytest.raises(CommandError, match="not a module name"):
        call_command("startdashboard", name, "--root", str(project))


def test_an_existing_dashboard_or_file_is_never_overwritten(project):
    with pytest.raises(CommandError, match="exists already"):
        call_command("startdashboard", "stocktoday", "--root", str(project))
    (project / "tests" / "test_orders.py").write_text("# mine\n")
    with pytest.raises(CommandError, match="Not overwriting"):
        call_command("startdashboard", "orders", "--root", str(project))
    assert not (project / "dashboards" / "catalogue" / "orders.py").exists()
    assert (project / "tests" / "test_orders.py").read_text() == "# mine\n"
