from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChaptersConfig(AppConfig):
    name = "chapters"
    verbose_name = _("Handbooks and chapters")

    def ready(self) -> None:
        from chapters.notices import handbooks_for_invitation
        from handbook_review.people.invitations import register_handbooks

        # An invitation names the handbooks the invitee will review.
        register_handbooks(handbooks_for_invitation)
