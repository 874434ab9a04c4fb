from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from markdownx.fields import MarkdownxFormField

from chapters.models import Chapter, normalise_newlines


def clean_body(body: str) -> str:
    body = normalise_newlines(body)
    size = len(body.encode("utf-8"))
    if size > settings.CHAPTER_BODY_MAX_BYTES:
        raise forms.ValidationError(
            _("The text is %(size)s; a chapter may hold at most %(limit)s."),
            params={
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.CHAPTER_BODY_MAX_BYTES),
            },
            code="too_long",
        )
    return body


TITLE_REQUIRED = {"required": _("A chapter needs a title.")}


class ChapterCreateForm(forms.ModelForm[Chapter]):
    # strip=False: trailing newlines are part of the text, and stripping them would make
    # an unchanged save look like a change.
    body = MarkdownxFormField(label=_("Text (Markdown)"), required=False, strip=False)

    class Meta:
        model = Chapter
        fields: ClassVar = ["number", "title", "body"]
        error_messages: ClassVar = {"title": TITLE_REQUIRED}

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("A chapter needs a title."), code="required")
        return title

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data["body"])


class ChapterEditForm(forms.Form):
    """Edits the text; carries the version it started from so a stale save can be refused."""

    title = forms.CharField(label=_("Title"), max_length=300, error_messages=TITLE_REQUIRED)
    body = MarkdownxFormField(label=_("Text (Markdown)"), required=False, strip=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        help_text=_("Recorded in the chapter's history, e.g. “Workshop comments on 3.2”."),
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("A chapter needs a title."), code="required")
        return title

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data["body"])

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()

    @classmethod
    def for_chapter(cls, chapter: Chapter, **kwargs: Any) -> "ChapterEditForm":
        return cls(
            initial={"title": chapter.title, "body": chapter.body, "base_version": chapter.version},
            **kwargs,
        )
