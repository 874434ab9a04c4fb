from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = _("Comments and suggestions")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from chapters.models import Chapter
        from chapters.signals import chapter_revised, edition_published
        from comments import (
            ballots,  # noqa: F401  (the receiver of round_votes)
            vetoes,  # noqa: F401  (receivers of approval_check, draft_check)
        )
        from comments.actions import on_chapter_revised
        from comments.models import Comment, Suggestion
        from comments.notices import on_edition_published
        from comments.search import indexing

        # Re-anchoring: the step of revising this floor owns (comments/actions/reanchoring.py).
        chapter_revised.connect(on_chapter_revised, dispatch_uid="comments.reanchor")
        # Each jurisdiction's coordinators hear what happened to their comments.
        edition_published.connect(on_edition_published, dispatch_uid="comments.edition_report")
        # Search: the entries follow every write, in its transaction (comments/search/indexing.py).
        chapter_revised.connect(indexing.on_chapter_revised, dispatch_uid="comments.search_revised")
        post_save.connect(indexing.on_chapter_saved, sender=Chapter, dispatch_uid="search.chapter")
        post_save.connect(indexing.on_comment_saved, sender=Comment, dispatch_uid="search.comment")
        post_save.connect(
            indexing.on_suggestion_saved, sender=Suggestion, dispatch_uid="search.suggestion"
        )
