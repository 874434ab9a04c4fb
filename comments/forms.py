from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from chapters.models import Chapter, normalise_newlines
from chapters.rendering import Heading
from comments.models import CATEGORY_HELP, COMMENT_MAX_CHARS, ESSENTIAL_HELP, Category, Visibility

BODY_ERRORS = {
    "required": _("Write a comment."),
    "max_length": _("A comment may be at most %(limit_value)d characters (it has %(show_value)d)."),
}


class CommentBodyField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Comment"))
        super().__init__(
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=COMMENT_MAX_CHARS,
            error_messages=BODY_ERRORS,
            help_text=_("Markdown. Mention someone with @Full Name."),
            **kwargs,
        )


def verbatim_text(
    label: StrOrPromise, *, rows: int, help_text: StrOrPromise = ""
) -> forms.CharField:
    """Optional text kept exactly as typed (quotes and Markdown replacements: spaces count)."""
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class TypeFields(forms.Form):
    """The type of a new thread or suggestion (ISO/IEC: general, technical, editorial) and
    whether it is essential, which only a technical one can be. A form with these fields sets
    `default_category`."""

    default_category: str = Category.GENERAL
    # Drawn by comments/_type_fields.html, not by the generic form_fields.html.
    own_markup = ("category", "essential")

    category = forms.ChoiceField(
        label=_("Type"),
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the type: general, technical or editorial.")},
    )
    essential = forms.BooleanField(label=_("Essential"), required=False, help_text=ESSENTIAL_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].initial = self.default_category

    def category_options(self) -> list[tuple[Any, StrOrPromise]]:
        """Each type's radio button with the text that explains it."""
        return [(radio, CATEGORY_HELP[Category(radio.data["value"])]) for radio in self["category"]]

    def clean_essential(self) -> bool:
        essential = bool(self.cleaned_data.get("essential"))
        if essential and self.data.get(self.add_prefix("category")) != Category.TECHNICAL:
            raise forms.ValidationError(
                _("Only a technical comment can be essential: choose “Technical” or untick it."),
                code="not_technical",
            )
        return essential


class ThreadForm(TypeFields):
    """A new thread on a selection (filled by the page's script) or on a quote or section typed
    by hand, which works without JavaScript and from the keyboard."""

    exact = verbatim_text(
        _("Text you comment on"),
        rows=2,
        help_text=_("Select words in the chapter, or type or paste them here exactly."),
    )
    section = forms.ChoiceField(label=_("…or a whole section"), required=False)
    # Named as the W3C selector's fields; shadows BaseForm.prefix only on the class, which
    # Django's form metaclass turns into a field, so the form's own prefix stays None.
    prefix = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)  # type: ignore[assignment]
    suffix = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    body = CommentBodyField()
    visibility = forms.ChoiceField(
        label=_("Visible to"),
        choices=Visibility.choices,
        initial=Visibility.EVERYONE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, chapter: Chapter, outline: list[Heading], **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", chapter.version)
        super().__init__(*args, **kwargs)
        section = cast(forms.ChoiceField, self.fields["section"])
        section.choices = [("", _("— none —"))] + [
            (h.id, f"{h.number} {h.text}".strip()) for h in outline
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        exact, section = data.get("exact") or "", data.get("section") or ""
        if not exact.strip() and not section:
            raise forms.ValidationError(
                _("Select the words you comment on, or choose a section."), code="no_target"
            )
        return data


class ReplyForm(forms.Form):
    body = CommentBodyField(label=_("Reply"))


class EditCommentForm(forms.Form):
    body = CommentBodyField()


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this comment hidden?"),
        max_length=300,
        error_messages={"required": _("Say why the comment is hidden.")},
    )


class SuggestionForm(ThreadForm):
    """A proposed replacement for the selected words (empty: delete them), or words to insert
    where the cursor was put (no words selected)."""

    default_category = Category.EDITORIAL

    replacement = verbatim_text(
        _("Replace with"),
        rows=3,
        help_text=_(
            "Markdown. Leave empty to propose deleting the selected words. "
            "With only the cursor placed (no words selected), this is inserted there."
        ),
    )
    # "block": the replacement is the Markdown of the whole block(s) the selection lies in; set
    # when the page handed that Markdown back because the selection crossed formatting.
    scope = forms.ChoiceField(
        required=False, choices=[("", ""), ("block", "block")], widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Why")
        self.fields["body"].help_text = _("The reason for the change, for the editors.")
        # A suggestion is on selected words or at a point; whole sections have their own form.
        del self.fields["section"]

    def clean(self) -> dict[str, Any]:
        data = TypeFields.clean(self) or {}
        if self.errors:
            return data
        exact = data.get("exact") or ""
        if exact and not exact.strip():
            exact = data["exact"] = ""
        start, end = data.get("start"), data.get("end")
        point = start is not None and (end is None or end == start)
        if not exact and not point:
            raise forms.ValidationError(
                _(
                    "Select the words you want to change. "
                    "Or place the cursor where words should be inserted."
                ),
                code="no_target",
            )
        # Browsers send a textarea's line breaks as CR LF; the chapter's Markdown has LF.
        data["replacement"] = normalise_newlines(data.get("replacement") or "")
        if not exact and not data["replacement"]:
            self.add_error("replacement", _("Write the words to insert."))
        return data


class RewriteForm(TypeFields):
    """A whole section written again, as Markdown."""

    default_category = Category.EDITORIAL

    section = forms.CharField(max_length=200, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    replacement = forms.CharField(
        label=_("The section as it should read"),
        strip=False,
        max_length=COMMENT_MAX_CHARS * 5,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown, from the section's heading to the end of the section."),
        error_messages={"required": _("Write the section as it should read.")},
    )
    body = CommentBodyField(label=_("Why"))

    def clean_replacement(self) -> str:
        value: str = self.cleaned_data["replacement"]
        if not value.strip():
            raise forms.ValidationError(_("Write the section as it should read."))
        # The blank lines before the next heading stay where they are.
        return normalise_newlines(value).rstrip()


class DecisionForm(forms.Form):
    replacement = verbatim_text(_("Wording to apply"), rows=4)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded with the decision and shown to the proposer."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it rejected?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the suggestion is rejected.")},
    )


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", _("Accept")), ("reject", _("Reject"))])
    jurisdiction = forms.IntegerField(required=False)
    reason = forms.CharField(required=False, max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            raise forms.ValidationError(_("Say why the suggestions are rejected."))
        return data
