"""The forms of dispositions: giving one (or one to a filtered set) and answering one. What
may be written is the actions' to say (comments.actions.dispositions); these only read."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comments.models import AnswerKind, Category, DispositionKind

REASON_HELP = _("Required for “not accepted” and “noted”: the commenter reads it.")


class DispositionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Disposition"),
        choices=DispositionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a disposition.")},
    )
    reason = forms.CharField(
        label=_("Editors' observation"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=REASON_HELP,
    )
    applied_text = forms.CharField(
        label=_("Text as applied (accepted with modification)"),
        required=False,
        strip=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    duplicate_of = forms.IntegerField(
        label=_("Duplicate of comment number"), required=False, min_value=1
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if (
            kind in (DispositionKind.NOT_ACCEPTED, DispositionKind.NOTED)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Say why: the commenter will read it."))
        if kind == DispositionKind.DUPLICATE and not data.get("duplicate_of"):
            self.add_error("duplicate_of", _("Say which comment this one duplicates."))
        return data


class AnswerForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (AnswerKind.ACCEPTED, _("I accept the disposition")),
            (AnswerKind.CONTESTED, _("I contest it")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Accept or contest the disposition.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to contest: the editors take it to the next round."),
    )
    disposition = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == AnswerKind.CONTESTED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why you contest it."))
        return data


class BulkFilterForm(forms.Form):
    """Which threads of the chapter a bulk disposition acts on (read from the query string)."""

    category = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("every type")), *Category.choices]
    )
    jurisdiction = forms.IntegerField(label=_("From"), required=False)
    undisposed = forms.BooleanField(label=_("Only those without a disposition"), required=False)


class BulkDispositionForm(forms.Form):
    kind = DispositionForm.base_fields["kind"]
    reason = DispositionForm.base_fields["reason"]
    threads = forms.TypedMultipleChoiceField(coerce=int, required=True, choices=[])

    def __init__(self, *args: Any, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["threads"].choices = [(pk, str(pk)) for pk in ids]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("kind") in (DispositionKind.NOT_ACCEPTED, DispositionKind.NOTED)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Say why: the commenters will read it."))
        if data.get("kind") in (DispositionKind.DUPLICATE, DispositionKind.MODIFIED):
            self.add_error(
                "kind",
                _("Give duplicates and modifications one at a time: each names its own."),
            )
        return data
