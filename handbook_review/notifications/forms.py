from django import forms

from handbook_review.notifications.models import Preference


class PreferenceForm(forms.ModelForm[Preference]):
    class Meta:
        model = Preference
        fields = ("email",)
        widgets = {"email": forms.RadioSelect}
