"""What search finds: one entry per searchable text (a chapter's current text, an earlier
version, a comment, a suggestion's proposed words), in the form it is shown and folded
(comments/search/folding.py), with what the filters and the visibility rules ask about.

The engines index the folded columns themselves (migration 0006): on PostgreSQL a generated
`document` tsvector column with a GIN index, on SQLite an FTS5 table kept in step by triggers.
Neither is a field Django knows. A later migration that alters this table must keep them: on
SQLite, remaking the table drops its triggers; on PostgreSQL the generated column depends on
`folded_title` and `folded_body`.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chapters.models import Chapter, Handbook
from comments.models.threads import Comment, Thread


class EntryKind(models.TextChoices):
    CHAPTER = "chapter", _("Chapters")
    VERSION = "version", _("Earlier versions")
    COMMENT = "comment", _("Comments and replies")
    SUGGESTION = "suggestion", _("Suggestions")


class SearchEntry(models.Model):
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    handbook = models.ForeignKey(Handbook, on_delete=models.CASCADE, related_name="+")
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="+")
    # The chapter's version: the current one (a chapter entry) or an earlier one.
    version = models.PositiveIntegerField(null=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, null=True, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, related_name="+")
    # Who wrote it and for which jurisdiction (the filters); when it was written.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        "people.Jurisdiction", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    written_at = models.DateTimeField()
    # As shown (Markdown made readable) and as compared (folded).
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    folded_title = models.TextField(blank=True)
    folded_body = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["chapter", "kind"]),
            models.Index(fields=["kind", "written_at"]),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["chapter"],
                condition=Q(kind=EntryKind.CHAPTER),
                name="search_one_entry_per_chapter",
            ),
            models.UniqueConstraint(
                fields=["chapter", "version"],
                condition=Q(kind=EntryKind.VERSION),
                name="search_one_entry_per_version",
            ),
            models.UniqueConstraint(
                fields=["comment"],
                condition=Q(kind=EntryKind.COMMENT),
                name="search_one_entry_per_comment",
            ),
            models.UniqueConstraint(
                fields=["thread"],
                condition=Q(kind=EntryKind.SUGGESTION),
                name="search_one_entry_per_suggestion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
