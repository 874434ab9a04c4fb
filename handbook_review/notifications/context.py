from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from handbook_review.notifications.models import Notification


def unread(request: HttpRequest) -> dict[str, Any]:
    """The header's unread count: loaded with the user (people.backends), else one COUNT query,
    run only if the page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    loaded = getattr(user, "unread_notifications", None)
    if loaded is not None:
        return {"unread_notifications": loaded}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user).unread().count()
        )
    }
