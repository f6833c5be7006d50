"""Django's PostgreSQL backend, with less spent on each respondent page's round trips.

Two changes, both measured on the survey pages (``docs/performance.md``):

- **Statements planned once per connection.** Django sends every statement with its
  parameters spelled out (psycopg's client-side binding) and turns psycopg's prepared
  statements off, so PostgreSQL plans each statement anew. For most that costs next to
  nothing, but the lookup every respondent page starts with joins six tables, and planning it
  took PostgreSQL 0.3 ms where running it took 0.04 ms; prepared, the lookup went from 0.57 to
  0.17 ms. ``preparing_cursor`` gives such hot, fixed statements a cursor that binds
  parameters on the server, so psycopg prepares a statement the fifth time a connection runs
  it (its own default) and PostgreSQL plans it once. Every other statement goes through
  Django's usual cursor, unprepared.
- **A kept connection is checked without a round trip.** With ``CONN_HEALTH_CHECKS`` Django
  sends ``SELECT 1`` before the first statement of every request, so that a connection the
  server closed (a restart) is replaced instead of failing the request. A server that closes
  a connection says so on its socket (a last error message, then end of file), so an idle
  connection with nothing to read is taken as usable; only one with something waiting is
  asked ``SELECT 1``, which reads what the server said.

Prepared statements live as long as their connection. A transaction-mode pooler between the
platform and PostgreSQL must keep them (PgBouncer 1.21 or later, with
``max_prepared_statements`` set), or ``OPTIONS["prepare_threshold"]`` set to ``None`` turns
them off.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils.asyncio import async_unsafe
from psycopg import adapters, errors
from psycopg.pq import Format, TransactionStatus

# psycopg's own default: a statement is prepared the fifth time a connection runs it.
PREPARE_THRESHOLD = 5

_TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, base.ServerBindingCursor):
            # psycopg keeps no spelled-out text of a statement bound on the server; compose
            # one for the query log, as Django does when every cursor binds on the server.
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_connection_params(self):
        params = super().get_connection_params()
        # Django passes OPTIONS' value on, or None (never prepare) without one.
        if "prepare_threshold" not in self.settings_dict["OPTIONS"]:
            params["prepare_threshold"] = PREPARE_THRESHOLD
        return params

    @async_unsafe
    def preparing_cursor(self):
        """A cursor, as ``cursor()`` gives, whose statements are bound on the server and so
        prepared once they have run often enough on this connection.

        For fixed statements run on every request; one built with varying text would fill the
        connection's cache of prepared statements instead.
        """
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = base.ServerBindingCursor(self.connection)
            # As Django's ``create_cursor`` does: dates and times in the connection's zone.
            tzloader = self.connection.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
            if self.timezone != tzloader.timezone:
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        idle = connection.info.transaction_status == TransactionStatus.IDLE
        if idle and not _has_input(connection.fileno()):
            return True
        # Something to read on an idle connection is most likely the server's goodbye;
        # SELECT 1 reads it and fails (or succeeds, for a mere notice).
        return super().is_usable()


def _has_input(descriptor: int) -> bool:
    """Whether the socket has bytes (or its end) waiting, without waiting for any."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(descriptor, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([descriptor], [], [], 0)
    return bool(readable)
