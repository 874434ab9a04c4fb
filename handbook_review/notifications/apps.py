from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "handbook_review.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from chapters.signals import edition_published
        from comments.models import Decision
        from comments.signals import comment_posted
        from handbook_review.notifications.models import (
            on_comment_posted,
            on_decision_saved,
            on_edition_published,
        )

        comment_posted.connect(on_comment_posted, dispatch_uid="notifications.comment")
        post_save.connect(on_decision_saved, sender=Decision, dispatch_uid="notifications.decision")
        edition_published.connect(on_edition_published, dispatch_uid="notifications.edition")
