"""Writes of the accounts app, as keyword-only functions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from accounts.models import ProviderGroupMapping, ProviderIdentity, User
from dashboards.models import AuditEvent
from dashboards.services import audit_record, available_time_zones, schedules_follow_time_zone


def theme_set(*, user: User, theme: str) -> None:
    """Store the user's theme; `theme` must be one of `User.Theme`'s values."""
    if theme not in User.Theme.values:
        raise ValueError(f"unknown theme {theme!r}")
    user.theme = theme
    user.save(update_fields=["theme"])


def time_zone_set(*, user: User, time_zone: str) -> bool:
    """Store the time zone the user's browser is in; False (nothing stored) for a name
    that is not an IANA time zone."""
    if time_zone not in available_time_zones():
        return False
    if user.time_zone != time_zone:
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
        schedules_follow_time_zone(user=user)
    return True


# --- Single sign-on (accounts/oidc.py) -------------------------------------------


def _refuse(reason: str, **kwargs):
    from accounts.oidc import SignInRefused

    return SignInRefused(reason, **kwargs)


def _claim_text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _provider_groups(claims: Mapping[str, Any], *, mappings_exist: bool, email: str) -> list[str]:
    name = settings.OIDC_GROUPS_CLAIM
    value = claims.get(name)
    if value is None:
        # Without mappings the portal needs no groups; with them, a claim that is missing
        # (a provider not set up to send it) must not be read as "in no group".
        if mappings_exist:
            raise _refuse("missing-claim", detail=name, email=email)
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _refuse("missing-claim", detail=f"{name} is not a list of names", email=email)
    return value


def _free_username(*, claims: Mapping[str, Any], email: str) -> str:
    """The provider's `preferred_username`, else the e-mail address; a name already taken
    by another account gets a number (`carol-2`)."""
    model = get_user_model()
    max_length = model._meta.get_field(model.USERNAME_FIELD).max_length
    # Django's usernames take letters, digits and @.+-_ only.
    base = re.sub(r"[^\w.@+-]+", "-", _claim_text(claims, "preferred_username") or email)[:max_length]
    candidate, number = base, 1
    while model.objects.filter(**{f"{model.USERNAME_FIELD}__iexact": candidate}).exists():
        number += 1
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)] + suffix
    return candidate


def _user_for(*, issuer: str, subject: str, email: str, claims: Mapping[str, Any]) -> tuple[User, bool]:
    """(the user of this provider identity, whether the account was created now)."""
    identity = ProviderIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        return identity.user, False
    same_email = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(same_email) > 1:
        raise _refuse("email-taken", detail="several accounts have this address", email=email)
    if same_email:
        user = same_email[0]
        # A local account takes on single sign-on, but an administrator's never does: the
        # provider must not be a way into the admin, and one account is one identity.
        if user.is_superuser or user.provider_identities.filter(issuer=issuer).exists():
            raise _refuse("email-taken", detail=f"account {user.get_username()}", email=email)
        ProviderIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        return user, False
    user = get_user_model()(
        username=_free_username(claims=claims, email=email),
        email=email,
        first_name=_claim_text(claims, "given_name")[:150],
        last_name=_claim_text(claims, "family_name")[:150],
    )
    user.set_unusable_password()  # signs in through the provider only
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise _refuse("missing-claim", detail=f"unusable claims: {error}"[:300], email=email) from error
    user.save()
    ProviderIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    return user, True


def provider_groups_sync(*, user: User, provider_groups: Iterable[str]) -> tuple[list[str], list[str]]:
    """Make the user's mapped portal groups those the provider's groups give; groups no
    mapping names are left alone. Returns the names of the groups (added, removed)."""
    names = set(provider_groups)
    mappings = list(ProviderGroupMapping.objects.select_related("group"))
    managed = {m.group for m in mappings}
    wanted = {m.group for m in mappings if m.provider_group in names}
    current = set(user.groups.filter(pk__in=[g.pk for g in managed]))
    added, removed = wanted - current, current - wanted
    if added:
        user.groups.add(*added)
    if removed:
        user.groups.remove(*removed)
    return sorted(g.name for g in added), sorted(g.name for g in removed)


@transaction.atomic
def provider_user_sign_in(
    *, issuer: str, claims: Mapping[str, Any], request: HttpRequest | None = None, refresh: bool = False
) -> User:
    """The portal user of a verified sign-in through the provider: found by the provider's
    subject (or linked by e-mail address, or created), with its mapped groups following the
    groups claim. Audited; `SignInRefused` when the claims do not let the user in."""
    subject = _claim_text(claims, "sub")
    email = _claim_text(claims, "email").lower()
    if not subject:
        raise _refuse("missing-claim", detail="sub")
    if not email:
        raise _refuse("missing-claim", detail="email")
    if claims.get("email_verified") is False:
        raise _refuse("email-unverified", email=email)
    allowed = [d.lower() for d in settings.OIDC_ALLOWED_DOMAINS]
    if allowed and email.rpartition("@")[2] not in allowed:
        raise _refuse("unknown-domain", email=email)
    provider_groups = _provider_groups(
        claims, mappings_exist=ProviderGroupMapping.objects.exists(), email=email
    )
    user, created = _user_for(issuer=issuer, subject=subject, email=email, claims=claims)
    if not user.is_active:
        raise _refuse("inactive", email=email)
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    added, removed = provider_groups_sync(user=user, provider_groups=provider_groups)
    audit_record(
        action=AuditEvent.Action.PROVIDER_SIGN_IN,
        user=user,
        request=request,
        params={"provider": issuer, "created": created, "refresh": refresh},
    )
    if added or removed:
        audit_record(
            action=AuditEvent.Action.PROVIDER_GROUPS,
            user=user,
            request=request,
            params={"added": added, "removed": removed},
        )
    return user


def provider_sign_in_refused_record(*, request: HttpRequest, refused: Exception) -> None:
    """The audit event of a refused sign-in through the provider (nobody is signed in)."""
    audit_record(
        action=AuditEvent.Action.SIGN_IN_REFUSED,
        user=request.user if request.user.is_authenticated else None,
        request=request,
        params={
            "reason": getattr(refused, "reason", "error"),
            "detail": getattr(refused, "detail", "")[:300],
            "email": getattr(refused, "email", ""),
        },
    )


def provider_session_end_record(*, request: HttpRequest, user: User, error: str) -> None:
    """The audit event of a session the provider would not renew (it then ends)."""
    audit_record(
        action=AuditEvent.Action.SIGN_IN_REFUSED,
        user=user,
        request=request,
        params={"reason": "session-not-renewed", "detail": error, "email": user.email},
    )
