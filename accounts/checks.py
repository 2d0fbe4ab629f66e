"""System checks of the single sign-on settings: a half-set provider fails at start-up,
not at somebody's first sign-in. None of them reads the network."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

ENDPOINTS = ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT")
ENDPOINTS_WITHOUT_DISCOVERY = (*ENDPOINTS, "OIDC_OP_JWKS_ENDPOINT", "OIDC_OP_ISSUER")
ANY = ("OIDC_DISCOVERY_URL", "OIDC_RP_CLIENT_SECRET", *ENDPOINTS_WITHOUT_DISCOVERY, "OIDC_OP_LOGOUT_ENDPOINT")


def _set(name: str) -> bool:
    return bool(getattr(settings, name, ""))


@register(Tags.security)
def check_single_sign_on(app_configs=None, **kwargs) -> list[Error]:
    if not _set("OIDC_RP_CLIENT_ID"):
        named = [name for name in ANY if _set(name)]
        if not named:
            return []
        return [
            Error(
                f"{', '.join(named)} set without OIDC_RP_CLIENT_ID.",
                id="accounts.E001",
                hint="Set OIDC_RP_CLIENT_ID (and OIDC_RP_CLIENT_SECRET) to turn single sign-on on, "
                "or unset the other OIDC_* variables.",
            )
        ]
    errors = []
    if not _set("OIDC_RP_CLIENT_SECRET"):
        errors.append(Error("OIDC_RP_CLIENT_SECRET is not set.", id="accounts.E002"))
    if not _set("OIDC_DISCOVERY_URL"):
        missing = [name for name in ENDPOINTS_WITHOUT_DISCOVERY if not _set(name)]
        if missing:
            errors.append(
                Error(
                    f"Single sign-on needs OIDC_DISCOVERY_URL, or else {', '.join(missing)}.",
                    id="accounts.E003",
                    hint="OIDC_DISCOVERY_URL is the provider's "
                    "https://…/.well-known/openid-configuration address.",
                )
            )
    elif not settings.OIDC_DISCOVERY_URL.endswith("/.well-known/openid-configuration"):
        errors.append(
            Error(
                "OIDC_DISCOVERY_URL does not end with /.well-known/openid-configuration.",
                id="accounts.E004",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_single_sign_on_transport(app_configs=None, **kwargs) -> list[Warning]:
    """Tokens and the client secret travel to these addresses: https in production."""
    names = ("OIDC_DISCOVERY_URL", *ENDPOINTS, "OIDC_OP_JWKS_ENDPOINT", "OIDC_OP_LOGOUT_ENDPOINT")
    return [
        Warning(f"{name} is not an https address.", id="accounts.W001")
        for name in names
        if _set(name) and urlsplit(getattr(settings, name)).scheme != "https"
    ]
