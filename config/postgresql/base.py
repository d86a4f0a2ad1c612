"""Django's PostgreSQL backend, with a health check that cannot hang.

CONN_HEALTH_CHECKS runs `SELECT 1` on a reused connection before each request. Against a server that still holds
the TCP connection open but no longer answers (a frozen process, a proxy that stopped forwarding), Django's check
waits forever: libpq's keepalives and `tcp_user_timeout` only see a peer whose network is gone. Here the check
gives up after DATABASE_HEALTH_CHECK_TIMEOUT seconds; the connection is then discarded and the next one is bound
by `connect_timeout`.
"""

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import Error as PsycopgError
from psycopg.generators import execute


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None:
            return False
        pgconn = self.connection.pgconn
        try:
            pgconn.send_query(b"SELECT 1")
            results = self.connection.wait(execute(pgconn), timeout=settings.DATABASE_HEALTH_CHECK_TIMEOUT)
        except PsycopgError:  # including psycopg's wait timeout
            return False
        return bool(results) and results[-1].status == base.Database.pq.ExecStatus.TUPLES_OK
