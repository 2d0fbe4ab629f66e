"""Forgot password, as a person does it: the login page's link, the form, the e-mail
(through a real SMTP server the test starts), its link followed in Chromium, a new
password chosen and used to sign in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.smtp_server import SMTPServer

pytestmark = pytest.mark.browser


def test_a_forgotten_password_is_reset_by_email_and_the_new_one_signs_in(visit, live_cast, settings):
    with SMTPServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        page = visit.page
        visit.goto("/accounts/login/")
        page.get_by_role("link", name="Forgot password?").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
        page.get_by_label("Email").fill("sales@example.com")
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

        [message] = smtp.messages
        assert smtp.recipients == [["sales@example.com"]]
        body = message.get_payload(decode=True).decode()
        link = re.search(r"(http://\S+/accounts/reset/\S+/)", body)[1]
        assert link.startswith(visit.base_url)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password", exact=True).fill("tulip-harbour-lantern-9")
    page.get_by_label("New password confirmation").fill("tulip-harbour-lantern-9")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your new password is set")
    page.get_by_role("link", name="Log in").click()
    visit.log_in("sales", "tulip-harbour-lantern-9")
    expect(page).to_have_url(visit.base_url + "/")
    # The link works once.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
