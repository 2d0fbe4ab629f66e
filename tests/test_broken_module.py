"""One catalogue module that does not load never stops the site.

`tests/compat_broken/` holds a module that raises while imported and one whose
layout raises, beside two that load. The start-up commands run with the shipped
catalogue and that one (`DASHBOARD_PACKAGES`), as subprocesses, as in production.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboards.models import Dashboard
from dashboards.services import grant_add
from tests.conftest import with_catalogue_packages
from tests.test_compat import prefix

ROOT = Path(__file__).resolve().parent.parent
BROKEN = "tests.compat_broken.broken"
TRACEBACK = "RuntimeError: this module is broken on purpose"


@pytest.fixture
def site_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_ENV_FILE="/nonexistent",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="test-only-secret-key-not-for-production-0123456789",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        CACHE_DIR=str(tmp_path / "cache"),
        DASHBOARD_PACKAGES="dashboards.catalogue,tests.compat_broken",
        # The Procfile's `python` is this interpreter.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def run(command: list[str] | str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        shell=isinstance(command, str),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_migrate_succeeds_with_a_broken_module_in_the_catalogue(site_env):
    result = run([sys.executable, "manage.py", "migrate", "--no-input"], site_env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"dashboards.W004) Catalogue module {BROKEN} failed to load" in result.stderr
    assert "Applying accounts.0001_initial... OK" in result.stdout


def test_the_procfile_release_step_succeeds_with_a_broken_module_in_the_catalogue(site_env):
    procfile = (ROOT / "Procfile").read_text()
    [release] = [
        line.removeprefix("release:").strip() for line in procfile.splitlines() if line.startswith("release:")
    ]
    result = run(release, site_env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Applying accounts.0001_initial... OK" in result.stdout
    # The good dashboards' bundles were collected.
    assert (Path(site_env["STATIC_ROOT"]) / "dash-bundles" / "dash").is_dir()


def test_check_names_the_broken_module_with_its_traceback_and_passes(site_env):
    result = run([sys.executable, "manage.py", "check"], site_env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        f"(dashboards.W004) Catalogue module {BROKEN} failed to load; the other dashboards are served."
        in (result.stderr)
    )
    assert TRACEBACK in result.stderr
    assert "Traceback (most recent call last)" in result.stderr


def test_check_deploy_refuses_a_catalogue_with_a_broken_module(site_env):
    result = run([sys.executable, "manage.py", "check", "--deploy"], site_env)
    assert result.returncode == 1
    assert f"(dashboards.E004) Catalogue module {BROKEN} failed to load" in result.stderr


def test_the_good_dashboards_are_served_beside_a_broken_module(monkeypatch, client, cast):
    assert BROKEN in with_catalogue_packages(monkeypatch, "tests.compat_broken").failed
    for slug in ("fine", "stocktoday"):
        grant_add(dashboard=Dashboard.objects.get(slug=slug), user=cast["alice"])
    client.force_login(cast["alice"])
    gallery = client.get("/").content.decode()
    assert "/dashboards/fine/" in gallery and "/dashboards/stocktoday/" in gallery
    layout = client.get(prefix("fine") + "_dash-layout")
    assert layout.status_code == 200
    [app_layout, *_portal] = json.loads(layout.content)["props"]["children"]
    assert app_layout["props"] == {"children": "fine", "id": "fine"}
    assert client.get(prefix("stocktoday") + "_dash-layout").status_code == 200
    assert client.get("/dashboards/broken/").status_code == 404
