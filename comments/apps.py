from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = _("Comments and suggestions")

    def ready(self) -> None:
        from chapters.signals import chapter_revised
        from comments.models import on_chapter_revised

        chapter_revised.connect(on_chapter_revised, dispatch_uid="comments.reanchor")
