"""Single sign-on through a real OpenID Connect provider (tests/oidc_provider/, a Django
project on django-oauth-toolkit run as its own process): sign-in, users and groups, every
refusal, the session refresh and the sign-out. Chromium: tests/browser/test_oidc_in_browser.py."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from accounts.models import ProviderGroupMapping, ProviderIdentity
from dashboards import registry
from dashboards.models import AuditEvent, Dashboard
from dashboards.services import grant_add
from tests.oidc_provider.server import CLIENT_ID, ProviderBrowser
from tests.test_access_matrix import discover_endpoints, is_refusal
from tests.test_gallery import shown_cards

CALLBACK = "http://testserver/accounts/oidc/callback/"


def start(client: Client, next_path: str = "") -> str:
    """The "Sign in with" button: where it sends the browser (the provider's authorize URL)."""
    response = client.get("/accounts/oidc/authenticate/" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302, response.status_code
    return response["Location"]


def sign_in(client: Client, provider, username: str, *, browser: ProviderBrowser | None = None):
    """The whole sign-in of `username`: the button, the provider's login form, back to the
    portal's callback. Returns the callback's answer (and the provider browser, to go on)."""
    browser = browser or ProviderBrowser(provider)
    back = browser.visit(start(client), username=username)
    assert back.startswith(CALLBACK), back
    return client.get(back.removeprefix("http://testserver")), browser


def refusal(response) -> str:
    """The plain words of the refusal page."""
    html = response.content.decode()
    assert 'href="/accounts/login/"' in html, "no way back to the login page"
    return " ".join(unescape(re.search(r'<p id="refusal-reason">(.*?)</p>', html, re.S)[1]).split())


def openable(client: Client) -> list[str]:
    """Slugs of the gallery's cards the user can open (every shelf but "More dashboards")."""
    shelves = shown_cards(client.get("/"))
    return sorted({slug for shelf, slugs in shelves.items() if shelf != "more" for slug in slugs})


def group_names(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def events(action: str) -> list[dict]:
    return [
        {"username": e.username, **e.params}
        for e in AuditEvent.objects.filter(action=action).order_by("time", "pk")
    ]


@pytest.fixture
def mapped(cast):
    """Provider groups mapped to portal roles: idp-sales → Sales (granted Stock Today),
    idp-marketing → Marketing (granted nothing), as an admin maps them."""
    ProviderGroupMapping.objects.create(provider_group="idp-sales", group=Group.objects.get(name="Sales"))
    ProviderGroupMapping.objects.create(
        provider_group="idp-marketing", group=Group.objects.get(name="Marketing")
    )


# ---- Off by default --------------------------------------------------------------


def test_without_oidc_settings_there_is_no_button_and_the_routes_are_404(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_the_login_page_offers_the_provider_above_the_password_form(client, sso):
    page = client.get("/accounts/login/?next=/reports/").content.decode()
    button = re.search(r'<a class="btn btn-primary btn-block btn-sso" id="sso-sign-in" href="([^"]+)">', page)
    assert button and unescape(button[1]) == "/accounts/oidc/authenticate/?next=/reports/"
    assert "Sign in with Example SSO" in page
    assert page.index("Sign in with Example SSO") < page.index(
        '<form method="post" action="/accounts/login/"'
    )


def test_local_accounts_still_log_in_with_their_password(client, sso, sales):
    response = client.post(
        "/accounts/login/", {"username": "sales", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert openable(client) == ["stocktoday"]


# ---- Sign-in, users and groups -------------------------------------------------------


def test_the_button_asks_the_provider_for_a_code_with_state_nonce_and_pkce(client, sso):
    url = urlsplit(start(client, "/reports/"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sso.issuer}/authorize/"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert query["scope"] == "openid email profile groups"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) == 32 and len(query["nonce"]) == 32
    stored = client.session["oidc_states"][query["state"]]
    assert stored["nonce"] == query["nonce"]


def test_a_first_sign_in_creates_the_user_with_the_mapped_groups(client, sso, mapped):
    sso.user("carol", groups=("idp-sales", "idp-unmapped"), email="Carol@Example.com", first_name="Carol")
    response, _ = sign_in(client, sso, "carol")
    assert response.status_code == 302 and response["Location"] == "/"
    carol = get_user_model().objects.get(username="carol")
    assert (carol.email, carol.first_name, carol.has_usable_password()) == (
        "carol@example.com",
        "Carol",
        False,
    )
    assert group_names(carol) == ["Sales"]
    assert ProviderIdentity.objects.get(user=carol).issuer == sso.issuer
    assert openable(client) == ["stocktoday"]
    assert client.get("/dashboards/stocktoday/").status_code == 200
    assert client.get("/dashboards/funnel/").status_code == 403
    assert events("provider-sign-in") == [
        {"username": "carol", "provider": sso.issuer, "created": True, "refresh": False}
    ]
    assert events("provider-groups") == [{"username": "carol", "added": ["Sales"], "removed": []}]
    # No password to change for an account of the provider.
    assert "Change password" not in client.get("/").content.decode()


def test_the_sign_in_goes_back_to_the_page_asked_for(client, sso, mapped):
    sso.user("dora", groups=("idp-sales",))
    client.get("/accounts/login/?next=/reports/")
    browser = ProviderBrowser(sso)
    back = browser.visit(start(client, "/reports/"), username="dora")
    response = client.get(back.removeprefix("http://testserver"))
    assert response["Location"] == "/reports/"


def test_a_group_removed_at_the_provider_takes_its_dashboards_away_at_the_next_sign_in(client, sso, mapped):
    sso.user("erin", groups=("idp-sales",))
    sign_in(client, sso, "erin")
    erin = get_user_model().objects.get(username="erin")
    # An admin gives erin a group by hand that no mapping names: the provider leaves it alone.
    erin.groups.add(Group.objects.get_or_create(name="Analysts")[0])
    assert openable(client) == ["stocktoday"]
    client.post("/accounts/logout/")

    sso.user("erin", groups=("idp-marketing",))  # moved from sales to marketing at the provider
    second = Client()
    response, _ = sign_in(second, sso, "erin")
    assert response.status_code == 302
    assert group_names(erin) == ["Analysts", "Marketing"]
    assert openable(second) == []
    assert second.get("/dashboards/stocktoday/").status_code == 403
    assert events("provider-groups")[-1] == {"username": "erin", "added": ["Marketing"], "removed": ["Sales"]}
    assert get_user_model().objects.filter(username="erin").count() == 1


def test_a_sign_in_with_the_same_groups_changes_nothing_and_records_no_group_event(client, sso, mapped):
    sso.user("fay", groups=("idp-sales",))
    sign_in(client, sso, "fay")
    sign_in(Client(), sso, "fay")
    assert [e["created"] for e in events("provider-sign-in")] == [True, False]
    assert events("provider-groups") == [{"username": "fay", "added": ["Sales"], "removed": []}]


def test_a_username_taken_locally_gets_a_number_and_a_local_account_is_linked_by_email(client, sso, cast):
    # "viewer" exists locally with viewer@example.com: the provider's viewer is that person.
    sso.user("viewer", email="viewer@example.com")
    sign_in(client, sso, "viewer")
    assert ProviderIdentity.objects.get().user == cast["viewer"]
    # A different person whose preferred_username is "sales" gets another account.
    sso.user("sales", email="sales.rep@example.com")
    sign_in(Client(), sso, "sales")
    assert get_user_model().objects.get(email="sales.rep@example.com").username == "sales-2"


def test_an_administrator_account_is_never_taken_over_through_the_provider(client, sso, cast):
    sso.user("boss", email="admin@example.com")  # the local superuser's address
    response, _ = sign_in(client, sso, "boss")
    assert response.status_code == 403
    assert "already has your e-mail address, admin@example.com" in refusal(response)
    assert not ProviderIdentity.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_deactivated_portal_user_is_refused(client, sso, mapped):
    sso.user("gwen", groups=("idp-sales",))
    sign_in(client, sso, "gwen")
    get_user_model().objects.filter(username="gwen").update(is_active=False)
    response, _ = sign_in(Client(), sso, "gwen")
    assert response.status_code == 403
    assert refusal(response).startswith("Your account on this site is switched off.")


# ---- Refusals: plain pages, audited, nobody signed in -----------------------------------


def assert_refused(client, response, *, status: int, reason: str, words: str, detail: str = ""):
    assert response.status_code == status
    assert refusal(response) == words
    assert "_auth_user_id" not in client.session
    event = events("sign-in-refused")[-1]
    assert event["reason"] == reason
    assert detail in event["detail"]


BAD_ANSWER = (
    "The answer from Example SSO could not be checked, so you were not signed in. Start again from the "
    "login page; if it keeps happening, tell an administrator."
)


def test_an_id_token_signed_with_another_key_is_refused(client, sso, mapped):
    sso.user("mallory", groups=("idp-sales",), token="forged")
    response, _ = sign_in(client, sso, "mallory")
    assert_refused(client, response, status=403, reason="bad-token", words=BAD_ANSWER, detail="Signature")
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_an_expired_id_token_is_refused(client, sso, mapped):
    sso.user("stale", groups=("idp-sales",), token="expired")
    response, _ = sign_in(client, sso, "stale")
    assert_refused(
        client, response, status=403, reason="bad-token", words=BAD_ANSWER, detail="the ID token has expired"
    )


def test_an_id_token_issued_to_another_client_is_refused(client, sso, mapped):
    sso.user("olga", groups=("idp-sales",), token="audience")
    response, _ = sign_in(client, sso, "olga")
    assert_refused(
        client, response, status=403, reason="bad-token", words=BAD_ANSWER, detail="Audience doesn't match"
    )


BAD_STATE = (
    "This sign-in was not started from this browser, or it was already used. Start again from the login page."
)


def test_a_state_this_browser_did_not_start_is_refused(client, sso, mapped):
    sso.user("hank", groups=("idp-sales",))
    browser = ProviderBrowser(sso)
    back = browser.visit(start(Client()), username="hank")  # started in another browser (login CSRF)
    response = client.get(back.removeprefix("http://testserver"))
    assert_refused(client, response, status=400, reason="bad-state", words=BAD_STATE)


def test_a_tampered_state_is_refused(client, sso, mapped):
    sso.user("ivan", groups=("idp-sales",))
    back = ProviderBrowser(sso).visit(start(client), username="ivan")
    state = parse_qs(urlsplit(back).query)["state"][0]
    tampered = state[:-1] + ("y" if state.endswith("x") else "x")  # never the state itself
    response = client.get(urlsplit(back).path + "?" + urlsplit(back).query.replace(state, tampered))
    assert_refused(client, response, status=400, reason="bad-state", words=BAD_STATE)


def test_a_callback_used_twice_is_refused_the_second_time(client, sso, mapped):
    sso.user("jane", groups=("idp-sales",))
    back = ProviderBrowser(sso).visit(start(client), username="jane")
    path = back.removeprefix("http://testserver")
    assert client.get(path).status_code == 302
    client.post("/accounts/logout/")
    assert_refused(client, client.get(path), status=400, reason="bad-state", words=BAD_STATE)


def test_a_nonce_that_is_not_this_sign_ins_is_refused(client, sso, mapped):
    """The ID token carries the nonce of the authorization request; the portal compares it
    with the one it kept for that state. A token minted for another request is refused."""
    sso.user("kim", groups=("idp-sales",))
    back = ProviderBrowser(sso).visit(start(client), username="kim")
    state = parse_qs(urlsplit(back).query)["state"][0]
    session = client.session
    session["oidc_states"][state]["nonce"] = "a-nonce-of-another-sign-in"
    session.save()
    response = client.get(back.removeprefix("http://testserver"))
    assert_refused(
        client,
        response,
        status=403,
        reason="bad-token",
        words=BAD_ANSWER,
        detail="the nonce is not this sign-in's",
    )


def test_an_unknown_email_domain_is_refused_in_plain_words(client, sso, mapped, settings):
    settings.OIDC_ALLOWED_DOMAINS = ["example.com", "example.co.uk"]
    sso.user("lena", groups=("idp-sales",), email="lena@elsewhere.org")
    response, _ = sign_in(client, sso, "lena")
    assert_refused(
        client,
        response,
        status=403,
        reason="unknown-domain",
        words="Your e-mail address, lena@elsewhere.org, is not from a company this site accepts. Sign in "
        "with your work account, or ask an administrator to let your company’s addresses in.",
    )
    assert events("sign-in-refused")[-1]["email"] == "lena@elsewhere.org"
    assert not get_user_model().objects.filter(username="lena").exists()
    # The same provider, an allowed domain: in.
    sso.user("lena", groups=("idp-sales",), email="lena@example.co.uk")
    assert sign_in(Client(), sso, "lena")[0].status_code == 302


MISSING = (
    "Example SSO did not tell us everything we need to know about you (your e-mail address or your "
    "groups). Ask an administrator to check the single sign-on settings."
)


@pytest.mark.parametrize("claim", ["email", "groups"])
def test_a_missing_claim_is_refused(client, sso, mapped, claim):
    sso.user(f"no-{claim}", groups=("idp-sales",), omit=[claim])
    response, _ = sign_in(client, sso, f"no-{claim}")
    assert_refused(client, response, status=403, reason="missing-claim", words=MISSING, detail=claim)


def test_without_mappings_a_missing_groups_claim_is_no_refusal(client, sso, cast):
    sso.user("nogroups", omit=["groups"])
    response, _ = sign_in(client, sso, "nogroups")
    assert response.status_code == 302
    assert openable(client) == []


def test_an_unverified_email_is_refused(client, sso, mapped):
    sso.user("unverified", groups=("idp-sales",), email_verified=False)
    response, _ = sign_in(client, sso, "unverified")
    assert_refused(
        client,
        response,
        status=403,
        reason="email-unverified",
        words="Example SSO has not confirmed your e-mail address, unverified@example.com. Confirm it there, then try again.",
    )


def test_a_provider_that_says_no_gets_a_plain_page(client, sso):
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(
        f"/accounts/oidc/callback/?error=access_denied&error_description=Declined&state={state}"
    )
    assert response.status_code == 403
    assert (
        refusal(response)
        == "Example SSO did not sign you in. Try again; if it keeps happening, ask an administrator."
    )
    assert events("sign-in-refused")[-1]["detail"] == "access_denied: Declined"


def test_a_provider_that_does_not_answer_gets_a_plain_page_not_a_500(client, sso, settings):
    from bench.common import free_port

    settings.OIDC_DISCOVERY_URL = f"http://127.0.0.1:{free_port()}/o/.well-known/openid-configuration"
    response = client.get("/accounts/oidc/authenticate/")
    assert response.status_code == 503
    assert refusal(response) == "We could not reach Example SSO to sign you in. Try again in a few minutes."


# ---- Sessions: renewed at the provider, ended when it refuses -------------------------


def expire_id_token(client: Client) -> None:
    session = client.session
    session["oidc_id_token_expiration"] = time.time() - 1
    session.save()


def test_an_expired_sign_in_is_renewed_silently_while_the_provider_session_lasts(client, sso, mapped):
    sso.user("nina", groups=("idp-sales",))
    _, browser = sign_in(client, sso, "nina")
    expire_id_token(client)
    sso.user("nina", groups=())  # meanwhile, out of sales at the provider
    response = client.get("/reports/")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert response["Location"].startswith(f"{sso.issuer}/authorize/") and query["prompt"] == ["none"]
    back = browser.visit(response["Location"])  # no login form: the provider's session holds
    response = client.get(back.removeprefix("http://testserver"))
    assert response["Location"] == "/reports/"
    assert client.get("/reports/").status_code == 200
    assert openable(client) == []  # the renewal followed the provider's groups too
    assert events("provider-sign-in")[-1]["refresh"] is True


def test_a_sign_in_the_provider_no_longer_renews_ends_the_session(client, sso, mapped):
    sso.user("omar", groups=("idp-sales",))
    _, browser = sign_in(client, sso, "omar")
    expire_id_token(client)
    assert sso.end_sessions("omar") == 1
    back = browser.visit(client.get("/").headers["Location"])
    assert parse_qs(urlsplit(back).query)["error"] == ["login_required"]
    response = client.get(back.removeprefix("http://testserver"))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/login/").content.decode()
    assert "Your sign-in with Example SSO has ended. Sign in again to go on." in page
    assert events("sign-in-refused")[-1] == {
        "username": "omar",
        "reason": "session-not-renewed",
        "detail": "login_required",
        "email": "omar@example.com",
    }


def test_an_error_answer_this_session_did_not_ask_for_signs_nobody_out(client, sso, mapped):
    sso.user("ruth", groups=("idp-sales",))
    sign_in(client, sso, "ruth")
    response = client.get("/accounts/oidc/callback/?error=login_required&state=made-up")
    assert response.status_code == 400
    assert refusal(response) == BAD_STATE
    assert client.get("/").status_code == 200  # still signed in


def test_a_dashboards_own_requests_are_never_sent_to_the_provider(client, sso, mapped):
    """Dash's routes and the page's fetches go on with an expired sign-in (a redirect to the
    provider would break them); the next page load renews it."""
    sso.user("pia", groups=("idp-sales",))
    sign_in(client, sso, "pia")
    endpoints = discover_endpoints(client, "stocktoday")
    expire_id_token(client)
    for endpoint in endpoints[1:]:  # everything but the page itself
        response = endpoint.call(client)
        assert response.status_code in (200, 302), (endpoint.path, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/static/"), endpoint.path
    fetched = client.get("/dashboards/stocktoday/export.csv", headers={"Sec-Fetch-Mode": "cors"})
    assert fetched.status_code == 200
    page = client.get("/dashboards/stocktoday/", headers={"Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 302 and page["Location"].startswith(f"{sso.issuer}/authorize/")


def test_password_sessions_are_never_sent_to_the_provider(client, sso, sales):
    client.post("/accounts/login/", {"username": "sales", "password": "correct-horse-battery-staple"})
    expire_id_token(client)
    assert client.get("/").status_code == 200


# ---- Sign-out --------------------------------------------------------------------------


def test_sign_out_ends_the_portal_session_and_the_providers(client, sso, mapped):
    sso.user("quinn", groups=("idp-sales",))
    _, browser = sign_in(client, sso, "quinn")
    id_token = client.session["oidc_id_token"]
    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    end = unescape(re.search(r'id="end-session" href="([^"]+)"', response.content.decode())[1])
    assert (
        f'<meta http-equiv="refresh" content="0;url={end.replace("&", "&amp;")}">'
        in response.content.decode()
    )
    url = urlsplit(end)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{sso.issuer}/logout/"
    assert parse_qs(url.query) == {
        "id_token_hint": [id_token],
        "client_id": [CLIENT_ID],
        "post_logout_redirect_uri": ["http://testserver/accounts/login/"],
    }
    # At the provider: signed out there, and sent back to the portal's login page.
    assert browser.visit(end) == "http://testserver/accounts/login/"
    again = browser.get(start(Client()), allow_redirects=True, timeout=20)
    assert 'name="password"' in again.text  # the provider asks for the password again


def test_sign_out_of_a_password_session_stays_on_the_portal(client, sso, sales):
    client.post("/accounts/login/", {"username": "sales", "password": "correct-horse-battery-staple"})
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


# ---- Who sees what: the access matrix for users made by the provider ---------------------


KINDS = {"provider group grant": ("idp-sales",), "provider no grant": ("idp-marketing",)}


@pytest.mark.parametrize("slug", [d.slug for d in registry.all_dashboards()])
def test_the_matrix_for_users_created_through_the_provider(slug, sso, mapped, cast):
    row = Dashboard.objects.get(slug=slug)
    grant_add(dashboard=row, group=Group.objects.get(name="Sales"))
    admin = Client()
    admin.force_login(cast["admin"])
    endpoints = discover_endpoints(admin, slug)
    for kind, groups in KINDS.items():
        username = f"{kind.replace(' ', '-')}-{slug}"
        sso.user(username, groups=groups)
        client = Client()
        assert sign_in(client, sso, username)[0].status_code == 302
        for endpoint in endpoints:
            response = endpoint.call(client)
            if kind == "provider group grant":
                assert response.status_code in (200, 302), (kind, endpoint.path, response.status_code)
            else:
                page = endpoint.path == f"/dashboards/{slug}/"
                assert is_refusal(response, page=page), (kind, endpoint.path, response.status_code)


# ---- Configuration -----------------------------------------------------------------------


def test_the_mapping_admin_explains_itself_and_lists_mappings(client, mapped, superuser):
    client.force_login(superuser)
    page = client.get("/admin/accounts/providergroupmapping/").content.decode()
    assert "idp-marketing" in page and "idp-sales" in page
    add = client.get("/admin/accounts/providergroupmapping/add/").content.decode()
    assert "groups given here by hand stay" in add
    assert "exactly as the identity provider sends it" in add
    response = client.post(
        "/admin/accounts/providergroupmapping/add/",
        {"provider_group": "idp-analysts", "group": Group.objects.get_or_create(name="Analysts")[0].pk},
    )
    assert response.status_code == 302
    assert ProviderGroupMapping.objects.get(provider_group="idp-analysts").group.name == "Analysts"


def test_half_set_single_sign_on_fails_the_system_checks(settings, db):
    from django.core.management.base import SystemCheckError

    settings.OIDC_RP_CLIENT_ID = "dash-engine"
    with pytest.raises(SystemCheckError, match=r"(?s)accounts\.E002.*accounts\.E003"):
        call_command("check")
    settings.OIDC_RP_CLIENT_ID = ""
    settings.OIDC_DISCOVERY_URL = "https://sso.example.com/.well-known/openid-configuration"
    with pytest.raises(SystemCheckError, match="accounts.E001"):
        call_command("check")


def test_the_provider_is_not_contacted_at_start_up_or_for_signed_in_requests(sso, client, sales, monkeypatch):
    """Discovery happens at the first sign-in, not when settings load or a page is served."""
    calls = []
    monkeypatch.setattr(requests, "get", lambda *a, **k: calls.append(a) or pytest.fail("network"))
    client.force_login(sales)
    assert client.get("/").status_code == 200
    assert client.get("/accounts/login/").status_code == 302
    assert calls == []
