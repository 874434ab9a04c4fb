"""Writing a disposition: the one step that both dispose() and the suggestion decisions end in,
so that a suggestion decided on its own page and one disposed of from its card leave the same
rows. Callers hold the chapter row's lock and have checked who may and what is valid.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from comments import notices
from comments.models import Disposition, Thread, ThreadStatus
from handbook_review import clock

if TYPE_CHECKING:
    from comments.models import Decision
    from handbook_review.people.models import User


def write_disposition(
    thread: Thread,
    *,
    by: User,
    kind: str,
    reason: str = "",
    applied_text: str = "",
    duplicate_of: Thread | None = None,
    decision: Decision | None = None,
    version: int | None = None,
    announce: bool = True,
) -> Disposition:
    """A new disposition replacing the thread's current one (read inside the lock), the thread
    pointing at it with no answer yet, resolved if it was open, and its card's stamp bumped.

    `announce=False` leaves telling the author to the caller (a bulk run tells each author once).
    """
    fresh = Thread.objects.select_for_update().get(pk=thread.pk)
    disposition = Disposition.objects.create(
        thread=fresh,
        kind=kind,
        reason=reason,
        applied_text=applied_text,
        duplicate_of=duplicate_of,
        decision=decision,
        replaces_id=fresh.disposition_id,
        version=version,
        by=by,
    )
    fresh.disposition = disposition
    fresh.answer = ""
    fields = ["disposition", "answer", "updated_at"]
    if fresh.status == ThreadStatus.OPEN:
        fresh.status = ThreadStatus.RESOLVED
        fresh.resolved_by = by
        fresh.resolved_at = clock.now()
        fields += ["status", "resolved_by", "resolved_at"]
    fresh.save(update_fields=fields)
    thread.disposition = disposition
    for name in ("answer", "status", "resolved_by_id", "resolved_at"):
        setattr(thread, name, getattr(fresh, name))
    thread.updated_at = fresh.updated_at
    if announce and decision is None:
        # A suggestion's decision is told by notify_decision, which names the disposition.
        transaction.on_commit(partial(notices.notify_disposition, disposition), robust=True)
    return disposition
