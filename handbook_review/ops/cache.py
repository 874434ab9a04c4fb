"""The database cache behind the "shared" alias when REDIS_URL is not set."""

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class SharedDatabaseCache(DatabaseCache):
    """Django's DatabaseCache with an atomic incr().

    Django's incr() reads the value and writes it back, so two requests counting at once can both
    write n + 1: rate-limit counters (django-ratelimit) would then undercount, and
    django-ratelimit refuses DatabaseCache for that reason (check django_ratelimit.E003). Here the
    row is locked for the read-modify-write (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
    transaction takes the write lock at BEGIN, settings use transaction_mode IMMEDIATE). The
    expiry is kept, where Django's incr() would reset it to the default timeout.
    """

    _table: str  # set by BaseDatabaseCache.__init__ from LOCATION

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table = quote_name(self._table)
        now = tz_now().replace(microsecond=0, tzinfo=None)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('value')} FROM {table} "  # noqa: S608 (quoted names only)
                f"WHERE {quote_name('cache_key')} = %s AND {quote_name('expires')} > %s{lock}",
                [key, connection.ops.adapt_datetimefield_value(now)],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            stored = connection.ops.process_clob(row[0])
            value = pickle.loads(base64.b64decode(stored.encode(), validate=True)) + delta  # noqa: S301 (our own rows)
            pickled = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote_name('value')} = %s "  # noqa: S608 (quoted names only)
                f"WHERE {quote_name('cache_key')} = %s",
                [pickled, key],
            )
        return value
