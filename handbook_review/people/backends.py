from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Count, Exists, OuterRef, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from handbook_review.people.models import Role, User


class EmailBackend(ModelBackend):
    """Django's backend, loading the user with what every page needs in the one query: their
    jurisdiction and count of unread notifications (the header), and whether they are an editor
    or administrator and have an authenticator app (the second-factor middleware)."""

    def get_user(self, user_id: Any) -> User | None:
        user = (
            User.objects.select_related("jurisdiction")
            .annotate(
                unread_notifications=Count(
                    "notifications", filter=Q(notifications__read_at__isnull=True)
                ),
                is_privileged=Exists(
                    Group.objects.filter(
                        user=OuterRef("pk"),
                        name__in=(Role.EDITOR.value, Role.ADMINISTRATOR.value),
                    )
                ),
                has_second_factor=Exists(
                    TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
                ),
            )
            .filter(pk=user_id, is_active=True)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
