"""Forgot password: Django's own views, with an e-mail through a real SMTP server."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_user
from tests.smtp_server import SMTPServer


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        yield server


def test_the_login_page_links_to_forgot_password(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password_reset/">Forgot password?</a>' in html


def test_a_reset_link_is_mailed_and_sets_a_new_password(client, db, smtp):
    make_user("sales")
    response = client.post("/accounts/password_reset/", {"email": "sales@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    [message] = smtp.messages
    assert smtp.recipients == [["sales@example.com"]]
    assert message["Subject"] == "Choose a new password for Dash Engine"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.get_payload(decode=True).decode())[1]
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"},
    )
    assert done["Location"] == "/accounts/reset/done/"
    signed_in = client.post("/accounts/login/", {"username": "sales", "password": "a-new-long-pass-42"})
    assert signed_in["Location"] == "/"


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db, smtp):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert smtp.messages == []


def test_without_an_email_server_the_page_says_whom_to_ask_and_sends_nothing(client, db, settings):
    settings.EMAIL_HOST = ""
    make_user("sales")
    html = client.get("/accounts/password_reset/").content.decode()
    assert "This site cannot send e-mail" in html and "<form" not in html.split("<main", 1)[1]
    assert client.post("/accounts/password_reset/", {"email": "sales@example.com"}).status_code == 200


def test_a_used_or_forged_link_says_so_and_offers_a_new_one(client, db):
    html = client.get("/accounts/reset/MQ/set-password/", follow=True).content.decode()
    assert "This link cannot be used" in html
    assert 'href="/accounts/password_reset/"' in html
