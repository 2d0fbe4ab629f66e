from django.test import Client

from tests.conftest import PASSWORD


def attempt(client, username, password, addr="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=addr)


def test_repeated_failures_lock_out_that_username_from_that_address(cast, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "sales", "wrong").status_code == 200  # the form again, with an error
    locked = attempt(client, "sales", "wrong")
    assert locked.status_code == 429
    assert "Try again in 15 minutes" in locked.content.decode()
    # Even the right password waits out the cool-off...
    assert attempt(client, "sales", PASSWORD).status_code == 429
    # ...but the same user from another address, and another user, are not locked.
    assert attempt(Client(), "sales", PASSWORD, addr="10.0.0.2").status_code == 302
    assert attempt(Client(), "alice", PASSWORD).status_code == 302


def test_passwords_need_twelve_characters(cast):
    client = Client()
    client.force_login(cast["viewer"])
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "Sh0rt!pass", "new_password2": "Sh0rt!pass"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
