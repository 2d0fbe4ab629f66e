"""The test provider's own parts: the claims it sends (groups among them), ID tokens that
are wrong on purpose for some users, and the control endpoints the tests use as an
administrator of the provider would use its admin.

What a user's tokens look like is one of their traits, set through /control/users/<name>:
- `token`: "good", "forged" (signed with a key that is not in the JWKS, under the real
  key's kid), "expired" (exp ten minutes ago), "audience" (issued to another client);
- `email_verified`: the claim's value;
- `omit`: claims left out, e.g. ["groups"] or ["email"].
Kept in this process's memory: the tests start it once and set every user they use.
"""

from __future__ import annotations

import base64
import json
import os
import time

from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from jwcrypto import jwk, jwt
from oauth2_provider.models import Application
from oauth2_provider.oauth2_validators import OAuth2Validator

TRAITS: dict[str, dict] = {}
# A key of nobody the portal trusts, for forged tokens.
ROGUE_KEY = jwk.JWK.generate(kty="RSA", size=2048)


def traits_of(request) -> dict:
    return TRAITS.get(request.user.get_username(), {})


class Validator(OAuth2Validator):
    # Groups come with the "groups" scope, as at Okta.
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "groups"}

    # prompt=none (the portal's session refresh): django-oauth-toolkit leaves these to the
    # site. Its authorize view already answers login_required to a browser without a
    # session at the provider, and no consent is asked (skip_authorization), so both hold.
    def validate_silent_login(self, request):
        return True

    def validate_silent_authorization(self, request):
        return True

    def get_additional_claims(self, request):
        user, traits = request.user, traits_of(request)
        claims = {
            "email": user.email,
            "email_verified": traits.get("email_verified", True),
            "preferred_username": user.get_username(),
            "given_name": user.first_name,
            "family_name": user.last_name,
            "name": user.get_full_name() or user.get_username(),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
        for name in traits.get("omit", []):
            claims.pop(name, None)
        return claims

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        mode = traits_of(request).get("token", "good")
        if mode == "expired":
            now = int(time.time())
            claims.update(iat=now - 3600, auth_time=now - 3600, exp=now - 600)
        elif mode == "audience":
            claims["aud"] = "another-client"
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        if traits_of(request).get("token") != "forged":
            return signed
        header, payload, _ = signed.split(".")
        forged = jwt.JWT(
            header=json.loads(_b64decode(header)),
            claims=json.loads(_b64decode(payload)),
        )
        forged.make_signed_token(ROGUE_KEY)
        return forged.serialize()


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _controlled(view):
    """Only the test that started this provider (it holds the control token)."""

    @csrf_exempt
    @require_POST
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.headers.get("Authorization") != f"Bearer {os.environ['IDP_CONTROL_TOKEN']}":
            return HttpResponse(status=403)
        return view(request, json.loads(request.body or b"{}"), *args, **kwargs)

    return guarded


@_controlled
def control_application(request: HttpRequest, data: dict) -> JsonResponse:
    """Register (or update) the portal as a confidential client that needs no consent screen."""
    Application.objects.update_or_create(
        client_id=data["client_id"],
        defaults={
            "name": "Dash Engine",
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "client_secret": data["client_secret"],
            "redirect_uris": " ".join(data["redirect_uris"]),
            "post_logout_redirect_uris": " ".join(data["post_logout_redirect_uris"]),
            "algorithm": Application.RS256_ALGORITHM,
            "skip_authorization": True,
        },
    )
    return JsonResponse({"ok": True})


@_controlled
def control_user(request: HttpRequest, data: dict, username: str) -> JsonResponse:
    """Create or change a user: password, e-mail, groups (exactly these) and token traits."""
    user, _ = User.objects.get_or_create(username=username)
    user.email = data.get("email", f"{username}@example.com")
    user.first_name, user.last_name = data.get("first_name", ""), data.get("last_name", "")
    if not user.check_password(data["password"]):
        user.set_password(data["password"])  # only then: a new password ends the user's sessions
    user.save()
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in data.get("groups", [])])
    TRAITS[username] = {key: data[key] for key in ("token", "email_verified", "omit") if key in data}
    return JsonResponse({"ok": True})


@_controlled
def control_end_sessions(request: HttpRequest, data: dict, username: str) -> JsonResponse:
    """Sign the user out of the provider everywhere (an administrator's "revoke sessions")."""
    user = User.objects.get(username=username)
    ended = [s.pk for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]
    Session.objects.filter(pk__in=ended).delete()
    return JsonResponse({"ended": len(ended)})
