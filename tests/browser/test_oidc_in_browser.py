"""Single sign-on in Chromium, end to end: the button, the provider's own login form, back
signed in to the gallery of the mapped role; then the sign-out through the provider."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from accounts.models import ProviderGroupMapping
from tests.oidc_provider.server import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_and_out_through_the_provider(visit, live_cast, sso):
    ProviderGroupMapping.objects.create(provider_group="idp-sales", group=Group.objects.get(name="Sales"))
    sso.user("rosa", groups=("idp-sales", "idp-elsewhere"))
    page = visit.page

    visit.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Example SSO").click()
    page.wait_for_url(re.compile(re.escape(f"{sso.base}/login/")))
    assert page.title() == "Example Identity Provider"
    page.fill("#id_username", "rosa")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in to the provider").click()

    page.wait_for_url(f"{visit.base_url}/")
    assert page.locator(".site-nav .nav-user-name").inner_text() == "rosa"
    cards = page.locator('li.card-item[id^="card-"]:not([hidden]) .card-title').all_inner_texts()
    assert sorted(set(cards)) == ["Stock Today"]
    page.locator(".card-link", has_text="Stock Today").click()
    page.wait_for_url(f"{visit.base_url}/dashboards/stocktoday/")
    page.frame_locator("#dash-app").locator(".js-plotly-plot").first.wait_for()

    # Sign-out: the portal, then the provider's end-session endpoint, then back to log in.
    page.locator("#account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{visit.base_url}/accounts/login/")
    assert any(url.startswith(f"{sso.issuer}/logout/?id_token_hint=") for url in visit.requested)
    # Signed out at the provider too: the button leads to its password form again.
    page.get_by_role("link", name="Sign in with Example SSO").click()
    page.wait_for_url(re.compile(re.escape(f"{sso.base}/login/")))
    assert visit.foreign_requests() == []
