"""The search box and its filters. Handbooks and chapters are offered from what the user may
read, so a filter for any other is refused with a message, never searched."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chapters import policies as chapter_policies
from comments.models import EntryKind, SuggestionStatus, ThreadStatus
from comments.search.finding import Filters
from handbook_review.people.models import Jurisdiction, User

MAX_QUERY_CHARS = 200

STATUSES = [
    ("", _("Any status")),
    (ThreadStatus.OPEN.value, _("Thread open")),
    (ThreadStatus.RESOLVED.value, _("Thread resolved")),
    (SuggestionStatus.ACCEPTED.value, _("Suggestion accepted")),
    (SuggestionStatus.REJECTED.value, _("Suggestion rejected")),
    (SuggestionStatus.WITHDRAWN.value, _("Suggestion withdrawn")),
    (SuggestionStatus.CONFLICTED.value, _("Suggestion in conflict")),
]
NOT_READABLE = _("That is not one you can read: choose one from the list.")


class ChapterChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.handbook.title}: {obj}"


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"),
        required=False,
        # Checked here rather than cut short by the browser: what was typed stays in the box.
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    handbook: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Handbook"),
        queryset=None,
        required=False,
        empty_label=_("Any handbook"),
        error_messages={"invalid_choice": NOT_READABLE},
    )
    chapter = ChapterChoice(
        label=_("Chapter"),
        queryset=None,
        required=False,
        empty_label=_("Any chapter"),
        error_messages={"invalid_choice": NOT_READABLE},
    )
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"),
        queryset=Jurisdiction.objects.all(),
        required=False,
        empty_label=_("Any jurisdiction"),
        help_text=_("Comments and suggestions written for it."),
    )
    author = forms.CharField(
        label=_("Author"), required=False, max_length=150, help_text=_("Part of a name.")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Everything")), *EntryKind.choices]
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUSES)
    since = forms.DateField(
        label=_("Written from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Written until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["handbook"].queryset = chapter_policies.handbooks.visible_to(user)
        fields["chapter"].queryset = (
            chapter_policies.chapters.visible_to(user)
            .select_related("handbook")
            .order_by("handbook__title", "number")
        )

    def clean_q(self) -> str:
        query: str = self.cleaned_data["q"]
        if len(query) > MAX_QUERY_CHARS:
            raise forms.ValidationError(
                _("Search for at most %(limit)d characters (this has %(count)d).")
                % {"limit": MAX_QUERY_CHARS, "count": len(query)}
            )
        return query

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period comes before its start."))
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            handbook=data.get("handbook"),
            chapter=data.get("chapter"),
            jurisdiction=data.get("jurisdiction"),
            author=data.get("author", ""),
            kind=data.get("kind", ""),
            status=data.get("status", ""),
            since=data.get("since"),
            until=data.get("until"),
        )

    @property
    def narrowing(self) -> bool:
        """Whether any filter is set (the filters are shown open)."""
        return any(self.data.get(name) for name in self.fields if name != "q")
