"""/healthz: up or down, per service, for a load balancer; nothing more.

The probes are django-health-check's (database, caches, storage) plus one of ours for the task
queue. The answer names each service and says "up" or "down": no error text, versions, host
names or counts, because the endpoint needs no login. Why a check failed is logged (the
health_check logger), not shown.
"""

import asyncio
import dataclasses
from typing import Any

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django_tasks_db.models import DBTaskResult
from health_check import Cache, Database, HealthCheck, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """The database task queue (django-tasks-db) can be read: its table is there and answers."""

    alias: str = "default"

    def run(self) -> None:
        connection = connections[self.alias]
        table = connection.ops.quote_name(DBTaskResult._meta.db_table)
        try:
            # A connection of its own, closed afterwards: probes run in a thread pool.
            with connection.temporary_connection() as cursor:
                cursor.execute(f"SELECT 1 FROM {table} WHERE 1 = 0")  # noqa: S608 (quoted name)
                cursor.fetchall()
        except DatabaseError as error:
            raise ServiceUnavailable("Task queue table unreachable") from error


# Name in the answer → probe. Both cache aliases are probed: "shared" holds what other
# processes need (rate-limit counters), "default" the rendered chapters.
CHECKS: dict[str, tuple[type[HealthCheck], dict[str, Any]]] = {
    "database": (Database, {}),
    "cache": (Cache, {"alias": "default"}),
    "shared_cache": (Cache, {"alias": "shared"}),
    "storage": (Storage, {"alias": "default"}),
    "tasks": (TaskQueue, {}),
}


class HealthView(HealthCheckView):
    """200 when every service is up, 503 (what load balancers act on) when one is down.

    The parent's dispatch marks the answer never-cache and runs outside any transaction."""

    checks = tuple(CHECKS.values())

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        status = {
            name: "down" if result.error else "up"
            for name, result in zip(CHECKS, results, strict=True)
        }
        down = "down" in status.values()
        return JsonResponse(status, status=503 if down else 200)
