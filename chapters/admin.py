from typing import Any, ClassVar

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from chapters.models import Chapter, Handbook


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
