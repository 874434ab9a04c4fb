from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, Q

from handbook_review.people.models import User


class EmailBackend(ModelBackend):
    """Django's backend, loading the user with what every page's header shows: their
    jurisdiction and their count of unread notifications, in the one query."""

    def get_user(self, user_id: Any) -> User | None:
        user = (
            User.objects.select_related("jurisdiction")
            .annotate(
                unread_notifications=Count(
                    "notifications", filter=Q(notifications__read_at__isnull=True)
                )
            )
            .filter(pk=user_id, is_active=True)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
