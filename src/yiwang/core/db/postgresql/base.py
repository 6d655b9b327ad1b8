"""Django's PostgreSQL backend, whose health check asks the socket first.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before the first
query of every request by running ``SELECT 1`` on it: a round trip to the
server on every request, for a connection that is nearly always fine. The
way a kept connection actually dies here — the server restarted or shut
down, the backend terminated, an idle timeout — the server says so and
closes the socket, so an idle connection with something to read has been
told something. This check polls the socket without waiting: nothing to
read on an idle connection means usable, and anything else (the server's
goodbye, or a notice nobody asked for) gets Django's own ``SELECT 1``,
which reads it and decides. A peer that vanished without a word is not
seen by either check until the network gives up; the query then fails as
it would have after ``SELECT 1``.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        conn = self.connection
        if conn is None or conn.closed:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            poller = select.poll()
            poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
            ready = poller.poll(0)
        except (OSError, ValueError, base.Database.Error):
            return False
        if not ready:
            return True
        return super().is_usable()
