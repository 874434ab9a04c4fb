from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "handbook_review.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from handbook_review.people import audit
        from handbook_review.people.roles import sync_roles
        from handbook_review.people.sessions import mark_seen
        from handbook_review.people.views import remember_chosen_language

        audit.connect()

        # Sent once per migrated app; the last call sees every app's permissions.
        post_migrate.connect(sync_roles, dispatch_uid="people.sync_roles")
        user_logged_in.connect(mark_seen, dispatch_uid="people.mark_seen")
        user_logged_in.connect(remember_chosen_language, dispatch_uid="people.language")
