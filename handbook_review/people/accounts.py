"""Changes to an account that the audit log records as they happen: a new role, every session
ended. Each owns its transaction, so the change and its audit event are written together.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models, transaction

from handbook_review.people import audit
from handbook_review.people.models import AuditEvent, Role, User, role_of


def set_role(user: User, role: Role, *, by: User | None = None, source: str | None = None) -> None:
    """Make `role` the user's only role (an administrator is also staff, for the admin).

    A change is recorded in the audit log with the old and the new role, in the same
    transaction; `source` defaults to where the call comes from (web request or command).
    """
    with transaction.atomic():
        # Read from the database, not from a prefetched (possibly stale) cache.
        old = role_of(set(user.groups.values_list("name", flat=True)))
        if old != role:
            user.groups.set([Group.objects.get(name=role.value)])
            audit.record(
                AuditEvent.Action.ROLE_CHANGED,
                target=user,
                changes={"role": [old.value if old else None, role.value]},
                by=by,
                source=source,
            )
        if user.is_staff != (role == Role.ADMINISTRATOR):
            user.is_staff = role == Role.ADMINISTRATOR
            user.save(update_fields=["is_staff"])


def end_sessions(user: User) -> None:
    """End every session of this user, on every device: each is checked against the session
    hash on its next request and finds it changed. Recorded in the audit log."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=models.F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        audit.record(
            AuditEvent.Action.SESSIONS_ENDED,
            target=user,
            changes={"session_epoch": [user.session_epoch - 1, user.session_epoch]},
        )


def choose_language(user: User, language: str) -> None:
    """Store the interface language a person chose; it follows them to every device and is the
    language of what the application writes to them."""
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
