from typing import Any, ClassVar

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from chapters.models import (
    Chapter,
    Edition,
    EditionChapter,
    ExportDownload,
    Handbook,
    Round,
    RoundEvent,
    SignOff,
    StoredImage,
    Transition,
)


@admin.register(Handbook)
class HandbookAdmin(admin.ModelAdmin[Handbook]):
    list_display = ("title", "slug", "language")
    prepopulated_fields: ClassVar = {"slug": ("title",)}
    filter_horizontal = ("jurisdictions",)


@admin.register(Chapter)
class ChapterAdmin(SimpleHistoryAdmin):
    """Read-mostly: the text changes only in the application, where every change is a version."""

    list_display = ("__str__", "handbook", "status", "version", "updated_at")
    list_filter = ("handbook", "status")
    search_fields = ("title",)
    readonly_fields = ("handbook", "number", "title", "body", "version", "credited_to", "status")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EditionChapterInline(admin.TabularInline[EditionChapter, Edition]):
    model = EditionChapter
    fields = ("number", "title", "version")
    readonly_fields = ("number", "title", "version")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin[Edition]):
    """View only: a published edition is a record that nothing may change or delete."""

    list_display = ("title", "label", "date", "published_by", "published_at")
    list_filter = ("handbook",)
    inlines = (EditionChapterInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Review records: changed only through chapters.review, so they read the same everywhere.


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoundEventInline(ReadOnly, admin.TabularInline[RoundEvent, Round]):
    model = RoundEvent
    extra = 0
    fields = ("at", "kind", "by", "opens_at", "closes_at", "note")
    readonly_fields = fields


@admin.register(Round)
class RoundAdmin(ReadOnly, admin.ModelAdmin[Round]):
    list_display = ("name", "handbook", "opens_at", "closes_at", "created_by")
    list_filter = ("handbook",)
    search_fields = ("name",)
    inlines = (RoundEventInline,)


@admin.register(Transition)
class TransitionAdmin(ReadOnly, admin.ModelAdmin[Transition]):
    list_display = ("chapter", "source", "target", "by", "at", "override")
    list_filter = ("target", "override")


@admin.register(SignOff)
class SignOffAdmin(ReadOnly, admin.ModelAdmin[SignOff]):
    list_display = ("chapter", "round", "jurisdiction", "verdict", "by", "at", "withdrawn_at")
    list_filter = ("round", "jurisdiction", "verdict")


@admin.register(ExportDownload)
class ExportDownloadAdmin(ReadOnly, admin.ModelAdmin[ExportDownload]):
    """Who took which export home, and when: a record, never edited."""

    list_display = ("export", "user", "at")
    list_filter = ("export__handbook",)
    search_fields = ("user__username", "user__email")
    date_hierarchy = "at"
    list_select_related = ("export__handbook", "export__edition", "user")


@admin.register(StoredImage)
class StoredImageAdmin(ReadOnly, admin.ModelAdmin[StoredImage]):
    list_display = ("name", "handbook", "chapter", "width", "height", "size", "uploaded_by")
    list_filter = ("handbook",)
    list_select_related = ("handbook", "chapter", "uploaded_by")
