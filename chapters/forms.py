from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from markdownx.fields import MarkdownxFormField
from markdownx.widgets import MarkdownxWidget

from chapters import review
from chapters.models import Chapter, ExportFormat, Handbook, Status, normalise_newlines
from handbook_review.people.models import Jurisdiction


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


class ChapterTextWidget(MarkdownxWidget):
    """The Markdown editor, uploading images to the handbook's (or chapter's) own endpoint.

    markdownx writes its global upload path into the attributes at render time; the view sets
    `upload_url` so an image is stored for, and owned by, the handbook being edited.
    """

    upload_url: str | None = None

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if self.upload_url is not None:
            context["widget"]["attrs"]["data-markdownx-upload-urls-path"] = self.upload_url
        return context


def chapter_text_field() -> MarkdownxFormField:
    # strip=False: trailing newlines are part of the text, and stripping them would make
    # an unchanged save look like a change.
    return MarkdownxFormField(
        label=_("Text (Markdown)"), required=False, strip=False, widget=ChapterTextWidget
    )


def set_upload_url(form: forms.BaseForm, url: str, *, language: str = "") -> None:
    """Where the editor uploads images, and the handbook's language on the text fields (so that
    the browser's spell checking and screen readers follow the chapter, not the interface)."""
    form.fields["body"].widget.upload_url = url  # type: ignore[attr-defined]
    if language:
        for name in ("title", "body"):
            if name in form.fields:
                form.fields[name].widget.attrs.update({"lang": language, "spellcheck": "true"})


TITLE_REQUIRED = {"required": _("A chapter needs a title.")}


class ChapterCreateForm(forms.ModelForm[Chapter]):
    body = chapter_text_field()

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
    body = chapter_text_field()
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


class PublishForm(forms.Form):
    label = forms.CharField(
        label=_("Version label"),
        max_length=20,
        help_text=_("For example 1.0 for the first edition, 1.1 for a revision."),
        error_messages={"required": _("An edition needs a version label.")},
    )
    date = forms.DateField(
        label=_("Date of the edition"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("An edition needs a date.")},
    )
    release_notes = forms.CharField(
        label=_("Release notes"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices)


# --- Review rounds and the workflow


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-time picker; values are in the site's time zone (Django converts)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class RoundScopeForm(forms.Form):
    """Name and scope of a round, with choices limited to the handbook's own."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("E.g. “Regional workshop, 23-24 November 2021”."),
    )
    chapters = forms.ModelMultipleChoiceField(
        label=_("Chapters in scope"),
        queryset=Chapter.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one chapter for the round.")},
    )
    jurisdictions = forms.ModelMultipleChoiceField(
        label=_("Invited jurisdictions"),
        queryset=Jurisdiction.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Invite at least one jurisdiction.")},
    )

    def __init__(self, *args: Any, handbook: Handbook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chapters = self.fields["chapters"]
        jurisdictions = self.fields["jurisdictions"]
        assert isinstance(chapters, forms.ModelMultipleChoiceField)  # noqa: S101 (narrowing)
        assert isinstance(jurisdictions, forms.ModelMultipleChoiceField)  # noqa: S101
        chapters.queryset = handbook.chapters.order_by("number")
        jurisdictions.queryset = handbook.jurisdictions.order_by("code")


class RoundForm(RoundScopeForm):
    opens_at = forms.DateTimeField(label=_("Opens"), widget=LocalDateTimeInput())
    closes_at = forms.DateTimeField(label=_("Closes"), widget=LocalDateTimeInput())

    field_order = ["name", "opens_at", "closes_at", "chapters", "jurisdictions"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The round must close after it opens."))
        return data


class RoundChangeForm(RoundScopeForm):
    note = forms.CharField(label=_("Note (why)"), required=False, max_length=1000)


class ExtendRoundForm(forms.Form):
    closes_at = forms.DateTimeField(label=_("New closing time"), widget=LocalDateTimeInput())
    note = forms.CharField(label=_("Note (why)"), required=False, max_length=1000)


class CloseRoundForm(forms.Form):
    note = forms.CharField(label=_("Note (why)"), required=False, max_length=1000)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    override = forms.BooleanField(label=_("Override the objections above"), required=False)


# How a form names a workflow step: "consolidation:approved" (from, to).
STEPS: dict[str, tuple[Status, Status]] = {
    f"{source}:{target}": (source, target) for source, target in review.TRANSITIONS
}
NOT_IN_HANDBOOK = _("Only chapters of this handbook can be moved here.")


class BulkTransitionForm(forms.Form):
    """One workflow step for several chapters of a handbook, chosen together by an editor."""

    step = forms.ChoiceField(
        label=_("Step"),
        choices=[(key, review.TRANSITIONS[pair].label) for key, pair in STEPS.items()],
        error_messages={
            "required": _("Choose a step of the workflow."),
            "invalid_choice": _("Choose one of the steps of the workflow."),
        },
    )
    chapters = forms.ModelMultipleChoiceField(
        label=_("Chapters"),
        queryset=Chapter.objects.none(),
        error_messages={
            "required": _("Choose at least one chapter to move."),
            "invalid_choice": NOT_IN_HANDBOOK,
            "invalid_pk_value": NOT_IN_HANDBOOK,
        },
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, chapters: QuerySet[Chapter], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["chapters"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 (narrowing)
        field.queryset = chapters.order_by("number")

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pair = STEPS.get(data.get("step", ""))
        if pair is not None and review.TRANSITIONS[pair].note_required and not data.get("note"):
            self.add_error("note", _("Give a note saying why."))
        return data
