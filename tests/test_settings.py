"""The settings module: environment-driven, safe without configuration."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qp9Lm2Vr8Tz4Ns6Bw1Hc5Jd0Fg3Ky" * 2,
    "DJANGO_ALLOWED_HOSTS": "dash.example.com",
}


def run(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HSTS"))}
    base["DJANGO_ENV_FILE"] = "/nonexistent"  # a developer's .env stays out of it
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run("manage.py", "check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_starts_without_a_secret_key_in_debug():
    assert run("manage.py", "check", DJANGO_DEBUG="1").returncode == 0


def test_the_deploy_checks_are_clean_with_production_settings():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_variable_the_settings_read_is_documented():
    settings_source = (ROOT / "dashengine_site" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\("([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read <= documented, read - documented


def test_a_dot_env_file_fills_in_what_the_environment_leaves_unset(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nDJANGO_DEBUG=1\nDJANGO_ALLOWED_HOSTS=from-file.example\n")
    code = "from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"
    result = run(
        "-c",
        f"import django; django.setup(); {code}",
        DJANGO_ENV_FILE=str(env_file),
        DJANGO_SETTINGS_MODULE="dashengine_site.settings",
    )
    assert result.stdout.strip() == "True ['from-file.example']", result.stderr
    result = run(
        "-c",
        f"import django; django.setup(); {code}",
        DJANGO_ENV_FILE=str(env_file),
        DJANGO_SETTINGS_MODULE="dashengine_site.settings",
        DJANGO_ALLOWED_HOSTS="real.example",
    )
    assert result.stdout.strip() == "True ['real.example']", result.stderr


def test_every_redis_cache_backend_of_a_process_shares_one_connection_pool():
    # Django builds a backend per context, and the ASGI server gives each request a fresh one.
    from django_redis.cache import RedisCache

    def pool(location):
        return RedisCache(location, {}).client.get_client().connection_pool

    assert pool("redis://127.0.0.1:6379/15") is pool("redis://127.0.0.1:6379/15")
    assert pool("redis://127.0.0.1:6379/14") is not pool("redis://127.0.0.1:6379/15")


def test_a_dot_env_file_is_read_into_the_settings_not_into_the_apps_environment(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("REDIS_URL=\nSOMETHING=x\nDJANGO_DEBUG=1\n")
    code = (
        "import os, django; django.setup(); from dashengine_site import settings as s; "
        "print(repr(os.environ.get('REDIS_URL')), repr(os.environ.get('SOMETHING')), repr(s.env_str('SOMETHING')))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "HSTS")) and k not in ("REDIS_URL", "SOMETHING")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_ENV_FILE": str(env_file), "DJANGO_SETTINGS_MODULE": "dashengine_site.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Dash's background-callback example picks Celery on `"REDIS_URL" in os.environ`.
    assert result.stdout.strip() == "None None 'x'", result.stderr
