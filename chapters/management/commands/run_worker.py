"""The background worker (django-tasks-db's `db_worker`) that survives a lost database.

`db_worker` exits for good when its database connection drops (a failover, a restart of
PostgreSQL), and exports and e-mails then stop silently. This one catches the connection
errors in its loop, closes the broken connections, waits (1 s, 2 s, ... at most 30 s) and goes
on; the result of a task that has just run is written again until the database answers.
It names itself "host:pid", so a task it leaves behind when killed can be recognised, and it
sweeps jobs that a dead worker left "running" when it starts.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from chapters import jobs
from chapters.management.commands.sweep_jobs import sweep_all

log = logging.getLogger("chapters.worker")

MAX_BACKOFF = 30.0


class ResilientWorker(db_worker.Worker):
    def run(self) -> None:
        delay = 1.0
        while self.running:
            try:
                swept = sweep_all()
                if any(swept.values()):
                    log.warning("Swept jobs left by stopped workers: %s", swept)
                super().run()
                return  # --batch or --max-tasks reached
            except (OperationalError, InterfaceError) as error:
                if not self.running:
                    return
                log.warning("Database unreachable (%s); reconnecting in %.0f s", error, delay)
                jobs.close_connection()
                time.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
            else:
                delay = 1.0

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run the task and record its result; the recording survives a dropped connection."""
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                value: Any = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            jobs.retry_db(lambda: db_task_result.set_successful(value), attempts=20)
            task_finished.send(sender=backend_type, task_result=db_task_result.task_result)
        except BaseException as error:
            failure = error  # the name `error` is cleared when the except block ends
            jobs.retry_db(lambda: db_task_result.set_failed(failure), attempts=20)
            try:
                sender = type(db_task_result.task.get_backend())
                task_result = db_task_result.task_result
            except Exception:
                log.exception("Task id=%s failed unexpectedly", db_task_result.id)
            else:
                task_finished.send(sender=sender, task_result=task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1


class Command(db_worker.Command):
    help = (
        "Run the background worker (exports, e-mails, imports); it reconnects when the "
        "database connection drops instead of exiting."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        # A worker id that a sweep can check: this machine and this process.
        parser.set_defaults(worker_id=jobs.this_worker()[:64])

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        worker.run()
