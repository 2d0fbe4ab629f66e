"""Start the test identity provider as a process of its own and talk to it as its
administrator and as a person's browser would (requests, for the tests without Chromium)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.common import free_port, log_tail, server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "provider-password-0123"
CLIENT_ID = "dash-engine"
TIMEOUT = 20


@dataclass
class Provider:
    base: str
    control_token: str
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def issuer(self) -> str:
        return f"{self.base}/o"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def _control(self, path: str, data: dict) -> dict:
        response = requests.post(
            f"{self.base}/control/{path}",
            json=data,
            headers={"Authorization": f"Bearer {self.control_token}"},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return response.json()

    def register_portal(self, *hosts: str) -> None:
        """The portal as a client, at every host it is reached on (any port: loopback)."""
        self._control(
            "application",
            {
                "client_id": CLIENT_ID,
                "client_secret": self.client_secret,
                "redirect_uris": [f"http://{host}/accounts/oidc/callback/" for host in hosts],
                "post_logout_redirect_uris": [f"http://{host}/accounts/login/" for host in hosts],
            },
        )

    def user(self, username: str, *, groups: tuple[str, ...] = (), **traits) -> None:
        """Create or change a provider user (see idp.py for the traits)."""
        self._control(f"users/{username}", {"password": PASSWORD, "groups": list(groups), **traits})

    def end_sessions(self, username: str) -> int:
        return self._control(f"users/{username}/sessions", {})["ended"]

    def portal_settings(self) -> dict:
        """What the portal's OIDC_* settings are for this provider."""
        return {
            "OIDC_DISCOVERY_URL": self.discovery_url,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_PROVIDER_NAME": "Example SSO",
            "OIDC_RP_SCOPES": "openid email profile groups",
        }


def rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@contextmanager
def provider_process():
    """The provider migrated and serving on a free port, until the block ends; yields Provider."""
    directory = Path(tempfile.mkdtemp(prefix="dashengine-idp-"))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_URL"))},
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "PYTHONPATH": str(ROOT),
        "IDP_SECRET_KEY": secrets.token_urlsafe(40),
        "IDP_DATABASE": str(directory / "idp.sqlite3"),
        "IDP_RSA_PRIVATE_KEY": rsa_private_key_pem(),
        "IDP_CONTROL_TOKEN": secrets.token_urlsafe(24),
    }
    try:
        django = [sys.executable, "-m", "django"]
        subprocess.run(
            [*django, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        base = f"http://127.0.0.1:{port}"
        args = [*django, "runserver", "--noreload", f"127.0.0.1:{port}"]
        with server(args, env=env, ready_url=f"{base}/o/.well-known/openid-configuration") as (process, _):
            provider = Provider(base=base, control_token=env["IDP_CONTROL_TOKEN"])
            provider.log = lambda: log_tail(process)
            yield provider
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class ProviderBrowser(requests.Session):
    """A person's browser at the provider: follows the provider's own redirects and signs in
    on its form, and stops at the first redirect that leaves the provider (back to the portal)."""

    def __init__(self, provider: Provider):
        super().__init__()
        self.provider = provider

    def visit(self, url: str, *, username: str | None = None) -> str:
        """Follow `url` at the provider; returns the address it sends the browser to next."""
        for _ in range(10):
            if urlsplit(url).netloc != urlsplit(self.provider.base).netloc:
                return url
            response = self.get(url, allow_redirects=False, timeout=TIMEOUT)
            if response.status_code in (301, 302, 303):
                url = urljoin(url, response.headers["Location"])
            elif response.status_code == 200 and 'name="password"' in response.text:
                if username is None:
                    raise AssertionError("the provider asks for a login")
                url = self._log_in(url, response.text, username)
                username = None  # once
            else:
                log = self.provider.log() if hasattr(self.provider, "log") else ""
                raise AssertionError(
                    f"the provider answered {response.status_code}: {response.text[:300]}\n{log}"
                )
        raise AssertionError("too many redirects at the provider")

    def _log_in(self, url: str, page: str, username: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        next_url = re.search(r'name="next" value="([^"]*)"', page)[1].replace("&amp;", "&")
        response = self.post(
            urljoin(url, "/login/"),
            data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": next_url},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert response.status_code == 302, f"the provider refused {username}'s password"
        return urljoin(url, response.headers["Location"])
