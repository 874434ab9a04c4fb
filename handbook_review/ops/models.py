"""The one table the ops app owns: where the "shared" cache lives when there is no Redis."""

from django.db import models


class SharedCacheEntry(models.Model):
    """A row of Django's DatabaseCache for the "shared" cache alias (settings.CACHES).

    Never used through the ORM: DatabaseCache reads and writes the table with its own SQL. It is
    a model, with the columns `createcachetable` would make, so that `migrate` creates the table
    on every database (tests included), `flush` empties it, and a backup holds it.
    """

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "ops_shared_cache"

    def __str__(self) -> str:
        return self.cache_key
