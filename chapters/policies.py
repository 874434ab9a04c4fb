"""Who may see and do what on the chapters floor: one policy per kind of object (handbooks,
chapters, review rounds, editions, exports, images), each in both directions (see
handbook_review/policies.py). Views, actions and notices ask these; nothing else names a
permission.

The rules in words: editors (who may see drafts) see every handbook and every chapter;
counterparts see the handbooks their jurisdiction takes part in, their chapters once out of
draft, the rounds their jurisdiction is invited to, and the published editions.
"""

from __future__ import annotations

from typing import ClassVar

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from chapters.models import (
    Chapter,
    ChapterQuerySet,
    Edition,
    EditionChapter,
    EditionQuerySet,
    Export,
    Handbook,
    HandbookQuerySet,
    Round,
    RoundQuerySet,
    Status,
    StoredImage,
)
from handbook_review.people.models import User
from handbook_review.policies import Policy, Someone, having


class HandbookPolicy(Policy):
    permissions: ClassVar = {
        "view": "chapters.view_handbook",
        # Editors: every handbook, its drafts, every round and thread card count.
        "see_drafts": "chapters.view_draft_chapter",
        "add_chapter": "chapters.add_chapter",
        "reorder": "chapters.change_chapter",
        "import": "chapters.change_handbook",
    }

    def visible_to(self, user: User) -> HandbookQuerySet:
        """Editors see every handbook; counterparts those their jurisdiction takes part in."""
        if not user.is_authenticated or not self.can(user, "view"):
            return Handbook.objects.none()
        if self.can(user, "see_drafts"):
            return Handbook.objects.all()
        return Handbook.objects.filter(jurisdictions=user.jurisdiction_id)

    def readers(self, handbook: Handbook) -> QuerySet[User]:
        """visible_to turned round: the active people who may read the handbook."""
        return self.holders("view").filter(
            having(self.permissions["see_drafts"])
            | Q(jurisdiction__in=handbook.jurisdictions.all())
        )

    def users_who_can(self, action: str, handbook: Handbook) -> QuerySet[User]:
        return self.readers(handbook).filter(having(self.permissions[action]))


handbooks = HandbookPolicy()


class ChapterPolicy(Policy):
    permissions: ClassVar = {
        "view": "chapters.view_handbook",
        "see_drafts": "chapters.view_draft_chapter",
        "edit": "chapters.change_chapter",
        "restore": "chapters.change_chapter",
        "upload_image": "chapters.upload_image",
        "move": "chapters.transition_chapter",
    }
    refusals: ClassVar = {"move": _("Only editors move chapters through the workflow.")}

    def can(self, user: Someone, action: str) -> bool:
        if action == "upload_image":  # an image goes into a chapter's text: an editor's change
            return super().can(user, "upload_image") and super().can(user, "edit")
        return super().can(user, action)

    def visible_to(self, user: User) -> ChapterQuerySet:
        """Editors see every chapter; counterparts the chapters that are not drafts."""
        visible = Chapter.objects.filter(handbook__in=handbooks.visible_to(user))
        if self.can(user, "see_drafts"):
            return visible
        return visible.exclude(status=Status.DRAFT)

    def readers(self, chapter: Chapter) -> QuerySet[User]:
        people = handbooks.readers(chapter.handbook)
        if chapter.status == Status.DRAFT:
            people = people.filter(having(self.permissions["see_drafts"]))
        return people

    def users_who_can(self, action: str, chapter: Chapter) -> QuerySet[User]:
        return self.readers(chapter).filter(having(self.permissions[action]))


chapters = ChapterPolicy()


class RoundPolicy(Policy):
    permissions: ClassVar = {
        "view": "chapters.view_handbook",
        "see_all": "chapters.view_draft_chapter",
        "manage": "chapters.manage_round",
        "sign_off": "chapters.sign_off_round",
    }
    refusals: ClassVar = {
        "manage": _("Only editors manage review rounds."),
        "sign_off": _("Only counterparts sign off for their jurisdiction."),
    }

    def visible_to(self, user: User) -> RoundQuerySet:
        """Editors see every round; counterparts the rounds their jurisdiction is invited to."""
        rounds = Round.objects.filter(handbook__in=handbooks.visible_to(user))
        if self.can(user, "see_all"):
            return rounds
        return rounds.filter(jurisdictions=user.jurisdiction_id)

    def invited(self, round: Round) -> QuerySet[User]:
        """The readers of the handbook whose jurisdiction the round invites."""
        return handbooks.readers(round.handbook).filter(jurisdiction__in=round.jurisdictions.all())

    def users_who_can(self, action: str, round: Round) -> QuerySet[User]:
        if action == "view":
            return handbooks.readers(round.handbook).filter(
                having(self.permissions["see_all"]) | Q(jurisdiction__in=round.jurisdictions.all())
            )
        return self.invited(round).filter(having(self.permissions[action]))


rounds = RoundPolicy()


class EditionPolicy(Policy):
    permissions: ClassVar = {
        "view": "chapters.view_handbook",
        "publish": "chapters.publish_edition",
    }
    refusals: ClassVar = {"publish": _("Only editors publish editions.")}

    def visible_to(self, user: User) -> EditionQuerySet:
        return Edition.objects.filter(handbook__in=handbooks.visible_to(user))

    def users_who_can(self, action: str, edition: Edition) -> QuerySet[User]:
        if action == "view":
            return handbooks.readers(edition.handbook)
        return handbooks.readers(edition.handbook).filter(having(self.permissions[action]))


editions = EditionPolicy()


class ExportPolicy(Policy):
    """Exports of an edition or of the current draft: made by editors and administrators; an
    edition's fetched by whoever may read the edition, a draft's only by those who make them."""

    permissions: ClassVar = {"request": "chapters.export_handbook"}
    refusals: ClassVar = {"request": _("Only editors and administrators export handbooks.")}

    def visible_to(self, user: User) -> QuerySet[Export]:
        """Exports of the handbooks the user sees (their state pages need "request" too)."""
        return Export.objects.filter(handbook__in=handbooks.visible_to(user))

    def downloadable(self, user: User) -> QuerySet[Export]:
        found = Export.objects.all()
        if not self.can(user, "request"):
            found = found.filter(edition__isnull=False)
        return found.filter(
            Q(edition__isnull=True, handbook__in=handbooks.visible_to(user))
            | Q(edition__in=editions.visible_to(user))
        )


exports = ExportPolicy()


class ImagePolicy(Policy):
    permissions: ClassVar = {"view": "chapters.view_handbook"}

    def can_see(self, user: User, image: StoredImage) -> bool:
        """Whoever may read what the image belongs to.

        Editors see every image of a handbook they see. Counterparts see an image when the
        chapter it was uploaded for, or a chapter or published edition that shows it, is one
        they may read; an image uploaded for a draft stays hidden until the draft is in review.
        """
        if not handbooks.visible_to(user).filter(pk=image.handbook_id).exists():
            return False
        if handbooks.can(user, "see_drafts"):
            return True
        readable = chapters.visible_to(user).filter(handbook=image.handbook_id)
        if image.chapter_id is not None and readable.filter(pk=image.chapter_id).exists():
            return True
        if readable.filter(body__contains=image.url).exists():
            return True
        return EditionChapter.objects.filter(
            edition__in=editions.visible_to(user).filter(handbook=image.handbook_id),
            body__contains=image.url,
        ).exists()


images = ImagePolicy()
