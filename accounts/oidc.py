"""Single sign-on with the company's OpenID Connect provider, on mozilla-django-oidc 5.0.

The one module that knows mozilla-django-oidc. It keeps the library's flow (the
authorization code flow with state, nonce and PKCE; the session refresh with
`prompt=none`) and changes what the portal needs changed:

- Nothing is read at import or start-up: the provider's endpoints come from the
  `OIDC_OP_*` settings or, with `OIDC_DISCOVERY_URL`, from its discovery document,
  fetched on the first sign-in and kept for an hour. With no `OIDC_*` settings every
  view here is a 404, the backend authenticates nobody and the middleware does nothing.
- The ID token is checked whole: RS256 signature against the provider's JWKS, issuer,
  audience, expiry (the library checks only the signature and the nonce, and an expired
  token ends in a 500 there).
- Every refusal (bad state, bad token, unknown domain, missing claim, provider down)
  is a `SignInRefused`, which the callback turns into a plain page and an audit event,
  never a 500.
- Users and their groups are the portal's (accounts.services): the user is found by the
  provider's subject, and mapped groups follow the groups claim at every sign-in.
- The session refresh runs on page loads only; a dashboard's own requests (its frame,
  layout, callbacks, downloads) are fetches that a redirect to the provider would break.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh as LibrarySessionRefresh
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

logger = logging.getLogger(__name__)

DISCOVERY_SECONDS = 3600  # how long a fetched discovery document is used
CALLBACK_URL_NAME = "oidc_authentication_callback"
SESSION_ID_TOKEN = "oidc_id_token"  # where the library keeps the ID token (OIDC_STORE_ID_TOKEN)


class SignInRefused(Exception):  # noqa: N818 - a refusal, not a programming error
    """A sign-in through the provider that the portal refuses; `reason` picks the words
    of the page (templates/registration/sign_in_refused.html) and is audited."""

    def __init__(self, reason: str, *, detail: str = "", email: str = "", status: int = 403):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail, self.email, self.status = reason, detail, email, status


class ProviderUnavailable(Exception):  # noqa: N818
    """The provider's discovery document could not be read."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str  # "" when the provider has none (no RP-initiated logout)


def configured() -> bool:
    """Single sign-on is on: a client id, and a discovery URL or an authorization endpoint."""
    return bool(
        getattr(settings, "OIDC_RP_CLIENT_ID", "")
        and (
            getattr(settings, "OIDC_DISCOVERY_URL", "")
            or getattr(settings, "OIDC_OP_AUTHORIZATION_ENDPOINT", "")
        )
    )


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "single sign-on"


_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_discovery_lock = threading.Lock()


def discovery_forget() -> None:
    """Drop the kept discovery documents (tests; a provider that moved its endpoints)."""
    with _discovery_lock:
        _discovered.clear()


def _discovery(url: str) -> dict[str, Any]:
    with _discovery_lock:
        kept = _discovered.get(url)
        if kept and time.monotonic() - kept[0] < DISCOVERY_SECONDS:
            return kept[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        # Not kept: the next sign-in tries again.
        logger.warning("OIDC discovery document %s could not be read: %s", url, error)
        raise ProviderUnavailable(str(error)) from error
    # OpenID Connect Discovery 1.0, section 4.3: the issuer is the URL the document was
    # fetched from, less the well-known suffix. Another issuer would be a mix-up.
    expected_issuer = url.removesuffix("/.well-known/openid-configuration")
    if not isinstance(document, dict) or document.get("issuer") != expected_issuer:
        raise ProviderUnavailable(f"the discovery document at {url} names another issuer")
    with _discovery_lock:
        _discovered[url] = (time.monotonic(), document)
    return document


def provider() -> Provider:
    """The provider's endpoints: each `OIDC_OP_*` setting that is set, else discovered."""
    url = getattr(settings, "OIDC_DISCOVERY_URL", "")
    document = _discovery(url) if url else {}

    def endpoint(setting: str, key: str) -> str:
        return getattr(settings, setting, "") or str(document.get(key) or "")

    return Provider(
        issuer=endpoint("OIDC_OP_ISSUER", "issuer"),
        authorization_endpoint=endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
        token_endpoint=endpoint("OIDC_OP_TOKEN_ENDPOINT", "token_endpoint"),
        userinfo_endpoint=endpoint("OIDC_OP_USER_ENDPOINT", "userinfo_endpoint"),
        jwks_uri=endpoint("OIDC_OP_JWKS_ENDPOINT", "jwks_uri"),
        end_session_endpoint=endpoint("OIDC_OP_LOGOUT_ENDPOINT", "end_session_endpoint"),
    )


def _provider_or_refuse() -> Provider:
    try:
        return provider()
    except ProviderUnavailable as error:
        raise SignInRefused("provider-unreachable", detail=str(error), status=503) from error


class ProviderBackend(OIDCAuthenticationBackend):
    """Authenticates the user the provider's callback names; nobody else.

    Django builds a backend object for every request of a signed-in user, so nothing
    here reads the provider at construction (the library's does).
    """

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = getattr(settings, "OIDC_RP_CLIENT_ID", "")
        self.OIDC_RP_CLIENT_SECRET = getattr(settings, "OIDC_RP_CLIENT_SECRET", "")
        self.OIDC_RP_SIGN_ALGO = getattr(settings, "OIDC_RP_SIGN_ALGO", "RS256")
        self.OIDC_RP_IDP_SIGN_KEY = None
        self._provider: Provider | None = None

    @property
    def provider(self) -> Provider:
        if self._provider is None:
            self._provider = _provider_or_refuse()
        return self._provider

    # The library reads these attributes; they come from the provider, when needed.
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802
        return self.provider.token_endpoint

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return self.provider.userinfo_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return self.provider.jwks_uri

    def get_user(self, user_id):
        # Django's rule (inactive users are signed out), and sessions made through the
        # provider end when single sign-on is switched off.
        if not configured():
            return None
        return ModelBackend.get_user(self, user_id)

    def authenticate(
        self, request, provider_callback: bool = False, nonce=None, code_verifier=None, **kwargs
    ):
        """Only the callback view calls this with `provider_callback`: a password login that
        happens to carry `code` and `state` in its address never reaches the provider."""
        if not provider_callback or request is None or not configured():
            return None
        self.request = request
        code = request.GET.get("code", "")
        token_info = self.get_token(
            {
                "client_id": self.OIDC_RP_CLIENT_ID,
                "client_secret": self.OIDC_RP_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.build_absolute_uri(reverse(CALLBACK_URL_NAME)),
                **({"code_verifier": code_verifier} if code_verifier else {}),
            }
        )
        id_token, access_token = token_info.get("id_token"), token_info.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise SignInRefused("bad-token", detail="the token answer has no ID token")
        id_claims = self.verify_token(id_token, nonce=nonce)
        userinfo = self.get_userinfo(access_token, id_token, id_claims)
        # OpenID Connect Core 1.0, 5.3.2: the userinfo answer is about the same subject.
        if not isinstance(userinfo, dict) or userinfo.get("sub") != id_claims.get("sub"):
            raise SignInRefused("bad-token", detail="the userinfo answer is about another subject")
        self.store_tokens(access_token, id_token)
        from accounts.services import provider_user_sign_in

        return provider_user_sign_in(
            issuer=self.provider.issuer,
            claims={**userinfo, **id_claims},
            request=request,
            refresh=bool(getattr(request, "user", None) and request.user.is_authenticated),
        )

    def get_token(self, payload):
        try:
            return super().get_token(payload)
        except requests.HTTPError as error:
            # A code used twice, expired, or given to another client.
            raise SignInRefused("code-refused", detail=str(error)[:300]) from error
        except (requests.RequestException, ValueError) as error:
            raise SignInRefused("provider-unreachable", detail=str(error)[:300], status=503) from error

    def get_userinfo(self, access_token, id_token, payload):
        try:
            return super().get_userinfo(access_token, id_token, payload)
        except (requests.RequestException, ValueError) as error:
            raise SignInRefused("provider-unreachable", detail=str(error)[:300], status=503) from error

    def verify_token(self, token, **kwargs):
        """The ID token's signature (the provider's key for its `kid`, RS256 only), issuer,
        audience, expiry and nonce; any failure is a refusal."""
        nonce = kwargs.get("nonce")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
                raise SignInRefused("bad-token", detail=f"signed with {header.get('alg')!r}")
            key = self.retrieve_matching_jwk(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.provider.issuer,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise SignInRefused("bad-token", detail="the ID token has expired") from error
        except requests.RequestException as error:
            raise SignInRefused("provider-unreachable", detail=str(error)[:300], status=503) from error
        except (jwt.PyJWTError, SuspiciousOperation, KeyError, TypeError, ValueError) as error:
            raise SignInRefused("bad-token", detail=str(error)[:300]) from error
        # Several audiences: the token must have been issued to us (Core 1.0, 3.1.3.7).
        several = isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1
        if several and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SignInRefused("bad-token", detail="issued to another client (azp)")
        if nonce is not None and claims.get("nonce") != nonce:
            raise SignInRefused("bad-token", detail="the nonce is not this sign-in's")
        return claims

    def store_tokens(self, access_token, id_token):
        # Only the ID token: the sign-out sends it back to the provider as id_token_hint.
        self.request.session[SESSION_ID_TOKEN] = id_token


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    """The "Sign in with …" button: a GET that sends the browser to the provider with a
    fresh state, nonce and PKCE challenge kept in the session."""

    def __init__(self, *args, **kwargs):
        # The library reads the endpoint here; this view reads it when a request comes.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = _provider_or_refuse().authorization_endpoint
        except SignInRefused as refused:
            return refused_page(request, refused)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the library's checks of state and nonce,
    then the portal's user and groups; a refusal is a plain page, never a 500."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not configured():
            raise Http404("Single sign-on is not configured.")
        try:
            return self.handle(request)
        except SignInRefused as refused:
            return refused_page(request, refused)

    def handle(self, request: HttpRequest) -> HttpResponse:
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        if request.GET.get("error"):
            # The provider said no: a silent refresh it could not renew (login_required),
            # or a person who declined. The state is spent either way.
            known = isinstance(states, dict) and states.pop(state, None) is not None
            if known:
                request.session.modified = True
            error = request.GET["error"][:100]
            if known and request.user.is_authenticated:
                # Only for a renewal this session started: a link to this address with a made-up
                # state must not be a way to sign somebody out.
                return session_ended(request, error=error)
            raise SignInRefused(
                "provider-error" if known else "bad-state",
                detail=f"{error}: {request.GET.get('error_description', '')[:200]}".rstrip(": "),
                status=403 if known else 400,
            )
        if not request.GET.get("code") or not isinstance(states, dict) or state not in states:
            # No sign-in of this browser started with this state: forged, replayed, or
            # from another browser (login CSRF).
            raise SignInRefused("bad-state", status=400)
        entry = states.pop(state)
        request.session.save()
        # As the library does: read the session again after the slow calls to the provider,
        # so that what other tabs wrote meanwhile is kept.
        request.session = request.session.__class__(request.session.session_key)
        self.user = auth.authenticate(
            request=request,
            provider_callback=True,
            nonce=entry.get("nonce"),
            code_verifier=entry.get("code_verifier"),
        )
        if self.user is None:
            # Another backend (django-axes' lock-out) refused, or the provider is unset.
            raise SignInRefused("bad-token", detail="no user")
        return self.login_success()


def refused_page(request: HttpRequest, refused: SignInRefused) -> HttpResponse:
    from accounts.services import provider_sign_in_refused_record

    provider_sign_in_refused_record(request=request, refused=refused)
    return render(
        request,
        "registration/sign_in_refused.html",
        {"reason": refused.reason, "email": refused.email, "provider_name": provider_name()},
        status=refused.status,
    )


def session_ended(request: HttpRequest, *, error: str) -> HttpResponse:
    """The provider would not renew a signed-in user's session: it ends here too."""
    from accounts.services import provider_session_end_record

    provider_session_end_record(request=request, user=request.user, error=error)
    auth.logout(request)
    messages.info(request, f"Your sign-in with {provider_name()} has ended. Sign in again to go on.")
    return redirect(settings.LOGIN_URL)


def end_session_url(request: HttpRequest) -> str:
    """The provider's end-session address for this session (RP-initiated logout), or ""
    when the session did not come from the provider or the provider has no such endpoint.
    Read before the portal's own logout, which forgets the ID token."""
    id_token = request.session.get(SESSION_ID_TOKEN)
    if not configured() or not id_token:
        return ""
    try:
        endpoint = provider().end_session_endpoint
    except ProviderUnavailable:
        return ""
    if not endpoint:
        return ""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class SessionRefresh(LibrarySessionRefresh):
    """mozilla-django-oidc's SessionRefresh: once the ID token's time
    (`OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS`) is up, the next page load goes to the provider
    with `prompt=none`; it comes straight back signed in while the provider's session
    lasts, and signed out (CallbackView) once the provider refuses.

    Only page loads: the library already leaves POSTs (Dash callbacks, forms) alone and
    answers a request marked `X-Requested-With: XMLHttpRequest` with a 403 JSON, but
    dash-renderer's fetches carry no such mark and would follow a redirect to another
    origin and fail. So the dashboard's frame and Dash routes, and every fetch
    (`Sec-Fetch-Mode` other than `navigate`), go on until the next page load.
    """

    def __init__(self, get_response):
        # The library reads the provider's settings here, at start-up; this reads them per request.
        super(LibrarySessionRefresh, self).__init__(get_response)

    def __call__(self, request):
        if not configured() or not getattr(settings, "OIDC_SESSION_REFRESH", True):
            return self.get_response(request)
        return super().__call__(request)

    @property
    def exempt_urls(self) -> set[str]:
        names = [CALLBACK_URL_NAME, "oidc_authentication_init", "logout", "login"]
        return {reverse(name) for name in names}

    @property
    def exempt_url_patterns(self):
        return set(getattr(settings, "OIDC_EXEMPT_URL_PATTERNS", []))

    def is_refreshable_url(self, request) -> bool:
        if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
            return False
        if request.headers.get("Sec-Fetch-Dest", "document") not in ("document", ""):
            return False
        return super().is_refreshable_url(request)

    def process_request(self, request):
        if not self.is_refreshable_url(request):
            return None
        if request.session.get("oidc_id_token_expiration", 0) > time.time():
            return None
        try:
            found = provider()
        except ProviderUnavailable:
            # Sending people to a provider that cannot be reached ends nobody's session
            # cleanly; try again at the next page load.
            return None
        self.OIDC_OP_AUTHORIZATION_ENDPOINT = found.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_STATE_SIZE = 32
        self.OIDC_AUTHENTICATION_CALLBACK_URL = CALLBACK_URL_NAME
        self.OIDC_RP_SCOPES = settings.OIDC_RP_SCOPES
        self.OIDC_USE_NONCE = True
        self.OIDC_NONCE_SIZE = 32
        return super().process_request(request)
