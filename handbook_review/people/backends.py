from typing import Any

from django.contrib.auth.backends import ModelBackend

from handbook_review.people.models import User


class EmailBackend(ModelBackend):
    """Django's backend, loading the user with their jurisdiction: every page shows it."""

    def get_user(self, user_id: Any) -> User | None:
        user = (
            User.objects.select_related("jurisdiction").filter(pk=user_id, is_active=True).first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
