"""Django's PostgreSQL backend, with a bound on every wait for the server.

PostgreSQL's `statement_timeout` (settings.py) ends a slow statement on a server
that runs. A server that does not run at all (frozen, or cut off by the network)
cannot end anything, and psycopg waits for its answer without limit: every
request thread would hang with it. Here psycopg's own wait loop is given a
deadline, so the request fails with an `OperationalError` (a 503 page, see
`dashengine_site.views.server_error`) and the connection is dropped.
"""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
from django.db.backends.postgresql import base

HEALTH_CHECK_DEADLINE = 1.0  # seconds


class BoundedConnection(psycopg.Connection):
    deadline: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):
        try:
            return super().wait(gen, interval=interval, timeout=timeout or self.deadline)
        except psycopg.errors.OperationalError as error:
            if type(error).__name__ != "_WaitTimeout":
                raise
            # Half-way through the protocol the connection is of no further use.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {timeout or self.deadline:g} s"
            ) from None


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # psycopg.connect() has no hook for the connection's class; the subclass
        # only adds the deadline above.
        connection.__class__ = BoundedConnection
        connection.deadline = self.settings_dict["OPTIONS"].get("deadline")
        return connection

    def get_connection_params(self):
        params = super().get_connection_params()
        params.pop("deadline", None)
        return params

    def is_usable(self) -> bool:
        # The check of a kept connection before a request (CONN_HEALTH_CHECKS): a
        # server that runs answers at once, so a frozen one costs a second, not a
        # whole statement's deadline, before a new connection is tried.
        with self.deadline(HEALTH_CHECK_DEADLINE):
            return super().is_usable()

    @contextmanager
    def deadline(self, seconds: float):
        """A shorter bound for the calls inside (the readiness check)."""
        self.ensure_connection()
        connection, before = self.connection, self.connection.deadline
        connection.deadline = seconds
        try:
            yield
        finally:
            connection.deadline = before
