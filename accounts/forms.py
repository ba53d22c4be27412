from django import forms

from accounts.models import ApiToken

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]


class ApiTokenForm(forms.ModelForm):
    expires_in_days = forms.TypedChoiceField(
        label="Expires in",
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        initial="90",
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scope"]
        widgets = {"scope": forms.RadioSelect}
