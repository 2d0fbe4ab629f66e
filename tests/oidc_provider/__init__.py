"""A real OpenID Connect provider for the single sign-on tests: a small Django project on
django-oauth-toolkit, run as a process of its own on 127.0.0.1 (server.py starts it)."""
