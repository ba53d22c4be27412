from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.backends import password_allowed
from accounts.models import ApiToken


class LoginForm(AuthenticationForm):
    def get_invalid_login_error(self) -> ValidationError:
        if not password_allowed(self.cleaned_data.get("username")):
            return ValidationError(
                f"Passwords are switched off here: sign in with {settings.OIDC_PROVIDER_NAME}.",
                code="sso_only",
            )
        return super().get_invalid_login_error()


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
